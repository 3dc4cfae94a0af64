/* SPDX-License-Identifier: MIT */
/* The logs of a case's guests, bounded after the guests are gone. */
#ifndef PMT_CASE_LOGS_H
#define PMT_CASE_LOGS_H

struct pmt_case;

/*
 * Bound console*.log and qemu.log in c->dir and its sub-folders (checker
 * guests) to PMT_TRANSCRIPT_MAX with a marker line.  A file beyond
 * PMT_CHAN_FLOOD_MAX, or a qemu.log with the console copier's flood line,
 * makes the case BROK.  Call it when no guest of the case runs.
 */
void pmt_case_bound_transcripts(struct pmt_case *c);

#endif
