// SPDX-License-Identifier: MIT
/*
 * Unit tests: matching the host's stamps of a guest fsync to the shim's
 * flushes.jsonl (harness/check/flush_window.h).  The log lines are shaped
 * as the shim writes them (harness/shim/shim.c), from a flusheio
 * fail run on 6.12.118: flushes 8..10 failed, 11 recorded the pages.
 * And reading jbd2's log from debugfs's logdump
 * (harness/check/flusheio_evidence.h).
 */
#include <check.h>
#include <string.h>

#include "flush_window.h"
#include "flusheio_evidence.h"
#include "json_util.h"
#include "pmt_check.h"

static const char flush_log[] =
	"{\"seq\":7,\"op\":\"fsync\",\"mode\":\"honest\",\"action\":\"recorded\",\"pages\":3,"
	"\"ms\":1.0,\"rt0_us\":1000,\"rt1_us\":1100,\"result\":0}\n"
	"{\"seq\":8,\"op\":\"fsync\",\"mode\":\"fail-eio\",\"action\":\"failed\",\"pages\":0,"
	"\"ms\":0.1,\"rt0_us\":2000,\"rt1_us\":2001,\"result\":-1,\"errno\":5}\n"
	"{\"seq\":9,\"op\":\"fsync\",\"mode\":\"fail-lose\",\"action\":\"failed\",\"pages\":0,"
	"\"lost\":24,\"ms\":0.1,\"rt0_us\":2100,\"rt1_us\":2101,\"result\":-1,\"errno\":5}\n"
	"not json\n"
	"{\"seq\":10,\"op\":\"fsync\",\"mode\":\"fail-eio\",\"action\":\"failed\",\"pages\":0,"
	"\"ms\":0.1,\"rt0_us\":2900,\"rt1_us\":3001,\"result\":-1,\"errno\":5}\n"
	"{\"seq\":11,\"op\":\"fsync\",\"mode\":\"honest\",\"action\":\"recorded\",\"pages\":24,"
	"\"ms\":3.0,\"rt0_us\":4000,\"rt1_us\":4003,\"result\":0}\n";

static long long at_int(struct json_object *a, size_t i, const char *key)
{
	return pmt_json_int64(json_object_array_get_idx(a, i), key, -99);
}

static const char *at_str(struct json_object *a, size_t i, const char *key)
{
	return pmt_json_str(json_object_array_get_idx(a, i), key);
}

START_TEST(window_is_open_at_the_call_closed_at_the_return)
{
	struct json_object *w = pmt_flush_window(flush_log, 7, 9, 1500);

	ck_assert_int_eq(json_object_array_length(w), 2);
	ck_assert_int_eq(at_int(w, 0, "seq"), 8);
	ck_assert_int_eq(at_int(w, 0, "line"), 2);
	ck_assert_int_eq(at_int(w, 0, "ret"), -1);
	ck_assert_int_eq(at_int(w, 0, "errno"), 5);
	ck_assert_int_eq(at_int(w, 0, "lost_pages"), 0);
	ck_assert_str_eq(at_str(w, 0, "started"), "during");
	ck_assert_int_eq(at_int(w, 1, "seq"), 9);
	ck_assert_int_eq(at_int(w, 1, "lost_pages"), 24);
	json_object_put(w);
}
END_TEST

START_TEST(line_numbers_count_unparsed_lines)
{
	struct json_object *w = pmt_flush_window(flush_log, 9, 11, -1);

	ck_assert_int_eq(json_object_array_length(w), 2);
	ck_assert_int_eq(at_int(w, 0, "seq"), 10);
	ck_assert_int_eq(at_int(w, 0, "line"), 5);	/* after the line that is not JSON */
	ck_assert_int_eq(at_int(w, 1, "seq"), 11);
	ck_assert_int_eq(at_int(w, 1, "ret"), 0);
	ck_assert_int_eq(at_int(w, 1, "pages"), 24);
	/* No call time: "started" is not claimed; a 0 has no errno. */
	ck_assert(!json_object_object_get_ex(json_object_array_get_idx(w, 0), "started", NULL));
	ck_assert(!json_object_object_get_ex(json_object_array_get_idx(w, 1), "errno", NULL));
	json_object_put(w);
}
END_TEST

