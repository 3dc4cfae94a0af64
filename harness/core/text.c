// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "agent_proto.h"
#include "text.h"

/*
 * The escape for the character at @s (of @n bytes, 1 for an invalid
 * byte), or NULL when it is printed as is.  C1 controls (U+0080..U+009F)
 * are escaped too: some terminals take U+009B as CSI.
 */
static const char *escape_of(const unsigned char *s, size_t n, bool keep_newlines,
			     char tmp[8])
{
	unsigned int c = s[0];

	if (n == 1 && c < 0x80) {
		if (c == '\n')
			return keep_newlines ? NULL : "\\n";
		if (c == '\t')
			return "\\t";
		if (c == '\r')
			return "\\r";
		if (c == 0x1b)
			return "\\e";
		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, 8, "\\x%02x", c);
			return tmp;
		}
		return NULL;
	}
	if (n == 2 && c == 0xc2 && s[1] < 0xa0) {
		snprintf(tmp, 8, "\\u%04x", s[1]);
		return tmp;
	}
	return NULL;
}

/* Calls @put for each piece of the escaped text; stops when it returns non-zero. */
static void escape_walk(const char *str, bool keep_newlines,
			int (*put)(void *ctx, const char *p, size_t n), void *ctx)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = s ? strlen(str) : 0, i = 0;
	char tmp[8];

	while (i < len) {
		size_t n = pmt_utf8_char_len(str + i, len - i);
		const char *e;

		if (n == 0) {		/* not valid UTF-8: one byte, escaped */
			n = 1;
			snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			e = tmp;
		} else {
			e = escape_of(s + i, n, keep_newlines, tmp);
		}
		if (e ? put(ctx, e, strlen(e)) : put(ctx, str + i, n))
			return;
		i += n;
	}
}

static int put_file(void *ctx, const char *p, size_t n)
{
	fwrite(p, 1, n, ctx);
	return 0;
}

void pmt_term_fputs(FILE *f, const char *s, bool keep_newlines)
{
	escape_walk(s, keep_newlines, put_file, f);
}

struct bufctx {
	char *buf;
	size_t len, off;
};

static int put_buf(void *ctx, const char *p, size_t n)
{
	struct bufctx *b = ctx;

	if (b->off + n >= b->len)
		return 1;
	memcpy(b->buf + b->off, p, n);
	b->off += n;
	b->buf[b->off] = '\0';
	return 0;
}

void pmt_term_escape(char *buf, size_t len, const char *s, bool keep_newlines)
{
	struct bufctx b = { buf, len, 0 };

	if (!len)
		return;
	buf[0] = '\0';
	escape_walk(s, keep_newlines, put_buf, &b);
}

void pmt_wrap(FILE *f, const char *text, size_t col, const char *indent, size_t width)
{
	for (const char *p = text + strspn(text, " "); *p;) {
		size_t w = strcspn(p, " ");

		if (col && col + 1 + w > width && col > strlen(indent)) {
			fprintf(f, "\n%s", indent);
			col = strlen(indent);
		} else if (col && col > strlen(indent)) {
			fputc(' ', f);
			col++;
		} else if (!col) {
			fputs(indent, f);
			col = strlen(indent);
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		p += strspn(p, " ");
	}
	fputc('\n', f);
}

void pmt_xml_escape(FILE *f, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		size_t n = pmt_utf8_char_len(s + i, len - i);

		/* Not UTF-8, or U+FFFE/U+FFFF: XML forbids them, even escaped. */
		if (n == 0 || (n == 3 && ch == 0xef && (unsigned char)s[i + 1] == 0xbf &&
			       ((unsigned char)s[i + 2] & 0xfe) == 0xbe)) {
			fputs("\xef\xbf\xbd", f);
			i += n ? n : 1;
			continue;
		}
		if (n > 1) {
			fwrite(s + i, 1, n, f);
			i += n;
			continue;
		}
		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* XML 1.0 forbids most control characters, even escaped. */
			if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
				fputc('?', f);
			else
				fputc(ch, f);
		}
		i++;
	}
}
