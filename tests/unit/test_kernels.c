// SPDX-License-Identifier: MIT
/*
 * Unit tests: kernel versions (core/kver.h), Debian kernel package names
 * and --debian-kernel specs resolved against a list of names
 * (select/kernels.h), as apt-cache pkgnames gives them on Debian 12.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "kver.h"
#include "cases.h"
#include "pmt_check.h"

#define ARGV(...) ((char *[]){ "pmtorture", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "pmtorture", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...) pmt_options_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof(err))

/* What apt-cache pkgnames linux-image- printed on the project's machines, shuffled. */
static const char *const names[] = {
	"linux-image-6.12.117+deb12-amd64-unsigned",
	"linux-image-6.1.0-54-amd64",
	"linux-image-6.12-amd64",
	"linux-image-6.12.107+deb12-cloud-amd64-unsigned",
	"linux-image-6.1.0-57-amd64-unsigned",
	"linux-image-6.12.100+deb12-amd64",
	"linux-image-6.12.107+deb12-amd64-dbg",
	"linux-image-6.12.111+deb12-amd64-unsigned",
	"linux-image-6.1.0-54-amd64-unsigned",
	"linux-image-6.12.107+deb12-amd64",
	"linux-image-6.12.107+deb12-amd64-unsigned",
	"linux-image-6.12.117+deb12-amd64",
	"linux-image-6.12.117+deb12-rt-amd64",
	"linux-image-6.1.0-9-amd64",
	"linux-image-amd64",
	"linux-image-6.12-amd64-signed-template",
	"linux-image-6.12.113+deb12-amd64-unsigned",
	"linux-image-6.12.115+deb12-amd64-unsigned",
	"linux-image-6.1.0-57-amd64",
	"linux-image-6.12.118+deb12-amd64-unsigned",
	"linux-headers-6.12.117+deb12-amd64",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static struct pmt_kver kv(const char *s)
{
	struct pmt_kver v;

	ck_assert_uint_gt(pmt_kver_parse(s, &v), 0);
	return v;
}

START_TEST(kver_parse)
{
	struct pmt_kver v;
	char buf[64];

	ck_assert_uint_eq(pmt_kver_parse("6.1.0-57-amd64", &v), 8);
	ck_assert_int_eq(v.n, 4);
	ck_assert_uint_eq(v.part[3], 57);
	ck_assert_uint_eq(pmt_kver_parse("6.12.117+deb12-amd64", &v), 8);
	ck_assert_int_eq(v.n, 3);
	pmt_kver_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf, "6.12.117");
	ck_assert_uint_eq(pmt_kver_parse("6.13.0-rc3+", &v), 6);
	ck_assert_int_eq(v.n, 3);
	ck_assert_uint_eq(pmt_kver_parse("6.12", &v), 4);
	ck_assert_uint_eq(pmt_kver_parse("6.", &v), 1);
	ck_assert_uint_eq(pmt_kver_parse("amd64", &v), 0);
	ck_assert_int_eq(v.n, 0);
	ck_assert_uint_eq(pmt_kver_parse("", &v), 0);
	/* A part that runs into letters is not a number: "5amd" is no version. */
	ck_assert_uint_eq(pmt_kver_parse("5amd", &v), 0);
	ck_assert_uint_eq(pmt_kver_parse("6.1.2.3.4.5.6.7.8", &v), 0);
	ck_assert_uint_eq(pmt_kver_parse("99999999999.1", &v), 0);
}
END_TEST

