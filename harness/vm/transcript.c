// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case.h"
#include "chan.h"
#include "console.h"
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

static void bound_dir(struct pmt_case *c, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX];
		long long size;

		if (e->d_name[0] == '.' || pmt_fmt(path, sizeof(path), "%s/%s", dir, e->d_name))
			continue;
		if (e->d_type == DT_DIR) {
			if (depth < 2)
				bound_dir(c, path, depth + 1);
			continue;
		}
		if (fnmatch("console*.log", e->d_name, 0) && strcmp(e->d_name, "qemu.log"))
			continue;
		size = pmt_transcript_bound(path);
		/* The console copier (console.h) killed a flooding guest's QEMU. */
		if (!strcmp(e->d_name, "qemu.log") && size > 0) {
			char *text = pmt_read_file(path, PMT_TRANSCRIPT_MAX, NULL);

			if (text && strstr(text, PMT_CONSOLE_FLOOD_LINE))
				pmt_case_verdict(c, PMT_BROK, "%s: the guest flooded the serial console "
						 "(more than %llu MiB): QEMU was killed (%s)", c->phase,
						 PMT_CHAN_FLOOD_MAX >> 20, path + strlen(c->dir) + 1);
			free(text);
		}
		if (size > (long long)PMT_CHAN_FLOOD_MAX)
			pmt_case_verdict(c, PMT_BROK, "%s: the guest flooded %s (%lld MiB, the limit "
					 "is %llu MiB)", c->phase, path + strlen(c->dir) + 1,
					 size >> 20, PMT_CHAN_FLOOD_MAX >> 20);
	}
	closedir(d);
}

void pmt_case_bound_transcripts(struct pmt_case *c)
{
	if (c->dir[0])
		bound_dir(c, c->dir, 0);
}
