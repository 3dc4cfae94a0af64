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
#include <stdbool.h>

/*
 * The promises in force after @events (promise and progress events, in
 * arrival order): a "file", "exists" or "absent" promise on P holds until
 * the next progress naming P or the next such promise on P; a "rename" or
 * "prefix" promise until the next promise of the same kind on P.  Returns a
 * new array (in the order the surviving promises were made).  Pure.
 */
struct json_object *pmt_promises_in_force(struct json_object *events);

/*
 * Persistence points: which promises a crash state must keep.
 *
 * The shim counts completed host flushes (harness/shim/durable.h,
 * DIR/flushed) and keeps each flush's pages as an epoch: the durable image
 * at flush n is the image after the epochs 1..n.  The harness stamps
 * events with that count ("flushed"):
 *   - a promise with the count read when it arrives.  The guest sends it
 *     after its sync returned, so that sync's host flush had completed:
 *     the stamp is at or after it (conservative);
 *   - a progress event (a change starts) with the count read while the
 *     guest waits for the harness's ack, before it writes anything: the
 *     change's writes land only in epochs after the stamp.
 * Stamps never decrease along the event stream.
 *
 * A crash state at point n is the image at flush n plus, when @with_next,
 * some pages (whole or torn) of epoch n + 1.  For such a state:
 *   - a promise stamped s is made iff s <= n;
 *   - a change stamped a may show iff a < n, or a <= n when @with_next;
 *   - per slot (a path's state: file/exists/absent; its rename; its
 *     prefix) the promise in force is the last one made, in event order;
 *   - a state promise P in force is checked with, in "allow", the intents
 *     of every change after P that names P's path and may show.  If such
 *     a change has no intent for the path, or an intent or P itself lacks
 *     the sector hashes the check needs, P is not checked at this state
 *     (it counts as lapsed): what the change wrote is not known;
 *   - rename and prefix promises need no allowance: a rename is atomic
 *     while it is in flight, and an append cannot change the bytes before
 *     it.
 * The all-lost state (@with_next false) is exactly the persistence point:
 * every promise made by then must hold, except for changes already
 * stamped before it, whose writes the earlier flushes may have made
 * durable.
 *
 * Returns a new array of promise objects (copies, in the order they were
 * made; "allow" added where needed).  *@lapsed (if not NULL) gets the
 * number of promises in force that could not be checked.  Pure.
 */
struct json_object *pmt_promises_at(struct json_object *events, long long n, bool with_next,
				    int *lapsed);

#endif
