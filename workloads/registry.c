// SPDX-License-Identifier: MIT
/*
 * The workload table.  Adding a workload is its own file plus its line
 * below (and the declaration next to it).
 */
#include <string.h>

#include "workload.h"

extern const struct pmt_workload_info pmt_workload_mapsync;
extern const struct pmt_workload_info pmt_workload_badblocks;
extern const struct pmt_workload_info pmt_workload_hwpoison;
extern const struct pmt_workload_info pmt_workload_append_fsync;
extern const struct pmt_workload_info pmt_workload_overwrite_fdatasync;
extern const struct pmt_workload_info pmt_workload_rename_replace;
extern const struct pmt_workload_info pmt_workload_create_unlink;
extern const struct pmt_workload_info pmt_workload_falloc_punch;
extern const struct pmt_workload_info pmt_workload_dax_mmap;
extern const struct pmt_workload_info pmt_workload_mce_target;
extern const struct pmt_workload_info pmt_workload_flushprobe;
extern const struct pmt_workload_info pmt_workload_fill;
extern const struct pmt_workload_info pmt_workload_fio_verify;

const struct pmt_workload_info *const pmt_workloads[] = {
	&pmt_workload_mapsync,
	&pmt_workload_badblocks,
	&pmt_workload_hwpoison,
	&pmt_workload_append_fsync,
	&pmt_workload_overwrite_fdatasync,
	&pmt_workload_rename_replace,
	&pmt_workload_create_unlink,
	&pmt_workload_falloc_punch,
	&pmt_workload_dax_mmap,
	&pmt_workload_mce_target,
	&pmt_workload_flushprobe,
	&pmt_workload_fill,
	&pmt_workload_fio_verify,
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
