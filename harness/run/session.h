/* SPDX-License-Identifier: MIT */
/* `pmtorture run`: a session of the selected cases, each in its own guest. */
#ifndef PMT_SESSION_H
#define PMT_SESSION_H

#include <json-c/json.h>

#include "options.h"

/* Run them; returns the process exit status (0, 1 for FAIL/BROK, 2 setup error). */
int pmt_run_main(const struct pmt_options *o);
/*
 * One run of the selected cases into a results folder under o->results,
 * without printing the table (bisect runs one per kernel it probes).
 * Returns the exit status as pmt_run_main() would; *summary gets a
 * reference to the summary, with "dir" its folder, or stays NULL when
 * the run did not finish.
 */
int pmt_run_session(const struct pmt_options *o, struct json_object **summary);

#endif
