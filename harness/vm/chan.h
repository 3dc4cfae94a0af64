/* SPDX-License-Identifier: MIT */
/*
 * A line channel: a socket read into a bounded line buffer, with deadlines,
 * watching a second fd (QEMU's pidfd) so that a dead guest ends every wait
 * at once instead of at its timeout.  QMP and the agent client both use it.
 */
#ifndef PMT_CHAN_H
#define PMT_CHAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent_proto.h"

/*
 * A guest can send any amount: each transcript keeps its first
 * PMT_TRANSCRIPT_MAX bytes and then one marker line; a channel that
 * received more than PMT_CHAN_FLOOD_MAX bytes in all is a flood, and every
 * read on it fails from then on (PMT_CHAN_FLOOD): the case is BROK.
 */
#define PMT_TRANSCRIPT_MAX	(1024 * 1024)
#define PMT_CHAN_FLOOD_MAX	(64ULL * 1024 * 1024)

struct pmt_chan {
	int fd;
	int watch_fd;			/* -1, or an fd whose readability aborts waits */
	struct pmt_linebuf lb;
	FILE *log;			/* transcript, or NULL */
	const char *name;		/* "qmp" or "agent", for messages */
	size_t logged;			/* bytes written to the transcript */
	bool log_cut;			/* the marker is written, nothing more is */
	unsigned long long received;	/* bytes read from the peer */
	bool flooded;
};

enum pmt_chan_status {
	PMT_CHAN_LINE = 0,
	PMT_CHAN_TIMEOUT = -1,
	PMT_CHAN_CLOSED = -2,		/* peer closed, or the watched process exited */
	PMT_CHAN_ERROR = -3,
	PMT_CHAN_TOO_LONG = -4,		/* one oversized line was dropped; go on reading */
	PMT_CHAN_FLOOD = -5,		/* the peer sent more than PMT_CHAN_FLOOD_MAX */
};

void pmt_chan_init(struct pmt_chan *ch, const char *name, int fd, int watch_fd, FILE *log);
void pmt_chan_close(struct pmt_chan *ch);
/* Next line (without newline, NUL-terminated) before @deadline_ms (pmt_now_ms clock). */
enum pmt_chan_status pmt_chan_read_line(struct pmt_chan *ch, int64_t deadline_ms,
					const char **line, size_t *len);
int pmt_chan_send(struct pmt_chan *ch, const char *data, size_t len);
/* Write @data to the transcript as a line sent (@dir "->") or received. */
void pmt_chan_log(struct pmt_chan *ch, const char *dir, const char *data, size_t len);

#endif