START_TEST(empty_window_and_empty_log)
{
	struct json_object *w = pmt_flush_window(flush_log, 11, 11, 0);

	ck_assert_int_eq(json_object_array_length(w), 0);
	json_object_put(w);
	w = pmt_flush_window(NULL, 0, 100, 0);
	ck_assert_int_eq(json_object_array_length(w), 0);
	json_object_put(w);
	w = pmt_flush_window("", 0, 100, 0);
	ck_assert_int_eq(json_object_array_length(w), 0);
	json_object_put(w);
}
END_TEST

START_TEST(a_flush_that_entered_before_the_call)
{
	/* Flush 10 entered the shim at 2900 us; the call was stamped at 3000. */
	struct json_object *w = pmt_flush_window(flush_log, 9, 11, 3000);

	ck_assert_str_eq(at_str(w, 0, "started"), "before the call");
	ck_assert_str_eq(at_str(w, 1, "started"), "during");
	json_object_put(w);
}
END_TEST

static struct json_object *stamp(const char *event, const char *probe, long long flushed,
				 long long rt_us, int err)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "event", json_object_new_string(event));
	json_object_object_add(s, "probe", json_object_new_string(probe));
	if (err >= 0)
		json_object_object_add(s, "errno", json_object_new_int(err));
	json_object_object_add(s, "flushed", json_object_new_int64(flushed));
	json_object_object_add(s, "rt_us", json_object_new_int64(rt_us));
	return s;
}

START_TEST(evidence_pairs_each_call_with_its_return)
{
	struct json_object *st = json_object_new_array(), *ev, *fl;

	json_object_array_add(st, stamp("fsync_call", "fsync", 7, 1500, -1));
	json_object_array_add(st, stamp("fsync_return", "fsync", 10, 3500, 5));
	json_object_array_add(st, stamp("fsync_call", "fsync_after_recovery", 10, 3600, -1));
	json_object_array_add(st, stamp("fsync_return", "fsync_after_recovery", 11, 4100, 0));
	json_object_array_add(st, stamp("fsync_call", "fsync_other_fd", 11, 4200, -1));
	json_object_array_add(st, stamp("fsync_return", "fsync_other_fd", 11, 4300, 0));
	/* A call the guest never returned from is left out. */
	json_object_array_add(st, stamp("fsync_call", "fsync_new_fd", 11, 4400, -1));
	ev = pmt_flush_evidence(flush_log, st);
	ck_assert_int_eq(json_object_array_length(ev), 3);

	ck_assert_str_eq(at_str(ev, 0, "probe"), "fsync");
	ck_assert_int_eq(at_int(ev, 0, "returned"), 5);
	fl = json_object_object_get(json_object_array_get_idx(ev, 0), "host_flushes_during");
	ck_assert_int_eq(json_object_array_length(fl), 3);
	ck_assert(!pmt_json_bool(json_object_array_get_idx(ev, 0), "host_flush_ok_during", true));

	ck_assert_str_eq(at_str(ev, 1, "probe"), "fsync_after_recovery");
	ck_assert_int_eq(at_int(ev, 1, "returned"), 0);
	ck_assert_int_eq(at_int(ev, 1, "flushed_at_call"), 10);
	ck_assert_int_eq(at_int(ev, 1, "flushed_at_return"), 11);
	fl = json_object_object_get(json_object_array_get_idx(ev, 1), "host_flushes_during");
	ck_assert_int_eq(json_object_array_length(fl), 1);
	ck_assert_int_eq(at_int(fl, 0, "seq"), 11);
	ck_assert(pmt_json_bool(json_object_array_get_idx(ev, 1), "host_flush_ok_during", false));

	/* A 0 with no host flush at all during it. */
	ck_assert_str_eq(at_str(ev, 2, "probe"), "fsync_other_fd");
	fl = json_object_object_get(json_object_array_get_idx(ev, 2), "host_flushes_during");
	ck_assert_int_eq(json_object_array_length(fl), 0);
	ck_assert(!pmt_json_bool(json_object_array_get_idx(ev, 2), "host_flush_ok_during", true));
	json_object_put(ev);
	json_object_put(st);
}
END_TEST

