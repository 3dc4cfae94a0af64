// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reason_class.h"

/* Append @s (@n bytes) to @out at *@o, if it fits with the NUL. */
static void put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + n + 1 > len)
		return;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

/* Numbers and quoted words out of @text (up to @end). */
static void normalize(const char *text, const char *end, char *out, size_t len)
{
	size_t o = 0;
	const char *s = text;

	out[0] = '\0';
	while (s < end && *s) {
		bool word_start = s == text || !isalnum((unsigned char)s[-1]);

		if (*s == '\'') {
			const char *q = memchr(s + 1, '\'', (size_t)(end - s - 1));

			if (q) {
				put(out, len, &o, "'...'", 5);
				s = q + 1;
				continue;
			}
		}
		if (word_start && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		    isxdigit((unsigned char)s[2])) {
			for (s += 2; s < end && isxdigit((unsigned char)*s); s++)
				;
			put(out, len, &o, "N", 1);
			continue;
		}
		/* A number, not part of a name ("JBD2", "EXT4-fs", "pmem0" stay). */
		if (isdigit((unsigned char)*s) && word_start) {
			while (s < end && isdigit((unsigned char)*s))
				s++;
			put(out, len, &o, "N", 1);
			continue;
		}
		put(out, len, &o, s, 1);
		s++;
	}
}

void pmt_reason_class(const char *text, char *out, size_t len)
{
	const char *end = strstr(text, "; reproduce:");
	char *norm, *seg, *save = NULL, *copy;
	size_t o = 0, n;

	if (!len)
		return;
	out[0] = '\0';
	if (!end)
		end = text + strlen(text);
	n = (size_t)(end - text) + 64;
	norm = malloc(2 * n);
	copy = malloc(2 * n);
	if (!norm || !copy) {
		free(norm);
		free(copy);
		return;
	}
	normalize(text, end, norm, 2 * n);
	memcpy(copy, norm, strlen(norm) + 1);
	/* Whole " | " segments once each: a kernel may repeat a line. */
	for (seg = strtok_r(copy, "|", &save); seg; seg = strtok_r(NULL, "|", &save)) {
		char *trim = seg;
		size_t tl;
		bool seen = false;

		while (*trim == ' ')
			trim++;
		tl = strlen(trim);
		while (tl && trim[tl - 1] == ' ')
			trim[--tl] = '\0';
		for (const char *p = out; !seen && (p = strstr(p, trim)); p += tl)
			seen = tl && (p == out || p[-1] == ' ') &&
			       (p[tl] == '\0' || p[tl] == ' ');
		if (seen)
			continue;
		if (o)
			put(out, len, &o, " | ", 3);
		put(out, len, &o, trim, tl);
	}
	free(norm);
	free(copy);
}
