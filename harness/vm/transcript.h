/* SPDX-License-Identifier: MIT */
/*
 * Bounded transcripts.  QMP and agent transcripts are cut as they are
 * written (chan.c), and so is the qemu backend's console.log (console.h).
 * What QEMU or libvirt write themselves (qemu.log, libvirt's console.log)
 * is bounded when the case's guests are gone (case/case_logs.h): cut to
 * PMT_TRANSCRIPT_MAX with a marker line.
 */
#ifndef PMT_TRANSCRIPT_H
#define PMT_TRANSCRIPT_H

#include <stddef.h>

/* Write @text (at most PMT_TRANSCRIPT_MAX of it, then a marker) to @path atomically. */
int pmt_transcript_write(const char *path, const char *text, size_t len);
/* Cut @path to the cap with a marker; returns its size before, or -1. */
long long pmt_transcript_bound(const char *path);

#endif
