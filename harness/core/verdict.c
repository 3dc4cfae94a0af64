// SPDX-License-Identifier: MIT
#include <string.h>

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
	for (int i = 0; i < PMT_NR_VERDICTS; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int pmt_verdict_is_failure(enum pmt_verdict v)
{
	return v == PMT_FAIL || v == PMT_BROK;
}
