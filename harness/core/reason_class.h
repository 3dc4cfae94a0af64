/* SPDX-License-Identifier: MIT */
/*
 * The class of a failure text: the text with what differs from one run,
 * state or kernel to the next taken out, so that two failures of the same
 * kind and cause compare equal.  The minimizer keeps a crash state only
 * while its failure keeps the class (harness/check/minimize.c).
 */
#ifndef PMT_CORE_REASON_CLASS_H
#define PMT_CORE_REASON_CLASS_H

#include <stddef.h>

/*
 * @text's class into @out (always NUL-terminated): numbers (decimal and
 * 0x hex) become "N", a quoted '...' becomes '...', everything from
 * "; reproduce:" on goes (it names a file), and a " | "-joined dmesg
 * line that repeats an earlier one goes.
 */
void pmt_reason_class(const char *text, char *out, size_t len);

#endif
