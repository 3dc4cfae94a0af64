// SPDX-License-Identifier: MIT
/*
 * powercut: host power cuts on virtio-pmem.  QEMU runs with the flush shim
 * (injectors/powercut/shim.c) preloaded: at each host flush (QEMU's
 * fsync() of the backing file, which is what a guest flush request
 * becomes in hw/virtio/virtio-pmem.c) it logs the pages written since the
 * last one, so every flush is a persistence point the harness can rebuild.
 * The cut itself is SIGKILL of QEMU: nothing the guest wrote after the
 * last completed fsync() is durable, exactly as a power loss.
 *
 * arm plants a device that breaks its promise when the plan asks for one
 * (flush_mode lying or drop:every=N: the oracle's own validation); a
 * drop burst is planted by the scenario at its op.  fire cuts the power.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "injector.h"
#include "options.h"
#include "powercut.h"
#include "shim_env.h"
#include "util.h"

static const char *const crash_at_choices[] = { "end", "op", "flush", "flush-mid", "time", NULL };

static int check_crash_points(const char *v, char *err, size_t errlen)
{
	struct pmt_param n = { .type = PMT_PARAM_INT, .min = 1, .max = 100000 };

	if (!strcmp(v, "all") || pmt_param_check(&n, v, err, errlen) == 0)
		return 0;
	snprintf(err, errlen, "expected all or a whole number from 1 to 100000");
	return -1;
}

static int check_flush_mode(const char *v, char *err, size_t errlen)
{
	if (pmt_flush_mode_valid(v))
		return 0;
	snprintf(err, errlen, "expected honest, lying, drop, drop:burst=B or drop:every=N");
	return -1;
}

static const struct pmt_param powercut_params[] = {
	{ .name = "crash_at", .type = PMT_PARAM_ENUM, .choices = crash_at_choices,
	  .help = "where the final cut goes (default: --crash-at, end)" },
	{ .name = "crash_points", .type = PMT_PARAM_TEXT, .check = check_crash_points,
	  .help = "persistence points checked: all, or N seeded ones (default: --crash-points)" },
	{ .name = "flush_mode", .type = PMT_PARAM_TEXT, .check = check_flush_mode,
	  .help = "honest, or a planted lying/dropping device (default: --flush-mode, honest)" },
	{ NULL },
};

void pmt_powercut_shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/shim", c->rundir);
}

static int powercut_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];

	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	return pmt_shim_prepare(c, cfg, dir, err, errlen) < 0 ? -1 : 0;
}

static int powercut_arm(struct pmt_case *c, char *err, size_t errlen)
{
	const char *m = pmt_case_param(c, "flush_mode");
	char dir[PATH_MAX], mode[96];
	long long every = 0, first;
	char tail;

	m = m ? m : c->opt->flush_mode;
	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	first = pmt_shim_flushes_done(dir);
	if (first < 0) {
		snprintf(err, errlen, "the shim keeps no flush count in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!strcmp(m, "lying"))
		snprintf(mode, sizeof(mode), "lying");
	else if (sscanf(m, "drop:every=%lld%c", &every, &tail) == 1 && every > 0)
		snprintf(mode, sizeof(mode), "drop every=%lld from=%lld", every, first + 1);
	else
		return 0;	/* honest; a drop burst is planted at its op */
	if (pmt_shim_set_mode(dir, mode)) {
		snprintf(err, errlen, "cannot plant the %s device: %s", m, strerror(errno));
		return -1;
	}
	return 0;
}

static int powercut_fire(struct pmt_case *c, char *err, size_t errlen)
{
	struct json_object *f = json_object_new_object();

	(void)err;
	(void)errlen;
	/* SIGKILL: QEMU flushes nothing more, as at a power loss. */
	c->vm->backend->power_cut(c->vm);
	json_object_object_add(f, "how", json_object_new_string("SIGKILL of QEMU"));
	pmt_fault_fired(c, f);
	return 0;
}

static void powercut_disarm(struct pmt_case *c)
{
	char dir[PATH_MAX];

	if (!c->rundir)
		return;
	pmt_powercut_shim_dir(c, dir, sizeof(dir));
	pmt_rm_rf(dir);
}

const struct pmt_injector pmt_injector_powercut = {
	.name = "powercut",
	.description = "host power cut (SIGKILL of QEMU) with every host flush logged, so "
		       "each persistence point can be rebuilt",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.params = powercut_params,
	.probe = pmt_shim_probe,
	.prepare_vm = powercut_prepare,
	.arm = powercut_arm,
	.fire = powercut_fire,
	.disarm = powercut_disarm,
};
