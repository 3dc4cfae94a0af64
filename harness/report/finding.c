// SPDX-License-Identifier: MIT
/*
 * Finding bundles (finding.h).  Plain markdown, lines under 76 columns
 * where the text allows (a path or a command is never broken: it must
 * paste back whole), indented blocks for logs and commands.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "finding.h"
#include "finding_flush.h"
#include "image.h"
#include "json_util.h"
#include "text.h"
#include "util.h"

#define WRAP		72
#define AROUND		3	/* host flushes shown before and after the point */
#define MAX_LOG_LINES	20

/* @text wrapped at WRAP columns on spaces, each line after @indent. */
static void wrap(FILE *f, const char *text, const char *indent)
{
	pmt_wrap(f, text, 0, indent, WRAP);
}

void pmt_kernel_package(const char *release, char *out, size_t len)
{
	char path[PATH_MAX], *text = NULL, *rel = NULL;

	out[0] = '\0';
	if (!release || !*release)
		return;
	/* A --debian-kernel's folder, else the default kernel's if it is that release. */
	if (!pmt_fmt(path, sizeof(path), "%s/build/kernels/%s/package.txt", pmt_root(), release))
		text = pmt_read_file(path, 4096, NULL);
	if (!text && !pmt_fmt(path, sizeof(path), "%s/build/kernel/kernel.release", pmt_root()) &&
	    (rel = pmt_read_file(path, 4096, NULL)) && !strcmp(pmt_trim(rel), release) &&
	    !pmt_fmt(path, sizeof(path), "%s/build/kernel/package.txt", pmt_root()))
		text = pmt_read_file(path, 4096, NULL);
	if (text)
		snprintf(out, len, "%s", pmt_trim(text));
	free(text);
	free(rel);
}

/* The reason up to "; reproduce:" (the bundle gives the commands itself). */
static void reason_head(const char *reason, char *out, size_t len)
{
	const char *end = strstr(reason, "; reproduce:");

	snprintf(out, len, "%.*s", (int)(end ? end - reason : (long)strlen(reason)), reason);
}

static void header(FILE *f, struct json_object *c, struct json_object *props)
{
	struct json_object *d = json_object_object_get(c, "details");
	const char *kernel = pmt_json_str(c, "kernel");
	char pkg[256];
	struct utsname u;

	if (!*kernel)
		kernel = pmt_json_str(props, "kernel");
	pmt_kernel_package(kernel, pkg, sizeof(pkg));
	fprintf(f, "# pmtorture FAIL: %s\n\n", pmt_json_str(c, "id"));
	fprintf(f, "- kernel: %s%s%s%s\n", kernel, pkg[0] ? " (Debian package " : "", pkg,
		pkg[0] ? ")" : "");
	fprintf(f, "- QEMU: %s, accel %s\n",
		*pmt_json_str(d, "qemu_version") ? pmt_json_str(d, "qemu_version")
						  : pmt_json_str(props, "qemu"),
		*pmt_json_str(d, "accel") ? pmt_json_str(d, "accel") : pmt_json_str(props, "accel"));
	if (*pmt_json_str(props, "host_kernel"))
		fprintf(f, "- host kernel: %s\n", pmt_json_str(props, "host_kernel"));
	else if (!uname(&u))
		fprintf(f, "- host kernel: %s %s (when this was written)\n", u.sysname, u.release);
	fprintf(f, "- seed: %s\n", pmt_json_str(c, "seed"));
	fprintf(f, "- device: %s, %s", pmt_json_str(c, "device"), pmt_json_str(c, "fs"));
	if (*pmt_json_str(json_object_object_get(d, "mount"), "opts"))
		fprintf(f, ", mounted -o %s", pmt_json_str(json_object_object_get(d, "mount"), "opts"));
	fprintf(f, "\n");
	if (*pmt_json_str(c, "variant"))
		fprintf(f, "- workload: %s\n", pmt_json_str(c, "variant"));
	if (*pmt_json_str(d, "flush_mode"))
		fprintf(f, "- host flushes: %s, cut at %s\n", pmt_json_str(d, "flush_mode"),
			pmt_json_str(d, "crash_at"));
}

