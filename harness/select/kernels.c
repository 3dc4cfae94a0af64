// SPDX-License-Identifier: MIT
/*
 * The kernels of a run (kernels.h): Debian package names parsed and
 * ordered, --debian-kernel specs resolved against them, --kernel paths
 * labelled, and each kernel fetched and built into a guest image.
 *
 * Relied on: `apt-cache pkgnames linux-image-` lists every package name
 * apt's lists hold, from the local lists, without the network; Debian
 * names its kernel images linux-image-RELEASE (signed) and
 * linux-image-RELEASE-unsigned, RELEASE being the guest's uname -r;
 * guest-image/fetch-kernel.sh OUTDIR PACKAGE downloads and unpacks one
 * (exit 0, or a last stderr line saying why not); build-image.sh takes
 * the release from the modules tree's folder name (lib/modules/RELEASE),
 * as the label of a --kernel path does here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernels.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#define MAX_APT_NAMES	(8 << 20)

static const char pkg_prefix[] = "linux-image-";
static const char flavour[] = "-amd64";
static const char unsigned_suffix[] = "-unsigned";

static bool ends_with(const char *s, size_t len, const char *tail)
{
	size_t t = strlen(tail);

	return len >= t && !memcmp(s + len - t, tail, t);
}

/* "+deb12" or nothing: what may follow the numbers of a Debian release. */
static bool deb_suffix(const char *s, size_t len)
{
	size_t i = 4;

	if (!len)
		return true;
	if (len < 5 || strncmp(s, "+deb", 4))
		return false;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool pmt_debian_pkg_parse(const char *name, struct pmt_debian_pkg *p)
{
	size_t len = strlen(name), used, rl;
	const char *rel;

	memset(p, 0, sizeof(*p));
	if (strncmp(name, pkg_prefix, sizeof(pkg_prefix) - 1) || len >= sizeof(p->name))
		return false;
	rel = name + sizeof(pkg_prefix) - 1;
	rl = len - (sizeof(pkg_prefix) - 1);
	if (ends_with(rel, rl, unsigned_suffix)) {
		p->is_unsigned = true;
		rl -= sizeof(unsigned_suffix) - 1;
	}
	/* The flavour must be plain amd64: "-cloud-amd64" leaves "-cloud" below. */
	if (!ends_with(rel, rl, flavour))
		return false;
	used = pmt_kver_parse(rel, &p->ver);
	/* 6.1.0-57 or 6.12.117+deb12, then "-amd64" and nothing else. */
	if (p->ver.n < 3 || !deb_suffix(rel + used, rl - (sizeof(flavour) - 1) - used))
		return false;
	memcpy(p->release, rel, rl);
	p->release[rl] = '\0';
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->short_name, sizeof(p->short_name), "%.*s", (int)used, rel);
	return true;
}

/*
 * One bound or version of a spec: "6.12", "6.1.0-54", "6.12.117+deb12",
 * "6.12.117+deb12-amd64", or a package name.  False if it is none.
 */
static bool parse_bound(const char *s, size_t len, struct pmt_kver *v)
{
	char buf[160];
	size_t used, rest;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	s = buf;
	if (!strncmp(s, pkg_prefix, sizeof(pkg_prefix) - 1))
		s += sizeof(pkg_prefix) - 1;
	len = strlen(s);
	if (ends_with(s, len, unsigned_suffix))
		len -= sizeof(unsigned_suffix) - 1;
	if (ends_with(s, len, flavour))
		len -= sizeof(flavour) - 1;
	used = pmt_kver_parse(s, v);
	if (!used || used > len)
		return false;
	rest = len - used;
	return deb_suffix(s + used, rest);
}

static int cmp_pkg(const void *a, const void *b)
{
	const struct pmt_debian_pkg *x = a, *y = b;
	int c = pmt_kver_cmp(&x->ver, &y->ver);

	return c ? c : strcmp(x->release, y->release);
}

