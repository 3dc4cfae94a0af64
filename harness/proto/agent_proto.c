// SPDX-License-Identifier: MIT
/*
 * Encoding, decoding and line framing of agent messages (agent_proto.h).
 * Shared by the harness and the guest agent, so it depends on libc and
 * json-c only.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdarg.h>

#include "agent_proto.h"

size_t pmt_utf8_char_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int c;
	size_t len;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xc2)			/* continuation byte, or overlong 2-byte form */
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	if (!len || n < len)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3) {
		if (c == 0xe0 && s[1] < 0xa0)	/* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0)	/* UTF-16 surrogate */
			return 0;
	}
	if (len == 4) {
		if (c == 0xf0 && s[1] < 0x90)	/* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)	/* beyond U+10FFFF */
			return 0;
	}
	return len;
}

size_t pmt_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t i = 0;

	if (len <= max)
		return len;
	while (i < max) {
		size_t n = pmt_utf8_char_len(s + i, len - i);

		if (!n)
			n = 1;
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

size_t pmt_utf8_sanitize(char *out, size_t outlen, const char *in, size_t inlen)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	size_t o = 0;

	if (!outlen)
		return 0;
	for (size_t i = 0; i < inlen;) {
		size_t n = pmt_utf8_char_len(in + i, inlen - i);
		const char *src = in + i;
		size_t w = n;

		if (!n || in[i] == '\0') {
			src = repl;
			w = 3;
			n = 1;
		}
		if (o + w >= outlen)
			break;
		memcpy(out + o, src, w);
		o += w;
		i += n;
	}
	out[o] = '\0';
	return o;
}

void pmt_utf8_fix(char *s, size_t size)
{
	size_t len = strnlen(s, size), i;
	char *copy;

	for (i = 0; i < len; ) {
		size_t n = pmt_utf8_char_len(s + i, len - i);

		if (!n)
			break;
		i += n;
	}
	if (i == len)
		return;			/* already valid */
	copy = malloc(len + 1);
	if (!copy) {
		s[i] = '\0';		/* keep the valid part */
		return;
	}
	memcpy(copy, s, len);
	pmt_utf8_sanitize(s, size, copy, len);
	free(copy);
}

static bool utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; ) {
		size_t n = pmt_utf8_char_len(s + i, len - i);

		if (!n || s[i] == '\0')
			return false;
		i += n;
	}
	return true;
}

/* A malloc'd sanitized copy of @s[0..len); NULL on allocation failure. */
static char *utf8_dup(const char *s, size_t len, size_t *outlen)
{
	size_t cap = len * 3 + 1;
	char *out = malloc(cap);

	if (out)
		*outlen = pmt_utf8_sanitize(out, cap, s, len);
	return out;
}

int pmt_json_sanitize(struct json_object *o)
{
	int fixed = 0, r;

	switch (json_object_get_type(o)) {
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t len = (size_t)json_object_get_string_len(o), n;
		char *copy;

		if (utf8_valid(s, len))
			return 0;
		copy = utf8_dup(s, len, &n);
		if (!copy)
			return -1;
		r = json_object_set_string_len(o, copy, (int)n);
		free(copy);
		return r ? 1 : -1;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			r = pmt_json_sanitize(json_object_array_get_idx(o, i));
			if (r < 0)
				return -1;
			fixed += r;
		}
		return fixed;
	case json_type_object: {
		struct json_object *bad = NULL;

		json_object_object_foreach(o, key, val) {
			r = pmt_json_sanitize(val);
			if (r < 0)
				return -1;
			fixed += r;
			if (!utf8_valid(key, strlen(key))) {
				if (!bad && !(bad = json_object_new_array()))
					return -1;
				json_object_array_add(bad, json_object_new_string(key));
			}
		}
		/* Member names: re-added under their sanitized name. */
		for (size_t i = 0; bad && i < json_object_array_length(bad); i++) {
			const char *k = json_object_get_string(json_object_array_get_idx(bad, i));
			struct json_object *v = json_object_get(json_object_object_get(o, k));
			size_t n;
			char *copy = utf8_dup(k, strlen(k), &n);

			json_object_object_del(o, k);
			if (copy)
				json_object_object_add(o, copy, v);
			else
				json_object_put(v);
			free(copy);
			fixed++;
		}
		json_object_put(bad);
		return fixed;
	}
	default:
		return 0;
	}
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool get_member(struct json_object *o, const char *key,
		       enum json_type type, struct json_object **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return false;
	*out = v;
	return true;
}

