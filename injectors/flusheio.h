/* SPDX-License-Identifier: MIT */
/* The flusheio injector's host half (flusheio.c), for the flusheio scenario. */
#ifndef PMT_INJECTOR_FLUSHEIO_H
#define PMT_INJECTOR_FLUSHEIO_H

#include <stddef.h>

#include "case.h"

/* The shim's folder of case @c (flushes.jsonl, mode). */
void pmt_flusheio_shim_dir(const struct pmt_case *c, char *buf, size_t len);

/* What the shim did, from flushes.jsonl lines @from.. (0-based). */
struct pmt_flush_stats {
	int lines, failed, recorded, errors;
	long long lost;		/* pages fail-lose flushes lost */
	double max_ms;
};
void pmt_flusheio_stats(const struct pmt_case *c, int from, struct pmt_flush_stats *st);

/* Host flushes fail from now on (fail-eio; variants lose and lose-drop:
 * the next one fails and loses its pages, fail-lose / fail-lose-drop), or
 * are honest again.  0 or -1 (errno). */
int pmt_flusheio_fail(const struct pmt_case *c, bool fail);

#endif
