/* SPDX-License-Identifier: MIT */
/* Bring a case's pmem device and filesystem up in the guest. */
#ifndef PMT_GUEST_SETUP_H
#define PMT_GUEST_SETUP_H

#include <json-c/json.h>

#include "case.h"

#define PMT_GUEST_MNT "/mnt/pmem"

/* The bus provider that identifies each device kind's nd bus in the guest. */
const char *pmt_device_provider_match(enum pmt_device_kind kind);

/*
 * Pick the pmem entry of @kind from an agent "devices" result; returns a
 * borrowed reference or NULL.  Pure, unit tested.
 */
struct json_object *pmt_pick_pmem(struct json_object *devices, enum pmt_device_kind kind);

/*
 * Configure the device (an fsdax namespace on the NVDIMM), mkfs, and mount
 * it on PMT_GUEST_MNT with the scenario's options.  Records the device's
 * attributes in c->details.  Returns 0, or -1 after recording a BROK.
 * @dev receives the block device path.
 */
int pmt_setup_fs(struct pmt_case *c, char *dev, size_t devlen);

/* Run argv in the guest; 0 when it exited 0, else -1 after a BROK naming @what. */
int pmt_guest_exec(struct pmt_case *c, const char *what, const char *const argv[],
		   struct json_object **result);

#endif
