/* SPDX-License-Identifier: MIT */
/*
 * The kernels of a run: `--kernel PATH --modules DIR` (any number of
 * pairs) and `--debian-kernel SPEC[,SPEC...]`, in the order given.  With
 * more than one kernel every case runs on each, and its id gains
 * "@KERNEL" (the kernel release, e.g. 6.12.117+deb12-amd64).
 *
 * Debian kernels come from the packages apt can see (apt-cache pkgnames):
 * linux-image-VERSION-amd64, signed, and its -unsigned twin, which holds
 * the same vmlinuz and modules (the -unsigned one is taken where both
 * exist; some versions have only one of them).  The flavour is amd64:
 * cloud and rt kernels are not candidates.  A SPEC is
 *   a series      6.1, 6.12: the newest package of that series;
 *   a version     6.12.107, 6.1.0-54 (also 6.12.107+deb12-amd64 or the
 *                 package name): the newest package that version is a
 *                 prefix of, part by part (kver.h);
 *   a range       A..B: every package from A to B, both in, in version
 *                 order, where A and B are prefixes as above (6.1..6.12 is
 *                 every 6.1 and 6.12 package).
 * A package is fetched with `apt-get download` into build/kernels/RELEASE
 * by guest-image/fetch-kernel.sh and unpacked with dpkg-deb -x, never
 * installed; the guest image is then built from it like any --kernel.
 * The release `make image` fetched into build/kernel (the signed twin of
 * the same kernel) is not fetched again: the default image serves.
 */
#ifndef PMT_KERNELS_H
#define PMT_KERNELS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "kver.h"
#include "options.h"

/* A Debian kernel package, from its name alone. */
struct pmt_debian_pkg {
	char name[128];			/* linux-image-6.12.117+deb12-amd64-unsigned */
	char release[96];		/* 6.12.117+deb12-amd64: uname -r */
	char short_name[48];		/* 6.12.117, 6.1.0-57: the release's version */
	bool is_unsigned;
	struct pmt_kver ver;
};

enum pmt_kernel_kind {
	PMT_KERNEL_PATH,		/* --kernel PATH --modules DIR */
	PMT_KERNEL_DEBIAN,		/* a package of --debian-kernel */
};

struct pmt_kernel {
	enum pmt_kernel_kind kind;
	char label[128];		/* the release: what an id carries after '@' */
	char name[64];			/* short: 6.12.117 for Debian, else the label */
	struct pmt_kver ver;		/* of the label */
	char package[128];		/* Debian: the package; "" for a path */
	char kernel[PATH_MAX];		/* the kernel file for the image builder */
	char modules[PATH_MAX];		/* its lib/modules/RELEASE tree */
	const char *arg_kernel;		/* PATH: --kernel and --modules as given */
	const char *arg_modules;
	bool is_default;		/* Debian: the release of build/kernel, whose image serves */
	bool prepared;			/* img is built */
	struct pmt_image img;
};

struct pmt_kernel_set {
	struct pmt_kernel *v;
	size_t n;
};

/*
 * Is @name a Debian kernel image package of the amd64 flavour
 * (linux-image-VERSION-amd64 or ...-amd64-unsigned, VERSION with at least
 * three numbers)?  Fills @p and returns true; meta packages
 * (linux-image-6.12-amd64), -dbg, cloud, rt and templates are false.
 */
bool pmt_debian_pkg_parse(const char *name, struct pmt_debian_pkg *p);

/*
 * Resolve the comma list @specs against the package names @names (any
 * names: the ones that are not amd64 kernel images are ignored).  *out
 * gets the packages in the order the specs give them, one per release
 * (the -unsigned one where both exist), a release named twice kept once.
 * Returns 0; -1 with a one-line reason for a SPEC that is not one (bad
 * syntax); 1 when a SPEC matches no package, @err then listing the
 * versions that are there.  Free *out with free().
 */
int pmt_debian_resolve(const char *specs, const char *const *names, size_t nnames,
		       struct pmt_debian_pkg **out, size_t *nout, char *err, size_t errlen);

/*
 * Turn o->kernel_args into o->kernels (left NULL when there are none):
 * the Debian specs against apt's package names (an `apt-get update` is
 * run once when a spec matches nothing), the paths labelled by the
 * release their modules tree is for.  Nothing is downloaded.  0, or -1
 * with a one-line reason.
 */
int pmt_kernels_resolve(struct pmt_options *o, char *err, size_t errlen);
/* Free a set pmt_kernels_resolve() made, and the set itself (NULL: nothing). */
void pmt_kernels_free(struct pmt_kernel_set *set);

/* Do the cases of @o run on more than one kernel (so ids carry "@KERNEL")? */
bool pmt_kernels_multi(const struct pmt_options *o);

/*
 * Fetch (Debian) and build the image of @k, once: k->img then holds it.
 * 0, or -1 with a one-line reason (a download, unpack or image build that
 * failed, a kernel that lacks a needed module).
 */
int pmt_kernel_prepare(struct pmt_kernel *k, char *err, size_t errlen);

/*
 * The runner's image step: every kernel of o->kernels prepared, *first a
 * copy of the first one's image; without o->kernels, pmt_image_prepare().
 * 0, or -1 with a one-line reason.
 */
int pmt_kernels_prepare_all(const struct pmt_options *o, struct pmt_image *first,
			    char *err, size_t errlen);

/* The kernel labels of o->kernels, comma separated, into @buf; "" if none. */
void pmt_kernels_labels(const struct pmt_options *o, char *buf, size_t len);

/*
 * The options that rerun on kernel @k alone, for a reproduce line:
 * " --debian-kernel 6.12.117" or " --kernel PATH --modules DIR"; "" for
 * NULL.
 */
void pmt_kernel_reproduce_args(const struct pmt_kernel *k, char *buf, size_t len);

#endif
