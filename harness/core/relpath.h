/* SPDX-License-Identifier: MIT */
/* Relative paths between folders, so reports keep working when a results tree moves. */
#ifndef PMT_RELPATH_H
#define PMT_RELPATH_H

#include <stddef.h>

/*
 * The path of @to relative to folder @from ("../a/b"); both must exist
 * (they are resolved with realpath(3) first).  0, or -1 with errno.
 */
int pmt_relpath(const char *from, const char *to, char *out, size_t len);

/* The folder of a results path: @path itself if it is a folder, else its dirname. */
int pmt_results_folder(const char *path, char *out, size_t len);

#endif
