/* SPDX-License-Identifier: MIT */
/*
 * Loading the flush shim (harness/shim/shim.c) into a case's QEMU:
 * the shared half of the injectors that sit on QEMU's fsync() of the
 * backing file (powercut, flusheio, flushhang, flushstorm).  The shim needs LD_PRELOAD into the
 * QEMU process, so it works with the qemu backend only (libvirtd starts
 * QEMU itself, and our environment never reaches it).
 */
#ifndef PMT_SHIM_ENV_H
#define PMT_SHIM_ENV_H

#include <stddef.h>

#include "case.h"

/* probe: 0, or 1 with the SKIP reason under --backend libvirt. */
int pmt_shim_probe(const struct pmt_case *c, char *why, size_t len);

/*
 * Make @dir (emptied) the shim's folder and put LD_PRELOAD, PMT_SHIM_FILE
 * and PMT_SHIM_DIR into cfg->env[0..2] (cfg->env[3] = NULL).  Returns the
 * number of env slots used (3), or -1 with why in @err (the shim is not
 * built, the folder cannot be made).  One case per process: the strings
 * live in static storage until the next call.
 */
int pmt_shim_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, const char *dir,
		     char *err, size_t errlen);

/* Switch the shim's mode: it reads DIR/mode at every flush.  0 or -1 (errno). */
int pmt_shim_set_mode(const char *dir, const char *mode);

/* The shim's count of completed host flushes (durable.h), or -1. */
long long pmt_shim_flushes_done(const char *dir);

/*
 * Move the shim's log of what the host did, @dir/flushes.jsonl, into the
 * case folder (c->dir/flushes.jsonl), for a disarm to call before it
 * removes @dir: the evidence outlives the shim's folder.  Nothing when
 * there is no log or no case folder.
 */
void pmt_shim_keep_log(const struct pmt_case *c, const char *dir);

/* The shim folder of @c's injector: RUNDIR/INJECTOR-shim. */
void pmt_shim_dir(const struct pmt_case *c, char *buf, size_t len);

/*
 * pmt_shim_prepare() in pmt_shim_dir(@c), then @extra's settings after the
 * shim's own in cfg->env (NULL-terminated "NAME=value" strings that live
 * until the boot, at most 4; NULL for none).  0, or -1 with @err.
 */
int pmt_shim_prepare_case(struct pmt_case *c, struct pmt_vm_config *cfg, char *const *extra,
			  char *err, size_t errlen);

/* A prepare_vm for an injector whose shim needs no settings of its own. */
int pmt_shim_prepare_vm(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen);
/*
 * A disarm for an injector whose shim folder is pmt_shim_dir(): keep its
 * log (pmt_shim_keep_log), then remove the folder.  The folder stays while
 * QEMU runs (it flushes into it until shutdown); disarm comes after.
 */
void pmt_shim_disarm(struct pmt_case *c);

#endif
