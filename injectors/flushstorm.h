/* SPDX-License-Identifier: MIT */
/* The flushstorm injector's host half (flushstorm.c), for its scenario's judge. */
#ifndef PMT_INJECTOR_FLUSHSTORM_H
#define PMT_INJECTOR_FLUSHSTORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"

/* One host flush, a line of the shim's flushes.jsonl (harness/shim/shim.c). */
struct pmt_host_flush {
	long long seq;
	int64_t rt0_us, rt1_us;	/* CLOCK_REALTIME: entered the shim, result final */
	int result;		/* 0 or -1 */
	bool real;		/* action "recorded": the real fsync ran */
	int depth;		/* flush calls in the shim when it entered, itself included */
	double ms;
};

/*
 * The host flushes of @dir/flushes.jsonl from line @from (0-based) on, in
 * file order, into *@out (malloc'd, *@n of them; NULL and 0 when none).
 * *@lines gets the number of lines in the file.  0, or -1 with errno when
 * the file cannot be read.
 */
int pmt_host_flushes(const char *dir, int from, struct pmt_host_flush **out, size_t *n, int *lines);

#endif
