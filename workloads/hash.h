/* SPDX-License-Identifier: MIT */
/*
 * The content hash and the data generator of the crash-consistency
 * workloads, shared by the guest (workloads, the agent's "verify") and the
 * host (the checker recomputes hashes of crash images and regenerates
 * data).  Both must give the same bits everywhere, so they are written out
 * here instead of coming from a library.
 *
 * Hash: FNV-1a 64 over the file's bytes, in order.  It is not
 * cryptographic and need not be: it detects torn or lost writes, not an
 * adversary.  It streams byte by byte, so a file read in chunks of any size
 * and an in-memory buffer hash alike.  In promises it is the 16 lowercase
 * hex digits of the value ("%016" PRIx64), so the empty file is
 * "cbf29ce484222325".
 *
 * Data: splitmix64 (Steele, Lea, Flood 2014), seeded from the workload's
 * "seed" argument; bytes are each 64-bit output stored little-endian.
 */
#ifndef PMT_HASH_H
#define PMT_HASH_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PMT_HASH_INIT		UINT64_C(0xcbf29ce484222325)
#define PMT_HASH_PRIME		UINT64_C(0x00000100000001b3)
#define PMT_HASH_HEX_LEN	17	/* 16 digits and the NUL */

/* Continue hash @h (PMT_HASH_INIT to start) over @len bytes of @buf. */
static inline uint64_t pmt_hash_update(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= PMT_HASH_PRIME;
	}
	return h;
}

static inline uint64_t pmt_hash(const void *buf, size_t len)
{
	return pmt_hash_update(PMT_HASH_INIT, buf, len);
}

static inline void pmt_hash_hex(uint64_t h, char out[PMT_HASH_HEX_LEN])
{
	snprintf(out, PMT_HASH_HEX_LEN, "%016" PRIx64, h);
}

/* splitmix64: advance *@state and return the next output. */
static inline uint64_t pmt_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Fill @buf with the next @len pseudo-random bytes (outputs little-endian). */
static inline void pmt_splitmix64_fill(uint64_t *state, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = pmt_splitmix64(state);
		p[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
}

/* A value in [@lo, @hi] (inclusive); the tiny modulo bias does not matter. */
static inline uint64_t pmt_splitmix64_range(uint64_t *state, uint64_t lo, uint64_t hi)
{
	return lo + pmt_splitmix64(state) % (hi - lo + 1);
}

/*
 * Sector hashes: what lets the checker verify a promised file block by
 * block while a later op that rewrites part of it may be in flight, or a
 * host page was written only in part (a torn 4 KiB page holds some of its
 * 512-byte sectors new and the rest old).
 *
 * Sector k of a file of @size bytes is bytes [512k, 512k + 512), with bytes
 * at or past @size taken as zero; its hash is the low 32 bits of pmt_hash()
 * over those 512 bytes.  In promises and intents the sector hashes of a
 * file are one string of 8 lowercase hex digits per sector, sector 0
 * first, ceil(size / 512) sectors.  A sector past the end of that list is
 * a zero sector.
 */
#define PMT_SECTOR_SIZE		512
#define PMT_SECTOR_HEX		8
/* Files larger than this carry no sector hashes (checked whole only). */
#define PMT_SECTORS_MAX_SIZE	(4u << 20)

static inline uint32_t pmt_sector_hash(const unsigned char *data, size_t size, size_t k)
{
	unsigned char buf[PMT_SECTOR_SIZE] = { 0 };
	size_t off = k * PMT_SECTOR_SIZE;

	if (off < size)
		for (size_t i = 0; i < PMT_SECTOR_SIZE && off + i < size; i++)
			buf[i] = data[off + i];
	return (uint32_t)pmt_hash(buf, sizeof(buf));
}

/* The hash of an all-zero sector (a hole, or past the end of a file). */
static inline uint32_t pmt_zero_sector_hash(void)
{
	static const unsigned char zero[PMT_SECTOR_SIZE];

	return (uint32_t)pmt_hash(zero, sizeof(zero));
}

#endif /* PMT_HASH_H */
