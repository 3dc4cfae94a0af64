/* SPDX-License-Identifier: MIT */
/*
 * Running a program as a child of the agent: fork + execvp, no shell,
 * stdout and stderr captured together, a hard timeout.
 */
#ifndef PMT_AGENT_EXEC_H
#define PMT_AGENT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#define EXEC_DEFAULT_TIMEOUT_MS	(120 * 1000LL)
#define EXEC_MAX_TIMEOUT_MS	(24 * 3600 * 1000LL)

struct exec_result {
	int exit_code;		/* -1 if a signal ended the child */
	int signal;		/* the signal that ended it, or 0 */
	bool timed_out;		/* we killed it at the timeout */
	bool truncated;		/* output was cut to PMT_OUTPUT_MAX */
	char *output;		/* malloc'd, output_len bytes plus a NUL */
	size_t output_len;
};

/*
 * Run @argv (NULL-terminated) with stdin from /dev/null.  Returns 0 when
 * the child ran (whatever its exit status; an execvp failure is exit 127
 * with the reason in the output), or -1 with @err set when it could not
 * be started.
 */
int exec_run(const char *const argv[], long long timeout_ms,
	     struct exec_result *res, char *err, size_t errlen);
void exec_result_free(struct exec_result *res);

/* The monotonic clock in milliseconds. */
long long exec_now_ms(void);

/*
 * exec_run() and put {"exit","output"[,"signal"]} into @result.  A
 * timeout is a failure of the request: "timed out after N ms".
 */
int exec_to_result(const char *const argv[], long long timeout_ms,
		   struct json_object *result, char *err, size_t errlen);

#endif /* PMT_AGENT_EXEC_H */
