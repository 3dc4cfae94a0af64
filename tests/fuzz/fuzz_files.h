/* SPDX-License-Identifier: MIT */
/*
 * For fuzz targets whose entry point reads files: the input split into
 * parts at a separator line, each part written to a file in a private
 * folder made once per process (removed at exit).  A part the input does
 * not give is no file at all.
 */
#ifndef PMT_FUZZ_FILES_H
#define PMT_FUZZ_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_MAX_FILES 4

struct fuzz_files {
	const char *const *names;	/* relative; "sub/x" needs sub in dirs */
	const char *const *dirs;	/* folders to make under the root, NULL-terminated */
	int n;
	char root[64];
};

static struct fuzz_files *fuzz_files_current;

static inline void fuzz_path(const struct fuzz_files *ff, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ff->root, name);
}

static void fuzz_files_cleanup(void)
{
	struct fuzz_files *ff = fuzz_files_current;
	char path[160];
	int nd = 0;

	for (int i = 0; i < ff->n; i++) {
		fuzz_path(ff, ff->names[i], path, sizeof(path));
		unlink(path);
	}
	while (ff->dirs && ff->dirs[nd])
		nd++;
	while (nd-- > 0) {
		fuzz_path(ff, ff->dirs[nd], path, sizeof(path));
		rmdir(path);
	}
	rmdir(ff->root);
}

/*
 * Where: $FUZZ_TMPDIR, else /dev/shm (a tmpfs: rewriting a file thousands of
 * times a second on ext4 costs a writeback each time), else $TMPDIR or /tmp.
 */
static inline void fuzz_files_setup(struct fuzz_files *ff, const char *tag)
{
	const char *tmp = getenv("FUZZ_TMPDIR");
	char path[160];

	if (ff->root[0])
		return;
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	snprintf(ff->root, sizeof(ff->root), "%.40s/fuzz-%.8s.XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 tag);
	if (!mkdtemp(ff->root))
		abort();
	for (int i = 0; ff->dirs && ff->dirs[i]; i++) {
		fuzz_path(ff, ff->dirs[i], path, sizeof(path));
		if (mkdir(path, 0700))
			abort();
	}
	fuzz_files_current = ff;
	atexit(fuzz_files_cleanup);
}

/*
 * Write the parts of @data, split at @sep, to ff->names in order; parts
 * beyond ff->n stay in the last file.  Returns how many files exist now
 * (none for a NULL @data).
 */
static inline int fuzz_files_write(struct fuzz_files *ff, const uint8_t *data, size_t size,
				   const char *sep)
{
	/* No arithmetic on a NULL @data (undefined even with size 0). */
	const uint8_t *p = data, *end = data ? data + size : NULL;
	size_t seplen = strlen(sep);
	int made = 0;

	for (int i = 0; i < ff->n; i++) {
		const uint8_t *cut = NULL;
		char path[160];
		FILE *f;
		size_t n;

		fuzz_path(ff, ff->names[i], path, sizeof(path));
		if (!p) {
			unlink(path);
			continue;
		}
		if (i < ff->n - 1)
			cut = memmem(p, (size_t)(end - p), sep, seplen);
		n = cut ? (size_t)(cut - p) : (size_t)(end - p);
		f = fopen(path, "we");
		if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
			abort();
		made++;
		p = cut ? cut + seplen : NULL;
	}
	return made;
}

#endif
