// SPDX-License-Identifier: MIT
/*
 * Unit tests: a guest that stopped answering after a fault
 * (pmt_case_guest_gone(), lifecycle.c).  A "Kernel panic" line on its
 * console is an outcome, observed as the path guest = panic with the
 * machine-check line as its cause, and no verdict yet; without one the
 * case is BROK, naming how QEMU ended.  The QEMU here is a fake backend
 * that has already exited.
 */
#include <check.h>

#include "pmt_check.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "json_util.h"
#include "lifecycle.h"
#include "util.h"

static int fake_wait_exit(struct pmt_vm *vm, int64_t deadline_ms)
{
	(void)deadline_ms;
	vm->exited = true;
	return 1;
}

static const struct pmt_vm_backend fake = { .name = "fake", .wait_exit = fake_wait_exit };

struct gone {
	struct pmt_case c;
	struct pmt_vm vm;
	char dir[64];
};

static void gone_init(struct gone *g, const char *console)
{
	char path[PATH_MAX];
	FILE *f;

	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "/tmp/pmt-gone.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(g->dir));
	snprintf(path, sizeof(path), "%s/console.log", g->dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(console, f);
	fclose(f);
	g->vm.backend = &fake;
	g->vm.pid = -1;
	g->vm.wstatus = SIGKILL;	/* a wait status: killed by SIGKILL */
	snprintf(g->vm.cfg.logdir, sizeof(g->vm.cfg.logdir), "%s", g->dir);
	g->c.vm = &g->vm;
	g->c.notes = json_object_new_array();
	g->c.details = json_object_new_object();
	snprintf(g->c.phase, sizeof(g->c.phase), "check");
}

static void gone_free(struct gone *g)
{
	json_object_put(g->c.notes);
	json_object_put(g->c.details);
	json_object_put(g->c.observed);
	pmt_rm_rf(g->dir);
}

START_TEST(panic_is_an_outcome)
{
	struct gone g;
	struct json_object *rec;

	gone_init(&g, "[    1.0] booted\r\n"
		      "[    2.5] mce: [Hardware Error]: Machine check: Processor context corrupt\r\n"
		      "[    2.6] Kernel panic - not syncing: Fatal machine check\r\n");
	ck_assert_int_eq(pmt_case_guest_gone(&g.c, "run", "connection closed"), 0);
	ck_assert(!g.c.verdict_set);
	ck_assert_int_eq(json_object_array_length(g.c.observed), 1);
	rec = json_object_array_get_idx(g.c.observed, 0);
	ck_assert_str_eq(pmt_json_str(rec, "path"), "guest");
	ck_assert_str_eq(pmt_json_str(rec, "observed"), "panic");
	ck_assert_str_eq(pmt_json_str(rec, "detail"),
			 "[    2.6] Kernel panic - not syncing: Fatal machine check; cause: "
			 "[    2.5] mce: [Hardware Error]: Machine check: Processor context corrupt");
	ck_assert_str_eq(pmt_json_str(g.c.details, "panic"),
			 "[    2.6] Kernel panic - not syncing: Fatal machine check");
	gone_free(&g);
}
END_TEST

START_TEST(no_panic_is_brok)
{
	struct gone g;

	gone_init(&g, "[    1.0] booted\n");
	ck_assert_int_eq(pmt_case_guest_gone(&g.c, "exec", "connection closed"), -1);
	ck_assert(g.c.verdict_set);
	ck_assert_int_eq(g.c.verdict, PMT_BROK);
	ck_assert_msg(!strncmp(g.c.reason, "check: agent exec: ", 19), "%s", g.c.reason);
	ck_assert_msg(strstr(g.c.reason, "signal 9"), "%s", g.c.reason);
	ck_assert_ptr_null(g.c.observed);
	ck_assert(!json_object_object_get_ex(g.c.details, "panic", NULL));
	gone_free(&g);
}
END_TEST

PMT_CHECK_MAIN("guest_gone", NULL, panic_is_an_outcome, no_panic_is_brok);