/* The amd64 kernel images among @names, one per release, oldest first. */
static struct pmt_debian_pkg *candidates(const char *const *names, size_t n, size_t *count)
{
	struct pmt_debian_pkg *v = calloc(n + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct pmt_debian_pkg p;
		size_t j;

		if (!pmt_debian_pkg_parse(names[i], &p))
			continue;
		for (j = 0; j < k; j++)
			if (!strcmp(v[j].release, p.release))
				break;
		/* Both exist: the -unsigned one, with no signature to carry. */
		if (j < k) {
			if (p.is_unsigned)
				v[j] = p;
			continue;
		}
		v[k++] = p;
	}
	qsort(v, k, sizeof(*v), cmp_pkg);
	*count = k;
	return v;
}

/* "apt sees 6.1.0-47, ..., 6.12.118" after @what, into @err. */
static void list_versions(const char *what, const struct pmt_debian_pkg *c, size_t n,
			  char *err, size_t errlen)
{
	size_t off;

	off = (size_t)snprintf(err, errlen, "%s; apt sees %s", what, n ? "" : "no amd64 kernel images");
	for (size_t i = 0; i < n && off < errlen; i++)
		off += (size_t)snprintf(err + off, errlen - off, "%s%s", i ? ", " : "", c[i].short_name);
}

static void add_pkg(struct pmt_debian_pkg **out, size_t *nout, const struct pmt_debian_pkg *p)
{
	struct pmt_debian_pkg *v;

	for (size_t i = 0; i < *nout; i++)
		if (!strcmp((*out)[i].release, p->release))
			return;
	v = realloc(*out, (*nout + 1) * sizeof(*v));
	if (!v)
		abort();
	*out = v;
	v[(*nout)++] = *p;
}

int pmt_debian_resolve(const char *specs, const char *const *names, size_t nnames,
		       struct pmt_debian_pkg **out, size_t *nout, char *err, size_t errlen)
{
	struct pmt_debian_pkg *c;
	size_t nc, len;
	const char *p = specs;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	c = candidates(names, nnames, &nc);
	while (rc == 0) {
		const char *end = strchr(p, ','), *dots;
		struct pmt_kver a, b;
		bool range, found = false;
		char what[200];

		len = end ? (size_t)(end - p) : strlen(p);
		dots = memmem(p, len, "..", 2);
		range = dots != NULL;
		if (range ? !parse_bound(p, (size_t)(dots - p), &a) ||
			    !parse_bound(dots + 2, len - (size_t)(dots - p) - 2, &b)
			  : !parse_bound(p, len, &a)) {
			snprintf(err, errlen, "--debian-kernel: \"%.*s\" is not a kernel version, a series "
				 "(6.12) or a range (6.12.107..6.12.117)", (int)len, p);
			rc = -1;
			break;
		}
		if (range && pmt_kver_cmp_prefix(&a, &b) > 0) {
			snprintf(err, errlen, "--debian-kernel: range \"%.*s\" runs backwards: "
				 "give the older version first", (int)len, p);
			rc = -1;
			break;
		}
		if (range) {
			for (size_t i = 0; i < nc; i++) {
				if (pmt_kver_cmp_prefix(&c[i].ver, &a) >= 0 &&
				    pmt_kver_cmp_prefix(&c[i].ver, &b) <= 0) {
					add_pkg(out, nout, &c[i]);
					found = true;
				}
			}
		} else {
			/* Oldest first: the last match is the newest. */
			for (size_t i = nc; i-- > 0;) {
				if (pmt_kver_cmp_prefix(&c[i].ver, &a) == 0) {
					add_pkg(out, nout, &c[i]);
					found = true;
					break;
				}
			}
		}
		if (!found) {
			snprintf(what, sizeof(what), "--debian-kernel: no linux-image-*-amd64 package "
				 "matches \"%.*s\"", (int)len, p);
			list_versions(what, c, nc, err, errlen);
			rc = 1;
			break;
		}
		if (!end)
			break;
		p = end + 1;
	}
	free(c);
	if (rc) {
		free(*out);
		*out = NULL;
		*nout = 0;
	}
	return rc;
}

/* ------------------------------------------------------------ the host side */

