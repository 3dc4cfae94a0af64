// SPDX-License-Identifier: MIT
/*
 * Bounded transcripts (transcript.h): a file written whole is cut as it is
 * written, one QEMU or libvirt wrote itself is cut in place afterwards.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chan.h"
#include "transcript.h"
#include "util.h"

#define MARKER "\n-- transcript cut at %d bytes: the guest sent %lld --\n"

int pmt_transcript_write(const char *path, const char *text, size_t len)
{
	char marker[128];
	char *buf;
	int rc;

	if (len <= PMT_TRANSCRIPT_MAX)
		return pmt_write_file_atomic(path, text, len);
	snprintf(marker, sizeof(marker), MARKER, PMT_TRANSCRIPT_MAX, (long long)len);
	buf = malloc(PMT_TRANSCRIPT_MAX + strlen(marker));
	if (!buf)
		return -1;
	memcpy(buf, text, PMT_TRANSCRIPT_MAX);
	memcpy(buf + PMT_TRANSCRIPT_MAX, marker, strlen(marker));
	rc = pmt_write_file_atomic(path, buf, PMT_TRANSCRIPT_MAX + strlen(marker));
	free(buf);
	return rc;
}

long long pmt_transcript_bound(const char *path)
{
	struct stat st;
	char marker[128];
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	if (st.st_size > PMT_TRANSCRIPT_MAX) {
		snprintf(marker, sizeof(marker), MARKER, PMT_TRANSCRIPT_MAX, (long long)st.st_size);
		if (ftruncate(fd, PMT_TRANSCRIPT_MAX) == 0 && lseek(fd, 0, SEEK_END) >= 0)
			pmt_write_all(fd, marker, strlen(marker));
	}
	close(fd);
	return (long long)st.st_size;
}
