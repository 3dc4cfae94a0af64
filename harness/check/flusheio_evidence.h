/* SPDX-License-Identifier: MIT */
/*
 * The evidence behind a flusheio finding: for every guest fsync of the
 * fail and recover steps, which host flushes ran during it (in the host's
 * order, flush_window.h), what the guest filesystem said about its error
 * state right after it (flushprobe's fs_after), and, once the power cut
 * has been checked, which kind of finding it is.
 */
#ifndef PMT_CHECK_FLUSHEIO_EVIDENCE_H
#define PMT_CHECK_FLUSHEIO_EVIDENCE_H

#include "case.h"

/*
 * details.flush_error_evidence from @stamps (the injector's fsync_call and
 * fsync_return stamps), DIR/flushes.jsonl of the shim in @dir and the
 * probe records in details.fail_step and details.recover_step:
 *   {"failed_host_flushes":[..],"fs_after_failure":{..},
 *    "fsyncs":[{"probe","step","returned","fd","flushed_at_call",
 *               "flushed_at_return","host_flushes_during":[..],
 *               "host_flush_ok_during","fs_after"}],
 *    "returned_0":N,"returned_0_without_ok_host_flush":[probe..]}
 * Nothing is added without stamps (a guest program without args.stamp).
 */
void pmt_flusheio_evidence(struct pmt_case *c, const char *dir, struct json_object *stamps);

/*
 * jbd2's transactions from the text of `debugfs -c -R logdump IMG`
 * (e2fsprogs 1.46, 1.47): a new array of {"seq","descriptor_at",
 * "commit_at"} in log order, commit_at -1 when the log ends before the
 * transaction's commit block (recovery drops it); with "end", the line
 * that ended the log, as the array's last element {"end": LINE} when
 * there is one.  An empty array for text without a journal dump.
 */
struct json_object *pmt_jbd2_logdump_parse(const char *text);

/*
 * ext4 only: details.flush_error_evidence.journal_at_cut, the jbd2 log of
 * @img (the durable image at the cut, not recovered) as
 * pmt_jbd2_logdump_parse gives it, read with debugfs on the host; or
 * {"error"} when debugfs could not.  @scratch: a file it may write.
 */
void pmt_flusheio_journal(struct pmt_case *c, const char *img, const char *scratch);

/*
 * After the power cut was checked (details.after_cut): evidence's
 * "conclusion" {"kind","text"}, kind one of
 *   "durability lie"     a fsync returned 0, the host model lost nothing
 *                        (fail-eio records nothing but keeps every page
 *                        pending, so the next honest flush takes all the
 *                        guest wrote), and its promise was not in the
 *                        state as of its own return;
 *   "host model"         the promise was lost and the shim's fail-lose
 *                        flush lost pages: the loss comes from the modelled
 *                        host write-back error and QEMU's answer after it;
 *   "error report only"  every promise held: the 0s are wrong return
 *                        codes, not lost data;
 *   "none"               no fsync returned 0 after the failure.
 * Nothing without details.flush_error_evidence.
 */
void pmt_flusheio_conclude(struct pmt_case *c);

#endif
