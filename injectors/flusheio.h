/* SPDX-License-Identifier: MIT */
/* What the flusheio injector (flusheio.c) shares with flushhang.c. */
#ifndef PMT_INJECTOR_FLUSHEIO_H
#define PMT_INJECTOR_FLUSHEIO_H

#include <json-c/json.h>
#include <stdbool.h>

/*
 * The agent's "run" request for guest program flushprobe
 * (injectors/guest/flushprobe.c) on the case's filesystem: step @step,
 * @threads files and threads, @rounds rounds each; with @ack its promise
 * events wait for the host's ack.  A new reference.
 */
struct json_object *pmt_flushprobe_request(const char *step, int threads, int rounds, bool ack);

#endif
