/* SPDX-License-Identifier: MIT */
/* Messages to the user: errors are one line on stderr, prefixed "pmtorture: ". */
#ifndef PMT_LOG_H
#define PMT_LOG_H

#include <stdbool.h>

extern bool pmt_verbose;
extern bool pmt_quiet;

void pmt_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pmt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pmt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
