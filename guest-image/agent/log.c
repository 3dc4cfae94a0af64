// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int log_fd = STDERR_FILENO;

void agent_log_init(bool to_stderr)
{
	int fd;

	if (to_stderr)
		return;
	/* O_NOCTTY: PID 1 must not acquire the console as controlling tty. */
	fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0)
		log_fd = fd;
}

void agent_log(const char *fmt, ...)
{
	char line[1024];
	int n, saved_errno = errno;
	va_list ap;

	n = snprintf(line, sizeof(line), "pmtorture-agent: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* Best effort: there is nowhere else to report a failing console. */
	if (write(log_fd, line, (size_t)n) < 0)
		(void)0;
	errno = saved_errno;
}