/* Run @argv with its output in @log; its exit status, or -1 if it did not run. */
static int run_logged(char *const argv[], const char *log)
{
	int status;
	pid_t pid = pmt_spawn(argv, log, NULL);

	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pmt_child_forget(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The names apt's lists hold that start with linux-image-. */
static char **apt_names(size_t *n, char **text, char *err, size_t errlen)
{
	char log[PATH_MAX], *argv[] = { "apt-cache", "pkgnames", "linux-image-", NULL };
	char **v = NULL, *save = NULL;
	const char *tmp = getenv("TMPDIR");
	size_t cap = 0;
	int fd;

	*n = 0;
	*text = NULL;
	if (pmt_fmt(log, sizeof(log), "%s/pmtorture-apt.XXXXXX", tmp && *tmp ? tmp : "/tmp") ||
	    (fd = mkstemp(log)) < 0) {
		snprintf(err, errlen, "--debian-kernel: cannot make a temporary file: %s", strerror(errno));
		return NULL;
	}
	close(fd);
	if (run_logged(argv, log) != 0) {
		pmt_last_line(log, "pmtorture: ", "apt-cache pkgnames failed", err, errlen);
		unlink(log);
		return NULL;
	}
	*text = pmt_read_file(log, MAX_APT_NAMES, NULL);
	unlink(log);
	if (!*text) {
		snprintf(err, errlen, "--debian-kernel: cannot read apt-cache's list: %s", strerror(errno));
		return NULL;
	}
	for (char *l = strtok_r(*text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[(*n)++] = l;
	}
	if (!v)
		v = calloc(1, sizeof(*v));
	return v;
}

static int resolve_debian(const char *spec, struct pmt_debian_pkg **out, size_t *nout,
			  char *err, size_t errlen)
{
	for (int pass = 0;; pass++) {
		char *text, **names;
		size_t n;
		int rc;

		names = apt_names(&n, &text, err, errlen);
		if (!names)
			return -1;
		rc = pmt_debian_resolve(spec, (const char *const *)names, n, out, nout, err, errlen);
		free(names);
		free(text);
		if (rc <= 0)
			return rc;
		/* Unknown: apt's lists may be old or missing.  Once. */
		if (pass == 0) {
			char *argv[] = { "apt-get", "update", "-q", NULL };

			pmt_debug("--debian-kernel %s: not in apt's lists; running apt-get update once", spec);
			if (run_logged(argv, NULL) == 0)
				continue;
		}
		return -1;
	}
}

/* lib/modules/RELEASE as build-image.sh sees it: modules.dep, modules.builtin or kernel/. */
static bool is_modtree(const char *dir)
{
	static const char *const marks[] = { "modules.dep", "modules.builtin", "kernel" };
	char path[PATH_MAX + 32];

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (pmt_fmt(path, sizeof(path), "%s/%s", dir, marks[i]) == 0 && access(path, F_OK) == 0)
			return true;
	return false;
}

/* The release a --kernel's --modules is for: its folder's name, or its one tree's. */
static void path_label(const char *kernel, const char *modules, char *buf, size_t len)
{
	char real[PATH_MAX], path[PATH_MAX + 260], found[256] = "";
	struct dirent *e;
	int trees = 0;
	DIR *d;

	if (!modules || !realpath(modules, real)) {
		const char *b = strrchr(kernel, '/');

		snprintf(buf, len, "%s", b ? b + 1 : kernel);
		return;
	}
	if (is_modtree(real) || !(d = opendir(real))) {
		snprintf(buf, len, "%s", strrchr(real, '/') ? strrchr(real, '/') + 1 : real);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    pmt_fmt(path, sizeof(path), "%s/%s", real, e->d_name) || !is_modtree(path))
			continue;
		trees++;
		snprintf(found, sizeof(found), "%s", e->d_name);
	}
	closedir(d);
	snprintf(buf, len, "%s", trees == 1 ? found : strrchr(real, '/') ? strrchr(real, '/') + 1 : real);
}

static struct pmt_kernel *set_add(struct pmt_kernel_set *set)
{
	struct pmt_kernel *v = realloc(set->v, (set->n + 1) * sizeof(*v));

	if (!v)
		abort();
	set->v = v;
	memset(&v[set->n], 0, sizeof(v[0]));
	return &v[set->n++];
}

/* Two kernels of one release (a patched build next to the original): ~2, ~3. */
static void unique_label(struct pmt_kernel_set *set, struct pmt_kernel *k)
{
	char base[sizeof(k->label)];
	int copy = 1;

	snprintf(base, sizeof(base), "%s", k->label);
	for (size_t i = 0; i < set->n; i++) {
		if (&set->v[i] == k || strcmp(set->v[i].label, k->label))
			continue;
		snprintf(k->label, sizeof(k->label), "%.*s~%d", (int)sizeof(base) - 8, base, ++copy);
		i = (size_t)-1;		/* again from the start: the new label may clash too */
	}
}

/*
 * Is @release the kernel `make image` fetched into build/kernel (Debian's
 * current 6.1, as the signed package: the same vmlinuz and modules as its
 * -unsigned twin)?  Then its default image serves, and nothing downloads.
 */
static bool is_default_kernel(const char *release)
{
	char path[PATH_MAX], *rel;
	bool same;

	if (getenv("PMTORTURE_KERNEL_CACHE") ||
	    pmt_fmt(path, sizeof(path), "%s/build/kernel/.complete", pmt_root()) || access(path, F_OK) ||
	    pmt_fmt(path, sizeof(path), "%s/build/kernel/kernel.release", pmt_root()))
		return false;
	rel = pmt_read_file(path, 256, NULL);
	same = rel && !strcmp(strtok(rel, "\n") ? rel : "", release);
	free(rel);
	return same;
}

/* A Debian package named by two specs runs once. */
static bool has_package(const struct pmt_kernel_set *set, const char *package)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].kind == PMT_KERNEL_DEBIAN && !strcmp(set->v[i].package, package))
			return true;
	return false;
}

