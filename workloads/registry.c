// SPDX-License-Identifier: MIT
/*
 * The workload table.  Adding a workload is its own file plus its line
 * below (and the declaration next to it).
 */
#include <string.h>

#include "workload.h"

extern const struct pmt_workload_info pmt_workload_mapsync;

const struct pmt_workload_info *const pmt_workloads[] = {
	&pmt_workload_mapsync,
	NULL
};

const struct pmt_workload_info *pmt_workload_find(const char *name)
{
	const struct pmt_workload_info *const *w;

	for (w = pmt_workloads; *w; w++)
		if (!strcmp((*w)->name, name))
			return *w;
	return NULL;
}