START_TEST(kver_order)
{
	struct pmt_kver a = kv("6.1.0-57"), b = kv("6.12.107"), c = kv("6.12.117");
	struct pmt_kver s612 = kv("6.12"), s61 = kv("6.1"), s613 = kv("6.13");

	/* Numbers, not strings: 6.1.0-57 < 6.12.107 < 6.12.117, 6.1.0-9 < 6.1.0-54. */
	ck_assert_int_lt(pmt_kver_cmp(&a, &b), 0);
	ck_assert_int_lt(pmt_kver_cmp(&b, &c), 0);
	ck_assert_int_gt(pmt_kver_cmp(&c, &a), 0);
	ck_assert_int_eq(pmt_kver_cmp(&c, &c), 0);
	{
		struct pmt_kver x = kv("6.1.0-9"), y = kv("6.1.0-54");

		ck_assert_int_lt(pmt_kver_cmp(&x, &y), 0);
	}
	/* Whole order: a prefix is the smaller. */
	ck_assert_int_lt(pmt_kver_cmp(&s612, &b), 0);
	/* Prefix order: a series bound holds its whole series. */
	ck_assert_int_eq(pmt_kver_cmp_prefix(&b, &s612), 0);
	ck_assert_int_eq(pmt_kver_cmp_prefix(&c, &s612), 0);
	ck_assert_int_lt(pmt_kver_cmp_prefix(&c, &s613), 0);
	ck_assert_int_gt(pmt_kver_cmp_prefix(&c, &s61), 0);
	ck_assert_int_eq(pmt_kver_cmp_prefix(&a, &s61), 0);
	ck_assert_int_lt(pmt_kver_cmp_prefix(&a, &s612), 0);
	/* 6.12.1 is no prefix of 6.12.117: parts are whole numbers. */
	{
		struct pmt_kver p = kv("6.12.1");

		ck_assert_int_gt(pmt_kver_cmp_prefix(&c, &p), 0);
	}
}
END_TEST