/* An optional object member: absent or null becomes a new empty object. */
static int get_object_or_empty(struct json_object *root, const char *key,
			       struct json_object **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(root, key, &v) || json_object_is_type(v, json_type_null)) {
		v = json_object_new_object();
		if (!v)
			return -1;
		json_object_object_add(root, key, v);	/* root owns it */
	} else if (!json_object_is_type(v, json_type_object)) {
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Parse @line as one JSON object: the checks every message passes before
 * its kind is known (size, NUL bytes, JSON, trailing bytes, an object).
 * Returns the object, or NULL with the reason in @err.
 */
static struct json_object *parse_object(const char *line, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	size_t end;

	if (len == 0)
		return fail(err, errlen, "empty message"), NULL;
	if (len >= PMT_MSG_MAX)
		return fail(err, errlen, "message of %zu bytes exceeds the %d byte limit",
			    len, PMT_MSG_MAX), NULL;
	if (memchr(line, '\0', len))
		return fail(err, errlen, "message contains a NUL byte"), NULL;

	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, "out of memory"), NULL;
	root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return fail(err, errlen, "not valid JSON: %s",
			    jerr == json_tokener_continue ? "truncated" :
			    json_tokener_error_desc(jerr)), NULL;
	}
	/* Trailing garbage other than white space makes the line invalid. */
	for (; end < len; end++) {
		if (!strchr(" \t\r", line[end])) {
			json_object_put(root);
			return fail(err, errlen, "trailing data after the JSON object"), NULL;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return fail(err, errlen, "message is not a JSON object"), NULL;
	}
	return root;
}

/* msg->id from the root's "id"; false when it is missing or not an integer. */
static bool take_id(struct pmt_msg *msg)
{
	struct json_object *v;

	if (!get_member(msg->root, "id", json_type_int, &v))
		return false;
	msg->id = json_object_get_int64(v);
	return true;
}

/* The root's string member @key into *@out (the root owns it); false when it is not one. */
static bool take_string(struct pmt_msg *msg, const char *key, const char **out)
{
	struct json_object *v;

	if (!get_member(msg->root, key, json_type_string, &v))
		return false;
	*out = json_object_get_string(v);
	return true;
}

#define BAD_ID "\"id\" is missing or not an integer"

/* The members of a request; NULL, or what is wrong with them. */
static const char *decode_request(struct pmt_msg *msg)
{
	msg->kind = PMT_MSG_REQUEST;
	if (!take_id(msg))
		return BAD_ID;
	if (!take_string(msg, "cmd", &msg->cmd))
		return "\"cmd\" is not a string";
	if (get_object_or_empty(msg->root, "args", &msg->args))
		return "\"args\" is not an object";
	return NULL;
}

/* The members of an event; NULL, or what is wrong with them. */
static const char *decode_event(struct pmt_msg *msg)
{
	msg->kind = PMT_MSG_EVENT;
	if (!take_string(msg, "event", &msg->event))
		return "\"event\" is not a string";
	return NULL;
}

/* The members of a reply; NULL, or what is wrong with them. */
static const char *decode_reply(struct pmt_msg *msg)
{
	struct json_object *v;

	msg->kind = PMT_MSG_REPLY;
	if (!take_id(msg))
		return BAD_ID;
	if (!get_member(msg->root, "ok", json_type_boolean, &v))
		return "\"ok\" is not a boolean";
	msg->ok = json_object_get_boolean(v);
	if (msg->ok) {
		if (get_object_or_empty(msg->root, "result", &msg->result))
			return "\"result\" is not an object";
		return NULL;
	}
	if (!take_string(msg, "error", &msg->error))
		return "failed reply without an \"error\" string";
	return NULL;
}

int pmt_msg_decode(const char *line, size_t len, struct pmt_msg *msg,
		   char *err, size_t errlen)
{
	const char *bad;

	memset(msg, 0, sizeof(*msg));
	msg->root = parse_object(line, len, err, errlen);
	if (!msg->root)
		return -1;
	/* The peer may send any bytes: keep only valid UTF-8 (U+FFFD for the rest). */
	if (pmt_json_sanitize(msg->root) < 0)
		bad = "out of memory";
	else if (json_object_object_get_ex(msg->root, "cmd", NULL))
		bad = decode_request(msg);
	else if (json_object_object_get_ex(msg->root, "event", NULL))
		bad = decode_event(msg);
	else if (json_object_object_get_ex(msg->root, "ok", NULL))
		bad = decode_reply(msg);
	else
		bad = "message is neither a request, a reply nor an event";
	if (!bad)
		return 0;
	pmt_msg_release(msg);
	return fail(err, errlen, "%s", bad);
}

