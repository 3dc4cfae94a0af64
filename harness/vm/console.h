/* SPDX-License-Identifier: MIT */
/*
 * The guest's serial console, bounded while the guest runs.
 *
 * QEMU does not write console.log itself: its serial chardev writes into a
 * pipe (path=/dev/fd/N), and a small copier process forked from the
 * harness writes what comes out of it to console.log.  The copier keeps
 * the first PMT_TRANSCRIPT_MAX bytes (a marker line included), reads and
 * drops the rest, and at PMT_CHAN_FLOOD_MAX bytes in all says so in
 * qemu.log (PMT_CONSOLE_FLOOD_LINE...) and kills QEMU: the case is BROK
 * naming the flood (the reason quotes qemu.log's last line), however long
 * the case would have run, with never more than the cap on disk.
 *
 * The copier is independent of what the harness is doing (waiting on the
 * agent, on QMP, sleeping in a scenario): the bound holds throughout.  It
 * dies with the harness (PR_SET_PDEATHSIG) and ends by itself when QEMU
 * has gone (the pipe's end of file).
 */
#ifndef PMT_CONSOLE_H
#define PMT_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The start of the copier's line in qemu.log; also what the case check looks for. */
#define PMT_CONSOLE_FLOOD_LINE	"pmtorture: the guest flooded the serial console"

struct pmt_console {
	bool active;			/* pmt_console_pipe() succeeded; zeroed: nothing to do */
	int rfd;			/* the pipe's read end (the harness's copy), or -1 */
	int qfd;			/* its write end, inherited by QEMU, or -1 */
	pid_t pid;			/* the copier, or -1 */
	bool flooded;			/* the copier killed QEMU for a flood */
	/* Written to console.log before anything QEMU sends (a restored
	 * guest's boot console, snapshot.h), or NULL; set after
	 * pmt_console_pipe(), before pmt_console_start(). */
	const char *preamble;
};

/*
 * Make the pipe.  con->qfd is QEMU's console, to be named "/dev/fd/<qfd>"
 * on its command line; it is inheritable, so spawn QEMU next (the harness
 * is single-threaded) and then call pmt_console_start().  0, or -1 with errno.
 */
int pmt_console_pipe(struct pmt_console *con);

/*
 * QEMU is spawned: close the harness's write end and fork the copier into
 * @path (console.log), with @qemu_log for its flood line and @qemu_pidfd
 * to kill QEMU with.  0, or -1 with errno (the console is then lost, the
 * guest still runs: QEMU's writes fail once no reader is left).
 */
int pmt_console_start(struct pmt_console *con, const char *path, const char *qemu_log,
		      int qemu_pidfd);

/*
 * QEMU has exited (or was killed): wait until the copier has written the
 * rest, at most until @deadline_ms, then kill it.  Closes what is left
 * open; safe to call again, and on a console never made.
 */
void pmt_console_finish(struct pmt_console *con, int64_t deadline_ms);

#endif
