// SPDX-License-Identifier: MIT
#include <stdbool.h>

#include "output.h"

/* Length of the valid UTF-8 sequence at @s (at most @left bytes), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and beyond U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

struct json_object *output_json(char *text, size_t len)
{
	unsigned char *s = (unsigned char *)text;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq_len(s + i, len - i);
		if (n == 0 || (n == 1 && ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\t') ||
					  s[i] == 0x7f))) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
	return json_object_new_string_len(text, (int)len);
}