/* The run's command, narrowed to this case and its seed. */
static void run_command(FILE *f, struct json_object *c, struct json_object *props)
{
	const char *opts = pmt_json_str(props, "options");

	fprintf(f, "    pmtorture %s", *opts ? opts : "run");
	if (!strstr(opts, "--seed"))
		fprintf(f, " \\\n      --seed %s", pmt_json_str(c, "seed"));
	if (!strstr(opts, "--filter") && !strstr(opts, "-F "))
		fprintf(f, " \\\n      --filter '%s'", pmt_json_str(c, "id"));
	fprintf(f, "\n");
}

static void reproduce(FILE *f, struct json_object *c, struct json_object *props)
{
	struct json_object *d = json_object_object_get(c, "details");
	struct json_object *min = json_object_object_get(d, "minimal");

	fprintf(f, "\n## Reproduce\n\nFrom the folder the run was started in.  The run (a new\n"
		   "guest, the same seed):\n\n");
	run_command(f, c, props);
	if (*pmt_json_str(min, "replay")) {
		fprintf(f, "\nThe minimal crash state alone, checked as the run checked it:\n\n"
			   "    %s\n", pmt_json_str(min, "replay"));
	}
	if (*pmt_json_str(d, "reproduce"))
		fprintf(f, "\nThe whole failing state:\n\n    %s\n", pmt_json_str(d, "reproduce"));
}

/* Kernel lines: the failure's own ("dmesg: a | b"), else the case's logs'. */
static void kernel_lines(FILE *f, struct json_object *c, const char *case_dir)
{
	static const char *const keys[] = { "JBD2", "EXT4-fs", "XFS", "I/O error", "BUG",
					     "WARNING", "Call Trace", "pmem", "Memory failure", NULL };
	const char *reason = pmt_json_str(c, "reason"), *dm = strstr(reason, "dmesg: ");
	char path[PATH_MAX];
	int shown = 0;

	fprintf(f, "\n## Kernel log\n\n");
	if (dm) {
		char lines[1024], *save = NULL;

		reason_head(dm + 7, lines, sizeof(lines));
		fprintf(f, "The checker guest, mounting the failing state:\n\n");
		for (char *l = strtok_r(lines, "|", &save); l; l = strtok_r(NULL, "|", &save))
			fprintf(f, "    %s\n", pmt_trim(l));
		return;
	}
	for (int k = 0; k < 2 && !shown; k++) {
		char *text, *save = NULL;

		pmt_fmt(path, sizeof(path), "%s/%s", case_dir, k ? "console.log" : "dmesg.txt");
		text = pmt_read_file(path, 8 << 20, NULL);
		for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l && shown < MAX_LOG_LINES;
		     l = strtok_r(NULL, "\n", &save)) {
			for (int i = 0; keys[i]; i++)
				if (strstr(l, keys[i])) {
					fprintf(f, "%s    %s\n", shown++ ? "" : "From the guest:\n\n", l);
					break;
				}
		}
		free(text);
	}
	if (!shown)
		fprintf(f, "No kernel line of note (the guest's logs are in this folder).\n");
}

