// SPDX-License-Identifier: MIT
/*
 * What the agent's "run" command can run: the workloads (workloads/workload_list.h),
 * the injectors' guest halves (injectors/guest/guest_list.h) and the agent's own
 * probes (probe_*.c).  Each list is written once; this file only joins them.
 */
#include <string.h>

#include "workload.h"

#define PMT_WORKLOAD(name, promises, needs_fio) extern const struct pmt_workload_info pmt_workload_##name;
#define PMT_GUEST_PROGRAM(name) extern const struct pmt_workload_info pmt_workload_##name;
#include "workload_list.h"
#include "guest_list.h"
#undef PMT_WORKLOAD
#undef PMT_GUEST_PROGRAM
extern const struct pmt_workload_info pmt_workload_mapsync;	/* probe_mapsync.c */

const struct pmt_workload_info *const pmt_workloads[] = {
#define PMT_WORKLOAD(name, promises, needs_fio) &pmt_workload_##name,
#define PMT_GUEST_PROGRAM(name) &pmt_workload_##name,
#include "workload_list.h"
#include "guest_list.h"
#undef PMT_WORKLOAD
#undef PMT_GUEST_PROGRAM
	&pmt_workload_mapsync,
	NULL
};

const struct pmt_workload_info *pmt_workload_find(const char *name)
{
	for (const struct pmt_workload_info *const *w = pmt_workloads; *w; w++)
		if (!strcmp((*w)->name, name))
			return *w;
	return NULL;
}
