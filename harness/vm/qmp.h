/* SPDX-License-Identifier: MIT */
/*
 * A QMP client in the manner of QEMU's libqtest: commands are built as
 * json-c objects (so every string is escaped), replies are matched by id,
 * and asynchronous events are queued so that callers wait on events,
 * never on sleeps.
 */
#ifndef PMT_QMP_H
#define PMT_QMP_H

#include <json-c/json.h>
#include <stdint.h>

#include "chan.h"

struct pmt_qmp {
	struct pmt_chan ch;
	long long next_id;
	struct json_object *events;	/* array of events not yet waited for */
};

enum pmt_qmp_kind {
	PMT_QMP_INVALID,
	PMT_QMP_GREETING,
	PMT_QMP_RETURN,
	PMT_QMP_ERROR,
	PMT_QMP_EVENT,
};

/* Pure helpers, unit tested: encode one command line, classify one reply. */
char *pmt_qmp_encode(const char *cmd, struct json_object *args, long long id);
enum pmt_qmp_kind pmt_qmp_classify(struct json_object *msg, long long *id);

/* Take over connected @fd: read the greeting, negotiate capabilities. */
int pmt_qmp_attach(struct pmt_qmp *q, int fd, int watch_fd, FILE *log,
		   int64_t deadline_ms, char *err, size_t errlen);
void pmt_qmp_close(struct pmt_qmp *q);
/* Execute @cmd; on success *ret (if non-NULL) gets a reference to "return". */
int pmt_qmp_execute(struct pmt_qmp *q, const char *cmd, struct json_object *args,
		    struct json_object **ret, int64_t deadline_ms, char *err, size_t errlen);
/* The same, passing @fd to QEMU with the command (SCM_RIGHTS), as "getfd" needs. */
int pmt_qmp_execute_fd(struct pmt_qmp *q, const char *cmd, struct json_object *args, int fd,
		       struct json_object **ret, int64_t deadline_ms, char *err, size_t errlen);
/* QEMU's version, "MAJOR.MINOR.MICRO" (query-version), into @buf; 0, or -1
 * with @buf "?". */
int pmt_qmp_version(struct pmt_qmp *q, char *buf, size_t len);
/* Wait for event @name (queued ones first); *event gets a reference if non-NULL. */
int pmt_qmp_wait_event(struct pmt_qmp *q, const char *name, struct json_object **event,
		       int64_t deadline_ms, char *err, size_t errlen);

#endif
