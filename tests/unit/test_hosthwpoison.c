// SPDX-License-Identifier: MIT
/*
 * Unit tests: the host CONFIG_MEMORY_FAILURE probe of the hosthwpoison
 * scenario, against fake root trees laid out in a temporary folder.
 */
#include <check.h>
#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pmt_check.h"
#include "util.h"

/* injectors/hosthwpoison.c */
int pmt_host_memory_failure(const char *root, char *why, size_t len);

static void make_vm_dir(void)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/proc/sys/vm", pmt_tmpdir());
	ck_assert_int_eq(pmt_mkdir_p(p, 0755), 0);
}

static void put(const char *rel, const char *text)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", pmt_tmpdir(), rel);
	ck_assert_int_eq(pmt_write_file_atomic(p, text, strlen(text)), 0);
}

/*
 * The fake root's proc/config.gz holding @text.  gzip is a Debian
 * essential package and the probe itself runs it: without it the test fails, it does not pass.
 */
static void put_config_gz(const char *text)
{
	char cmd[1024];

	put("proc/config", text);
	snprintf(cmd, sizeof(cmd), "gzip -f %s/proc/config", pmt_tmpdir());
	ck_assert_msg(system(cmd) == 0, "%s failed: is gzip installed?", cmd);
}

/* Probe the fake root tree (the test's folder): the answer must be @want
 * and its reason, returned, hold @says. */
static const char *probe(int want, const char *says)
{
	static char why[512];

	ck_assert_int_eq(pmt_host_memory_failure(pmt_tmpdir(), why, sizeof(why)), want);
	ck_assert_msg(strstr(why, says), "the reason \"%s\" lacks \"%s\"", why, says);
	return why;
}

START_TEST(present)
{
	make_vm_dir();
	put("proc/sys/vm/memory_failure_recovery", "1\n");
	probe(1, "host has CONFIG_MEMORY_FAILURE");
}
END_TEST

START_TEST(missing)
{
	make_vm_dir();
	put("proc/sys/vm/overcommit_memory", "0\n");
	ck_assert_ptr_null(strstr(probe(0, "host kernel lacks CONFIG_MEMORY_FAILURE"), "config.gz"));
}
END_TEST

START_TEST(missing_confirmed_by_config)
{
	make_vm_dir();
	put_config_gz("CONFIG_MMU=y\n# CONFIG_MEMORY_FAILURE is not set\n");
	probe(0, "/proc/config.gz agrees");
}
END_TEST

START_TEST(config_contradicts)
{
	char why[512];

	make_vm_dir();
	put_config_gz("CONFIG_MMU=y\nCONFIG_MEMORY_FAILURE=y\n");
	probe(-1, "cannot tell");
	/* With the sysctl there, the running kernel's own word wins. */
	put("proc/sys/vm/memory_failure_recovery", "1\n");
	ck_assert_int_eq(pmt_host_memory_failure(pmt_tmpdir(), why, sizeof(why)), 1);
}
END_TEST

START_TEST(no_proc)
{
	probe(-1, "is not readable");
}
END_TEST

START_TEST(this_host_has_an_answer)
{
	char why[512];
	int r = pmt_host_memory_failure("/", why, sizeof(why));
	bool knob = access("/proc/sys/vm/memory_failure_recovery", F_OK) == 0;
	bool config = access("/proc/config.gz", R_OK) == 0;

	/*
	 * The host's own answer, found here without the probe: the sysctl
	 * exists exactly when the kernel has CONFIG_MEMORY_FAILURE.  Without
	 * it the probe says "lacks" (0), or "cannot tell" (-1) only when a
	 * /proc/config.gz could say otherwise; never "has".
	 */
	if (knob) {
		ck_assert_msg(r == 1, "the sysctl exists, yet the probe said %d: %s", r, why);
		ck_assert_ptr_nonnull(strstr(why, "host has CONFIG_MEMORY_FAILURE "
					     "(/proc/sys/vm/memory_failure_recovery exists"));
	} else if (!config) {
		ck_assert_msg(r == 0, "no sysctl, no config.gz, yet the probe said %d: %s", r, why);
		ck_assert_str_eq(why, "host kernel lacks CONFIG_MEMORY_FAILURE "
			       "(no /proc/sys/vm/memory_failure_recovery)");
	} else {
		/* The config, read here through a shell pipe, not the probe's code. */
		int has = system("gzip -dc /proc/config.gz | grep -q '^CONFIG_MEMORY_FAILURE=y'");

		ck_assert_msg(r == (has == 0 ? -1 : 0), "no sysctl, config.gz %s it, yet the probe said %d: %s",
			      has == 0 ? "has" : "lacks", r, why);
		ck_assert_ptr_nonnull(strstr(why, has == 0 ? "cannot tell" :
					     "host kernel lacks CONFIG_MEMORY_FAILURE "
					     "(no /proc/sys/vm/memory_failure_recovery; /proc/config.gz agrees)"));
	}
}
END_TEST

static const struct pmt_check_opts opts = {
	.tcase = "probe",
	.setup = pmt_tmpdir_setup, .teardown = pmt_tmpdir_teardown,
};

PMT_CHECK_MAIN("hosthwpoison", &opts, present, missing,
	       missing_confirmed_by_config, config_contradicts, no_proc,
	       this_host_has_an_answer);
