/* SPDX-License-Identifier: MIT */
/*
 * The crash states of a power cut, and the walk that checks them: the
 * host half of the checker stage, with no guest and no case in it, so that
 * it is unit tested without QEMU (tests/unit/test_crash_walk.c).
 *
 * The shim's epoch log (harness/shim/durable.h) has, per host flush
 * n, the pages that flush made durable.  Every flush n from @first to
 * @last is a persistence point; its crash states are the durable image at
 * n plus a subset of the pages that may be durable beyond it: epoch n + 1's
 * pages, or, at the last point, whatever QEMU's backing file holds beyond
 * the durable image (the host's writeback may have written any of them):
 *   - lost: none of them;
 *   - kept: all of them;
 *   - torn: all of them, about half torn at a 512-byte sector (a host disk
 *     need not write a 4 KiB page atomically);
 *   - @crash_states seeded subsets, the odd ones torn.
 * Each state is written to @checker_img and handed to a state checker (a
 * guest that mounts it, verifies the promises in force at that point
 * (harness/check/promises.h), unmounts and runs fsck -n).  Two states with
 * the same bytes and the same promises in a row are checked once.
 *
 * Shares: @nshares walkers, each with its own checker, split the chosen
 * points into contiguous runs; share k checks the k-th run.  Merged in
 * share order (pmt_walk_merge), their results are the one walker's: the
 * same states, rows, failures and gravest state, for the same seed.
 */
#ifndef PMT_CHECK_CRASH_WALK_H
#define PMT_CHECK_CRASH_WALK_H

#include <json-c/json.h>
#include <stdint.h>

/* Failure kinds, gravest first: the reason names the gravest one. */
#define PMT_WALK_KINDS 4
extern const char *const pmt_walk_kind_names[PMT_WALK_KINDS];

/* Where a checked state's time goes, in seconds: the guest's steps
 * (crashcheck.c) and the host's writing of the state. */
enum pmt_check_step {
	PMT_STEP_PREPARE,	/* drop the device's caches, mark the kernel log */
	PMT_STEP_MOUNT,		/* mount: the kernel's log recovery */
	PMT_STEP_VERIFY,	/* the promises */
	PMT_STEP_UMOUNT,
	PMT_STEP_FSCK,		/* fsck -n */
	PMT_STEP_BUILD,		/* the host writing the state into the checker's file */
	PMT_STEPS
};
extern const char *const pmt_check_step_names[PMT_STEPS];

/*
 * One crash state, checked: the state is in the checker's backing file.
 * Returns 0 when it held, 1 when the kernel broke something (the problems
 * appended to @problems as strings), -1 when the framework failed (the
 * checker recorded why).
 */
struct pmt_state_check {
	int (*check)(void *ctx, struct json_object *promises, struct json_object *problems);
	void *ctx;
};

struct pmt_walk_plan {
	const char *dir;		/* the shim's folder: epochs/, base and durable images */
	const char *current;		/* QEMU's backing file after the cut */
	struct json_object *events;	/* intents, progress, promises, stamped (borrowed) */
	long long first, last;		/* the points: host flush counts */
	long long crash_points;		/* seeded points to check, the last always; 0: all */
	int crash_states;		/* seeded subsets per point */
	uint64_t seed;
	const char *point_img;		/* scratch: the durable image at the point walked */
	const char *checker_img;	/* each state is written here */
	const char *save_dir;		/* failing states are kept here, with their promises */
	const char *fs;			/* for the replay command */
	int share, nshares;		/* this walker's run of the chosen points */
};

struct pmt_walk_result {
	struct json_object *report;	/* per checked state */
	struct json_object *failures;	/* per problem: state, kind, torn, text (bounded) */
	struct json_object *timeline;	/* per checked point: [n, states, broken] */
	long long points, states, promises_checked, lapsed, bad, bad_points;
	long long kinds[PMT_WALK_KINDS];	/* broken states per kind */
	int first_rank;			/* of first_bad: lower is graver */
	int saved;			/* states kept in save_dir */
	char first_bad[1024];		/* the state the verdict names, and why */
	char first_name[80];		/* that state: its name (state-NAME.img in save_dir), */
	long long first_point;		/* its point, */
	char first_text[768];		/* and its gravest problem */
	char cmd[2 * 4096 + 96];	/* the command that replays it */
	char brok[768];			/* set when the walk itself failed */
	double times[PMT_STEPS];	/* seconds per step, over the checked states */
};

/* An empty result (its JSON arrays made).  Free with pmt_walk_result_free(). */
void pmt_walk_result_init(struct pmt_walk_result *r);
void pmt_walk_result_free(struct pmt_walk_result *r);

/*
 * Walk share @p->share of @p->nshares: build each chosen point's states,
 * write each into @p->checker_img, have @chk check it, tally into @r
 * (initialised by the caller).  Returns 0; -1 when the walk could not go
 * on: r->brok says why, or it is empty when @chk failed (the checker
 * recorded why).
 */
int pmt_crash_walk(const struct pmt_walk_plan *p, const struct pmt_state_check *chk,
		   struct pmt_walk_result *r);

/*
 * Build @p->point_img, the durable image at the first point (the base
 * image plus the epochs up to it), and copy it to @p->checker_img: a
 * checker guest boots on that.  0, or -1 with @err.
 */
int pmt_crash_walk_first_image(const struct pmt_walk_plan *p, char *err, size_t errlen);

/* Add share @src's result to @dst, the shares taken in order. */
void pmt_walk_merge(struct pmt_walk_result *dst, const struct pmt_walk_result *src);

/* {"prepare": s, "mount": s, ...}: where the checked states' time went. */
struct json_object *pmt_walk_times_json(const struct pmt_walk_result *r);

/* A result as JSON and back: a share's result crosses a process boundary. */
struct json_object *pmt_walk_result_to_json(const struct pmt_walk_result *r);
int pmt_walk_result_from_json(struct json_object *j, struct pmt_walk_result *r);

/* "promise", "fsck", "mount" or "journal-checksum": the kind of a problem text. */
const char *pmt_walk_problem_kind(const char *text);

#endif
