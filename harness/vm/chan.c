// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "util.h"

void pmt_chan_init(struct pmt_chan *ch, const char *name, int fd, int watch_fd, FILE *log)
{
	ch->fd = fd;
	ch->watch_fd = watch_fd;
	ch->log = log;
	ch->name = name;
	ch->logged = 0;
	ch->log_cut = false;
	ch->received = 0;
	ch->flooded = false;
	pmt_linebuf_init(&ch->lb);
}

void pmt_chan_close(struct pmt_chan *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	pmt_linebuf_free(&ch->lb);
}

void pmt_chan_log(struct pmt_chan *ch, const char *dir, const char *data, size_t len)
{
	if (!ch->log)
		return;
	if (ch->log_cut)
		return;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (ch->logged + len + 32 > PMT_TRANSCRIPT_MAX) {
		fprintf(ch->log, "%.3f -- transcript cut at %zu bytes: the peer sent more --\n",
			pmt_now_ms() / 1000.0, ch->logged);
		fflush(ch->log);
		ch->log_cut = true;
		return;
	}
	ch->logged += len + 32;
	fprintf(ch->log, "%.3f %s %.*s\n", pmt_now_ms() / 1000.0, dir, (int)len, data);
	fflush(ch->log);
}

enum pmt_chan_status pmt_chan_read_line(struct pmt_chan *ch, int64_t deadline_ms,
					const char **line, size_t *len)
{
	char buf[16384];

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = ch->fd, .events = POLLIN },
			{ .fd = ch->watch_fd, .events = POLLIN },
		};
		int64_t left;
		ssize_t n;
		int r;

		if (ch->flooded)
			return PMT_CHAN_FLOOD;
		switch (pmt_linebuf_next(&ch->lb, line, len)) {
		case PMT_LINE_OK:
			/* QEMU ends QMP lines with \r\n. */
			while (*len && (*line)[*len - 1] == '\r')
				((char *)*line)[--*len] = '\0';
			pmt_chan_log(ch, "<-", *line, *len);
			return PMT_CHAN_LINE;
		case PMT_LINE_TOO_LONG:
			pmt_chan_log(ch, "<-", "[oversized line dropped]", 24);
			return PMT_CHAN_TOO_LONG;
		case PMT_LINE_NONE:
			break;
		}
		if (ch->fd < 0)
			return PMT_CHAN_CLOSED;
		left = deadline_ms - pmt_now_ms();
		if (left <= 0)
			return PMT_CHAN_TIMEOUT;
		r = poll(pfd, ch->watch_fd >= 0 ? 2 : 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return PMT_CHAN_ERROR;
		}
		if (r == 0)
			continue;
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (pfd[1].revents)
				return PMT_CHAN_CLOSED;	/* the process died and sent nothing more */
			continue;
		}
		n = read(ch->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n == 0 ? PMT_CHAN_CLOSED : PMT_CHAN_ERROR;
		ch->received += (unsigned long long)n;
		if (ch->received > PMT_CHAN_FLOOD_MAX) {
			ch->flooded = true;
			pmt_chan_log(ch, "<-", "[flood: the peer sent more than the limit]", 43);
			return PMT_CHAN_FLOOD;
		}
		if (pmt_linebuf_feed(&ch->lb, buf, (size_t)n))
			return PMT_CHAN_ERROR;
	}
}

int pmt_chan_send(struct pmt_chan *ch, const char *data, size_t len)
{
	pmt_chan_log(ch, "->", data, len);
	return pmt_write_all(ch->fd, data, len);
}