void pmt_msg_release(struct pmt_msg *msg)
{
	json_object_put(msg->root);
	memset(msg, 0, sizeof(*msg));
}

/* Serialise @obj as one line; consumes @obj. */
static char *finish_line(struct json_object *obj)
{
	const char *s;
	size_t n;
	char *line = NULL;

	if (!obj)
		return NULL;
	s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	n = s ? strlen(s) : 0;
	if (s && n + 1 < PMT_MSG_MAX) {
		line = malloc(n + 2);
		if (line) {
			memcpy(line, s, n);
			line[n] = '\n';
			line[n + 1] = '\0';
		}
	}
	json_object_put(obj);
	return line;
}

/* Take a reference to @val, or a new empty object for NULL. */
static struct json_object *object_or_empty(struct json_object *val)
{
	return val ? json_object_get(val) : json_object_new_object();
}

/*
 * The line of a message that starts with its id: {"id":@id,@k1:@v1,@k2:@v2};
 * consumes @v1 and @v2.  NULL on failure.
 */
static char *encode_with_id(long long id, const char *k1, struct json_object *v1,
			    const char *k2, struct json_object *v2)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(v1);
		json_object_put(v2);
		return NULL;
	}
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, k1, v1);
	json_object_object_add(o, k2, v2);
	return finish_line(o);
}

char *pmt_encode_request(long long id, const char *cmd, struct json_object *args)
{
	return encode_with_id(id, "cmd", json_object_new_string(cmd),
			      "args", object_or_empty(args));
}

char *pmt_encode_reply_ok(long long id, struct json_object *result)
{
	return encode_with_id(id, "ok", json_object_new_boolean(1),
			      "result", object_or_empty(result));
}

char *pmt_encode_reply_err(long long id, const char *error)
{
	return encode_with_id(id, "ok", json_object_new_boolean(0),
			      "error", json_object_new_string(error ? error : "error"));
}

char *pmt_encode_event(const char *event, struct json_object *fields)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (fields) {
		json_object_object_foreach(fields, key, val)
			json_object_object_add(o, key, json_object_get(val));
	}
	json_object_object_add(o, "event", json_object_new_string(event));
	return finish_line(o);
}

void pmt_linebuf_init(struct pmt_linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
}

void pmt_linebuf_free(struct pmt_linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

/* Length of the bytes after the last newline in the buffered data. */
static size_t tail_len(const struct pmt_linebuf *lb)
{
	size_t i = lb->len;

	while (i > lb->start && lb->buf[i - 1] != '\n')
		i--;
	return lb->len - i;
}

int pmt_linebuf_feed(struct pmt_linebuf *lb, const char *data, size_t n)
{
	char *nbuf;
	size_t tail;

	if (lb->discarding) {
		const char *nl = memchr(data, '\n', n);

		if (!nl)
			return 0;
		n -= (size_t)(nl + 1 - data);
		data = nl + 1;
		lb->discarding = false;
	}
	if (lb->start) {
		memmove(lb->buf, lb->buf + lb->start, lb->len - lb->start);
		lb->len -= lb->start;
		lb->too_long_at = lb->too_long_at > lb->start ? lb->too_long_at - lb->start : 0;
		lb->start = 0;
	}
	if (!n)
		return 0;
	nbuf = realloc(lb->buf, lb->len + n + 1);
	if (!nbuf)
		return -1;
	lb->buf = nbuf;
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;

	/* An unterminated tail already over the limit can only be dropped. */
	tail = tail_len(lb);
	if (tail >= PMT_MSG_MAX) {
		lb->len -= tail;
		lb->discarding = true;
		lb->too_long = true;
		lb->too_long_at = lb->len;
	}
	return 0;
}

enum pmt_line_status pmt_linebuf_next(struct pmt_linebuf *lb,
				      const char **line, size_t *len)
{
	char *p, *nl;
	size_t n;

	/* The dropped line is reported in its place in the stream. */
	if (lb->too_long && lb->start >= lb->too_long_at) {
		lb->too_long = false;
		return PMT_LINE_TOO_LONG;
	}
	if (lb->start < lb->len) {
		p = lb->buf + lb->start;
		nl = memchr(p, '\n', lb->len - lb->start);
		if (nl) {
			n = (size_t)(nl - p);
			lb->start += n + 1;
			if (n + 1 > PMT_MSG_MAX)
				return PMT_LINE_TOO_LONG;
			*nl = '\0';
			*line = p;
			*len = n;
			return PMT_LINE_OK;
		}
	}
	return PMT_LINE_NONE;
}
