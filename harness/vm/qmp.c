// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>

#include "json_util.h"
#include "util.h"
#include "qmp.h"

char *pmt_qmp_encode(const char *cmd, struct json_object *args, long long id)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	char *line;
	size_t n;

	json_object_object_add(o, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "arguments", json_object_get(args));
	json_object_object_add(o, "id", json_object_new_int64(id));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = strlen(s);
	line = malloc(n + 2);
	if (line) {
		memcpy(line, s, n);
		memcpy(line + n, "\n", 2);
	}
	json_object_put(o);
	return line;
}

enum pmt_qmp_kind pmt_qmp_classify(struct json_object *msg, long long *id)
{
	struct json_object *v;

	if (!json_object_is_type(msg, json_type_object))
		return PMT_QMP_INVALID;
	*id = -1;
	if (json_object_object_get_ex(msg, "id", &v) && json_object_is_type(v, json_type_int))
		*id = json_object_get_int64(v);
	if (json_object_object_get_ex(msg, "QMP", NULL))
		return PMT_QMP_GREETING;
	if (json_object_object_get_ex(msg, "return", NULL))
		return PMT_QMP_RETURN;
	if (json_object_object_get_ex(msg, "error", &v) &&
	    json_object_is_type(v, json_type_object))
		return PMT_QMP_ERROR;
	if (json_object_object_get_ex(msg, "event", &v) &&
	    json_object_is_type(v, json_type_string))
		return PMT_QMP_EVENT;
	return PMT_QMP_INVALID;
}

static const char *chan_status_text(enum pmt_chan_status st)
{
	switch (st) {
	case PMT_CHAN_TIMEOUT: return "timed out";
	case PMT_CHAN_CLOSED: return "QEMU closed the connection or exited";
	case PMT_CHAN_TOO_LONG: return "oversized message";
	case PMT_CHAN_FLOOD: return "flood: QEMU sent more than the limit";
	default: return "read error";
	}
}

/* Read the next message; an event is queued and reported as PMT_QMP_EVENT with no *msg. */
static int read_msg(struct pmt_qmp *q, int64_t deadline_ms, struct json_object **msg,
		    enum pmt_qmp_kind *kind, long long *id, char *err, size_t errlen)
{
	for (;;) {
		const char *line;
		size_t len;
		enum pmt_chan_status st = pmt_chan_read_line(&q->ch, deadline_ms, &line, &len);
		struct json_object *o;

		if (st == PMT_CHAN_TOO_LONG)
			continue;
		if (st != PMT_CHAN_LINE)
			return pmt_fail(err, errlen, "qmp: %s", chan_status_text(st));
		o = json_tokener_parse(line);
		/* QEMU relays guest text (HMP output): valid UTF-8 only from here on. */
		if (o && pmt_json_sanitize(o) < 0) {
			json_object_put(o);
			return pmt_fail(err, errlen, "qmp: out of memory");
		}
		*kind = pmt_qmp_classify(o, id);
		if (*kind == PMT_QMP_INVALID) {
			json_object_put(o);
			return pmt_fail(err, errlen, "qmp: unexpected message: %.200s", line);
		}
		if (*kind == PMT_QMP_EVENT) {
			json_object_array_add(q->events, o);
			o = NULL;
		}
		*msg = o;
		return 0;
	}
}

