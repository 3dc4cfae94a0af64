// SPDX-License-Identifier: MIT
/* Every scenario, listed once.  Adding one: one file, one line here. */
#include <string.h>

#include "scenario_list.h"

extern const struct pmt_scenario pmt_scenario_mapsync;
extern const struct pmt_scenario pmt_scenario_badblocks;
extern const struct pmt_scenario pmt_scenario_hwpoison;
extern const struct pmt_scenario pmt_scenario_mce;
extern const struct pmt_scenario pmt_scenario_powercut;
extern const struct pmt_scenario pmt_scenario_replay;
extern const struct pmt_scenario pmt_scenario_flusheio;
extern const struct pmt_scenario pmt_scenario_hostsigbus;
extern const struct pmt_scenario pmt_scenario_hosthwpoison;
extern const struct pmt_scenario pmt_scenario_dmflakey;
extern const struct pmt_scenario pmt_scenario_flushhang;
extern const struct pmt_scenario pmt_scenario_flushstorm;
extern const struct pmt_scenario pmt_scenario_devreset;
extern const struct pmt_scenario pmt_scenario_vmevent;

const struct pmt_scenario *const pmt_scenarios[] = {
	&pmt_scenario_mapsync,
	&pmt_scenario_badblocks,
	&pmt_scenario_hwpoison,
	&pmt_scenario_mce,
	&pmt_scenario_powercut,
	&pmt_scenario_replay,
	&pmt_scenario_flusheio,
	&pmt_scenario_hostsigbus,
	&pmt_scenario_hosthwpoison,
	&pmt_scenario_dmflakey,
	&pmt_scenario_flushhang,
	&pmt_scenario_flushstorm,
	&pmt_scenario_devreset,
	&pmt_scenario_vmevent,
	NULL,
};

const struct pmt_scenario *pmt_scenario_find(const char *name)
{
	for (int i = 0; pmt_scenarios[i]; i++)
		if (!strcmp(pmt_scenarios[i]->name, name))
			return pmt_scenarios[i];
	return NULL;
}
