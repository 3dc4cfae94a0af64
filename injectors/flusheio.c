// SPDX-License-Identifier: MIT
/*
 * flusheio: the host's fsync() of the virtio-pmem backing file fails, or
 * is slow.  QEMU 7.2 answers a guest flush request with the result of
 * fsync() on the backing file (hw/virtio/virtio-pmem.c, worker_cb: ret 1
 * on failure); the guest's virtio_pmem_flush() returns it, and
 * async_pmem_flush() turns it into -EIO for the flush bio.  The flush shim
 * (injectors/powercut/shim.c) sits on that fsync(): DIR/mode switches it
 * between honest and fail-eio at run time, PMT_SHIM_DELAY_MS makes every
 * flush slow, and DIR/flushes.jsonl records what each flush did, which is
 * how the fault is known to have fired.
 *
 * The variants lose and lose-drop use the shim's fail-lose modes: a Linux
 * host after a write-back error marks the pages clean without writing them
 * (mm: mapping_set_error, errseq reports it once per file description), so
 * the one failed fsync loses them for good and the next fsync returns 0.
 * lose-drop: the host has also dropped them from its page cache, and the
 * guest's DAX view reads the old content again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flusheio.h"
#include "case.h"
#include "injector.h"
#include "json_util.h"
#include "shim_env.h"
#include "util.h"

static const struct pmt_param flusheio_params[] = {
	{ .name = "delay_ms", .type = PMT_PARAM_INT, .def = "100", .min = 0, .max = 60000,
	  .help = "slow: every host flush sleeps this long first" },
	{ .name = "threads", .type = PMT_PARAM_INT, .def = "16", .min = 1, .max = 256,
	  .help = "slow: guest threads, each fsyncing its own file" },
	{ .name = "rounds", .type = PMT_PARAM_INT, .def = "4", .min = 1, .max = 10000,
	  .help = "slow: write+fsync rounds per thread" },
	{ NULL },
};

/* The slow variant's extra shim setting; one case at a time per process. */
static char env_delay[64];

void pmt_flusheio_shim_dir(const struct pmt_case *c, char *buf, size_t len)
{
	pmt_fmt(buf, len, "%s/flusheio-shim", c->rundir);
}

static int flusheio_prepare(struct pmt_case *c, struct pmt_vm_config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int n;

	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	n = pmt_shim_prepare(c, cfg, dir, err, errlen);
	if (n < 0)
		return -1;
	if (c->variant && !strcmp(c->variant, "slow")) {
		snprintf(env_delay, sizeof(env_delay), "PMT_SHIM_DELAY_MS=%lld",
			 pmt_case_param_int(c, "delay_ms", 100));
		cfg->env[n++] = env_delay;
	}
	cfg->env[n] = NULL;
	return 0;
}

void pmt_flusheio_stats(const struct pmt_case *c, int from, struct pmt_flush_stats *st)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], *text, *line, *next;

	memset(st, 0, sizeof(*st));
	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/flushes.jsonl", dir);
	text = pmt_read_file(path, 64 << 20, NULL);
	if (!text)
		return;
	for (line = text; line && *line; line = next) {
		struct json_object *o;
		const char *action;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (st->lines++ < from)
			continue;
		o = json_tokener_parse(line);
		if (!o)
			continue;
		action = pmt_json_str(o, "action");
		st->failed += !strcmp(action, "failed");
		st->recorded += !strcmp(action, "recorded");
		st->errors += !strcmp(action, "error");
		st->lost += pmt_json_int64(o, "lost", 0);
		if (pmt_json_double(o, "ms") > st->max_ms)
			st->max_ms = pmt_json_double(o, "ms");
		json_object_put(o);
	}
	free(text);
}

int pmt_flusheio_fail(const struct pmt_case *c, bool fail)
{
	char dir[PATH_MAX];
	const char *mode = "fail-eio";

	if (c->variant && !strcmp(c->variant, "lose"))
		mode = "fail-lose";
	else if (c->variant && !strcmp(c->variant, "lose-drop"))
		mode = "fail-lose-drop";
	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	return pmt_shim_set_mode(dir, fail ? mode : "honest");
}

/*
 * The shim's folder stays while QEMU runs (it flushes into it until
 * shutdown); it goes once the guest is gone.
 */
static void flusheio_disarm(struct pmt_case *c)
{
	char dir[PATH_MAX];

	if (!c->rundir)
		return;
	pmt_flusheio_shim_dir(c, dir, sizeof(dir));
	pmt_rm_rf(dir);
}

const struct pmt_injector pmt_injector_flusheio = {
	.name = "flusheio",
	.description = "the host's fsync() behind a guest flush fails with EIO, or is slow",
	.devices = PMT_DEVICE_BIT(PMT_DEV_VIRTIO_PMEM),
	.params = flusheio_params,
	.probe = pmt_shim_probe,
	.prepare_vm = flusheio_prepare,
	.disarm = flusheio_disarm,
};
