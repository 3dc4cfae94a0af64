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

/* Every injector, NULL-terminated. */
extern const struct pmt_injector *const pmt_injectors[];

/* The injector called @name, or NULL (also for a NULL @name). */
const struct pmt_injector *pmt_injector_find(const char *name);

#endif
