/* SPDX-License-Identifier: MIT */
/*
 * Text that came from the guest, made safe for where it goes: a terminal
 * (no control characters reach it raw) and XML.  The UTF-8 helpers the
 * protocol uses live in agent_proto.h, which the guest agent shares.
 */
#ifndef PMT_TEXT_H
#define PMT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Write @s to @f with every control character (C0, DEL, C1) and every
 * byte that is not part of valid UTF-8 shown as an escape (\n, \t, \r,
 * \e, \xNN).  With @keep_newlines, '\n' is written as is (a multi-line
 * report the harness composed itself).
 */
void pmt_term_fputs(FILE *f, const char *s, bool keep_newlines);
/* The same into @buf (always NUL-terminated, cut on an escape boundary). */
void pmt_term_escape(char *buf, size_t len, const char *s, bool keep_newlines);

/*
 * Write @s (NULL: nothing) to @f with &, <, >, " and ' as entities (' as
 * &#39;, which both XML and HTML read), so that it is safe as an
 * element's text or a quoted attribute's value; and as text XML 1.0
 * allows: forbidden control characters as '?', bytes that are not valid
 * UTF-8 and the non-characters U+FFFE/U+FFFF as U+FFFD.
 */
void pmt_xml_escape(FILE *f, const char *s);

/*
 * @text written to @f wrapped on spaces at @width columns: a line that is
 * started gets @indent first, a word that would pass @width starts a new
 * line; ends with '\n'.  @col is the column @f's line is at already (0:
 * a new line, which then gets @indent too); runs of spaces count as one.
 */
void pmt_wrap(FILE *f, const char *text, size_t col, const char *indent, size_t width);

#endif
