/* SPDX-License-Identifier: MIT */
/* Captured text (command output, kernel log) as a reply member. */
#ifndef PMT_AGENT_OUTPUT_H
#define PMT_AGENT_OUTPUT_H

#include <stddef.h>
#include <json-c/json.h>

#define OUTPUT_TRUNCATED	"[truncated]"

/*
 * A new JSON string holding @len bytes of @text, made safe in place:
 * bytes that are not valid UTF-8 become '?' (JSON text must be UTF-8, and
 * host-side tools reject anything else), and so do control bytes other
 * than newline and tab (JSON would escape each as six bytes, "\u0001", and
 * PMT_OUTPUT_MAX bytes of binary junk could push a reply past PMT_MSG_MAX).
 */
struct json_object *output_json(char *text, size_t len);

#endif /* PMT_AGENT_OUTPUT_H */
