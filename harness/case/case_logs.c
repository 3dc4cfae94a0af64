// SPDX-License-Identifier: MIT
/*
 * The logs a case's guests leave that QEMU or libvirt wrote themselves
 * (console*.log, qemu.log in the case folder and its guests' sub-folders),
 * bounded once the guests are gone (vm/transcript.h); a guest that flooded
 * one, or made the console copier kill its QEMU (vm/console.h), makes the
 * case BROK.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "case_logs.h"
#include "chan.h"
#include "console.h"
#include "transcript.h"
#include "util.h"

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
