/* SPDX-License-Identifier: MIT */
/*
 * --shard i/n: a CI system's parallel jobs each run one slice of a plan.
 * A case belongs to a slice by a hash of its id alone, so a case stays in
 * its slice when others are added or removed, and the slices of 1/n..n/n
 * are disjoint and cover every case.
 */
#ifndef PMT_SHARD_H
#define PMT_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmt_shard {
	unsigned int index;		/* 1-based, 1..count */
	unsigned int count;		/* 0: not sharded, every case belongs */
};

/* "2/4" -> {2, 4}.  Returns 0, or -1 with one line in @err. */
int pmt_shard_parse(const char *text, struct pmt_shard *sh, char *err, size_t errlen);

/* FNV-1a, 64 bit: tiny, and the same on every machine and compiler. */
uint64_t pmt_fnv1a64(const char *s);

/*
 * fnv1a64(id) through MurmurHash3's fmix64 finalizer.  FNV-1a alone is
 * weak in its low bits: h % 2 is just the parity of the odd bytes, and all
 * four quick-plan ids land in shard 1 of 2.  The finalizer spreads every
 * bit of h into the low ones.
 */
uint64_t pmt_shard_hash(const char *id);

/* Does case @id belong to @sh?  (pmt_shard_hash(id) % count) == index - 1. */
bool pmt_shard_has(const struct pmt_shard *sh, const char *id);

#endif
