/* SPDX-License-Identifier: MIT */
/* The guest image: kernel + initramfs, built and cached by guest-image/. */
#ifndef PMT_IMAGE_H
#define PMT_IMAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct pmt_image {
	char dir[PATH_MAX];
	char kernel[PATH_MAX];
	char initrd[PATH_MAX];
	char initrd_fio[PATH_MAX];	/* initrd + fio, or "" when the host had no fio */
	char release[128];		/* the guest kernel's uname -r */
	/* The modules of guest-image/modules.list built into the kernel,
	 * comma separated ("" for none, or an image without builtin.txt). */
	char builtin[256];
};

/* The source tree: $PMT_ROOT, else the one this binary was built from. */
const char *pmt_root(void);

/* Where an image comes from: --kernel, --modules and --image, or NULL. */
struct pmt_image_source {
	const char *kernel;		/* a developer's kernel: its own cached image */
	const char *modules;		/* its modules folder, with kernel */
	const char *image;		/* a ready image folder, used as it is */
};

/*
 * Find (and with a kernel, or when missing, build) the image @src names;
 * all NULL: the default image.  Returns 0, or -1 with a one-line reason: a
 * missing kernel, a kernel without a needed module, a build failure.
 */
int pmt_image_prepare(const struct pmt_image_source *src, struct pmt_image *img,
		      char *err, size_t errlen);

/*
 * The built-in driver that reads a pmem device of this kind at boot
 * (@nvdimm: the ACPI NVDIMM's nfit, which reads its labels; else
 * virtio_pmem), when @builtin (pmt_image.builtin) lists it; else NULL.
 * A guest restored from a snapshot must not have a driver that saw the
 * snapshot's backing file, and only a module can be left out until the
 * restore (guest-image/pmem-attach): such a kernel's guests boot cold.
 */
const char *pmt_image_builtin_pmem(const char *builtin, bool nvdimm);

/* DIR/builtin.txt (one name a line) into @buf, comma separated; "" when absent. */
void pmt_image_read_builtin(const char *dir, char *buf, size_t len);

#endif