int pmt_kernels_resolve(struct pmt_options *o, char *err, size_t errlen)
{
	struct pmt_kernel_set *set;

	o->kernels = NULL;
	if (!o->nkernel_args)
		return 0;
	set = calloc(1, sizeof(*set));
	if (!set)
		abort();
	for (int i = 0; i < o->nkernel_args; i++) {
		const struct pmt_kernel_arg *a = &o->kernel_args[i];
		struct pmt_debian_pkg *pk;
		size_t np;

		if (a->kernel) {
			struct pmt_kernel *k = set_add(set);

			k->kind = PMT_KERNEL_PATH;
			k->arg_kernel = a->kernel;
			k->arg_modules = a->modules;
			snprintf(k->kernel, sizeof(k->kernel), "%s", a->kernel);
			snprintf(k->modules, sizeof(k->modules), "%s", a->modules ? a->modules : "");
			path_label(a->kernel, a->modules, k->label, sizeof(k->label));
			pmt_kver_parse(k->label, &k->ver);
			unique_label(set, k);
			snprintf(k->name, sizeof(k->name), "%s", k->label);
			continue;
		}
		if (resolve_debian(a->debian, &pk, &np, err, errlen)) {
			pmt_kernels_free(set);
			return -1;
		}
		for (size_t j = 0; j < np; j++) {
			struct pmt_kernel *k;

			if (has_package(set, pk[j].name))
				continue;
			k = set_add(set);
			k->kind = PMT_KERNEL_DEBIAN;
			k->ver = pk[j].ver;
			snprintf(k->package, sizeof(k->package), "%s", pk[j].name);
			snprintf(k->label, sizeof(k->label), "%s", pk[j].release);
			snprintf(k->name, sizeof(k->name), "%s", pk[j].short_name);
			if (pmt_fmt(k->kernel, sizeof(k->kernel), "%s/build/kernels/%s/vmlinux", pmt_root(),
				    pk[j].release) ||
			    pmt_fmt(k->modules, sizeof(k->modules), "%s/build/kernels/%s/root/lib/modules/%s",
				    pmt_root(), pk[j].release, pk[j].release)) {
				snprintf(err, errlen, "--debian-kernel: the source tree's path is too long");
				free(pk);
				pmt_kernels_free(set);
				return -1;
			}
			k->is_default = is_default_kernel(k->label);
			unique_label(set, k);
		}
		free(pk);
	}
	o->kernels = set;
	return 0;
}

