// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "text.h"

bool pmt_verbose;
bool pmt_quiet;

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	/* One fprintf per line so lines from a signal path never interleave. */
	char buf[2048], safe[4096];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Messages quote guest text: no control character reaches the terminal. */
	pmt_term_escape(safe, sizeof(safe), buf, false);
	fprintf(stderr, "%s%s\n", prefix, safe);
}

void pmt_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("pmtorture: ", fmt, ap);
	va_end(ap);
}

void pmt_info(const char *fmt, ...)
{
	va_list ap;

	if (pmt_quiet)
		return;
	va_start(ap, fmt);
	vline("pmtorture: ", fmt, ap);
	va_end(ap);
}

void pmt_debug(const char *fmt, ...)
{
	va_list ap;

	if (!pmt_verbose)
		return;
	va_start(ap, fmt);
	vline("pmtorture: debug: ", fmt, ap);
	va_end(ap);
}
