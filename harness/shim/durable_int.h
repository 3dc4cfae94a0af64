/* SPDX-License-Identifier: MIT */
/*
 * What durable.c (the writer's half, also in the QEMU shim) shares with
 * epochs.c (the reader's half, harness only): the journal's record layout
 * and the I/O helpers.  Not a public header: durable.h is.
 */
#ifndef PMT_DURABLE_INT_H
#define PMT_DURABLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "durable.h"

#define HDR_SIZE	24u			/* journal header */
#define REC_SIZE	(8u + PMT_PAGE_SIZE)	/* page index + page */

/* pread/pwrite all of @len at @off, retrying short counts and EINTR.  0 or -1. */
int pmt_dur_pread_full(int fd, void *buf, size_t len, uint64_t off);
int pmt_dur_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* close(@fd) if >= 0, keeping errno. */
void pmt_dur_close_keep_errno(int fd);
/* "@dir/@name" into @buf; -1 with ENAMETOOLONG when it does not fit. */
int pmt_dur_path_in(char *buf, size_t size, const char *dir, const char *name);
/* Copy @size bytes of @src's data extents to @dst (@dst_fresh: all holes). 0 or -1. */
int pmt_dur_sparse_copy(int src, int dst, uint64_t size, int dst_fresh);
/* Open @path for writing at @size bytes; *@fresh when it was made new.  An fd or -1. */
int pmt_dur_open_sized(const char *path, uint64_t size, int *fresh);
/*
 * Is journal @jfd whole and committed for an image of @image_size bytes
 * (0: the size its header gives, returned in *@image_size)?  Returns the
 * record count, or -1 if it is torn (or foreign).  *@seq gets the commit
 * record's seq; @pages, if not NULL, the records' page indexes (malloc'd,
 * journal order; NULL when there are none).
 */
int64_t pmt_dur_journal_committed(int jfd, uint64_t *image_size, uint64_t *seq,
				  uint64_t **pages);

#endif
