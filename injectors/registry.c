// SPDX-License-Identifier: MIT
/* Every injector, listed once.  Adding one: its file, and one line here. */
#include <string.h>

#include "injector_list.h"

#define PMT_INJECTORS(X) \
	X(powercut) X(flusheio) X(hostsigbus) X(hosthwpoison) X(mce) \
	X(badblocks) X(hwpoison) X(dmflakey) X(flushstorm) X(devreset) \
	X(vmevent) X(flushhang)

#define DECLARE(name) extern const struct pmt_injector pmt_injector_##name;
#define ENTRY(name) &pmt_injector_##name,
PMT_INJECTORS(DECLARE)

const struct pmt_injector *const pmt_injectors[] = {
	PMT_INJECTORS(ENTRY)
	NULL,
};

const struct pmt_injector *pmt_injector_find(const char *name)
{
	for (int i = 0; name && pmt_injectors[i]; i++)
		if (!strcmp(pmt_injectors[i]->name, name))
			return pmt_injectors[i];
	return NULL;
}
