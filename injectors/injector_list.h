/* SPDX-License-Identifier: MIT */
/*
 * The list of injectors (registry.c), for what builds cases and lists
 * them (the run layer, the CLI).  The interface they implement is the case
 * layer's (harness/case/injector.h); nothing below the injectors reads
 * this list.
 */
#ifndef PMT_INJECTOR_LIST_H
#define PMT_INJECTOR_LIST_H

#include "injector.h"

/*
 * Every injector, listed once: X(NAME, OWN).  OWN is 1 when
 * injectors/NAME.c also declares the scenario that runs it
 * (pmt_scenario_NAME: which devices and filesystems, the variants, who
 * judges), so adding such an injector is its file and this one line; 0
 * when a file of harness/scenarios/ declares it (a scenario whose check
 * stage is the checker's, above the injectors).
 */
#define PMT_INJECTORS(X) \
	X(powercut, 0) X(flusheio, 0) X(hostsigbus, 0) X(hosthwpoison, 1) X(mce, 0) \
	X(badblocks, 1) X(hwpoison, 1) X(dmflakey, 1) X(flushstorm, 1) X(devreset, 1) \
	X(vmevent, 1) X(flushhang, 1)

/* Every injector, NULL-terminated. */
extern const struct pmt_injector *const pmt_injectors[];

/* The injector called @name, or NULL (also for a NULL @name). */
const struct pmt_injector *pmt_injector_find(const char *name);

#endif