void pmt_kernels_free(struct pmt_kernel_set *set)
{
	if (!set)
		return;
	free(set->v);
	free(set);
}

bool pmt_kernels_multi(const struct pmt_options *o)
{
	return o->kernels && o->kernels->n > 1;
}

/* build/kernels/RELEASE from the package, by fetch-kernel.sh (a no-op once done). */
static int fetch_debian(const struct pmt_kernel *k, char *err, size_t errlen)
{
	char script[PATH_MAX], dir[PATH_MAX], out[PATH_MAX], log[PATH_MAX + 16];
	char stamp[PATH_MAX + 16];
	char *argv[4];

	if (pmt_fmt(script, sizeof(script), "%s/guest-image/fetch-kernel.sh", pmt_root()) ||
	    pmt_fmt(dir, sizeof(dir), "%s/build/kernels", pmt_root()) ||
	    pmt_fmt(out, sizeof(out), "%s/%s", dir, k->label) ||
	    pmt_fmt(log, sizeof(log), "%s.fetch.log", out) ||
	    pmt_fmt(stamp, sizeof(stamp), "%s/.complete", out)) {
		snprintf(err, errlen, "path too long under %s", pmt_root());
		return -1;
	}
	if (access(stamp, F_OK))
		pmt_info("fetching %s with apt-get download into %s", k->package, out);
	if (pmt_mkdir_p(dir, 0755)) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	argv[0] = script;
	argv[1] = out;
	argv[2] = (char *)k->package;
	argv[3] = NULL;
	unlink(log);
	if (run_logged(argv, log) != 0) {
		pmt_last_line(log, "pmtorture: ", "fetch-kernel.sh failed (no message)", err, errlen);
		return -1;
	}
	return 0;
}

int pmt_kernel_prepare(struct pmt_kernel *k, char *err, size_t errlen)
{
	struct pmt_image_source src = { 0 };
	char why[768];

	if (k->prepared)
		return 0;
	if (k->kind == PMT_KERNEL_DEBIAN && !k->is_default && fetch_debian(k, why, sizeof(why))) {
		snprintf(err, errlen, "kernel %s: %s", k->name, why);
		return -1;
	}
	/* No kernel in the options: the default image, build/guest/default. */
	src.kernel = k->is_default ? NULL : k->kernel;
	src.modules = k->is_default || !k->modules[0] ? NULL : k->modules;
	if (pmt_image_prepare(&src, &k->img, why, sizeof(why))) {
		/* A path's errors name the path already; a package's need its name. */
		if (k->kind == PMT_KERNEL_DEBIAN)
			snprintf(err, errlen, "kernel %s (%s): %s", k->name, k->package, why);
		else
			snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (strcmp(k->img.release, k->label) && strncmp(k->label, k->img.release, strlen(k->img.release)))
		pmt_info("kernel %s: its image says release %s", k->label, k->img.release);
	k->prepared = true;
	return 0;
}

int pmt_kernels_prepare_all(const struct pmt_options *o, struct pmt_image *first,
			    char *err, size_t errlen)
{
	if (!o->kernels || !o->kernels->n) {
		struct pmt_image_source src = { .kernel = o->kernel, .modules = o->modules,
						.image = o->image };

		return pmt_image_prepare(&src, first, err, errlen);
	}
	for (size_t i = 0; i < o->kernels->n; i++)
		if (pmt_kernel_prepare(&o->kernels->v[i], err, errlen))
			return -1;
	*first = o->kernels->v[0].img;
	return 0;
}

void pmt_kernels_labels(const struct pmt_options *o, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; o->kernels && i < o->kernels->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					o->kernels->v[i].label);
}

void pmt_kernel_reproduce_args(const struct pmt_kernel *k, char *buf, size_t len)
{
	if (!k)
		snprintf(buf, len, "%s", "");
	else if (k->kind == PMT_KERNEL_DEBIAN)
		snprintf(buf, len, " --debian-kernel %s", k->name);
	else
		snprintf(buf, len, " --kernel %s%s%s", k->arg_kernel, k->arg_modules ? " --modules " : "",
			 k->arg_modules ? k->arg_modules : "");
}
