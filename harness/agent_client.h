/* SPDX-License-Identifier: MIT */
/* The host side of the agent protocol (agent_proto.h). */
#ifndef PMT_AGENT_CLIENT_H
#define PMT_AGENT_CLIENT_H

#include <json-c/json.h>
#include <stdint.h>

#include "chan.h"

struct pmt_agent {
	struct pmt_chan ch;
	long long next_id;
	struct json_object *ready;	/* the guest's "ready" event */
	unsigned protocol_errors;	/* malformed lines from the guest */
};

enum pmt_agent_status {
	PMT_AGENT_OK = 0,
	PMT_AGENT_GUEST_ERROR = 1,	/* the guest answered ok:false; err holds its text */
	PMT_AGENT_TRANSPORT = -1,	/* timeout, QEMU gone, or garbage: no answer */
};

void pmt_agent_init(struct pmt_agent *a, int fd, int watch_fd, FILE *log);
void pmt_agent_close(struct pmt_agent *a);
/* Wait for the "ready" event. */
int pmt_agent_wait_ready(struct pmt_agent *a, int64_t deadline_ms, char *err, size_t errlen);
/* One request; on PMT_AGENT_OK *result (if non-NULL) holds a reference. */
enum pmt_agent_status pmt_agent_call(struct pmt_agent *a, const char *cmd,
				     struct json_object *args, struct json_object **result,
				     int64_t deadline_ms, char *err, size_t errlen);

#endif
