/* SPDX-License-Identifier: MIT */
/*
 * Issue 9: how the reports show a kernel matrix.  A case of summary.json
 * has "kernel" (the release it ran on); in a run of two kernels or more
 * its id ends in "@KERNEL" before any "#N" of a repeat.  The reports group
 * by kernel in version order (core/kver.h), and line up the same case
 * of each kernel.
 */
#ifndef PMT_KERNEL_VIEW_H
#define PMT_KERNEL_VIEW_H

#include <json-c/json.h>
#include <stddef.h>

/* @id without "@@kernel" (the first one followed by '#', '@' or the end), into @buf. */
void pmt_id_without_kernel(const char *id, const char *kernel, char *buf, size_t len);

/*
 * The distinct "kernel" values of @cases (a summary's array), oldest
 * version first (ties: the order they came), into @out (at most @max,
 * borrowed from the cases).  Returns how many.
 */
size_t pmt_kernel_view_kernels(struct json_object *cases, const char **out, size_t max);

/*
 * @idx[0..n-1] := the indices of @cases in the order a table shows them:
 * as they are with fewer than two kernels, else by the id without its
 * kernel (first appearance), then by kernel version.
 */
void pmt_kernel_view_order(struct json_object *cases, size_t *idx, size_t n);

#endif
