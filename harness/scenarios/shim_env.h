/* SPDX-License-Identifier: MIT */
/* Loading the flush shim (injectors/powercut) into a case's QEMU. */
#ifndef PMT_SCENARIO_SHIM_ENV_H
#define PMT_SCENARIO_SHIM_ENV_H

#include "case.h"

/*
 * Make @dir (emptied) the shim's durable-image folder and put LD_PRELOAD,
 * PMT_SHIM_FILE and PMT_SHIM_DIR into cfg->env[0..2] (cfg->env[3] = NULL).
 * Returns the number of env slots used (3), or -1 after recording why: BROK
 * when the shim is not built, SKIP under --backend libvirt (libvirtd starts
 * QEMU, so our LD_PRELOAD never reaches it).  One case per process: the
 * strings live in static storage until the next call.
 */
int pmt_shim_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, const char *dir);

#endif