static void expected_observed(FILE *f, struct json_object *c)
{
	struct json_object *d = json_object_object_get(c, "details");
	struct json_object *min = json_object_object_get(d, "minimal"), *pages;
	char head[2048];

	fprintf(f, "\n## Expected and observed\n\n");
	if (!strcmp(pmt_json_str(c, "scenario"), "powercut")) {
		fprintf(f, "Expected: every crash state (the durable image at a host\n"
			   "flush, plus any part of the next flush's pages, whole or torn\n"
			   "at a 512-byte sector) mounts, keeps each promise made before\n"
			   "it (an fsync that returned 0), and passes fsck -n.\n\n");
	}
	reason_head(pmt_json_str(c, "reason"), head, sizeof(head));
	fprintf(f, "Observed:\n\n");
	wrap(f, head, "  ");
	if (!min)
		return;
	if (*pmt_json_str(min, "error")) {
		fprintf(f, "\nNot minimized: ");
		wrap(f, pmt_json_str(min, "error"), "");
		return;
	}
	fprintf(f, "\nMinimal state: %lld page%s, %lld sector%s of 512 bytes on top\n"
		   "of the durable image (the failing state differed from it in\n"
		   "%lld pages, %lld sectors; ddmin: %d checks in %.0f s, each the\n"
		   "same failure, kind %s).\n",
		(long long)pmt_json_int64(min, "pages_after", 0),
		pmt_json_int64(min, "pages_after", 0) == 1 ? "" : "s",
		(long long)pmt_json_int64(min, "sectors_after", 0),
		pmt_json_int64(min, "sectors_after", 0) == 1 ? "" : "s",
		(long long)pmt_json_int64(min, "pages_before", 0),
		(long long)pmt_json_int64(min, "sectors_before", 0), pmt_json_int(min, "checks", 0),
		pmt_json_double(min, "seconds"), pmt_json_str(min, "kind"));
	if (!json_object_object_get_ex(min, "pages", &pages))
		return;
	fprintf(f, "\n    page (4 KiB)  sectors  what it is\n");
	for (size_t i = 0; i < json_object_array_length(pages); i++) {
		struct json_object *p = json_object_array_get_idx(pages, i);

		fprintf(f, "    %-12lld  %-7s  %s\n", (long long)pmt_json_int64(p, "page", 0),
			pmt_json_str(p, "sectors"), pmt_json_str(p, "what"));
	}
}

/* The failing point: "p5-..." of the minimal (or gravest) state's name. */
static long long failing_point(struct json_object *d)
{
	const char *name = pmt_json_str(json_object_object_get(d, "minimal"), "state");
	const char *s = *name ? name : strstr(pmt_json_str(d, "reproduce"), "state-p");

	if (s && !*name)
		s += 6;
	return s && s[0] == 'p' ? strtoll(s + 1, NULL, 10) : -1;
}

static void timeline(FILE *f, struct json_object *c)
{
	struct json_object *d = json_object_object_get(c, "details");
	struct json_object *t = json_object_object_get(d, "timeline"), *fl, *pr;
	long long n = failing_point(d);

	if (!t || n < 0 || !json_object_object_get_ex(t, "flushes", &fl) ||
	    !json_object_object_get_ex(t, "promises", &pr))
		return;
	fprintf(f, "\n## Around the failing point\n\n"
		   "The state is the durable image at host flush %lld plus some\n"
		   "of flush %lld's pages.  Promises are stamped with the host\n"
		   "flush count when the guest's sync returned.\n\n"
		   "    flush  pages  promises stamped here (workload op)\n", n, n + 1);
	for (size_t i = 0; i < json_object_array_length(fl); i++) {
		struct json_object *e = json_object_array_get_idx(fl, i);
		long long seq = json_object_get_int64(json_object_array_get_idx(e, 0));
		char ops[256] = "";
		long long last_op = -1;
		size_t used = 0;

		if (seq < n - AROUND || seq > n + AROUND)
			continue;
		for (size_t k = 0; k < json_object_array_length(pr); k++) {
			struct json_object *p = json_object_array_get_idx(pr, k);

			long long op = json_object_get_int64(json_object_array_get_idx(p, 0));

			/* An op may promise twice (data, then size): named once. */
			if (json_object_get_int64(json_object_array_get_idx(p, 1)) != seq ||
			    op == last_op || used + 24 >= sizeof(ops))
				continue;
			used += (size_t)snprintf(ops + used, sizeof(ops) - used, "%sop %lld",
						 used ? ", " : "", op);
			last_op = op;
		}
		if (seq == n || seq == n + 1)
			snprintf(ops + used, sizeof(ops) - used, "%s<- %s", used ? "  " : "",
				 seq == n ? "durable image" : "pages from here");
		fprintf(f, "    %5lld  %5lld%s%s\n", seq,
			(long long)json_object_get_int64(json_object_array_get_idx(e, 1)),
			ops[0] ? "  " : "", ops);
	}
}

