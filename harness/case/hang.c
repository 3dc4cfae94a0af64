// SPDX-License-Identifier: MIT
/*
 * The evidence of a guest hang, and its verdict (hang.h).
 *
 * Kernel behaviour relied on (Linux 6.1 and 6.12):
 *  - Magic SysRq from a PS/2 keyboard: QEMU's send-key with alt+sysrq+KEY
 *    reaches the guest's i8042 keyboard (atkbd, built in on Debian), and
 *    the sysrq input handler runs the key's op when sysrq is enabled
 *    (sysrq_always_enabled on the command line).  The agent, PID 1, waits
 *    for the stuck command and cannot answer, so the keyboard is the way.
 *  - __handle_sysrq() restores console_loglevel before it calls the op, so
 *    under "quiet" the KERN_INFO stacks of 'w' would not reach the serial
 *    console; sysrq '9' first sets console_loglevel to 9 for good.
 *  - 'w' (show_state_filter(TASK_UNINTERRUPTIBLE)) prints each task in
 *    state D as "task:NAME state:D stack:... pid:N ..." then "Call Trace:",
 *    "<TASK>", one frame per line ("func+0xOFF/0xLEN [module]", uncertain
 *    ones prefixed "? "), "</TASK>".
 *  - khungtaskd prints "INFO: task NAME:PID blocked for more than N
 *    seconds." (KERN_ERR, shown under quiet) when hung_task_timeout_secs
 *    is set (sysctl.kernel.hung_task_timeout_secs= on the command line).
 *  - virtio-pmem's driver waits for the host's answer in
 *    virtio_pmem_flush() with wait_event(), i.e. in state D.
 * QEMU 7.2: x-query-virtio lists virtio devices' QOM paths and names;
 * x-query-virtio-status gives the device status decoded as
 * {"statuses": ["VIRTIO_CONFIG_S_...: text", ...]} and "broken";
 * x-query-virtio-queue-status gives "inuse", the requests popped and not
 * yet answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>

#include "case.h"
#include "hang.h"
#include "json_util.h"
#include "transcript.h"
#include "util.h"

#define HANG_FRAMES		4
#define CONSOLE_MAX		(4u << 20)
#define EXCERPT_MAX		16384
#define SYSRQ_SETTLE_MS		1000	/* the console quiet this long: the dump is out */
#define SYSRQ_WAIT_MS		8000	/* at most this long for it (TCG, serial) */
/* A console silent this long after the sysrq prints nothing.  3 s was too
 * short once: a guest just migrated under TCG printed its stacks later, and
 * a hang with stacks came out BROK ("no blocked task"). */
#define SYSRQ_FIRST_MS		6000
#define QMP_BOUND_MS		5000

int pmt_case_hang_bound_s(const struct pmt_case *c, int def)
{
	return c->opt->hang_timeout_s > 0 ? c->opt->hang_timeout_s : def;
}

