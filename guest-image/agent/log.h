/* SPDX-License-Identifier: MIT */
/*
 * The agent's own diagnostics.  In the guest they go to /dev/console, where
 * the serial console log catches them even when the agent port is dead.
 */
#ifndef PMT_AGENT_LOG_H
#define PMT_AGENT_LOG_H

#include <stdbool.h>

/* @to_stderr: log to stderr instead of the console (host testing). */
void agent_log_init(bool to_stderr);
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* PMT_AGENT_LOG_H */
