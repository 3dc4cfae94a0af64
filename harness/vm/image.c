// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#ifndef PMT_ROOT
#define PMT_ROOT "."
#endif

const char *pmt_root(void)
{
	const char *env = getenv("PMT_ROOT");

	return env && *env ? env : PMT_ROOT;
}

/* FNV-1a: a stable short name for a custom kernel's image folder. */
static int file_ok(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	       access(path, R_OK) == 0;
}

/*
 * Add "@opt ABS" to @argv for @path (NULL: nothing), ABS its absolute form
 * in @abs (PATH_MAX): the builder runs in another directory.  0, or -1 with @err.
 */
static int path_option(char **argv, int *argc, const char *opt, const char *path, char *abs,
		       char *err, size_t errlen)
{
	if (!path)
		return 0;
	if (!realpath(path, abs)) {
		snprintf(err, errlen, "%s %s: %s", opt + 2, path, strerror(errno));
		return -1;
	}
	argv[(*argc)++] = (char *)opt;
	argv[(*argc)++] = abs;
	return 0;
}

static int run_builder(const struct pmt_image_source *o, const char *out, char *err, size_t errlen)
{
	char builder[PATH_MAX], agent[PATH_MAX], log[PATH_MAX + 16];
	char kernel_abs[PATH_MAX], modules_abs[PATH_MAX];
	char *argv[12];
	int argc = 0, status;
	pid_t pid;

	snprintf(builder, sizeof(builder), "%s/guest-image/build-image.sh", pmt_root());
	snprintf(agent, sizeof(agent), "%s/build/agent/pmtorture-agent", pmt_root());
	snprintf(log, sizeof(log), "%s.build.log", out);
	if (access(builder, X_OK)) {
		snprintf(err, errlen, "guest image builder %s is missing", builder);
		return -1;
	}
	if (!file_ok(agent)) {
		snprintf(err, errlen, "guest agent %s is missing: run make first", agent);
		return -1;
	}
	argv[argc++] = builder;
	argv[argc++] = "--out";
	argv[argc++] = (char *)out;
	argv[argc++] = "--agent";
	argv[argc++] = agent;
	if (path_option(argv, &argc, "--kernel", o->kernel, kernel_abs, err, errlen) ||
	    path_option(argv, &argc, "--modules", o->modules, modules_abs, err, errlen))
		return -1;
	argv[argc] = NULL;
	unlink(log);
	pmt_debug("preparing the guest image in %s", out);
	pid = pmt_spawn(argv, log, NULL);
	if (pid < 0) {
		snprintf(err, errlen, "cannot run %s: %s", builder, strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pmt_child_forget(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		/* The builder's last line of stderr is its one-line reason. */
		pmt_last_line(log, "pmtorture: ", "guest image build failed (no message)",
			      err, errlen);
		return -1;
	}
	return 0;
}

int pmt_image_prepare(const struct pmt_image_source *o, struct pmt_image *img,
		      char *err, size_t errlen)
{
	static const char *const kernels[] = { "vmlinux", "bzImage", "kernel" };
	char path[PATH_MAX + 32];
	char *rel;

	memset(img, 0, sizeof(*img));
	if (o->kernel && access(o->kernel, R_OK)) {
		snprintf(err, errlen, "kernel %s: %s", o->kernel, strerror(errno));
		return -1;
	}
	if (o->image) {
		snprintf(img->dir, sizeof(img->dir), "%s", o->image);
	} else if (o->kernel) {
		const char *m = o->modules ? o->modules : "";
		uint64_t h = pmt_fnv64(PMT_FNV64_INIT, o->kernel, strlen(o->kernel));

		h = pmt_fnv64(h, m, strlen(m));
		snprintf(img->dir, sizeof(img->dir), "%s/build/guest/custom-%016llx", pmt_root(),
			 (unsigned long long)h);
	} else {
		snprintf(img->dir, sizeof(img->dir), "%s/build/guest/default", pmt_root());
	}
	/* The builder is its own cache: cheap when nothing changed.  A custom
	 * image it could not make leaves nothing behind. */
	if (!o->image) {
		bool existed = access(img->dir, F_OK) == 0;

		if (run_builder(o, img->dir, err, errlen)) {
			if (o->kernel && !existed) {
				pmt_rm_rf(img->dir);
				if (pmt_fmt(path, sizeof(path), "%s.build.log", img->dir) == 0)
					unlink(path);
			}
			return -1;
		}
	}

	for (size_t i = 0; i < ARRAY_SIZE(kernels) && !img->kernel[0]; i++) {
		if (pmt_fmt(path, sizeof(path), "%s/%s", img->dir, kernels[i]) == 0 &&
		    file_ok(path))
			pmt_fmt(img->kernel, sizeof(img->kernel), "%s", path);
	}
	if (!img->kernel[0]) {
		snprintf(err, errlen, "no kernel (vmlinux or bzImage) in the guest image %s", img->dir);
		return -1;
	}
	if (pmt_fmt(img->initrd, sizeof(img->initrd), "%s/initramfs.cpio", img->dir) ||
	    !file_ok(img->initrd)) {
		snprintf(err, errlen, "no initramfs.cpio in the guest image %s", img->dir);
		return -1;
	}
	/* Optional: without it, the fio workload says fio is missing. */
	if (pmt_fmt(img->initrd_fio, sizeof(img->initrd_fio), "%s/initramfs-fio.cpio", img->dir) ||
	    !file_ok(img->initrd_fio))
		img->initrd_fio[0] = '\0';
	pmt_image_read_builtin(img->dir, img->builtin, sizeof(img->builtin));
	snprintf(path, sizeof(path), "%s/kernel.release", img->dir);
	rel = pmt_read_file(path, sizeof(img->release) - 1, NULL);
	snprintf(img->release, sizeof(img->release), "%s", rel ? strtok(rel, "\n") ?: "" : "unknown");
	free(rel);
	return 0;
}

const char *pmt_image_builtin_pmem(const char *builtin, bool nvdimm)
{
	const char *driver = nvdimm ? "nfit" : "virtio_pmem";

	return builtin && pmt_list_has(builtin, driver) ? driver : NULL;
}

void pmt_image_read_builtin(const char *dir, char *buf, size_t len)
{
	char path[PATH_MAX + 16], *text, *line, *save = NULL;
	size_t off = 0;

	buf[0] = '\0';
	if (pmt_fmt(path, sizeof(path), "%s/builtin.txt", dir))
		return;
	text = pmt_read_file(path, 64 << 10, NULL);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line && off < len;
	     line = strtok_r(NULL, "\n", &save)) {
		line = pmt_trim(line);
		if (*line)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", line);
	}
	free(text);
}
