// SPDX-License-Identifier: MIT
/*
 * The flush shim's host half shared by the injectors that load it into
 * QEMU (LD_PRELOAD, PMT_SHIM_DIR: harness/shim/shim.c): its
 * environment, its mode file, its flush count and its log.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "image.h"
#include "injector.h"
#include "shim_env.h"
#include "util.h"

static char env_preload[PATH_MAX + 16], env_file[PATH_MAX + 16], env_dir[PATH_MAX + 16];

int pmt_shim_probe(const struct pmt_case *c, char *why, size_t len)
{
	if (c->opt->backend != PMT_BACKEND_LIBVIRT)
		return 0;
	snprintf(why, len, "the flush shim needs the qemu backend (LD_PRELOAD)");
	return 1;
}

int pmt_shim_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, const char *dir,
		     char *err, size_t errlen)
{
	char shim[PATH_MAX];

	(void)c;
	pmt_fmt(shim, sizeof(shim), "%s/build/lib/pmtorture-shim.so", pmt_root());
	if (access(shim, R_OK)) {
		snprintf(err, errlen, "the flush shim %s is missing (make all)", shim);
		return -1;
	}
	pmt_rm_rf(dir);
	if (mkdir(dir, 0700)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
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

int pmt_shim_set_mode(const char *dir, const char *mode)
{
	char path[PATH_MAX], text[128];
	int n = snprintf(text, sizeof(text), "%s%s", mode,
			 mode[0] && mode[strlen(mode) - 1] == '\n' ? "" : "\n");

	if (pmt_fmt(path, sizeof(path), "%s/mode", dir) || n < 0 || (size_t)n >= sizeof(text)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return pmt_write_file_atomic(path, text, (size_t)n);
}

long long pmt_shim_flushes_done(const char *dir)
{
	uint64_t seq;

	return pmt_flush_counter_read(dir, &seq) ? -1 : (long long)seq;
}

void pmt_shim_keep_log(const struct pmt_case *c, const char *dir)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16], *t;
	size_t len = 0;

	if (!c->dir[0])
		return;
	snprintf(from, sizeof(from), "%s/flushes.jsonl", dir);
	snprintf(to, sizeof(to), "%s/flushes.jsonl", c->dir);
	/* The folder goes next: a rename keeps the log whole; across file
	 * systems it is copied (a storm's log is the longest, a few MB). */
	if (access(from, F_OK) || !rename(from, to))
		return;
	t = pmt_read_file(from, 256 << 20, &len);
	if (t)
		pmt_write_file_atomic(to, t, len);
	free(t);
}

void pmt_shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/%s-shim", c->rundir, c->inj->name);
}

int pmt_shim_prepare_case(struct pmt_case *c, struct pmt_vm_config *cfg, char *const *extra,
			  char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int n;

	pmt_shim_dir(c, dir, sizeof(dir));
	n = pmt_shim_prepare(c, cfg, dir, err, errlen);
	if (n < 0)
		return -1;
	for (int i = 0; extra && extra[i]; i++)
		cfg->env[n++] = extra[i];
	cfg->env[n] = NULL;
	return 0;
}

int pmt_shim_prepare_vm(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	return pmt_shim_prepare_case(c, cfg, NULL, err, errlen);
}

void pmt_shim_disarm(struct pmt_case *c)
{
	char dir[PATH_MAX];

	if (!c->rundir)
		return;
	pmt_shim_dir(c, dir, sizeof(dir));
	pmt_shim_keep_log(c, dir);
	pmt_rm_rf(dir);
}
