/* SPDX-License-Identifier: MIT */
/* The powercut injector's host half (powercut.c), for the powercut scenario. */
#ifndef PMT_INJECTOR_POWERCUT_H
#define PMT_INJECTOR_POWERCUT_H

#include <stddef.h>

#include "case.h"

/* The shim's folder of case @c: its epoch log, flush count and mode. */
void pmt_powercut_shim_dir(const struct pmt_case *c, char *buf, size_t len);

#endif
