/* SPDX-License-Identifier: MIT */
/*
 * Which host flushes ran during a guest call, in the host's own order.
 *
 * The guest brackets each fsync with two events that wait for the host's
 * ack (flushprobe's args.stamp); on each the host reads the shim's flush
 * count (DIR/flushed: the seq of the last flush whose result is final,
 * stored under the shim's lock after its flushes.jsonl line is written,
 * so the count only goes up and every flush up to it is in the log) and
 * its CLOCK_REALTIME.  The flushes with seq in (count at the call, count
 * at the return] ended while the guest's call was in progress; a flush
 * whose rt0_us (the shim's CLOCK_REALTIME at entry, the same host clock)
 * is before the call's stamp was already in the shim when the call began.
 * The guest's clock plays no part.
 */
#ifndef PMT_FLUSH_WINDOW_H
#define PMT_FLUSH_WINDOW_H

#include <json-c/json.h>

/*
 * The flushes of @log (flushes.jsonl's text; NULL or "" is an empty log)
 * with seq in (@from, @to], in log order, as a new array of
 *   {"seq","line","op","action","ret","errno","lost_pages","pages",
 *    "started"}
 * line: 1-based line of flushes.jsonl; ret: the shim's "result" (0, -1);
 * errno only when ret < 0; lost_pages: the shim's "lost" (fail-lose), 0
 * if absent; started: "during" or "before the call" from rt0_us against
 * @call_rt_us, left out when @call_rt_us < 0 or the line has no rt0_us.
 * Lines that do not parse are skipped.
 */
struct json_object *pmt_flush_window(const char *log, long long from, long long to,
				     long long call_rt_us);

/*
 * One record per stamped guest call from @stamps, the host's stamps in
 * arrival order ({"event":"fsync_call"|"fsync_return","probe","flushed",
 * "rt_us", and "errno" on a return}): each call is paired with the next
 * return of the same probe.  A new array of
 *   {"probe","returned","flushed_at_call","flushed_at_return",
 *    "host_flushes_during":[pmt_flush_window],"host_flush_ok_during"}
 * returned: the call's errno (0: it returned 0); host_flush_ok_during:
 * some flush of the list returned 0.  A call with no return (the guest
 * stopped answering), or a stamp without a flush count (< 0), is left out.
 */
struct json_object *pmt_flush_evidence(const char *log, struct json_object *stamps);

/*
 * The failed flushes of @log (ret < 0) as a new array of
 * {"seq","line","action","errno","lost_pages"}.
 */
struct json_object *pmt_flush_failures(const char *log);

#endif