/* One command line, with @fd (>= 0) passed along as SCM_RIGHTS (getfd). */
static int send_command(struct pmt_qmp *q, const char *line, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)line, .iov_len = strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	if (fd < 0)
		return pmt_chan_send(&q->ch, line, strlen(line));
	pmt_chan_log(&q->ch, "->", line, strlen(line));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do {
		n = sendmsg(q->ch.fd, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	/* The fd goes with the first byte; the rest of the line may follow. */
	if (n <= 0)
		return -1;
	return (size_t)n == iov.iov_len ? 0 : pmt_write_all(q->ch.fd, line + n, iov.iov_len - (size_t)n);
}

static int execute(struct pmt_qmp *q, const char *cmd, struct json_object *args, int fd,
		   struct json_object **ret, int64_t deadline_ms, char *err, size_t errlen)
{
	long long id = q->next_id++, got;
	char *line = pmt_qmp_encode(cmd, args, id);
	enum pmt_qmp_kind kind;
	struct json_object *msg, *v, *desc;
	int rc;

	if (!line)
		return pmt_fail(err, errlen, "qmp: out of memory");
	rc = send_command(q, line, fd);
	free(line);
	if (rc)
		return pmt_fail(err, errlen, "qmp: send %s failed", cmd);
	for (;;) {
		if (read_msg(q, deadline_ms, &msg, &kind, &got, err, errlen))
			return -1;
		if (kind != PMT_QMP_EVENT && got == id)
			break;
		json_object_put(msg);	/* an event (queued) or a stale reply */
	}
	if (kind == PMT_QMP_ERROR) {
		json_object_object_get_ex(msg, "error", &v);
		json_object_object_get_ex(v, "desc", &desc);
		pmt_fail(err, errlen, "qmp: %s: %s", cmd,
		     desc ? json_object_get_string(desc) : "error");
		json_object_put(msg);
		return -1;
	}
	if (ret) {
		json_object_object_get_ex(msg, "return", &v);
		*ret = json_object_get(v);
	}
	json_object_put(msg);
	return 0;
}

int pmt_qmp_execute(struct pmt_qmp *q, const char *cmd, struct json_object *args,
		    struct json_object **ret, int64_t deadline_ms, char *err, size_t errlen)
{
	return execute(q, cmd, args, -1, ret, deadline_ms, err, errlen);
}

int pmt_qmp_execute_fd(struct pmt_qmp *q, const char *cmd, struct json_object *args, int fd,
		       struct json_object **ret, int64_t deadline_ms, char *err, size_t errlen)
{
	return execute(q, cmd, args, fd, ret, deadline_ms, err, errlen);
}

int pmt_qmp_version(struct pmt_qmp *q, char *buf, size_t len)
{
	struct json_object *ret = NULL, *v;
	char err[128];
	int rc = -1;

	snprintf(buf, len, "?");
	if (pmt_qmp_execute(q, "query-version", NULL, &ret, pmt_now_ms() + 5000, err, sizeof(err)) == 0 &&
	    json_object_object_get_ex(ret, "qemu", &v)) {
		snprintf(buf, len, "%d.%d.%d", pmt_json_int(v, "major", 0), pmt_json_int(v, "minor", 0),
			 pmt_json_int(v, "micro", 0));
		rc = 0;
	}
	json_object_put(ret);
	return rc;
}

static struct json_object *take_event(struct pmt_qmp *q, const char *name)
{
	size_t n = json_object_array_length(q->events);

	for (size_t i = 0; i < n; i++) {
		struct json_object *ev = json_object_array_get_idx(q->events, i), *v;

		if (json_object_object_get_ex(ev, "event", &v) &&
		    !strcmp(json_object_get_string(v), name)) {
			json_object_get(ev);
			json_object_array_del_idx(q->events, i, 1);
			return ev;
		}
	}
	return NULL;
}

int pmt_qmp_wait_event(struct pmt_qmp *q, const char *name, struct json_object **event,
		       int64_t deadline_ms, char *err, size_t errlen)
{
	for (;;) {
		struct json_object *ev = take_event(q, name), *msg;
		enum pmt_qmp_kind kind;
		long long id;

		if (ev) {
			if (event)
				*event = ev;
			else
				json_object_put(ev);
			return 0;
		}
		if (read_msg(q, deadline_ms, &msg, &kind, &id, err, errlen))
			return -1;
		json_object_put(msg);	/* an event is queued; a late reply is dropped */
	}
}

int pmt_qmp_attach(struct pmt_qmp *q, int fd, int watch_fd, FILE *log,
		   int64_t deadline_ms, char *err, size_t errlen)
{
	enum pmt_qmp_kind kind;
	struct json_object *msg;
	long long id;

	memset(q, 0, sizeof(*q));
	pmt_chan_init(&q->ch, "qmp", fd, watch_fd, log);
	q->events = json_object_new_array();
	q->next_id = 1;
	do {
		if (read_msg(q, deadline_ms, &msg, &kind, &id, err, errlen))
			return -1;
		json_object_put(msg);
	} while (kind == PMT_QMP_EVENT);
	if (kind != PMT_QMP_GREETING)
		return pmt_fail(err, errlen, "qmp: no greeting from QEMU");
	return pmt_qmp_execute(q, "qmp_capabilities", NULL, NULL, deadline_ms, err, errlen);
}

void pmt_qmp_close(struct pmt_qmp *q)
{
	pmt_chan_close(&q->ch);
	json_object_put(q->events);
	q->events = NULL;
}
