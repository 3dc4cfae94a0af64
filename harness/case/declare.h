/* SPDX-License-Identifier: MIT */
/*
 * Shorthands for declaring a scenario (struct pmt_scenario, case.h) or an
 * injector (struct pmt_injector, injector.h).  Each names one thing a
 * declaration says where it took two fields that must agree, or an array
 * declared apart from the declaration it belongs to.  The fields proper
 * stay designated initializers, so a declaration still reads field by
 * field.  Relies on case.h and injector.h only.
 */
#ifndef PMT_DECLARE_H
#define PMT_DECLARE_H

#include "case.h"
#include "injector.h"

/* The devices: virtio-pmem alone, or with the emulated NVDIMM beside it. */
#define PMT_ON_VIRTIO_PMEM	PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM)
#define PMT_ON_ANY_PMEM		(PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM) | PMT_DEVICE_BIT(PMT_DEV_NVDIMM))

/*
 * A NULL-terminated list of names, for .filesystems and .variants: a
 * compound literal, which at file scope has static storage, so the list
 * stands in the declaration that uses it.
 */
#define PMT_NAMES(...)		((const char *const[]){ __VA_ARGS__, NULL })

/* Who judges: a judge function, or a check stage (never the kind without its judge). */
#define PMT_JUDGED_BY(fn)		.checker = PMT_CHECK_JUDGE, .judge = (fn)
#define PMT_JUDGED_BY_STAGE(stage)	.checker = PMT_CHECK_STAGE, .check_stage = &(stage)

/*
 * Defines pmt_injector_NAME (listed in injector_list.h), named NAME and
 * described by DESC; the rest of its fields follow as designated
 * initializers.
 */
#define PMT_INJECTOR(name_, desc, ...)						\
	const struct pmt_injector pmt_injector_##name_ = {			\
		.name = #name_, .description = (desc), __VA_ARGS__		\
	}

/*
 * Defines pmt_scenario_NAME (harness/scenarios/registry.c lists it), named
 * NAME and described by DESC, with the rest of its fields after them.
 * PMT_INJECTOR_SCENARIO is the scenario that runs injector NAME: the two
 * bear one name.
 */
#define PMT_SCENARIO(name_, desc, ...)						\
	const struct pmt_scenario pmt_scenario_##name_ = {			\
		.name = #name_, .description = (desc), __VA_ARGS__		\
	}
#define PMT_INJECTOR_SCENARIO(name_, desc, ...)					\
	PMT_SCENARIO(name_, desc, .injector = #name_, __VA_ARGS__)

#endif
