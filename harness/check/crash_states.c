// SPDX-License-Identifier: MIT
/*
 * Checker guests for the crash-state walk (crash_states.h).  A checker's
 * backing file is rewritten under the running guest between states: the
 * guest has no page cache of it (DAX, and the agent drops caches before
 * each mount: crashcheck.c), so each mount reads the new bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash_states.h"
#include "crashcheck.h"
#include "json_util.h"
#include "proc.h"
#include "runner.h"
#include "util.h"

#define MAX_CHECKERS 8

struct guest_check {
	struct pmt_case *c;
	char dev[64];
	double *times;		/* the share's result's */
};

static int check_in_guest(void *ctx, struct json_object *promises, struct json_object *problems)
{
	struct guest_check *g = ctx;

	return pmt_crash_check_state(g->c, g->dev, promises, problems, g->times);
}

/* Share @k's scratch images: share 0 keeps the names a person knows. */
static int share_paths(const struct pmt_case *c, int k, char *point, char *checker, size_t len)
{
	if (k == 0)
		return pmt_fmt(point, len, "%s/point.img", c->rundir) ||
		       pmt_fmt(checker, len, "%s/checker.img", c->rundir);
	return pmt_fmt(point, len, "%s/point-%d.img", c->rundir, k) ||
	       pmt_fmt(checker, len, "%s/checker-%d.img", c->rundir, k);
}

int pmt_check_in_guest(struct pmt_case *c, const char *name, const char *disk,
		       pmt_checker_fn fn, void *ctx)
{
	struct pmt_vm checker, *main_vm = c->vm;
	char err[1024], dev[64];
	int rc = -1;

	pmt_case_phase(c, "checker-boot");
	if (pmt_case_boot_guest(c, &checker, name, disk, err, sizeof(err))) {
		pmt_case_verdict(c, PMT_BROK, "checker-boot: %s", err);
		return -1;
	}
	c->vm = &checker;
	if (!pmt_crash_find_dev(c, dev, sizeof(dev)))
		rc = fn(c, dev, ctx);
	pmt_case_phase(c, "checker-shutdown");
	pmt_case_shutdown(c, &checker);
	checker.backend->release(&checker);
	c->vm = main_vm;
	return rc;
}

struct share_walk {
	const struct pmt_walk_plan *p;
	struct pmt_walk_result *r;
};

static int walk_in_guest(struct pmt_case *c, const char *dev, void *ctx)
{
	struct share_walk *s = ctx;
	struct guest_check g = { .c = c, .times = s->r->times };
	struct pmt_state_check chk = { .check = check_in_guest, .ctx = &g };

	snprintf(g.dev, sizeof(g.dev), "%s", dev);
	pmt_case_phase(c, "check");
	return pmt_crash_walk(s->p, &chk, s->r);
}

/*
 * One share in one checker guest (named @name in the case folder): boot it
 * on the first point's image, walk, shut it down.  0, or -1: a BROK is
 * recorded on @c, or r->brok says why.
 */
static int walk_share(struct pmt_case *c, const struct pmt_walk_plan *p, const char *name,
		      struct pmt_walk_result *r)
{
	struct share_walk s = { .p = p, .r = r };
	char err[1024];

	/* The guest boots on a whole image of the right size: the first point's. */
	if (pmt_crash_walk_first_image(p, err, sizeof(err))) {
		snprintf(r->brok, sizeof(r->brok), "crash-states: %s", err);
		return -1;
	}
	return pmt_check_in_guest(c, name, p->checker_img, walk_in_guest, &s);
}

/* In the child of share @k: walk, hand the result over in @out, _exit. */
static void __attribute__((noreturn)) run_child_share(struct pmt_case *c,
						      const struct pmt_walk_plan *p,
						      int k, const char *out)
{
	struct pmt_walk_result r;
	struct json_object *j;
	char name[32];
	const char *text;
	int rc;

	pmt_walk_result_init(&r);
	snprintf(name, sizeof(name), "checker-%d", k);
	/* Its own sockets: QMP and agent sockets have fixed names in a run folder. */
	rc = pmt_case_child_rundir(c, name, r.brok, sizeof(r.brok));
	if (!rc)
		rc = walk_share(c, p, name, &r);
	/* A BROK recorded here is the parent's to record: it travels as brok. */
	if (rc && !r.brok[0])
		snprintf(r.brok, sizeof(r.brok), "%s", c->verdict_set ? c->reason
								   : "the checker failed");
	j = pmt_walk_result_to_json(&r);
	text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	rc = pmt_write_file_atomic(out, text, strlen(text));
	json_object_put(j);
	pmt_walk_result_free(&r);
	unlink(p->point_img);
	unlink(p->checker_img);
	pmt_rm_rf(c->rundir);
	fflush(NULL);
	_exit(rc ? 1 : 0);
}

