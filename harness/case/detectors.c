// SPDX-License-Identifier: MIT
/*
 * The detectors' lines in a guest's kernel log (detectors.h).
 *
 * Kernel behaviour relied on: KFENCE reports start "BUG: KFENCE:"; SLUB
 * debug reports "BUG kmalloc-N (...): ..." after "====" lines and
 * "BUG: ..." for other slab errors; WARN() prints "WARNING: CPU: N PID: N
 * at FILE:LINE"; khungtaskd "INFO: task NAME:PID blocked for more than N
 * seconds."; the soft lockup watchdog "watchdog: BUG: soft lockup - CPU#N
 * stuck for Ns!"; a use of a freed object that SLUB poisoned (0x6b bytes)
 * as a pointer "general protection fault, probably for non-canonical
 * address 0x6b6b6b6b6b6b6b6b" (x86, no "BUG:" in that line).  Under "quiet" only KERN_ERR and worse reach the serial
 * console (WARNING lines do not), so dmesg, read through the agent, is
 * the first source; the console is the one left when the guest hung.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "detectors.h"
#include "json_util.h"
#include "util.h"

#define DETECTOR_KEEP	8
#define LOG_MAX		(4u << 20)

static const char *const detector_keys[] = {
	"KFENCE:", "BUG:", "BUG kmalloc", "WARNING:", "blocked for more than", "hung task",
	"soft lockup", "use-after-free", "general protection fault", NULL,
};

/* Calls @fn for each detector line of @text; the count. */
static int each_line(const char *text, void (*fn)(void *ctx, const char *line), void *ctx)
{
	char *copy = pmt_xstrdup(text ? text : ""), *l, *next;
	int n = 0;

	for (l = copy; l && *l; l = next) {
		char *cr;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if ((cr = strchr(l, '\r')))
			*cr = '\0';
		/* The command line names the detectors it turns on. */
		if (strstr(l, "Kernel command line") || strstr(l, "Unknown kernel command line"))
			continue;
		for (int i = 0; detector_keys[i]; i++) {
			if (strstr(l, detector_keys[i])) {
				if (fn)
					fn(ctx, pmt_kmsg_text(l));
				n++;
				break;
			}
		}
	}
	free(copy);
	return n;
}

struct first {
	char *line;
	size_t len;
};

static void keep_first(void *ctx, const char *line)
{
	struct first *f = ctx;

	if (!f->line[0])
		snprintf(f->line, f->len, "%s", line);
}

struct json_object *pmt_kfence_stats_parse(const char *text)
{
	struct json_object *stats = json_object_new_object();

	for (const char *l = text ? text : ""; *l;) {
		const char *nl = strchr(l, '\n');
		char key[64];
		long long n;

		if (sscanf(l, "%63[^:\n]: %lld", key, &n) == 2)
			json_object_object_add(stats, key, json_object_new_int64(n));
		l = nl ? nl + 1 : l + strlen(l);
	}
	return stats;
}

int pmt_detectors_scan(const char *text, char *line, size_t len)
{
	struct first f = { line, len };

	line[0] = '\0';
	return each_line(text, keep_first, &f);
}

struct collect {
	struct json_object *list;
	const char *file;
};

static void add_line(void *ctx, const char *line)
{
	struct collect *k = ctx;
	struct json_object *o;

	if (json_object_array_length(k->list) >= DETECTOR_KEEP)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "file", json_object_new_string(k->file));
	json_object_object_add(o, "line", json_object_new_string(line));
	json_object_array_add(k->list, o);
}

/* Scan CASE/@rel into @k; the count, or -1 when the file is not there. */
static int scan_file(struct pmt_case *c, const char *rel, struct collect *k)
{
	char path[PATH_MAX + 64], *text;
	int n;

	snprintf(path, sizeof(path), "%s/%s", c->dir, rel);
	text = pmt_read_file(path, LOG_MAX, NULL);
	if (!text)
		return -1;
	k->file = rel;
	n = each_line(text, add_line, k);
	free(text);
	return n;
}

void pmt_case_detectors(struct pmt_case *c)
{
	struct collect k = { .list = json_object_new_array() };
	DIR *d;
	struct dirent *e;
	int n = 0, r;

	/* The case's own guest: dmesg when it was read, else what the console kept. */
	r = scan_file(c, "dmesg.txt", &k);
	if (r < 0)
		r = scan_file(c, "console.log", &k);
	n += r > 0 ? r : 0;
	/* Other guests of the case (checker/, ...): their consoles. */
	d = opendir(c->dir);
	while (d && (e = readdir(d))) {
		char rel[300];

		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		snprintf(rel, sizeof(rel), "%s/console.log", e->d_name);
		r = scan_file(c, rel, &k);
		n += r > 0 ? r : 0;
	}
	if (d)
		closedir(d);
	if (!n) {
		json_object_put(k.list);
		return;
	}
	json_object_object_add(c->details, "detectors", k.list);
	pmt_case_verdict(c, PMT_FAIL, "kernel detector: %s (%s; %d line%s)",
			 pmt_json_str(json_object_array_get_idx(k.list, 0), "line"),
			 pmt_json_str(json_object_array_get_idx(k.list, 0), "file"), n,
			 n == 1 ? "" : "s");
}
