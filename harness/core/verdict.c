// SPDX-License-Identifier: MIT

#include "util.h"
#include "verdict.h"

static const char *const names[PMT_NR_VERDICTS] = {
	[PMT_PASS] = "PASS",
	[PMT_FAIL] = "FAIL",
	[PMT_BROK] = "BROK",
	[PMT_SKIP] = "SKIP",
	[PMT_XFAIL] = "XFAIL",
};

const char *pmt_verdict_name(enum pmt_verdict v)
{
	return (unsigned)v < PMT_NR_VERDICTS ? names[v] : "BROK";
}

int pmt_verdict_parse(const char *name)
{
	return pmt_name_index(names, PMT_NR_VERDICTS, name);
}

int pmt_verdict_is_failure(enum pmt_verdict v)
{
	return v == PMT_FAIL || v == PMT_BROK;
}

int pmt_verdict_severity(enum pmt_verdict v)
{
	switch (v) {
	case PMT_PASS: return 0;
	case PMT_XFAIL: return 1;
	case PMT_SKIP: return 2;
	case PMT_FAIL: return 3;
	default: return 4;
	}
}

int pmt_verdict_severity_name(const char *name)
{
	int v = pmt_verdict_parse(name);

	return v < 0 ? 5 : pmt_verdict_severity((enum pmt_verdict)v);
}
