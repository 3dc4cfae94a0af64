/* SPDX-License-Identifier: MIT */
/*
 * Bounded transcripts.  QMP and agent transcripts are cut as they are
 * written (chan.c), and so is the qemu backend's console.log (console.h).
 * What QEMU or libvirt write themselves (qemu.log, libvirt's console.log)
 * is bounded when the case's guests are gone: cut to PMT_TRANSCRIPT_MAX
 * with a marker line, and a file beyond PMT_CHAN_FLOOD_MAX makes the case
 * BROK, as does the console copier's flood line in qemu.log.
 */
#ifndef PMT_TRANSCRIPT_H
#define PMT_TRANSCRIPT_H

#include <stddef.h>

struct pmt_case;

/* Write @text (at most PMT_TRANSCRIPT_MAX of it, then a marker) to @path atomically. */
int pmt_transcript_write(const char *path, const char *text, size_t len);
/* Cut @path to the cap with a marker; returns its size before, or -1. */
long long pmt_transcript_bound(const char *path);
/* Bound console*.log and qemu.log in c->dir and its sub-folders (checker guests);
 * BROK for a flood. */
void pmt_case_bound_transcripts(struct pmt_case *c);

#endif
