/* SPDX-License-Identifier: MIT */
/*
 * The virtio-pmem device's own state, read from QEMU over QMP, for the
 * injectors that judge the device (flushstorm, devreset).  QEMU 7.2 has
 * x-query-virtio (the QOM path of every virtio device) and
 * x-query-virtio-status {path} ("status": {"statuses": ["VIRTIO_CONFIG_S_
 * ...: ..."]}, "broken": bool).  virtio_error() sets
 * VIRTIO_CONFIG_S_NEEDS_RESET (0x40) on a VERSION_1 device and "broken".
 */
#ifndef PMT_VIRTIO_STATUS_H
#define PMT_VIRTIO_STATUS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "case.h"

struct pmt_virtio_state {
	char path[256];		/* the device's QOM path */
	bool needs_reset;	/* a status string names NEEDS_RESET */
	bool broken;		/* QEMU's vdev->broken */
	struct json_object *raw;	/* {"path","statuses","broken"}: owned, for details */
};

/*
 * Read the state of @c's virtio-pmem device.  0 with *@st filled (the
 * caller puts st->raw), or -1 with why in @err (no QMP, no such device,
 * QEMU refused).
 */
int pmt_virtio_pmem_state(struct pmt_case *c, struct pmt_virtio_state *st, char *err, size_t errlen);

#endif
