// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "image.h"
#include "json_util.h"
#include "util.h"

static int field_ok(const char *rule, const char *value)
{
	return !strcmp(rule, "*") || !strcmp(rule, value);
}

int pmt_expect_parse(const char *text, const char *name, struct pmt_expectations *e,
		     char *err, size_t errlen)
{
	char *copy = strdup(text), *line;
	size_t cap = 0;
	int lineno = 0;

	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", name);
	if (!copy)
		return -1;
	/* strtok_r on "\n" would merge empty lines and lose the numbering. */
	for (line = copy; line; ) {
		char *next = strchr(line, '\n');
		struct pmt_expect_rule r = { 0 };
		int consumed = 0;

		if (next)
			*next++ = '\0';
		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#') {
			line = next;
			continue;
		}
		if (sscanf(line, "%31s %31s %15s %15s %31s %95s %n", r.scenario, r.device, r.fs,
			   r.mode, r.path, r.outcome, &consumed) != 6 || !line[consumed]) {
			snprintf(err, errlen, "%s:%d: expected SCENARIO DEVICE FS MODE PATH OUTCOME REASON",
				 name, lineno);
			free(copy);
			pmt_expect_free(e);
			return -1;
		}
		snprintf(r.reason, sizeof(r.reason), "%s", line + consumed);
		r.line = lineno;
		if (e->n == cap) {
			cap = cap ? cap * 2 : 32;
			e->rules = realloc(e->rules, cap * sizeof(*e->rules));
			if (!e->rules)
				abort();
		}
		e->rules[e->n++] = r;
		line = next;
	}
	free(copy);
	return 0;
}

int pmt_expect_load(const char *path, struct pmt_expectations *e, char *err, size_t errlen)
{
	char *text = pmt_read_file(path, 1 << 20, NULL);
	int rc;

	if (!text) {
		snprintf(err, errlen, "expectations %s: %s", path, strerror(errno));
		return -1;
	}
	rc = pmt_expect_parse(text, path, e, err, errlen);
	free(text);
	return rc;
}

void pmt_expect_free(struct pmt_expectations *e)
{
	free(e->rules);
	e->rules = NULL;
	e->n = 0;
}

const struct pmt_expect_rule *pmt_expect_find(const struct pmt_expectations *e,
					      const char *scenario, const char *device,
					      const char *fs, const char *mode, const char *path)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct pmt_expect_rule *r = &e->rules[i];

		if (!strcmp(r->scenario, scenario) && field_ok(r->device, device) &&
		    field_ok(r->fs, fs) && field_ok(r->mode, mode) && field_ok(r->path, path))
			return r;
	}
	return NULL;
}

void pmt_probe_outcome(struct json_object *p, char *buf, size_t len)
{
	int exit_sig = pmt_json_int(p, "exit_signal", 0), sig = pmt_json_int(p, "signal", 0);
	const char *code = pmt_json_str(p, "si_code_name");

	if (pmt_json_bool(p, "timed_out", false))
		snprintf(buf, len, "timeout");
	else if (exit_sig)
		snprintf(buf, len, "killed=SIG%s", sigabbrev_np(exit_sig) ?: "?");
	else if (sig && *code)
		snprintf(buf, len, "signal=SIG%s/%s", sigabbrev_np(sig) ?: "?", code);
	else if (sig)
		snprintf(buf, len, "signal=SIG%s/%d", sigabbrev_np(sig) ?: "?",
			 pmt_json_int(p, "si_code", 0));
	else if (!pmt_json_bool(p, "ok", false))
		snprintf(buf, len, "errno=%s", strerrorname_np(pmt_json_int(p, "errno", 0)) ?: "?");
	else if (!pmt_json_bool(p, "data_ok", true))
		snprintf(buf, len, "ok/bad-data");
	else
		snprintf(buf, len, "ok");
}

int pmt_outcome_matches(const char *expected, const char *observed)
{
	return pmt_list_has_sep(expected, observed, '|');
}

void pmt_expect_judge(const struct pmt_expectations *e, struct pmt_case *c, const char *mode,
		      struct json_object *probes)
{
	struct json_object *table = json_object_new_array();
	char mismatches[768] = "";
	size_t n = probes ? json_object_array_length(probes) : 0;
	int checked = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(probes, i), *row;
		const char *path = pmt_json_str(p, "path");
		const struct pmt_expect_rule *r = pmt_expect_find(e, c->scenario->name,
			pmt_device_name(c->device), c->fs, mode, path);
		const char *detail = pmt_json_str(p, "detail");
		char observed[96];
		int known = r && strcmp(r->outcome, "unknown");

		/* A record may carry its outcome already ("recorded", "panic"). */
		if (json_object_object_get_ex(p, "observed", NULL))
			snprintf(observed, sizeof(observed), "%s", pmt_json_str(p, "observed"));
		else
			pmt_probe_outcome(p, observed, sizeof(observed));
		/* Nothing to compare: e.g. the holder never loaded again after its signal. */
		if (!strcmp(observed, "not-observed"))
			known = 0;
		row = json_object_new_object();
		json_object_object_add(row, "path", json_object_new_string(path));
		json_object_object_add(row, "observed", json_object_new_string(observed));
		json_object_object_add(row, "expected",
				       json_object_new_string(r ? r->outcome : "unknown"));
		json_object_object_add(row, "reason", json_object_new_string(r ? r->reason : ""));
		if (known) {
			int ok = pmt_outcome_matches(r->outcome, observed);

			checked++;
			json_object_object_add(row, "match", json_object_new_boolean(ok));
			if (!ok) {
				size_t used = strlen(mismatches);

				failed++;
				snprintf(mismatches + used, sizeof(mismatches) - used,
					 "%s%s: expected %s, observed %s%s%s (%s:%d)", used ? "; " : "",
					 path, r->outcome, observed, *detail ? ": " : "", detail,
					 e->file, r->line);
			}
		}
		json_object_array_add(table, row);
	}
	json_object_object_add(c->details, "behaviour", table);
	if (failed)
		pmt_case_verdict(c, PMT_FAIL, "%s", mismatches);
	else if (checked)
		pmt_case_verdict(c, PMT_PASS, "%d access paths as expected", checked);
	else
		pmt_case_verdict(c, PMT_SKIP, "no expectation applies: observations recorded only");
}

const struct pmt_expectations *pmt_expectations_default(char *err, size_t errlen)
{
	static struct pmt_expectations e;
	static int loaded;
	char path[4096];

	if (loaded)
		return &e;
	if (pmt_fmt(path, sizeof(path), "%s/results/expected/errors.tsv", pmt_root()) ||
	    pmt_expect_load(path, &e, err, errlen))
		return NULL;
	loaded = 1;
	return &e;
}
