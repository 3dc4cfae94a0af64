// SPDX-License-Identifier: MIT
/*
 * One crash state in a guest that stays up (crashcheck.h).  Kernel
 * behaviour relied on: the guest's block device page cache may keep the
 * previous state's metadata, so it is dropped before each mount; a mount
 * runs the journal/log recovery; after the umount the guest's writes are in
 * its pmem backing file, which the host's fsck -n reads (host_fsck.c).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_setup.h"
#include "host_fsck.h"
#include "json_util.h"
#include "crashcheck.h"
#include "util.h"

int pmt_crash_find_dev(struct pmt_case *c, char *dev, size_t len)
{
	struct json_object *devices = NULL, *pm;
	char err[256];
	int rc = pmt_case_agent(c, "devices", NULL, &devices, err, sizeof(err));

	if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "%s: listing pmem devices: %s", c->phase, err);
		return -1;
	}
	pm = pmt_pick_pmem(devices, PMT_DEV_VIRTIO_PMEM);
	if (!pm) {
		json_object_put(devices);
		pmt_case_verdict(c, PMT_BROK, "%s: no virtio-pmem device in the checker guest", c->phase);
		return -1;
	}
	snprintf(dev, len, "%s", pmt_json_str(pm, "dev"));
	json_object_put(devices);
	return 0;
}

static void problem(struct json_object *problems, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct json_object *problems, const char *fmt, ...)
{
	char text[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_array_add(problems, json_object_new_string(text));
}

static const char *tail(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > max ? s + n - max : s;
}

/* One agent call with an args object built by the caller (consumed). */
static int call(struct pmt_case *c, const char *cmd, struct json_object *args,
		struct json_object **res, char *err, size_t errlen)
{
	int rc = pmt_case_agent(c, cmd, args, res, err, errlen);

	json_object_put(args);
	return rc;
}

static struct json_object *obj2(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2)
		json_object_object_add(o, k2, json_object_new_string(v2));
	return o;
}

/* Kernel lines that say why a mount failed (jbd2, ext4, xfs), joined by " | ". */
static void mount_dmesg(struct pmt_case *c, char *out, size_t len)
{
	static const char *const keys[] = { "JBD2", "EXT4-fs", "XFS", "I/O error", NULL };
	struct json_object *res = NULL, *text;
	char err[256], *copy, *line, *save = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (call(c, "dmesg", obj2("since", "crash-state", NULL, NULL), &res, err, sizeof(err)) ||
	    !json_object_object_get_ex(res, "text", &text)) {
		json_object_put(res);
		return;
	}
	copy = strdup(json_object_get_string(text));
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		bool key = false;

		for (int k = 0; keys[k] && !key; k++)
			key = strstr(line, keys[k]) != NULL;
		/* Drop "<3>" and the "[  1.234567] " timestamp: they differ per run. */
		if (line[0] == '<' && strchr(line, '>'))
			line = strchr(line, '>') + 1;
		if (line[0] == '[' && strchr(line, ']'))
			line = strchr(line, ']') + 1 + (strchr(line, ']')[1] == ' ');
		if (key && used + strlen(line) + 4 < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " | " : "", line);
	}
	free(copy);
	json_object_put(res);
}

/*
 * Is @err (the agent's words for a failed command) an errno that the
 * mounted filesystem returned, EIO or EUCLEAN (corruption found), rather
 * than the checker's own failure?
 */
static bool kernel_errno(const char *err)
{
	return strstr(err, "Input/output error") || strstr(err, "Structure needs cleaning");
}

/* Add the seconds since *@t0 to step @step, and restart the clock. */
static void lap(double *times, enum pmt_check_step step, int64_t *t0)
{
	int64_t now = pmt_now_ms();

	if (times)
		times[step] += (double)(now - *t0) / 1000.0;
	*t0 = now;
}

/* The mount request's time: its drop_caches and mark (the agent's
 * prepare_ms) are the prepare step, the rest the mount and recovery. */
static void mount_lap(double *times, struct json_object *res, int64_t *t0)
{
	int64_t now = pmt_now_ms(), prepare = pmt_json_int64(res, "prepare_ms", 0);

	if (prepare < 0 || prepare > now - *t0)
		prepare = 0;
	if (times) {
		times[PMT_STEP_PREPARE] += (double)prepare / 1000.0;
		times[PMT_STEP_MOUNT] += (double)(now - *t0 - prepare) / 1000.0;
	}
	*t0 = now;
}

int pmt_crash_check_state(struct pmt_case *c, const char *dev, struct json_object *promises,
			  struct json_object *problems, double times[PMT_STEPS])
{
	return pmt_crash_check_state_seen(c, dev, promises, problems, times, NULL);
}

void pmt_state_seen_free(struct pmt_state_seen *seen)
{
	json_object_put(seen->verify);
	json_object_put(seen->fsck);
	seen->verify = seen->fsck = NULL;
}

