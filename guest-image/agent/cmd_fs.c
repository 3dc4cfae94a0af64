// SPDX-License-Identifier: MIT
/* mkfs, mount, umount and fsck of the filesystems under test. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "args.h"
#include "commands.h"
#include "exec.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define DAX_PROBE_NAME		".pmtorture-dax-probe"

/* The fs argument, limited to the filesystems we know how to drive. */
static int get_fs(struct json_object *args, const char **fs, char *err, size_t errlen)
{
	if (arg_string(args, "fs", true, fs, err, errlen))
		return -1;
	if (strcmp(*fs, "ext4") && strcmp(*fs, "xfs")) {
		snprintf(err, errlen, "unsupported fs \"%.32s\" (ext4 or xfs)", *fs);
		return -1;
	}
	return 0;
}

/*
 * mkfs and fsck reply with the tool's exit status and output even when it
 * is non-zero: whether that is a failure is the host's call (an fsck that
 * finds damage after a crash is a result, not a broken command).
 */
int cmd_mkfs(struct json_object *args, struct json_object *result,
	     char *err, size_t errlen)
{
	const char *fs, *dev, **argv, **longer;
	long long timeout_ms;
	size_t nopts;
	int ret;

	if (get_fs(args, &fs, err, errlen) ||
	    arg_string(args, "dev", true, &dev, err, errlen) ||
	    arg_int(args, "timeout_ms", EXEC_DEFAULT_TIMEOUT_MS, 1, EXEC_MAX_TIMEOUT_MS,
		    &timeout_ms, err, errlen) ||
	    arg_string_array(args, "opts", false, 3, &argv, &nopts, err, errlen))
		return -1;
	/* Make room after the opts for DEV and the terminating NULL. */
	longer = realloc(argv, (3 + nopts + 2) * sizeof(*argv));
	if (!longer) {
		free(argv);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	argv = longer;
	if (!strcmp(fs, "ext4")) {
		argv[0] = "mkfs.ext4";
		argv[1] = "-F";
	} else {
		argv[0] = "mkfs.xfs";
		argv[1] = "-f";
	}
	argv[2] = "-q";
	argv[3 + nopts] = dev;
	argv[3 + nopts + 1] = NULL;
	ret = exec_to_result(argv, timeout_ms, result, err, errlen);
	free(argv);
	return ret;
}

int cmd_fsck(struct json_object *args, struct json_object *result,
	     char *err, size_t errlen)
{
	const char *fs, *dev;
	long long timeout_ms;

	if (get_fs(args, &fs, err, errlen) ||
	    arg_string(args, "dev", true, &dev, err, errlen) ||
	    arg_int(args, "timeout_ms", EXEC_DEFAULT_TIMEOUT_MS, 1, EXEC_MAX_TIMEOUT_MS,
		    &timeout_ms, err, errlen))
		return -1;
	/* Read-only checks: they must report damage, not repair it. */
	if (!strcmp(fs, "ext4")) {
		const char *argv[] = { "e2fsck", "-fn", dev, NULL };

		return exec_to_result(argv, timeout_ms, result, err, errlen);
	} else {
		const char *argv[] = { "xfs_repair", "-n", dev, NULL };

		return exec_to_result(argv, timeout_ms, result, err, errlen);
	}
}

static int mkdir_p(const char *dir)
{
	char path[PATH_MAX], *p;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * Whether DAX is really in use: mount options only say what was asked
 * for (ext4 silently falls back without DAX support), so ask the kernel
 * about a fresh file.
 */
static void probe_dax(const char *dir, struct json_object *result)
{
	char path[PATH_MAX], why[256];
	struct statx stx;
	bool dax = false;
	int fd;

	snprintf(path, sizeof(path), "%s/" DAX_PROBE_NAME, dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, sizeof(why), "create " DAX_PROBE_NAME ": %s", strerror(errno));
	} else if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx)) {
		snprintf(why, sizeof(why), "statx " DAX_PROBE_NAME ": %s", strerror(errno));
	} else {
		dax = stx.stx_attributes & STATX_ATTR_DAX;
		why[0] = '\0';
		if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
			snprintf(why, sizeof(why), "kernel does not report STATX_ATTR_DAX");
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	json_object_object_add(result, "dax", json_object_new_boolean(dax));
	if (why[0])
		json_object_object_add(result, "dax_probe_error", json_object_new_string(why));
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape_mountinfo(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* The /proc/self/mountinfo line of the mount on @dir, the top one if stacked. */
static void add_mount_options(const char *dir, struct json_object *result)
{
	char real[PATH_MAX], mnt[PATH_MAX], *line = NULL, *found = NULL;
	size_t cap = 0;
	FILE *f;

	if (!realpath(dir, real) || !(f = fopen("/proc/self/mountinfo", "re"))) {
		json_object_object_add(result, "options", NULL);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		/* id parent major:minor root mount-point options ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		unescape_mountinfo(mnt);
		if (strcmp(mnt, real))
			continue;
		free(found);
		found = strdup(line);
	}
	fclose(f);
	free(line);
	if (found)
		found[strcspn(found, "\n")] = '\0';
	json_object_object_add(result, "options", found ? json_object_new_string(found) : NULL);
	free(found);
}

int cmd_mount(struct json_object *args, struct json_object *result,
	      char *err, size_t errlen)
{
	const char *fs, *dev, *dir, *opts, *mark;
	long long drop, t0 = exec_now_ms();

	if (arg_string(args, "fs", true, &fs, err, errlen) ||
	    arg_string(args, "dev", true, &dev, err, errlen) ||
	    arg_string(args, "dir", true, &dir, err, errlen) ||
	    arg_string(args, "opts", false, &opts, err, errlen) ||
	    arg_int(args, "drop_caches", 0, 0, 1, &drop, err, errlen) ||
	    arg_string(args, "mark", false, &mark, err, errlen))
		return -1;
	/* A crash state's mount in one request: the host rewrote dev's
	 * backing file, so the old bytes' caches go first (drop_caches), and
	 * what the kernel says from here on is this mount's (mark). */
	if ((drop && cmd_drop_caches(args, result, err, errlen)) ||
	    (mark && kmsg_mark(mark, err, errlen)))
		return -1;
	json_object_object_add(result, "prepare_ms", json_object_new_int64(exec_now_ms() - t0));
	if (mkdir_p(dir)) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	/* opts is the fs's data string ("dax", "dax=always"), as mount -o would pass it. */
	if (mount(dev, dir, fs, 0, opts && opts[0] ? opts : NULL)) {
		snprintf(err, errlen, "mount %s on %s: %s", dev, dir, strerror(errno));
		return -1;
	}
	probe_dax(dir, result);
	add_mount_options(dir, result);
	return 0;
}

int cmd_umount(struct json_object *args, struct json_object *result,
	       char *err, size_t errlen)
{
	const char *dir;

	(void)result;
	if (arg_string(args, "dir", true, &dir, err, errlen))
		return -1;
	if (umount2(dir, 0)) {
		snprintf(err, errlen, "umount %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}
