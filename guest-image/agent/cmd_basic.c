// SPDX-License-Identifier: MIT
/* ping, exec, run and poweroff: the commands that need no device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "exec.h"
#include "workload.h"

bool agent_poweroff_requested;

int cmd_ping(struct json_object *args, struct json_object *result,
	     char *err, size_t errlen)
{
	(void)args;
	(void)result;
	(void)err;
	(void)errlen;
	return 0;
}

int cmd_exec(struct json_object *args, struct json_object *result,
	     char *err, size_t errlen)
{
	const char **argv;
	long long timeout_ms;
	size_t argc;
	int ret;

	if (arg_int(args, "timeout_ms", EXEC_DEFAULT_TIMEOUT_MS, 1, EXEC_MAX_TIMEOUT_MS,
		    &timeout_ms, err, errlen) ||
	    arg_string_array(args, "argv", true, 0, &argv, &argc, err, errlen))
		return -1;
	if (argc == 0) {
		free(argv);
		snprintf(err, errlen, "argument \"argv\" is empty");
		return -1;
	}
	ret = exec_to_result(argv, timeout_ms, result, err, errlen);
	free(argv);
	return ret;
}

/* "known: a, b, c" for the error of an unknown workload. */
static void list_workloads(char *buf, size_t len)
{
	const struct pmt_workload_info *const *w;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (w = pmt_workloads; *w && used < len; w++) {
		n = snprintf(buf + used, len - used, "%s%s", w == pmt_workloads ? "" : ", ",
			     (*w)->name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int cmd_run(struct json_object *args, struct json_object *result,
	    char *err, size_t errlen)
{
	const struct pmt_workload_info *w;
	struct json_object *wargs, *empty = NULL;
	const char *name, *dir;
	char known[512];
	int ret;

	if (arg_string(args, "workload", true, &name, err, errlen) ||
	    arg_string(args, "dir", true, &dir, err, errlen) ||
	    arg_object(args, "args", &wargs, err, errlen))
		return -1;
	w = pmt_workload_find(name);
	if (!w) {
		list_workloads(known, sizeof(known));
		snprintf(err, errlen, "unknown workload \"%.64s\"; known: %s", name, known);
		return -1;
	}
	/* Workloads always get an object, so they need not check for NULL. */
	if (!wargs)
		wargs = empty = json_object_new_object();
	err[0] = '\0';
	ret = w->run(dir, wargs, result, err, errlen);
	json_object_put(empty);
	if (ret && !err[0])
		snprintf(err, errlen, "workload %s could not run", w->name);
	return ret ? -1 : 0;
}

int cmd_poweroff(struct json_object *args, struct json_object *result,
		 char *err, size_t errlen)
{
	(void)args;
	(void)result;
	(void)err;
	(void)errlen;
	/* Flush before replying: the host may kill QEMU as soon as it reads "ok". */
	sync();
	agent_poweroff_requested = true;
	return 0;
}
