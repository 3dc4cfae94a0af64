// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "log.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Guest text cut mid-character would make the reports invalid UTF-8. */
	pmt_utf8_fix(err, errlen);
	return -1;
}

void pmt_agent_init(struct pmt_agent *a, int fd, int watch_fd, FILE *log)
{
	memset(a, 0, sizeof(*a));
	pmt_chan_init(&a->ch, "agent", fd, watch_fd, log);
	a->next_id = 1;
}

void pmt_agent_close(struct pmt_agent *a)
{
	pmt_chan_close(&a->ch);
	json_object_put(a->ready);
	a->ready = NULL;
}

/*
 * Next well-formed message.  Garbage from the guest is counted and logged,
 * never fatal: a confused guest must not crash the harness, and the wait
 * still ends at the deadline.
 */
static int next_msg(struct pmt_agent *a, int64_t deadline_ms, struct pmt_msg *msg,
		    char *err, size_t errlen)
{
	for (;;) {
		const char *line;
		size_t len;
		char why[256];

		switch (pmt_chan_read_line(&a->ch, deadline_ms, &line, &len)) {
		case PMT_CHAN_LINE:
			break;
		case PMT_CHAN_TOO_LONG:
			a->protocol_errors++;
			pmt_debug("agent: dropped an oversized line from the guest");
			continue;
		case PMT_CHAN_TIMEOUT:
			return fail(err, errlen, "timed out waiting for the guest agent");
		case PMT_CHAN_CLOSED:
			return fail(err, errlen, "QEMU exited or closed the agent channel");
		case PMT_CHAN_FLOOD:
			return fail(err, errlen, "the guest flooded the agent channel (more than %llu MiB); "
				    "no longer listening", PMT_CHAN_FLOOD_MAX >> 20);
		default:
			return fail(err, errlen, "agent channel read error");
		}
		if (pmt_msg_decode(line, len, msg, why, sizeof(why))) {
			a->protocol_errors++;
			pmt_debug("agent: malformed message from the guest: %s", why);
			continue;
		}
		if (msg->kind == PMT_MSG_REQUEST) {
			a->protocol_errors++;
			pmt_msg_release(msg);
			continue;
		}
		return 0;
	}
}

int pmt_agent_wait_ready(struct pmt_agent *a, int64_t deadline_ms, char *err, size_t errlen)
{
	struct pmt_msg msg;

	for (;;) {
		if (next_msg(a, deadline_ms, &msg, err, errlen))
			return -1;
		if (msg.kind == PMT_MSG_EVENT && !strcmp(msg.event, "ready")) {
			struct json_object *v;

			if (!json_object_object_get_ex(msg.root, "proto", &v) ||
			    json_object_get_int(v) != PMT_PROTO_VERSION) {
				pmt_msg_release(&msg);
				return fail(err, errlen, "guest agent speaks another protocol version");
			}
			a->ready = json_object_get(msg.root);
			pmt_msg_release(&msg);
			return 0;
		}
		pmt_msg_release(&msg);
	}
}

enum pmt_agent_status pmt_agent_call(struct pmt_agent *a, const char *cmd,
				     struct json_object *args, struct json_object **result,
				     int64_t deadline_ms, char *err, size_t errlen)
{
	long long id = a->next_id++;
	char *line = pmt_encode_request(id, cmd, args);
	struct pmt_msg msg;
	int rc;

	if (!line) {
		fail(err, errlen, "request %s too large to send", cmd);
		return PMT_AGENT_TRANSPORT;
	}
	rc = pmt_chan_send(&a->ch, line, strlen(line));
	free(line);
	if (rc) {
		fail(err, errlen, "sending %s to the guest agent failed", cmd);
		return PMT_AGENT_TRANSPORT;
	}
	for (;;) {
		if (next_msg(a, deadline_ms, &msg, err, errlen))
			return PMT_AGENT_TRANSPORT;
		if (msg.kind == PMT_MSG_REPLY && msg.id == id)
			break;
		if (msg.kind == PMT_MSG_EVENT && !strcmp(msg.event, "error"))
			a->protocol_errors++;	/* the guest saw garbage from us */
		if (msg.kind == PMT_MSG_EVENT && a->on_event && a->on_event(a->event_ctx, &msg)) {
			pmt_msg_release(&msg);
			snprintf(err, errlen, "interrupted by the harness");
			return PMT_AGENT_INTERRUPTED;
		}
		pmt_msg_release(&msg);
	}
	if (!msg.ok) {
		fail(err, errlen, "%s", msg.error);
		pmt_msg_release(&msg);
		return PMT_AGENT_GUEST_ERROR;
	}
	if (result)
		*result = json_object_get(msg.result);
	pmt_msg_release(&msg);
	return PMT_AGENT_OK;
}

int pmt_agent_send_ack(struct pmt_agent *a, long long flushed)
{
	struct json_object *args = json_object_new_object();
	char *line;
	int rc;

	json_object_object_add(args, "flushed", json_object_new_int64(flushed));
	line = pmt_encode_request(a->next_id++, "ack", args);
	json_object_put(args);
	if (!line)
		return -1;
	rc = pmt_chan_send(&a->ch, line, strlen(line));
	free(line);
	return rc ? -1 : 0;
}
