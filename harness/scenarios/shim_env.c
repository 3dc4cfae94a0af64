// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "util.h"
#include "shim_env.h"

static char env_preload[PATH_MAX + 16], env_file[PATH_MAX + 16], env_dir[PATH_MAX + 16];

int pmt_shim_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, const char *dir)
{
	char shim[PATH_MAX];

	pmt_fmt(shim, sizeof(shim), "%s/build/lib/pmtorture-shim.so", pmt_root());
	if (access(shim, R_OK)) {
		pmt_case_verdict(c, PMT_BROK, "setup: the flush shim %s is missing (make all)", shim);
		return -1;
	}
	if (c->opt->backend == PMT_BACKEND_LIBVIRT) {
		pmt_case_verdict(c, PMT_SKIP, "the flush shim needs the qemu backend (LD_PRELOAD)");
		return -1;
	}
	pmt_rm_rf(dir);
	if (mkdir(dir, 0700)) {
		pmt_case_verdict(c, PMT_BROK, "setup: %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(env_preload, sizeof(env_preload), "LD_PRELOAD=%s", shim);
	snprintf(env_file, sizeof(env_file), "PMT_SHIM_FILE=%s", cfg->disks[0].path);
	snprintf(env_dir, sizeof(env_dir), "PMT_SHIM_DIR=%s", dir);
	cfg->env[0] = env_preload;
	cfg->env[1] = env_file;
	cfg->env[2] = env_dir;
	cfg->env[3] = NULL;
	return 3;
}