/* Frames that say a task sleeps, not where: skipped in the summary. */
static bool wait_frame(const char *f)
{
	static const char *const prefixes[] = {
		"__schedule", "schedule", "io_schedule", "__wait", "wait_for_completion",
		"bit_wait", "out_of_line_wait", "prepare_to_wait", "finish_task_switch",
		"__switch_to", "__mutex_lock", "rwsem_down", "__down", "wait_woken",
		NULL,
	};

	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(f, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* @a then @b at the end of @buf, cut to fit. */
static void append(char *buf, size_t len, const char *a, const char *b)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", a, b);
}

int pmt_hang_parse_console(const char *text, char *blocked, size_t blen,
			   char *kernel_line, size_t klen)
{
	static const char *const kernel_keys[] = {
		"blocked for more than", "Kernel panic", "BUG:", "Oops:", "soft lockup",
		"hard LOCKUP", "rcu: INFO:", NULL,
	};
	char *copy = pmt_xstrdup(text ? text : ""), *line, *next, task[64] = "";
	int frames = 0, n = 0;
	bool in_task = false;

	blocked[0] = '\0';
	kernel_line[0] = '\0';
	for (line = copy; line && *line; line = next) {
		const char *l;
		char *cr;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if ((cr = strchr(line, '\r')))
			*cr = '\0';
		l = pmt_kmsg_text(line);
		for (int i = 0; !kernel_line[0] && kernel_keys[i]; i++)
			if (strstr(l, kernel_keys[i]))
				snprintf(kernel_line, klen, "%s", l);
		if (!strncmp(l, "task:", 5)) {
			char name[48] = "", probe[64];

			in_task = strstr(l, " state:D") != NULL;
			if (!in_task)
				continue;
			sscanf(l + 5, "%47s", name);
			snprintf(task, sizeof(task), "%s", name);
			/* hung_task and sysrq 'w' may both show a task: once. */
			snprintf(probe, sizeof(probe), "%s in ", task);
			if (strstr(blocked, probe)) {
				in_task = false;
				continue;
			}
			append(blocked, blen, n ? "; " : "", task);
			append(blocked, blen, " in", "");
			frames = 0;
			n++;
			continue;
		}
		if (!in_task)
			continue;
		if (!strcmp(l, "</TASK>") || !*l) {
			in_task = false;
			if (!frames)
				append(blocked, blen, " ?", "");
			continue;
		}
		if (l[0] == '?' || l[0] == '<' || !strncmp(l, "Call Trace", 10) || !strchr(l, '+') ||
		    frames >= HANG_FRAMES) {
			continue;
		} else {
			char f[96];
			size_t k = strcspn(l, "+ ");

			snprintf(f, sizeof(f), "%.*s", (int)(k < sizeof(f) ? k : sizeof(f) - 1), l);
			if (wait_frame(f))
				continue;
			append(blocked, blen, frames ? " <- " : " ", f);
			frames++;
		}
	}
	free(copy);
	return n;
}

void pmt_hang_describe_status(struct json_object *st, char *buf, size_t len, bool *needs_reset)
{
	static const char *const bits[] = {
		"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", NULL, NULL, "NEEDS_RESET", "FAILED",
	};
	struct json_object *s = NULL, *list;
	size_t used = 0;

	*needs_reset = false;
	buf[0] = '\0';
	if (!st || !json_object_object_get_ex(st, "status", &s)) {
		snprintf(buf, len, "unknown (no answer)");
		return;
	}
	if (json_object_is_type(s, json_type_int)) {
		int v = json_object_get_int(s);

		for (int b = 0; b < 8 && used < len; b++)
			if ((v & (1 << b)) && bits[b])
				used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", bits[b]);
		*needs_reset = v & 0x40;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s0x%02x", used ? " " : "", v);
	} else if (json_object_object_get_ex(s, "statuses", &list)) {
		for (size_t i = 0; i < pmt_json_len(list) && used < len; i++) {
			const char *name = pmt_json_text(json_object_array_get_idx(list, i));
			const char *p = strstr(name, "VIRTIO_CONFIG_S_");
			size_t k;

			p = p ? p + 16 : name;
			k = strcspn(p, ": ");
			used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? "," : "", (int)k, p);
			if (!strncmp(p, "NEEDS_RESET", 11))
				*needs_reset = true;
		}
	}
	if (!buf[0])
		snprintf(buf, len, "0 (reset)");
	used = strlen(buf);
	if (*needs_reset && used < len)
		used += (size_t)snprintf(buf + used, len - used, " [NEEDS_RESET]");
	if (json_object_get_boolean(json_object_object_get(st, "broken")) && used < len)
		snprintf(buf + used, len - used, " [broken]");
}

static int qmp(struct pmt_case *c, const char *cmd, struct json_object *args,
	       struct json_object **ret)
{
	char err[256];
	int rc;

	rc = pmt_qmp_execute(&c->vm->qmp, cmd, args, ret, pmt_now_ms() + QMP_BOUND_MS, err,
			     sizeof(err));
	json_object_put(args);
	return rc;
}

static void send_sysrq(struct pmt_case *c, const char *key)
{
	struct json_object *args = json_object_new_object(), *keys = json_object_new_array();
	const char *names[] = { "alt", "sysrq", key };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct json_object *k = json_object_new_object();

		json_object_object_add(k, "type", json_object_new_string("qcode"));
		json_object_object_add(k, "data", json_object_new_string(names[i]));
		json_object_array_add(keys, k);
	}
	json_object_object_add(args, "keys", keys);
	qmp(c, "send-key", args, NULL);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

