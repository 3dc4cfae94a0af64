// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"

void pmt_progress_init(struct pmt_progress *p, size_t total, int jobs)
{
	memset(p, 0, sizeof(*p));
	p->total = total;
	p->jobs = jobs > 0 ? jobs : 1;
	/* Quiet runs print the table only; a log file gets plain lines. */
	p->tty = !pmt_quiet && isatty(STDERR_FILENO);
}

static void clear(struct pmt_progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = false;
}

static void draw(struct pmt_progress *p)
{
	char line[512];
	size_t len, width = 120;
	int off;

	if (!p->tty)
		return;
	off = snprintf(line, sizeof(line), "[%zu/%zu] failures %d, running:", p->done, p->total,
		       p->failures);
	for (int i = 0; i < PMT_PROGRESS_MAX_RUNNING && off < (int)sizeof(line); i++)
		if (p->running[i])
			off += snprintf(line + off, sizeof(line) - off, " %s", p->running[i]);
	if (off < (int)sizeof(line)) {
		/* Remaining cases at the mean duration so far, @jobs at a time. */
		if (p->done) {
			double left = p->sum_s / p->done * (double)(p->total - p->done) / p->jobs;
			int s = (int)(left + 0.5);

			snprintf(line + off, sizeof(line) - off, ", ETA %02d:%02d", s / 60, s % 60);
		} else {
			snprintf(line + off, sizeof(line) - off, ", ETA --:--");
		}
	}
	/* One screen line: a wrapped line cannot be redrawn with \r. */
	len = strlen(line);
	if (len > width)
		strcpy(line + width - 3, "...");
	clear(p);
	fputs(line, stderr);
	fflush(stderr);
	p->drawn = true;
}

void pmt_progress_start(struct pmt_progress *p, const struct pmt_case *c)
{
	p->started++;
	for (int i = 0; i < PMT_PROGRESS_MAX_RUNNING; i++) {
		if (!p->running[i]) {
			p->running[i] = c->id;
			break;
		}
	}
	if (p->tty)
		draw(p);
	else
		pmt_info("[%zu/%zu] %s ...", p->started, p->total, c->id);
}

void pmt_progress_end(struct pmt_progress *p, const struct pmt_case *c)
{
	bool pass = c->verdict == PMT_PASS;

	p->done++;
	p->sum_s += c->duration_s;
	p->failures += pmt_verdict_is_failure(c->verdict);
	for (int i = 0; i < PMT_PROGRESS_MAX_RUNNING; i++)
		if (p->running[i] == c->id)
			p->running[i] = NULL;
	clear(p);
	pmt_info("[%zu/%zu] %s %s (%.1f s)%s%s", p->done, p->total, c->id,
		 pmt_verdict_name(c->verdict), c->duration_s, pass ? "" : ": ", pass ? "" : c->reason);
	if (p->tty && p->done < p->total)
		draw(p);
}

void pmt_progress_tick(struct pmt_progress *p)
{
	if (p->tty && p->drawn)
		draw(p);
}

void pmt_progress_finish(struct pmt_progress *p)
{
	clear(p);
}
