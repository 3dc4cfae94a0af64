// SPDX-License-Identifier: MIT
/*
 * Unit tests: the host CONFIG_MEMORY_FAILURE probe of the hosthwpoison
 * scenario, against fake root trees laid out in a temporary folder.
 */
#include <check.h>

#include "pmt_check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* injectors/hosthwpoison.c */
int pmt_host_memory_failure(const char *root, char *why, size_t len);

static char root[256];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/pmt-hwp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	pmt_rm_rf(root);
}

static void make_vm_dir(void)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/proc/sys/vm", root);
	ck_assert_int_eq(pmt_mkdir_p(p, 0755), 0);
}

static void put(const char *rel, const char *text)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_int_eq(pmt_write_file_atomic(p, text, strlen(text)), 0);
}

/* @root/proc/config.gz holding @text; 0, or -1 when gzip is not there. */
static int put_config_gz(const char *text)
{
	char cmd[1024];

	put("proc/config", text);
	snprintf(cmd, sizeof(cmd), "gzip -f %s/proc/config 2>/dev/null", root);
	return system(cmd) == 0 ? 0 : -1;
}

START_TEST(present)
{
	char why[512];

	make_vm_dir();
	put("proc/sys/vm/memory_failure_recovery", "1\n");
	ck_assert_int_eq(pmt_host_memory_failure(root, why, sizeof(why)), 1);
	ck_assert_ptr_nonnull(strstr(why, "host has CONFIG_MEMORY_FAILURE"));
}
END_TEST

START_TEST(missing)
{
	char why[512];

	make_vm_dir();
	put("proc/sys/vm/overcommit_memory", "0\n");
	ck_assert_int_eq(pmt_host_memory_failure(root, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "host kernel lacks CONFIG_MEMORY_FAILURE"));
	ck_assert_ptr_null(strstr(why, "config.gz"));
}
END_TEST

START_TEST(missing_confirmed_by_config)
{
	char why[512];

	make_vm_dir();
	if (put_config_gz("CONFIG_MMU=y\n# CONFIG_MEMORY_FAILURE is not set\n"))
		return;		/* no gzip on this machine: the sysctl alone decides */
	ck_assert_int_eq(pmt_host_memory_failure(root, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "/proc/config.gz agrees"));
}
END_TEST

START_TEST(config_contradicts)
{
	char why[512];

	make_vm_dir();
	if (put_config_gz("CONFIG_MMU=y\nCONFIG_MEMORY_FAILURE=y\n"))
		return;
	ck_assert_int_eq(pmt_host_memory_failure(root, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "cannot tell"));
	/* With the sysctl there, the running kernel's own word wins. */
	put("proc/sys/vm/memory_failure_recovery", "1\n");
	ck_assert_int_eq(pmt_host_memory_failure(root, why, sizeof(why)), 1);
}
END_TEST

START_TEST(no_proc)
{
	char why[512];

	ck_assert_int_eq(pmt_host_memory_failure(root, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "is not readable"));
}
END_TEST

START_TEST(this_host_has_an_answer)
{
	char why[512];
	int r = pmt_host_memory_failure("/", why, sizeof(why));

	/* Whatever the host is, the probe says something and touches nothing. */
	ck_assert(r >= -1 && r <= 1);
	ck_assert(why[0]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hosthwpoison");
	TCase *tc = tcase_create("probe");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, present);
	tcase_add_test(tc, missing);
	tcase_add_test(tc, missing_confirmed_by_config);
	tcase_add_test(tc, config_contradicts);
	tcase_add_test(tc, no_proc);
	tcase_add_test(tc, this_host_has_an_answer);
	suite_add_tcase(s, tc);
	return pmt_check_run(s);
}
