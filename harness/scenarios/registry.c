// SPDX-License-Identifier: MIT
/*
 * Every scenario, listed once: the files of this folder below, and the
 * scenarios the injectors declare themselves (injectors/injector_list.h).
 */
#include <string.h>

#include "injector_list.h"
#include "scenario_list.h"

/*
 * The scenarios declared in this folder: those without an injector
 * (mapsync probes, replay re-checks) and those whose check stage is the
 * checker's (harness/check/).  The rest are declared by their injectors.
 */
#define PMT_SCENARIO_FILES(X) \
	X(mapsync) X(powercut) X(replay) X(flusheio) X(hostsigbus) X(mce)

#define DECLARE_FILE(name) extern const struct pmt_scenario pmt_scenario_##name;
#define ENTRY_FILE(name) &pmt_scenario_##name,
/* An injector's own scenario (injector_list.h: OWN is 1). */
#define OWN_1(...) __VA_ARGS__
#define OWN_0(...)
#define DECLARE_OWN(name, own) OWN_##own(extern const struct pmt_scenario pmt_scenario_##name;)
#define ENTRY_OWN(name, own) OWN_##own(&pmt_scenario_##name,)

PMT_SCENARIO_FILES(DECLARE_FILE)
PMT_INJECTORS(DECLARE_OWN)

const struct pmt_scenario *const pmt_scenarios[] = {
	PMT_SCENARIO_FILES(ENTRY_FILE)
	PMT_INJECTORS(ENTRY_OWN)
	NULL,
};

const struct pmt_scenario *pmt_scenario_find(const char *name)
{
	for (int i = 0; pmt_scenarios[i]; i++)
		if (!strcmp(pmt_scenarios[i]->name, name))
			return pmt_scenarios[i];
	return NULL;
}
