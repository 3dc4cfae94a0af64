/* SPDX-License-Identifier: MIT */
/*
 * Verdicts are claims about a kernel.  PASS and FAIL are what the guest did;
 * BROK is the framework failing to do what the case needs (QEMU did not
 * boot, a fault did not fire), SKIP a requirement missing here (with the
 * reason), XFAIL a known failure listed in an expunge file.
 */
#ifndef PMT_VERDICT_H
#define PMT_VERDICT_H

enum pmt_verdict {
	PMT_PASS,
	PMT_FAIL,
	PMT_BROK,
	PMT_SKIP,
	PMT_XFAIL,
	PMT_NR_VERDICTS,
};

const char *pmt_verdict_name(enum pmt_verdict v);
/* Parse a name; returns -1 for an unknown one. */
int pmt_verdict_parse(const char *name);
/*
 * How grave a verdict is, the one ranking every part uses (the case's
 * worst outcome, the report's cells): BROK > FAIL > SKIP > XFAIL > PASS.
 * The _name form takes a verdict's name; an unknown name ranks above all.
 */
int pmt_verdict_severity(enum pmt_verdict v);
int pmt_verdict_severity_name(const char *name);
/* Does this verdict make the run exit non-zero? */
int pmt_verdict_is_failure(enum pmt_verdict v);

#endif
