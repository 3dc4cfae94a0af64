/* SPDX-License-Identifier: MIT */
/*
 * The guest-side halves of the injectors, listed once: each is one file
 * injectors/guest/NAME.c exporting pmt_workload_NAME (the agent runs it
 * with "run"), beside its host half injectors/INJECTOR.c.
 *
 *   PMT_GUEST_PROGRAM(NAME)
 */
PMT_GUEST_PROGRAM(badblocks)	/* badblocks: mark the sectors, probe every access path */
PMT_GUEST_PROGRAM(hwpoison)	/* hwpoison: MADV_HWPOISON, then the probes */
PMT_GUEST_PROGRAM(mce_target)	/* mce: the page's address, the holder, the probes */
PMT_GUEST_PROGRAM(flushprobe)	/* flusheio: fsyncs while host flushes fail or crawl */
PMT_GUEST_PROGRAM(dmflakey)	/* dmflakey: a dm-flakey table over the pmem device */
PMT_GUEST_PROGRAM(flushstorm)	/* flushstorm: flushes from many threads at once, timed */
PMT_GUEST_PROGRAM(devreset)	/* devreset: ring an empty queue (NEEDS_RESET), then fsync */
PMT_GUEST_PROGRAM(vmevent)	/* vmevent: writers across a migration, snapshot, suspend, unplug */
