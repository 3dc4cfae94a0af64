// SPDX-License-Identifier: MIT
/*
 * A plan's sections against the scenario list (plan_check.h): the
 * scenario each one names, and the devices and filesystems it asks of it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_check.h"
#include "scenario_list.h"
#include "util.h"

static int fail(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const char *file, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s", file, line, msg);
	return -1;
}

static void known_scenarios(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; pmt_scenarios[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", pmt_scenarios[i]->name);
}

/* A section's fs and device lists must be ones its scenario runs on. */
static int check_matrix(const struct pmt_plan_section *s, const struct pmt_scenario *sc,
			char *err, size_t errlen)
{
	const struct pmt_plan_kv *kv;
	char *copy, *save = NULL;
	int rc = 0;

	kv = pmt_plan_find(s, "device");
	if (kv) {
		copy = pmt_xstrdup(kv->value);
		for (char *d = strtok_r(copy, ",", &save); d && !rc; d = strtok_r(NULL, ",", &save))
			if (!(sc->devices & PMT_DEVICE_BIT(pmt_device_parse(d))))
				rc = fail(err, errlen, kv->file, kv->line, "[%s]: scenario %s does not "
					  "run on device '%s'", s->name, sc->name, d);
		free(copy);
	}
	kv = pmt_plan_find(s, "fs");
	if (kv && !rc) {
		copy = pmt_xstrdup(kv->value);
		save = NULL;
		for (char *fs = strtok_r(copy, ",", &save); fs && !rc; fs = strtok_r(NULL, ",", &save)) {
			char known[128] = "";
			size_t off = 0;
			bool ok = false;

			for (int i = 0; sc->filesystems[i]; i++) {
				ok |= !strcmp(sc->filesystems[i], fs);
				off += snprintf(known + off, sizeof(known) - off, "%s%s", i ? ", " : "",
						sc->filesystems[i]);
				if (off >= sizeof(known))
					off = sizeof(known) - 1;
			}
			if (!ok)
				rc = fail(err, errlen, kv->file, kv->line, "[%s]: scenario %s does not "
					  "run on fs '%s' (it runs on: %s)", s->name, sc->name, fs, known);
		}
		free(copy);
	}
	return rc;
}

int pmt_plan_check_scenarios(const struct pmt_plan *plan, char *err, size_t errlen)
{
	for (size_t i = 0; i < plan->nsections; i++) {
		const struct pmt_plan_section *s = &plan->sections[i];
		const struct pmt_plan_kv *kv = pmt_plan_find(s, "scenario");
		const struct pmt_scenario *sc;
		char known[256];

		if (!kv)
			return fail(err, errlen, s->file, s->line, "[%s] names no scenario (expected "
				    "scenario=NAME in it or in [global])", s->name);
		sc = pmt_scenario_find(kv->value);
		if (!sc) {
			known_scenarios(known, sizeof(known));
			return fail(err, errlen, kv->file, kv->line, "unknown scenario '%s' (known: %s)",
				    kv->value, known);
		}
		if (check_matrix(s, sc, err, errlen))
			return -1;
	}
	return 0;
}