START_TEST(package_names)
{
	struct pmt_debian_pkg p;

	ck_assert(pmt_debian_pkg_parse("linux-image-6.12.117+deb12-amd64-unsigned", &p));
	ck_assert_str_eq(p.release, "6.12.117+deb12-amd64");
	ck_assert_str_eq(p.short_name, "6.12.117");
	ck_assert(p.is_unsigned);
	ck_assert(pmt_debian_pkg_parse("linux-image-6.1.0-54-amd64", &p));
	ck_assert_str_eq(p.release, "6.1.0-54-amd64");
	ck_assert_str_eq(p.short_name, "6.1.0-54");
	ck_assert(!p.is_unsigned);
	ck_assert_int_eq(p.ver.n, 4);
	/* Not kernel images of the amd64 flavour. */
	ck_assert(!pmt_debian_pkg_parse("linux-image-6.12-amd64", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-amd64", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-6.12.107+deb12-amd64-dbg", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-6.12.107+deb12-cloud-amd64-unsigned", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-6.12.117+deb12-rt-amd64", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-6.12-amd64-signed-template", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-headers-6.12.117+deb12-amd64", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-6.12.117+bpo-amd64", &p));
	ck_assert(!pmt_debian_pkg_parse("linux-image-", &p));
}
END_TEST

/* Resolve @spec; the releases, space separated, or "rc=N: err". */
static char *resolve(const char *spec)
{
	struct pmt_debian_pkg *v;
	size_t n;
	char err[1024], *out = calloc(1, 4096);
	int rc = pmt_debian_resolve(spec, names, NNAMES, &v, &n, err, sizeof(err));

	ck_assert_ptr_nonnull(out);
	if (rc) {
		ck_assert_ptr_null(v);
		snprintf(out, 4096, "rc=%d: %s", rc, err);
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, v[i].name + strlen("linux-image-"));
	}
	free(v);
	return out;
}

#define ck_resolves(spec, want)				\
	do {						\
		char *got_ = resolve(spec);		\
		ck_assert_str_eq(got_, want);		\
		free(got_);				\
	} while (0)

START_TEST(specs_series_and_versions)
{
	/* A series: the newest of it; -unsigned where both exist, signed where not. */
	ck_resolves("6.12", "6.12.118+deb12-amd64-unsigned");
	ck_resolves("6.1", "6.1.0-57-amd64-unsigned");
	ck_resolves("6.1,6.12", "6.1.0-57-amd64-unsigned 6.12.118+deb12-amd64-unsigned");
	/* The order the specs give, not version order. */
	ck_resolves("6.12,6.1", "6.12.118+deb12-amd64-unsigned 6.1.0-57-amd64-unsigned");
	ck_resolves("6.12.107", "6.12.107+deb12-amd64-unsigned");
	ck_resolves("6.12.100", "6.12.100+deb12-amd64");
	ck_resolves("6.1.0-54", "6.1.0-54-amd64-unsigned");
	ck_resolves("6.1.0-9", "6.1.0-9-amd64");
	/* The release or the package name work too. */
	ck_resolves("6.12.117+deb12-amd64", "6.12.117+deb12-amd64-unsigned");
	ck_resolves("linux-image-6.12.117+deb12-amd64", "6.12.117+deb12-amd64-unsigned");
	ck_resolves("6.12.117+deb12", "6.12.117+deb12-amd64-unsigned");
	/* Named twice, run once. */
	ck_resolves("6.12.117,6.12.117+deb12", "6.12.117+deb12-amd64-unsigned");
}
END_TEST

START_TEST(specs_ranges)
{
	ck_resolves("6.12.107..6.12.117",
		    "6.12.107+deb12-amd64-unsigned 6.12.111+deb12-amd64-unsigned "
		    "6.12.113+deb12-amd64-unsigned 6.12.115+deb12-amd64-unsigned "
		    "6.12.117+deb12-amd64-unsigned");
	/* Bounds need not be packages; short bounds stand for their series. */
	ck_resolves("6.12.108..6.12.114", "6.12.111+deb12-amd64-unsigned 6.12.113+deb12-amd64-unsigned");
	ck_resolves("6.1.0-54..6.1",
		    "6.1.0-54-amd64-unsigned 6.1.0-57-amd64-unsigned");
	ck_resolves("6.1..6.1.0-54", "6.1.0-9-amd64 6.1.0-54-amd64-unsigned");
	ck_resolves("6.12.117..6.12.117", "6.12.117+deb12-amd64-unsigned");
	ck_resolves("6.1.0-57..6.12.100", "6.1.0-57-amd64-unsigned 6.12.100+deb12-amd64");
}
END_TEST

START_TEST(specs_refused)
{
	char *got;

	/* Unknown: one line with every version apt sees, oldest first. */
	got = resolve("6.12.200");
	ck_assert_str_eq(got, "rc=1: --debian-kernel: no linux-image-*-amd64 package matches "
			 "\"6.12.200\"; apt sees 6.1.0-9, 6.1.0-54, 6.1.0-57, 6.12.100, 6.12.107, "
			 "6.12.111, 6.12.113, 6.12.115, 6.12.117, 6.12.118");
	ck_assert_ptr_null(strchr(got, '\n'));
	free(got);
	got = resolve("6.12.108..6.12.110");
	ck_assert(!strncmp(got, "rc=1: ", 6));
	free(got);
	got = resolve("5.10");
	ck_assert(!strncmp(got, "rc=1: ", 6));
	free(got);
	/* One bad item refuses the whole list. */
	got = resolve("6.12,6.99");
	ck_assert(!strncmp(got, "rc=1: ", 6));
	ck_assert_ptr_nonnull(strstr(got, "\"6.99\""));
	free(got);
	/* Not a spec at all. */
	static const char *const bad[] = {
		"", "6.x", "latest", "6.12..", "..6.12", "6.12...6.13", "6.12,", ",6.12",
		"6.12.117+bpo", "6.12.117-cloud-amd64", "6.12 ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = resolve(bad[i]);
		ck_assert_msg(!strncmp(got, "rc=-1: --debian-kernel: ", 24), "%s: %s", bad[i], got);
		free(got);
	}
	got = resolve("6.12.117..6.12.107");
	ck_assert_ptr_nonnull(strstr(got, "runs backwards"));
	free(got);
}
END_TEST

START_TEST(no_names)
{
	struct pmt_debian_pkg *v;
	size_t n;
	char err[256];

	ck_assert_int_eq(pmt_debian_resolve("6.12", NULL, 0, &v, &n, err, sizeof(err)), 1);
	ck_assert_ptr_nonnull(strstr(err, "apt sees no amd64 kernel images"));
}
END_TEST

START_TEST(kernel_options)
{
	struct pmt_options o;
	char err[256];

	ck_assert_int_eq(PARSE(&o, err, "run", "--kernel", "a", "--modules", "ma", "--debian-kernel",
			       "6.12", "-k", "b", "-m", "mb", "--debian-kernel", "6.1..6.1.0-54"), 0);
	ck_assert_int_eq(o.nkernel_args, 4);
	ck_assert_str_eq(o.kernel_args[0].kernel, "a");
	ck_assert_str_eq(o.kernel_args[0].modules, "ma");
	ck_assert_str_eq(o.kernel_args[1].debian, "6.12");
	ck_assert_ptr_null(o.kernel_args[1].kernel);
	ck_assert_str_eq(o.kernel_args[2].kernel, "b");
	ck_assert_str_eq(o.kernel_args[2].modules, "mb");
	ck_assert_str_eq(o.kernel_args[3].debian, "6.1..6.1.0-54");
	/* The first pair is also the one kernel of the options, as before. */
	ck_assert_str_eq(o.kernel, "a");
	ck_assert_str_eq(o.modules, "ma");
	ck_assert_ptr_null(o.kernels);
	ck_assert_int_eq(PARSE(&o, err, "bisect", "--debian-kernel", "6.12.107..6.12.117"), 0);
	ck_assert_int_eq(o.command, PMT_CMD_BISECT);

	ck_assert_int_eq(PARSE(&o, err, "run", "--debian-kernel", "6.12", "--modules", "m"), -1);
	ck_assert_str_eq(err, "--modules m needs --kernel PATH before it");
	ck_assert_int_eq(PARSE(&o, err, "run", "-k", "a", "-m", "m", "-m", "n"), -1);
	ck_assert_str_eq(err, "--kernel a has two --modules");
	ck_assert_int_eq(PARSE(&o, err, "run", "--image", "d", "--debian-kernel", "6.12"), -1);
	ck_assert_str_eq(err, "--image and --debian-kernel exclude each other");
	ck_assert_int_eq(PARSE(&o, err, "run", "--debian-kernel", ""), -1);
}
END_TEST

/* Case ids: @LABEL only with two kernels or more; --filter with or without it. */
START_TEST(cases_multiply_by_kernels)
{
	struct pmt_kernel k[2] = { { .label = "6.1.0-57-amd64" }, { .label = "6.12.117+deb12-amd64" } };
	struct pmt_kernel_set set = { .v = k, .n = 2 };
	struct pmt_options o;
	struct pmt_case *c;
	size_t n;
	char err[256];

	/* As with one kernel, the filter must allow the "#2" of repeats. */
	ck_assert_int_eq(PARSE(&o, err, "run", "--scenario", "mapsync", "--filter",
			       "mapsync:virtio-pmem:ext4*", "--repeat", "2"), 0);
	o.kernels = &set;
	ck_assert_int_eq(pmt_cases_build(&o, &c, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(c[0].id, "mapsync:virtio-pmem:ext4@6.1.0-57-amd64");
	ck_assert_str_eq(c[1].id, "mapsync:virtio-pmem:ext4@6.1.0-57-amd64#2");
	ck_assert_str_eq(c[2].id, "mapsync:virtio-pmem:ext4@6.12.117+deb12-amd64");
	ck_assert_str_eq(c[3].id, "mapsync:virtio-pmem:ext4@6.12.117+deb12-amd64#2");
	ck_assert_ptr_eq(c[0].kernel, &k[0]);
	ck_assert_ptr_eq(c[3].kernel, &k[1]);
	/* The same seeds on each kernel: the runs are comparable. */
	ck_assert_uint_eq(c[1].seed, c[3].seed);
	pmt_cases_free(c, n);

	/* A filter may pick a kernel. */
	o.filter = "*@6.12*";
	o.repeat = 0;
	ck_assert_int_eq(pmt_cases_build(&o, &c, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_eq(c[i].kernel, &k[1]);
	pmt_cases_free(c, n);

	/* Without the kernel, a filter matches on every kernel. */
	o.filter = "mapsync:nvdimm:xfs";
	ck_assert_int_eq(pmt_cases_build(&o, &c, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(c[1].id, "mapsync:nvdimm:xfs@6.12.117+deb12-amd64");
	pmt_cases_free(c, n);

	/* One kernel: the ids stay as they were, the case still knows its kernel. */
	set.n = 1;
	o.filter = NULL;
	ck_assert_int_eq(pmt_cases_build(&o, &c, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(c[0].id, "mapsync:virtio-pmem:ext4");
	ck_assert_ptr_eq(c[0].kernel, &k[0]);
	pmt_cases_free(c, n);
}
END_TEST

PMT_CHECK_MAIN("kernels", NULL, kver_parse, kver_order, package_names,
	       specs_series_and_versions, specs_ranges, specs_refused, no_names,
	       kernel_options, cases_multiply_by_kernels);
