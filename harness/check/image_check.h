/* SPDX-License-Identifier: MIT */
/*
 * The check stage of the image a fault left (image_check.c): for faults
 * that end the guest (QEMU dies, the power goes) and leave its backing
 * file as they found it.  A declaration names it; the lifecycle cuts the
 * guest's power before it runs (the stage's "image").
 */
#ifndef PMT_CHECK_IMAGE_CHECK_H
#define PMT_CHECK_IMAGE_CHECK_H

#include "case.h"

/*
 * Copy the case's backing file off (sparse), check the copy in a checker
 * guest: mount (log recovery), verify the promises in force after the
 * workload's events (its result's "events", if any: details.promises and
 * details.verify), umount, fsck -n.  Observes the access paths "recovery"
 * (ok: it mounts and fsck is clean; errno=EUCLEAN stands for either
 * failing) and "synced_data" (ok, or ok/bad-data when a promise broke),
 * then judges everything observed against errors.tsv, MODE the variant,
 * else "dax" or "nodax".
 */
extern const struct pmt_check_stage pmt_check_stage_image;

#endif
