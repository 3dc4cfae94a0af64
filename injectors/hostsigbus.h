/* SPDX-License-Identifier: MIT */
/* The hostsigbus injector's host half (hostsigbus.c), for its scenario. */
#ifndef PMT_INJECTOR_HOSTSIGBUS_H
#define PMT_INJECTOR_HOSTSIGBUS_H

#include "case.h"

/* The tmpfs size: the guest must write more than this to fire the fault. */
#define PMT_HOSTSIGBUS_TMPFS_MB	64

/* The tmpfs folder that holds the case's backing file. */
void pmt_hostsigbus_dir(const struct pmt_case *c, char *buf, size_t len);

/* Unmount the case's tmpfs if it is there; its folder goes too.  Idempotent. */
void pmt_hostsigbus_release(const struct pmt_case *c);

#endif