static void files(FILE *f, const char *case_dir)
{
	static const char *const names[] = { "case.json", "dmesg.txt", "console.log",
					     "qemu-cmdline.txt", "checker/console.log",
					     "minimize/console.log", NULL };
	char path[PATH_MAX];
	struct stat st;

	fprintf(f, "\n## Files in this folder\n\n");
	for (int i = 0; names[i]; i++)
		if (!pmt_fmt(path, sizeof(path), "%s/%s", case_dir, names[i]) && !stat(path, &st))
			fprintf(f, "- %s\n", names[i]);
	fprintf(f, "- state-*.img: failing crash states (whole %s images), each\n"
		   "  with its promises in state-*.promises.json; *.min.img is the\n"
		   "  minimal state\n", "pmem");
}

char *pmt_finding_text(struct json_object *c, struct json_object *props, const char *case_dir)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	header(f, c, props);
	expected_observed(f, c);
	pmt_finding_flush_evidence(f, c);
	kernel_lines(f, c, case_dir);
	timeline(f, c);
	reproduce(f, c, props);
	files(f, case_dir);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *pmt_finding_write(const char *case_dir, char *err, size_t errlen)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct json_object *c, *s;
	char *text;

	if (pmt_fmt(path, sizeof(path), "%s/case.json", case_dir) ||
	    !(c = json_object_from_file(path))) {
		snprintf(err, errlen, "%s/case.json: not readable", case_dir);
		return NULL;
	}
	/* The run's summary.json: CASE_DIR is RUN/cases/NAME. */
	snprintf(copy, sizeof(copy), "%s", case_dir);
	pmt_fmt(path, sizeof(path), "%s/../../summary.json", copy);
	s = json_object_from_file(path);
	text = pmt_finding_text(c, json_object_object_get(s, "properties"), case_dir);
	json_object_put(c);
	json_object_put(s);
	if (!text || pmt_fmt(path, sizeof(path), "%s/finding.md", case_dir) ||
	    pmt_write_file_atomic(path, text, strlen(text))) {
		snprintf(err, errlen, "cannot write %s/finding.md: %s", case_dir, strerror(errno));
		free(text);
		return NULL;
	}
	return text;
}

int pmt_findings_write_run(const char *run_dir, struct json_object *summary, FILE *out)
{
	struct json_object *cases = json_object_object_get(summary, "cases");
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i);
		char dir[PATH_MAX], err[PATH_MAX + 64], *text;

		/* An XFAIL is a FAIL the expunge file knows: still a finding to report. */
		if ((strcmp(pmt_json_str(c, "verdict"), "FAIL") &&
		     strcmp(pmt_json_str(c, "verdict"), "XFAIL")) ||
		    pmt_fmt(dir, sizeof(dir), "%s/%s", run_dir, pmt_json_str(c, "dir")))
			continue;
		text = pmt_finding_write(dir, err, sizeof(err));
		if (text && out)
			fprintf(out, "finding: %s/finding.md\n", dir);
		n += text != NULL;
		free(text);
	}
	return n;
}

int pmt_finding_main(const char *case_dir)
{
	char err[PATH_MAX + 64], *text = pmt_finding_write(case_dir, err, sizeof(err));

	if (!text) {
		fprintf(stderr, "pmtorture: report --finding: %s\n", err);
		return 2;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}
