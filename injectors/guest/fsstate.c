// SPDX-License-Identifier: MIT
/*
 * fsstate: a guest filesystem's error state (fsstate.h), from /proc/mounts,
 * /sys/fs/ext4/DEV/ and the kernel log read with syslog(2) (the agent is
 * PID 1 and root: SYSLOG_ACTION_READ_ALL is allowed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "fsstate.h"

#define KLOG_READ_ALL	3
#define KLOG_SIZE	10

/* The /proc/mounts line of @dir into dev, fstype, opts.  0, or -1. */
static int mount_line(const char *dir, char *dev, char *type, char *opts, size_t len)
{
	char line[1024], d[256], m[512], t[64], o[512];
	FILE *f = fopen("/proc/mounts", "re");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %511s %63s %511s", d, m, t, o) != 4 || strcmp(m, dir))
			continue;
		/* The last mount on @dir is the one that counts. */
		snprintf(dev, len, "%s", d);
		snprintf(type, len, "%s", t);
		snprintf(opts, len, "%s", o);
		found = 0;
	}
	fclose(f);
	return found;
}

/* The first line of /sys/fs/ext4/@dev/@attr into @out, newline cut.  0 or -1. */
static int ext4_attr(const char *dev, const char *attr, char *out, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/ext4/%s/%s", dev, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static void add_ext4(struct json_object *o, const char *dev)
{
	static const char *const nums[] = { "errors_count", "first_error_line",
					    "first_error_errcode", "last_error_line",
					    "last_error_errcode", "first_error_time", NULL };
	static const char *const strs[] = { "first_error_func", "last_error_func", NULL };
	char v[256];

	for (int i = 0; nums[i]; i++)
		if (!ext4_attr(dev, nums[i], v, sizeof(v)) && v[0])
			json_object_object_add(o, nums[i],
					       json_object_new_int64(strtoll(v, NULL, 10)));
	for (int i = 0; strs[i]; i++)
		if (!ext4_attr(dev, strs[i], v, sizeof(v)) && v[0])
			json_object_object_add(o, strs[i], json_object_new_string(v));
}

static int count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void add_klog(struct json_object *o)
{
	int size = klogctl(KLOG_SIZE, NULL, 0), n;
	char *buf;

	if (size <= 0)
		size = 1 << 20;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return;
	n = klogctl(KLOG_READ_ALL, buf, size);
	if (n > 0) {
		int ab, det;

		buf[n] = '\0';
		ab = count(buf, "Aborting journal");
		det = count(buf, "Detected aborted journal");
		json_object_object_add(o, "klog_aborting_journal", json_object_new_int(ab));
		json_object_object_add(o, "klog_detected_aborted", json_object_new_int(det));
		json_object_object_add(o, "klog_shutdown", json_object_new_int(
			count(buf, "has been shut down") + count(buf, "shutting down filesystem")));
		json_object_object_add(o, "klog_remount_ro", json_object_new_int(
			count(buf, "Remounting filesystem read-only")));
		json_object_object_add(o, "journal_aborted", json_object_new_boolean(ab + det > 0));
	}
	free(buf);
}

struct json_object *fsstate_read(const char *dir)
{
	struct json_object *o = json_object_new_object();
	char dev[256], type[256], opts[256];

	if (!mount_line(dir, dev, type, opts, sizeof(dev))) {
		const char *base = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;

		json_object_object_add(o, "dev", json_object_new_string(base));
		json_object_object_add(o, "fstype", json_object_new_string(type));
		json_object_object_add(o, "opts", json_object_new_string(opts));
		json_object_object_add(o, "ro", json_object_new_boolean(
			!strcmp(opts, "ro") || !strncmp(opts, "ro,", 3)));
		if (!strcmp(type, "ext4"))
			add_ext4(o, base);
	}
	add_klog(o);
	return o;
}