START_TEST(evidence_skips_a_stamp_without_a_count)
{
	struct json_object *st = json_object_new_array(), *ev;

	json_object_array_add(st, stamp("fsync_call", "fsync", -1, 1500, -1));
	json_object_array_add(st, stamp("fsync_return", "fsync", 10, 3500, 5));
	ev = pmt_flush_evidence(flush_log, st);
	ck_assert_int_eq(json_object_array_length(ev), 0);
	json_object_put(ev);
	json_object_put(st);
}
END_TEST

START_TEST(failures_list_the_failed_flushes)
{
	struct json_object *f = pmt_flush_failures(flush_log);

	ck_assert_int_eq(json_object_array_length(f), 3);
	ck_assert_int_eq(at_int(f, 0, "seq"), 8);
	ck_assert_int_eq(at_int(f, 1, "lost_pages"), 24);
	ck_assert_int_eq(at_int(f, 2, "line"), 5);
	ck_assert_str_eq(at_str(f, 2, "action"), "failed");
	json_object_put(f);
}
END_TEST

/* debugfs 1.47.0's logdump of the durable image at the cut, 6.12.118. */
static const char logdump_118[] =
	"debugfs 1.47.0 (5-Feb-2023)\n"
	"Journal starts at block 1, transaction 2\n"
	"Found expected sequence 2, type 1 (descriptor block) at block 1\n"
	"Found expected sequence 2, type 2 (commit block) at block 8\n"
	"Found expected sequence 3, type 1 (descriptor block) at block 9\n"
	"No magic number at block 16: end of journal.\n";

/* logdump -a of 6.1's: the same transactions, the second committed. */
static const char logdump_61[] =
	"Journal starts at block 1, transaction 2\n"
	"Found expected sequence 2, type 1 (descriptor block) at block 1\n"
	"Dumping descriptor block, sequence 2, at block 1:\n"
	"  FS block 69 logged at journal block 2 (flags 0x0)\n"
	"Found expected sequence 2, type 2 (commit block) at block 8\n"
	"Found expected sequence 3, type 1 (descriptor block) at block 9\n"
	"Found expected sequence 3, type 1 (descriptor block) at block 9\n"
	"Found expected sequence 3, type 2 (commit block) at block 16\n"
	"No magic number at block 17: end of journal.\n";

START_TEST(logdump_names_the_uncommitted_transaction)
{
	struct json_object *j = pmt_jbd2_logdump_parse(logdump_118);

	ck_assert_int_eq(json_object_array_length(j), 3);
	ck_assert_int_eq(at_int(j, 0, "seq"), 2);
	ck_assert_int_eq(at_int(j, 0, "commit_at"), 8);
	ck_assert_int_eq(at_int(j, 1, "seq"), 3);
	ck_assert_int_eq(at_int(j, 1, "descriptor_at"), 9);
	ck_assert_int_eq(at_int(j, 1, "commit_at"), -1);
	ck_assert_str_eq(at_str(j, 2, "end"), "No magic number at block 16: end of journal.");
	json_object_put(j);

	j = pmt_jbd2_logdump_parse(logdump_61);
	ck_assert_int_eq(json_object_array_length(j), 3);	/* a repeated line is one */
	ck_assert_int_eq(at_int(j, 1, "commit_at"), 16);
	json_object_put(j);

	j = pmt_jbd2_logdump_parse("debugfs: Bad magic number in super-block\n");
	ck_assert_int_eq(json_object_array_length(j), 0);
	json_object_put(j);
	j = pmt_jbd2_logdump_parse(NULL);
	ck_assert_int_eq(json_object_array_length(j), 0);
	json_object_put(j);
}
END_TEST

PMT_CHECK_MAIN("flush_window", NULL,
	       window_is_open_at_the_call_closed_at_the_return,
	       line_numbers_count_unparsed_lines, empty_window_and_empty_log,
	       a_flush_that_entered_before_the_call,
	       evidence_pairs_each_call_with_its_return,
	       evidence_skips_a_stamp_without_a_count,
	       failures_list_the_failed_flushes,
	       logdump_names_the_uncommitted_transaction);
