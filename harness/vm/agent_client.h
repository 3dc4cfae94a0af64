/* SPDX-License-Identifier: MIT */
/* The host side of the agent protocol (agent_proto.h). */
#ifndef PMT_AGENT_CLIENT_H
#define PMT_AGENT_CLIENT_H

#include <json-c/json.h>
#include <stdint.h>

#include "chan.h"

/*
 * Called for each event the guest sends while a call waits for its reply
 * (progress, promises).  Returning non-zero ends the wait at once with
 * PMT_AGENT_INTERRUPTED: that is how the harness cuts power at an exact
 * point of a workload.
 */
typedef int (*pmt_agent_event_fn)(void *ctx, const struct pmt_msg *event);

struct pmt_agent {
	struct pmt_chan ch;
	long long next_id;
	struct json_object *ready;	/* the guest's "ready" event */
	unsigned protocol_errors;	/* malformed lines from the guest */
	pmt_agent_event_fn on_event;	/* NULL: events are dropped */
	void *event_ctx;
};

enum pmt_agent_status {
	PMT_AGENT_OK = 0,
	PMT_AGENT_GUEST_ERROR = 1,	/* the guest answered ok:false; err holds its text */
	PMT_AGENT_TRANSPORT = -1,	/* timeout, QEMU gone, or garbage: no answer */
	PMT_AGENT_INTERRUPTED = 2,	/* on_event asked to stop waiting */
};

void pmt_agent_init(struct pmt_agent *a, int fd, int watch_fd, FILE *log);
void pmt_agent_close(struct pmt_agent *a);
/* Wait for the "ready" event. */
int pmt_agent_wait_ready(struct pmt_agent *a, int64_t deadline_ms, char *err, size_t errlen);
/* One request; on PMT_AGENT_OK *result (if non-NULL) holds a reference. */
enum pmt_agent_status pmt_agent_call(struct pmt_agent *a, const char *cmd,
				     struct json_object *args, struct json_object **result,
				     int64_t deadline_ms, char *err, size_t errlen);

/*
 * Let a workload that asked for an ack go on (workloads/workload.h): one
 * "ack" request carrying @flushed, the host flush count the harness
 * stamped while the guest waited.  The guest answers nothing to it, so no
 * reply is read.  0, or -1 when it could not be sent.
 */
int pmt_agent_send_ack(struct pmt_agent *a, long long flushed);

#endif
