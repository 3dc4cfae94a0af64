// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "util.h"

/* Digits only: strtoul alone would take " 2", "+2" and "-2". */
static int parse_uint(const char *s, const char *end, unsigned int *out)
{
	unsigned long n = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > UINT_MAX)
			return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

int pmt_shard_parse(const char *text, struct pmt_shard *sh, char *err, size_t errlen)
{
	const char *slash = text ? strchr(text, '/') : NULL;
	unsigned int i, n;

	if (!slash || parse_uint(text, slash, &i) ||
	    parse_uint(slash + 1, slash + strlen(slash), &n)) {
		snprintf(err, errlen, "--shard: expected i/n with whole numbers, e.g. 2/4, got '%s'",
			 text ? text : "");
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "--shard %s: the number of shards must be at least 1", text);
		return -1;
	}
	if (i < 1 || i > n) {
		snprintf(err, errlen, "--shard %s: the shard index counts from 1 to %u", text, n);
		return -1;
	}
	sh->index = i;
	sh->count = n;
	return 0;
}

uint64_t pmt_fnv1a64(const char *s)
{
	return pmt_fnv64(PMT_FNV64_INIT, s, strlen(s));
}

uint64_t pmt_shard_hash(const char *id)
{
	uint64_t h = pmt_fnv1a64(id);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

bool pmt_shard_has(const struct pmt_shard *sh, const char *id)
{
	if (!sh || sh->count == 0)
		return true;
	return pmt_shard_hash(id) % sh->count == sh->index - 1;
}
