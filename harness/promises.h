/* SPDX-License-Identifier: MIT */
/*
 * Durability promises streamed by the crash-consistency workloads
 * (workloads/promise.h has the formats and lifetimes).  The harness keeps
 * them in arrival order; after a power cut, the ones still in force are
 * what every crash state must satisfy.
 */
#ifndef PMT_PROMISES_H
#define PMT_PROMISES_H

#include <json-c/json.h>

/*
 * The promises in force after @events (promise and progress events, in
 * arrival order): a "file", "exists" or "absent" promise on P holds until
 * the next progress naming P or the next such promise on P; a "rename" or
 * "prefix" promise until the next promise of the same kind on P.  Returns a
 * new array (in the order the surviving promises were made).  Pure.
 */
struct json_object *pmt_promises_in_force(struct json_object *events);

#endif