/*
 * Until the console has been quiet for SYSRQ_SETTLE_MS (after growing), at
 * most SYSRQ_WAIT_MS; a console that does not grow at all in SYSRQ_FIRST_MS
 * has no dump coming (a dead or wedged kernel, not a slow serial line), and
 * the case ends that much sooner.
 */
static void wait_console(const char *path)
{
	int64_t start = pmt_now_ms(), end = start + SYSRQ_WAIT_MS, quiet_since = start;
	long long last = file_size(path);
	bool grew = false;

	while (pmt_now_ms() < end) {
		long long now;

		poll(NULL, 0, 100);
		now = file_size(path);
		if (now != last) {
			last = now;
			grew = true;
			quiet_since = pmt_now_ms();
		} else if (grew && pmt_now_ms() - quiet_since >= SYSRQ_SETTLE_MS) {
			return;
		} else if (!grew && pmt_now_ms() - start >= SYSRQ_FIRST_MS) {
			return;
		}
	}
}

/* The virtio-pmem device's status and queue, by its QOM path. */
static void device_status(struct pmt_case *c, struct json_object *hang, char *line, size_t len,
			  bool *needs_reset)
{
	struct json_object *list = NULL, *st = NULL, *q = NULL, *args;
	const char *path = NULL;

	*needs_reset = false;
	snprintf(line, len, "not read (no QMP)");
	if (!c->vm->qmp_up || qmp(c, "x-query-virtio", NULL, &list))
		goto out;
	for (size_t i = 0; i < pmt_json_len(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);

		if (!strcmp(pmt_json_str(d, "name"), "virtio-pmem"))
			path = pmt_json_str(d, "path");
	}
	if (!path) {
		snprintf(line, len, "no virtio-pmem device");
		goto out;
	}
	json_object_object_add(hang, "device_path", json_object_new_string(path));
	args = json_object_new_object();
	json_object_object_add(args, "path", json_object_new_string(path));
	if (qmp(c, "x-query-virtio-status", args, &st) == 0) {
		json_object_object_add(hang, "device_status", json_object_get(st));
		pmt_hang_describe_status(st, line, len, needs_reset);
	} else {
		snprintf(line, len, "x-query-virtio-status failed");
	}
	args = json_object_new_object();
	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "queue", json_object_new_int(0));
	if (qmp(c, "x-query-virtio-queue-status", args, &q) == 0) {
		size_t used = strlen(line);

		json_object_object_add(hang, "queue_status", json_object_get(q));
		if (used < len)
			snprintf(line + used, len - used, "; queue: %d in use (popped, not answered)",
				 pmt_json_int(q, "inuse", -1));
	}
out:
	json_object_object_add(hang, "needs_reset", json_object_new_boolean(*needs_reset));
	json_object_put(list);
	json_object_put(st);
	json_object_put(q);
}

/* What the flush shim saw, when QEMU runs with one (PMT_SHIM_DIR in its environment). */
static void shim_flushes(struct pmt_case *c, struct json_object *hang, char *line, size_t len)
{
	char dir[PATH_MAX] = "", path[PATH_MAX + 32], *text, *l, *next, *d;
	int answered = 0, failed = 0, deepest = 0;
	bool held;

	line[0] = '\0';
	for (int i = 0; i < (int)ARRAY_SIZE(c->vm->cfg.env) && c->vm->cfg.env[i]; i++)
		if (!strncmp(c->vm->cfg.env[i], "PMT_SHIM_DIR=", 13))
			snprintf(dir, sizeof(dir), "%s", c->vm->cfg.env[i] + 13);
	if (!dir[0])
		return;
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	text = pmt_read_file(path, 64 << 20, NULL);
	for (l = text; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		answered++;
		failed += strstr(l, "\"result\":-1") != NULL;
		/* "depth": flush calls inside the shim when this one entered,
		 * i.e. requests QEMU popped and had not answered. */
		if ((d = strstr(l, "\"depth\":")) && atoi(d + 8) > deepest)
			deepest = atoi(d + 8);
	}
	free(text);
	snprintf(path, sizeof(path), "%s/held", dir);
	held = file_size(path) >= 0;
	snprintf(path, sizeof(path), "%s/held-mid", dir);
	held = held || file_size(path) >= 0;
	json_object_object_add(hang, "host_flushes_answered", json_object_new_int(answered));
	json_object_object_add(hang, "host_flushes_failed", json_object_new_int(failed));
	json_object_object_add(hang, "host_flush_held", json_object_new_boolean(held));
	json_object_object_add(hang, "host_deepest_queue", json_object_new_int(deepest));
	snprintf(line, len, "host: %d flushes answered (%d failed, at most %d at once)%s",
		 answered, failed, deepest,
		 held ? ", 1 held by the shim" : ", none in progress at the shim");
}

