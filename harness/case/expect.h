/* SPDX-License-Identifier: MIT */
/*
 * Expected outcomes of the error scenarios, from a data file
 * (results/expected/errors.tsv): one rule a line,
 *
 *   SCENARIO DEVICE FS MODE PATH OUTCOME REASON...
 *
 * DEVICE, FS, MODE and PATH may be '*'; the first matching rule wins.
 * OUTCOME is "ok", "errno=EIO", "signal=SIGBUS/BUS_ADRERR", "killed=SIGKILL",
 * alternatives joined by '|', or "unknown" (recorded, no verdict).  REASON
 * is the kernel behaviour the rule rests on, shown with every mismatch.
 */
#ifndef PMT_EXPECT_H
#define PMT_EXPECT_H

#include <json-c/json.h>
#include <stddef.h>

#include "case.h"

struct pmt_expect_rule {
	char scenario[32];
	char device[32];
	char fs[16];
	char mode[16];
	char path[32];
	char outcome[96];
	char reason[256];
	int line;
};

struct pmt_expectations {
	struct pmt_expect_rule *rules;
	size_t n;
	char file[256];
};

int pmt_expect_load(const char *path, struct pmt_expectations *e, char *err, size_t errlen);
int pmt_expect_parse(const char *text, const char *name, struct pmt_expectations *e,
		     char *err, size_t errlen);
void pmt_expect_free(struct pmt_expectations *e);
const struct pmt_expect_rule *pmt_expect_find(const struct pmt_expectations *e,
					      const char *scenario, const char *device,
					      const char *fs, const char *mode, const char *path);

/* The observed outcome of one access-path record, in the rules' words. */
void pmt_probe_outcome(struct json_object *probe, char *buf, size_t len);
/* Does @observed satisfy @expected ("a|b" alternatives)? */
int pmt_outcome_matches(const char *expected, const char *observed);

/*
 * Compare each record of @probes (an array; each has "path") against the
 * rules and record the verdict on @c: FAIL naming every mismatching path,
 * PASS when at least one path was checked and all matched, SKIP when no
 * rule applied.  Adds a "behaviour" array to c->details.
 */
void pmt_expect_judge(const struct pmt_expectations *e, struct pmt_case *c, const char *mode,
		      struct json_object *probes);

/* The shipped expectations (PMT_ROOT/results/expected/errors.tsv), loaded once. */
const struct pmt_expectations *pmt_expectations_default(char *err, size_t errlen);

#endif