/*
 * fsck -n of the state the guest just unmounted, on the host (host_fsck.c:
 * the guest's pmem is its backing file, mapped shared).
 */
static int host_fsck(struct pmt_case *c, struct json_object **res, char *err, size_t len)
{
	char scratch[PATH_MAX];

	if (pmt_fmt(scratch, sizeof(scratch), "%s/fsck.out", c->rundir)) {
		snprintf(err, len, "the run folder's path is too long");
		return -1;
	}
	return pmt_host_fsck(c->fs, c->vm->cfg.disks[0].path, scratch, res, err, len);
}

/*
 * Long because it checks one state step by step (drop caches, mark, mount, verify,
 * umount, fsck) on one device, each step timed and with its own error; the steps must run
 * in this order.
 */
int pmt_crash_check_state_seen(struct pmt_case *c, const char *dev, struct json_object *promises,
			       struct json_object *problems, double times[PMT_STEPS],
			       struct pmt_state_seen *seen)
{
	struct json_object *args, *res = NULL, *broken;
	size_t before = json_object_array_length(problems);
	int64_t t0 = pmt_now_ms();
	char err[512];
	int rc;

	if (seen)
		memset(seen, 0, sizeof(*seen));
	args = obj2("fs", c->fs, "dev", dev);
	json_object_object_add(args, "dir", json_object_new_string(PMT_GUEST_MNT));
	json_object_object_add(args, "opts", json_object_new_string("dax"));
	/* The block device's page cache may hold the previous state's metadata;
	 * and what the kernel says while mounting this state, and only this one,
	 * follows the mark.  One request: each round trip costs a state time. */
	json_object_object_add(args, "drop_caches", json_object_new_int(1));
	json_object_object_add(args, "mark", json_object_new_string("crash-state"));
	rc = call(c, "mount", args, &res, err, sizeof(err));
	mount_lap(times, res, &t0);
	json_object_put(res);
	res = NULL;
	if (rc < 0)
		return -1;
	if (rc > 0) {
		char why[512];

		/* A state a power cut can produce must mount: that is the kernel's job. */
		if (seen)
			snprintf(seen->mount_error, sizeof(seen->mount_error), "%s", err);
		mount_dmesg(c, why, sizeof(why));
		problem(problems, "mount failed: %s; dmesg: %s", err, why[0] ? why : "(nothing)");
		return 1;
	}

	args = obj2("dir", PMT_GUEST_MNT, NULL, NULL);
	json_object_object_add(args, "promises", json_object_get(promises));
	rc = call(c, "verify", args, &res, err, sizeof(err));
	lap(times, PMT_STEP_VERIFY, &t0);
	if (rc > 0 && kernel_errno(err)) {
		char why[512];

		/* The state mounted, then the filesystem refused to read it
		 * (xfs shuts down on what log recovery left): the kernel's
		 * answer for this state, not the checker's failure. */
		mount_dmesg(c, why, sizeof(why));
		problem(problems, "mounted, then unreadable: %s; dmesg: %s", err,
			why[0] ? why : "(nothing)");
		rc = 0;
	} else if (rc) {
		if (rc > 0)
			pmt_case_verdict(c, PMT_BROK, "%s: verify: %s", c->phase, err);
		return -1;
	}
	if (res && json_object_object_get_ex(res, "broken", &broken)) {
		for (size_t i = 0; i < json_object_array_length(broken); i++) {
			struct json_object *b = json_object_array_get_idx(broken, i), *p;
			char what[256];

			json_object_object_get_ex(b, "promise", &p);
			snprintf(what, sizeof(what), "%s promise on %s (op %d)", pmt_json_str(p, "kind"),
				 pmt_json_str(p, "path"), pmt_json_int(p, "op", -1));
			problem(problems, "%s broken: %s", what, pmt_json_str(b, "observed"));
		}
	}
	if (seen)
		seen->verify = json_object_get(res);
	json_object_put(res);
	res = NULL;

	rc = call(c, "umount", obj2("dir", PMT_GUEST_MNT, NULL, NULL), NULL, err, sizeof(err));
	lap(times, PMT_STEP_UMOUNT, &t0);
	if (rc) {
		pmt_case_verdict(c, PMT_BROK, "%s: umount: %s", c->phase, err);
		return -1;
	}
	rc = host_fsck(c, &res, err, sizeof(err));
	lap(times, PMT_STEP_FSCK, &t0);
	if (rc) {
		pmt_case_verdict(c, PMT_BROK, "%s: fsck: %s", c->phase, err);
		return -1;
	}
	if (pmt_json_int(res, "exit", -1) != 0) {
		problem(problems, "fsck -n exited %d after recovery: %s", pmt_json_int(res, "exit", -1),
			tail(pmt_json_str(res, "output"), 300));
	}
	if (seen)
		seen->fsck = json_object_get(res);
	json_object_put(res);
	return json_object_array_length(problems) > before ? 1 : 0;
}
