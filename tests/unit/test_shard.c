// SPDX-License-Identifier: MIT
/* Unit tests: --shard parsing and the stable, disjoint, covering slices. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pmt_check.h"
#include "shard.h"

START_TEST(parse_good_and_bad)
{
	struct pmt_shard sh = { 0 };
	char err[256];

	ck_assert_int_eq(pmt_shard_parse("2/4", &sh, err, sizeof(err)), 0);
	ck_assert_uint_eq(sh.index, 2);
	ck_assert_uint_eq(sh.count, 4);
	ck_assert_int_eq(pmt_shard_parse("1/1", &sh, err, sizeof(err)), 0);
	ck_assert_int_eq(pmt_shard_parse("4/4", &sh, err, sizeof(err)), 0);

	ck_assert_int_eq(pmt_shard_parse("0/4", &sh, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--shard 0/4: the shard index counts from 1 to 4");
	ck_assert_int_eq(pmt_shard_parse("5/4", &sh, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--shard 5/4: the shard index counts from 1 to 4");
	ck_assert_int_eq(pmt_shard_parse("1/0", &sh, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--shard 1/0: the number of shards must be at least 1");
	ck_assert_int_eq(pmt_shard_parse("x/y", &sh, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--shard: expected i/n with whole numbers, e.g. 2/4, got 'x/y'");
	static const char *const bad[] = {
		"", "2", "2/", "/4", "2/4x", "-1/4", "+1/4", " 1/4", "1/ 4", "1/4/2", "1.5/4",
		"99999999999/4",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pmt_shard_parse(bad[i], &sh, err, sizeof(err)) == -1, "%s", bad[i]);
	ck_assert_int_eq(pmt_shard_parse(NULL, &sh, err, sizeof(err)), -1);
	/* A failed parse leaves the previous value alone. */
	ck_assert_uint_eq(sh.index, 4);
}
END_TEST

START_TEST(fnv1a64_vectors)
{
	/* The published FNV-1a 64 test vectors: the hash must never change. */
	ck_assert_uint_eq(pmt_fnv1a64(""), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(pmt_fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(pmt_fnv1a64("foobar"), 0x85944171f73967e8ULL);
}
END_TEST

#define NIDS 200

static void make_id(char *buf, size_t len, int i)
{
	static const char *const dev[] = { "virtio-pmem", "nvdimm" };
	static const char *const fs[] = { "ext4", "xfs" };

	snprintf(buf, len, "s%d:%s:%s", i / 4, dev[i % 2], fs[(i / 2) % 2]);
}

START_TEST(slices_cover_disjoint_stable)
{
	/* FNV-1a 64 of the owners' digits of ids 0..199 for n shards (index n). */
	static const uint64_t pinned[8] = {
		0, 0x4f9415924476776dULL, 0x3e02b2aee6eb3bedULL, 0xe3d00db68feee768ULL,
		0x68da54d484d7187bULL, 0x81f0bdb6626a27f8ULL, 0x12962a25b5158b27ULL,
		0x2c2a4cd1d8c4d350ULL,
	};
	char id[64];

	for (unsigned int n = 1; n <= 7; n++) {
		int owner[NIDS], per[8] = { 0 };

		for (int i = 0; i < NIDS; i++) {
			int hits = 0;

			make_id(id, sizeof(id), i);
			for (unsigned int k = 1; k <= n; k++) {
				struct pmt_shard sh = { k, n };

				if (pmt_shard_has(&sh, id)) {
					hits++;
					owner[i] = (int)k;
				}
			}
			/* Every id in exactly one slice: the union is all, pairwise disjoint. */
			ck_assert_msg(hits == 1, "%s in %d of %u shards", id, hits, n);
			per[owner[i]]++;
		}
		/*
		 * Stable across releases and machines: today's owners of the 200
		 * ids, as a string of digits, hash to a pinned value.  Asking the
		 * same function again would always agree with itself; only a value
		 * written down here catches a changed hash or slice rule.
		 */
		{
			char digits[NIDS + 1];

			for (int i = 0; i < NIDS; i++)
				digits[i] = (char)('0' + owner[i]);
			digits[NIDS] = '\0';
			ck_assert_msg(pmt_fnv1a64(digits) == pinned[n],
				      "the slices of %u shards changed: owners %.24s... hash to %#llx, "
				      "pinned %#llx", n, digits, (unsigned long long)pmt_fnv1a64(digits),
				      (unsigned long long)pinned[n]);
		}
		/* And not degenerate: with 200 ids every slice gets some. */
		for (unsigned int k = 1; k <= n; k++)
			ck_assert_msg(per[k] > 0, "shard %u/%u is empty", k, n);
	}
	{
		struct pmt_shard none = { 0, 0 };

		/* Not sharded: every case belongs. */
		ck_assert(pmt_shard_has(&none, "anything"));
		ck_assert(pmt_shard_has(NULL, "anything"));
	}
}
END_TEST

START_TEST(known_hashes)
{
	/* The slice hash itself, pinned: FNV-1a 64 with a 64-bit finaliser. */
	ck_assert_uint_eq(pmt_shard_hash("mapsync:virtio-pmem:ext4"), 0x2cee9311b33d5291ULL);
	ck_assert_uint_eq(pmt_shard_hash("powercut:append_fsync:virtio-pmem:ext4@powercut-flush#3"),
			  0xbd35cee8a65b139cULL);
}
END_TEST

START_TEST(known_assignment)
{
	/*
	 * Pin today's slices of the quick plan: a CI job's slice must not
	 * change between releases, and 2 shards must both get work (plain
	 * FNV-1a % 2 put all four in shard 1).
	 */
	static const struct { const char *id; unsigned int of2, of3; } pin[] = {
		{ "mapsync:virtio-pmem:ext4", 2, 2 },
		{ "mapsync:virtio-pmem:xfs", 1, 1 },
		{ "mapsync:nvdimm:ext4", 1, 3 },
		{ "mapsync:nvdimm:xfs", 1, 1 },
	};

	for (size_t i = 0; i < sizeof(pin) / sizeof(pin[0]); i++) {
		for (unsigned int k = 1; k <= 3; k++) {
			struct pmt_shard two = { k, 2 }, three = { k, 3 };

			if (k <= 2)
				ck_assert_int_eq(pmt_shard_has(&two, pin[i].id), k == pin[i].of2);
			ck_assert_int_eq(pmt_shard_has(&three, pin[i].id), k == pin[i].of3);
		}
	}
}
END_TEST

PMT_CHECK_MAIN("shard", NULL, parse_good_and_bad, fnv1a64_vectors,
	       slices_cover_disjoint_stable, known_hashes, known_assignment);
