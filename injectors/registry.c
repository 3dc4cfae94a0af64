// SPDX-License-Identifier: MIT
/* The array of the injectors that injector_list.h lists. */
#include <string.h>

#include "injector_list.h"

#define DECLARE(name, own) extern const struct pmt_injector pmt_injector_##name;
#define ENTRY(name, own) &pmt_injector_##name,
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