/* Wait for share @k's child and read its result.  0, or -1 with @why. */
static int collect_share(pid_t pid, const char *path, struct pmt_walk_result *r,
			 char *why, size_t len)
{
	struct json_object *j;
	char how[64];
	int status = 0;
	size_t n = 0;
	char *text;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pmt_child_forget(pid);
	text = pmt_read_file(path, 64 << 20, &n);
	unlink(path);
	if (!text) {
		snprintf(why, len, "its checker process ended (%s) without a result",
			 pmt_describe_status(status, how, sizeof(how)));
		return -1;
	}
	j = json_tokener_parse(text);
	free(text);
	if (!j || pmt_walk_result_from_json(j, r)) {
		json_object_put(j);
		snprintf(why, len, "its result in %s is not readable", path);
		return -1;
	}
	json_object_put(j);
	return 0;
}

/*
 * One function because it starts, runs and collects the checker shares with their path
 * arrays on its stack and one removal of the scratch images; the start and collect loops
 * could be helpers given those arrays.
 */
int pmt_check_crash_states(struct pmt_case *c, struct pmt_walk_plan *plan, int ncheckers,
			   struct pmt_walk_result *out)
{
	struct pmt_walk_plan shares[MAX_CHECKERS];
	char point[MAX_CHECKERS][PATH_MAX], checker[MAX_CHECKERS][PATH_MAX];
	char result[MAX_CHECKERS][PATH_MAX];
	pid_t pids[MAX_CHECKERS] = { 0 };
	long long npoints = plan->last - plan->first + 1;
	int64_t t0 = pmt_now_ms();
	int rc = 0;

	if (plan->crash_points > 0 && plan->crash_points < npoints)
		npoints = plan->crash_points;
	/* No more checkers than points, nor than the table holds. */
	if (ncheckers > MAX_CHECKERS)
		ncheckers = MAX_CHECKERS;
	if (ncheckers > npoints)
		ncheckers = (int)npoints;
	if (ncheckers < 1)
		ncheckers = 1;
	pmt_walk_result_init(out);
	for (int k = 0; k < ncheckers; k++) {
		shares[k] = *plan;
		shares[k].share = k;
		shares[k].nshares = ncheckers;
		if (share_paths(c, k, point[k], checker[k], PATH_MAX) ||
		    pmt_fmt(result[k], PATH_MAX, "%s/share-%d.json", c->rundir, k)) {
			pmt_case_verdict(c, PMT_BROK, "crash-states: a scratch path is too long");
			return -1;
		}
		shares[k].point_img = point[k];
		shares[k].checker_img = checker[k];
		pmt_cleanup_register(point[k], 0);
		pmt_cleanup_register(checker[k], 0);
	}
	/* Shares 1.. in children, started first: they boot while share 0 does. */
	for (int k = 1; k < ncheckers; k++) {
		pids[k] = pmt_fork_child();
		if (pids[k] == 0)
			run_child_share(c, &shares[k], k, result[k]);
		if (pids[k] < 0) {
			pmt_case_verdict(c, PMT_BROK, "crash-states: cannot start checker %d: %s", k,
					 strerror(errno));
			rc = -1;
		}
	}
	if (!rc && walk_share(c, &shares[0], "checker", out)) {
		if (out->brok[0])
			pmt_case_verdict(c, PMT_BROK, "%s", out->brok);
		rc = -1;
	}
	for (int k = 1; k < ncheckers; k++) {
		struct pmt_walk_result r;
		char why[512];

		if (pids[k] <= 0)
			continue;
		if (rc) {
			/* The case is BROK already: the other checkers need not finish. */
			kill(-pids[k], SIGKILL);
		}
		if (collect_share(pids[k], result[k], &r, why, sizeof(why))) {
			if (!rc)
				pmt_case_verdict(c, PMT_BROK, "check: checker %d: %s", k, why);
			rc = -1;
			continue;
		}
		if (!rc && r.brok[0]) {
			pmt_case_verdict(c, PMT_BROK, "checker %d: %s", k, r.brok);
			rc = -1;
		}
		if (!rc)
			pmt_walk_merge(out, &r);
		pmt_walk_result_free(&r);
	}
	for (int k = 0; k < ncheckers; k++) {
		unlink(point[k]);
		unlink(checker[k]);
		pmt_cleanup_unregister(point[k]);
		pmt_cleanup_unregister(checker[k]);
	}
	json_object_object_add(c->details, "checkers", json_object_new_int(ncheckers));
	/* Summed over the checkers: with two, they add up to about twice check_s. */
	json_object_object_add(c->details, "check_times", pmt_walk_times_json(out));
	json_object_object_add(c->details, "check_s",
			       json_object_new_double((pmt_now_ms() - t0) / 1000.0));
	json_object_object_add(c->details, "states_per_minute",
			       json_object_new_double((double)out->states * 60000.0 /
						      (double)(pmt_now_ms() - t0 + 1)));
	return rc;
}
