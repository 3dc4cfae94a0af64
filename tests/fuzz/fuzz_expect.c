// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the expectations reader (harness/case/expect.c) and the
 * judging of access-path records against it.
 *
 * The input is an expectations file (errors.tsv's format), then a line
 * "--probes--" and a JSON array of access-path records as a guest
 * workload reports them.  The file's text goes to pmt_expect_parse as
 * pmt_expect_load hands it over (read whole, up to its first NUL; the
 * read itself, a 1 MiB buffer each time, would cost most of the time
 * here); the records are judged for a case of each device x fs x mode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "scenario_list.h"
#include "expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void judge(const struct pmt_expectations *e, struct json_object *probes)
{
	static const char *const modes[] = { "dax", "nodax", "pagecache" };
	static const char *const fss[] = { "ext4", "xfs" };
	const struct pmt_scenario *sc = pmt_scenario_find("hwpoison");

	for (int d = 0; d < PMT_NR_DEVICE_KINDS; d++)
		for (size_t f = 0; f < 2; f++)
			for (size_t m = 0; m < 3; m++) {
				struct pmt_case c;

				memset(&c, 0, sizeof(c));
				c.scenario = sc;
				c.device = (enum pmt_device_kind)d;
				c.fs = fss[f];
				pmt_case_phase(&c, "check");
				c.details = json_object_new_object();
				c.notes = json_object_new_array();
				pmt_expect_judge(e, &c, modes[m], probes);
				json_object_put(c.details);
				json_object_put(c.notes);
			}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n--probes--\n";
	const uint8_t *cut = memmem(data, size, sep, strlen(sep));
	struct pmt_expectations e;
	struct json_object *probes = NULL;
	size_t tlen = cut ? (size_t)(cut - data) : size;
	char *text = malloc(tlen + 1), err[512], observed[96];
	int rc;

	if (!text)
		abort();
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	rc = pmt_expect_parse(text, "errors.tsv", &e, err, sizeof(err));
	free(text);
	if (rc) {
		if (strchr(err, '\n'))
			abort();	/* an error is one line */
		return 0;
	}
	if (cut) {
		struct json_tokener *tok = json_tokener_new();
		size_t off = (size_t)(cut - data) + strlen(sep);

		probes = json_tokener_parse_ex(tok, (const char *)data + off, (int)(size - off));
		json_tokener_free(tok);
	}
	/* Each rule found again by its own fields, its outcome against itself. */
	for (size_t i = 0; i < e.n; i++) {
		const struct pmt_expect_rule *r = &e.rules[i];

		if (!pmt_expect_find(&e, r->scenario, r->device, r->fs, r->mode, r->path))
			abort();
		pmt_outcome_matches(r->outcome, r->outcome);
		pmt_outcome_matches(r->outcome, "ok");
	}
	if (json_object_is_type(probes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(probes); i++) {
			pmt_probe_outcome(json_object_array_get_idx(probes, i), observed,
					  sizeof(observed));
			for (size_t k = 0; k < e.n; k++)
				pmt_outcome_matches(e.rules[k].outcome, observed);
		}
		judge(&e, probes);
	}
	json_object_put(probes);
	pmt_expect_free(&e);
	return 0;
}
