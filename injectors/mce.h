/* SPDX-License-Identifier: MIT */
/*
 * The mce injector's checks of the guest's page address (exported for the
 * unit tests): the guest reports it as text; the host parses it, checks it
 * against the pmem region QEMU reports, and formats the HMP command from
 * numbers only.
 */
#ifndef PMT_SCENARIO_MCE_H
#define PMT_SCENARIO_MCE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "0x" and 1..16 hex digits; 0 with *gpa, -1 for anything else. */
int pmt_mce_parse_gpa(const char *s, uint64_t *gpa);
/* Device @index (0-based) of QMP query-memory-devices' virtio-pmem/nvdimm
 * entries: its guest-physical start and size; 0, or -1 if there is none. */
int pmt_mce_region(struct json_object *memdevs, int index, uint64_t *start, uint64_t *size);
/* A whole page-aligned page at @gpa inside [start, start + size): 0, else -1. */
int pmt_mce_check_gpa(uint64_t gpa, uint64_t start, uint64_t size);
/* The HMP "mce" command line for @gpa; 0, or -1 if @len is too small. */
int pmt_mce_command(char *buf, size_t len, bool srar, uint64_t gpa);

#endif
