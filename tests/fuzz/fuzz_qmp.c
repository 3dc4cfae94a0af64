// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the QMP client (harness/vm/qmp.c) and the line channel under
 * it (harness/vm/chan.c), fed the input as if QEMU had sent it on the QMP
 * socket.  A thread writes the bytes into one end of a socketpair and
 * closes it; the client has the other end and does what a case does:
 * greeting and qmp_capabilities (id 1), query-version (2),
 * query-memory-devices (3, read as the mce scenario reads it),
 * human-monitor-command (4), then waits for two events.  The peer's end
 * of the input is an EOF, so no wait lasts.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mce.h"
#include "qmp.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct peer {
	int fd;
	const uint8_t *data;
	size_t size;
};

/* QEMU's side: send everything, then read (and drop) what the client sends. */
static void *peer_main(void *arg)
{
	struct peer *p = arg;
	char buf[4096];

	pmt_write_all(p->fd, (const char *)p->data, p->size);
	shutdown(p->fd, SHUT_WR);
	while (read(p->fd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

static void session(struct pmt_qmp *q, int fd, FILE *log)
{
	struct json_object *ret = NULL, *args, *ev = NULL;
	uint64_t start, len;
	char err[512];

	if (pmt_qmp_attach(q, fd, -1, log, pmt_now_ms() + 5000, err, sizeof(err)))
		return;
	if (pmt_qmp_execute(q, "query-version", NULL, &ret, pmt_now_ms() + 5000,
			    err, sizeof(err)) == 0) {
		struct json_object *v;

		if (json_object_object_get_ex(ret, "qemu", &v))
			(void)json_object_get_string(v);
		json_object_put(ret);
		ret = NULL;
	}
	if (pmt_qmp_execute(q, "query-memory-devices", NULL, &ret, pmt_now_ms() + 5000,
			    err, sizeof(err)) == 0) {
		if (pmt_mce_region(ret, 0, &start, &len) == 0)
			pmt_mce_check_gpa(start, start, len);
		pmt_mce_region(ret, 1, &start, &len);
		json_object_put(ret);
		ret = NULL;
	}
	args = json_object_new_object();
	json_object_object_add(args, "command-line", json_object_new_string("info registers"));
	if (pmt_qmp_execute(q, "human-monitor-command", args, &ret, pmt_now_ms() + 5000,
			    err, sizeof(err)) == 0) {
		(void)json_object_get_string(ret);
		json_object_put(ret);
	}
	json_object_put(args);
	if (pmt_qmp_wait_event(q, "MEMORY_FAILURE", &ev, pmt_now_ms() + 5000, err, sizeof(err)) == 0)
		json_object_put(ev);
	pmt_qmp_wait_event(q, "SHUTDOWN", NULL, pmt_now_ms() + 5000, err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmt_qmp q;
	struct peer p = { .data = data, .size = size };
	pthread_t t;
	FILE *log;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	p.fd = sv[1];
	if (pthread_create(&t, NULL, peer_main, &p))
		abort();
	/* The transcript too: its cut is part of what is under test. */
	log = fopen("/dev/null", "we");
	memset(&q, 0, sizeof(q));
	session(&q, sv[0], log);
	pmt_qmp_close(&q);	/* closes sv[0]: the peer's reads end */
	pthread_join(t, NULL);
	close(sv[1]);
	if (log)
		fclose(log);
	return 0;
}