/* From the first sign of the hang on, at most EXCERPT_MAX bytes. */
static const char *excerpt_start(const char *text)
{
	static const char *const marks[] = { "blocked for more than", "Show Blocked State",
					     "Kernel panic", "BUG:", NULL };
	const char *best = NULL;

	for (int i = 0; marks[i]; i++) {
		const char *p = strstr(text, marks[i]);

		if (p && (!best || p < best))
			best = p;
	}
	if (!best)
		best = strlen(text) > EXCERPT_MAX ? text + strlen(text) - EXCERPT_MAX : text;
	while (best > text && best[-1] != '\n')
		best--;
	return best;
}

void pmt_case_hang(struct pmt_case *c, const char *what, int waited_s)
{
	struct json_object *hang = json_object_new_object();
	char console[PATH_MAX + 32], path[PATH_MAX + 16], blocked[768], kline[256];
	char dev[384], host[160], *text;
	const char *ex;
	bool needs_reset, sign;
	FILE *f;
	int n;

	c->vm->hung = true;
	json_object_object_add(hang, "what", json_object_new_string(what));
	json_object_object_add(hang, "waited_s", json_object_new_int(waited_s));
	/* The agent is the one waiting: the keyboard asks the kernel itself. */
	snprintf(console, sizeof(console), "%s/console.log", c->vm->cfg.logdir);
	if (c->vm->qmp_up) {
		send_sysrq(c, "9");
		send_sysrq(c, "w");
		json_object_object_add(hang, "sysrq", json_object_new_string("QMP send-key alt+sysrq+9, +w"));
		wait_console(console);
	}
	device_status(c, hang, dev, sizeof(dev), &needs_reset);
	shim_flushes(c, hang, host, sizeof(host));
	c->vm->backend->power_cut(c->vm);

	text = pmt_read_file(console, CONSOLE_MAX, NULL);
	n = pmt_hang_parse_console(text, blocked, sizeof(blocked), kline, sizeof(kline));
	sign = n > 0 || kline[0];
	json_object_object_add(hang, "blocked", json_object_new_string(blocked));
	json_object_object_add(hang, "kernel_line", json_object_new_string(kline));
	json_object_object_add(hang, "device", json_object_new_string(dev));
	ex = excerpt_start(text ? text : "");
	json_object_object_add(hang, "console", json_object_new_string_len(
		ex, (int)(strlen(ex) > EXCERPT_MAX ? EXCERPT_MAX : strlen(ex))));
	json_object_object_add(c->details, "hang", hang);

	snprintf(path, sizeof(path), "%s/hang.txt", c->dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s made no progress for %d s\nblocked tasks: %s\nkernel line: %s\n"
			"device status: %s\n%s\n\nconsole from the first sign of the hang:\n%s\n",
			what, waited_s, n ? blocked : "none", kline[0] ? kline : "none", dev,
			host[0] ? host : "host: no flush shim loaded", ex);
		fclose(f);
	}
	free(text);

	if (sign)
		pmt_case_verdict(c, PMT_FAIL, "hang: %s made no progress for %d s; %s%s%s%s; "
				 "device status: %s%s%s", what, waited_s, n ? "blocked: " : "",
				 n ? blocked : "", n && kline[0] ? "; " : "", kline, dev,
				 host[0] ? "; " : "", host);
	else
		pmt_case_verdict(c, PMT_BROK, "%s: %s: timed out after %d s, and the guest kernel "
				 "shows no blocked task or kernel message (hang.txt)",
				 c->phase, what, waited_s);
}
