/* SPDX-License-Identifier: MIT */
/* The tail every unit test's main() shares: run the suite, exit 1 on a failure. */
#ifndef PMT_CHECK_H
#define PMT_CHECK_H

#include <check.h>

static inline int pmt_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif
