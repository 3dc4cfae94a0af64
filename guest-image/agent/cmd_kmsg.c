// SPDX-License-Identifier: MIT
/*
 * mark and dmesg: the host brackets each step with a marker in the kernel
 * log, then asks for what the kernel said after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>

#include "agent_proto.h"
#include "args.h"
#include "commands.h"
#include "output.h"

#define MARK_PREFIX		"pmtorture-mark: "
#define MARK_NAME_MAX		128
#define KLOG_DEFAULT_SIZE	(1 << 20)
#define SYSLOG_ACTION_READ_ALL	3
#define SYSLOG_ACTION_SIZE_BUFFER 10

int kmsg_mark(const char *name, char *err, size_t errlen)
{
	char line[sizeof(MARK_PREFIX) + MARK_NAME_MAX + 1];
	ssize_t n;
	int fd, len;

	if (!name[0] || strlen(name) > MARK_NAME_MAX || strchr(name, '\n')) {
		snprintf(err, errlen, "argument \"name\" must be 1..%d bytes without newlines",
			 MARK_NAME_MAX);
		return -1;
	}
	/*
	 * Open /dev/kmsg per mark: the kernel rate-limits writes per open
	 * file (burst of 10) and drops the excess silently.
	 */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open /dev/kmsg: %s", strerror(errno));
		return -1;
	}
	len = snprintf(line, sizeof(line), MARK_PREFIX "%s\n", name);
	do {
		n = write(fd, line, (size_t)len);	/* one write is one record */
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		snprintf(err, errlen, "write /dev/kmsg: %s", strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

int cmd_mark(struct json_object *args, struct json_object *result,
	     char *err, size_t errlen)
{
	const char *name;

	(void)result;
	if (arg_string(args, "name", true, &name, err, errlen))
		return -1;
	return kmsg_mark(name, err, errlen);
}

/* The whole kernel log through syslog(2), as "<pri>[time] text" lines. */
static char *read_klog(size_t *len)
{
	int size, n;
	char *buf;

	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size <= 0)
		size = KLOG_DEFAULT_SIZE;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return NULL;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/*
 * The same from /dev/kmsg, where syslog(2) is denied: one record per
 * read(), "pri,seq,time,flags;text" then " KEY=value" lines we skip.
 */
static char *read_kmsg(size_t *len)
{
	char rec[8192], *buf = NULL, *text, *end, *bigger;
	size_t used = 0, cap = 0, n;
	ssize_t got;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		got = read(fd, rec, sizeof(rec) - 1);
		if (got < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: records overwritten under us */
		if (got <= 0)
			break;
		rec[got] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		end = strchr(text, '\n');
		n = end ? (size_t)(end - text) : strlen(text);
		if (used + n + 2 > cap) {
			cap = (used + n + 2) * 2;
			bigger = realloc(buf, cap);
			if (!bigger)
				break;
			buf = bigger;
		}
		memcpy(buf + used, text, n);
		used += n;
		buf[used++] = '\n';
	}
	close(fd);
	if (!buf && !(buf = calloc(1, 1)))
		return NULL;
	buf[used] = '\0';
	*len = used;
	return buf;
}

/* Start of the line after the last line that is exactly marker @name. */
static const char *after_marker(const char *log, size_t len, const char *name)
{
	const char *line = log, *end = log + len, *nl, *hit, *found = NULL;
	size_t prefix = strlen(MARK_PREFIX), name_len = strlen(name);

	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		/* The marker ends the line, so mark "a" does not match "ab". */
		if ((size_t)(nl - line) >= prefix + name_len) {
			hit = nl - name_len - prefix;
			if (!memcmp(hit, MARK_PREFIX, prefix) &&
			    !memcmp(hit + prefix, name, name_len))
				found = nl < end ? nl + 1 : end;
		}
		line = nl + 1;
	}
	return found;
}

int cmd_dmesg(struct json_object *args, struct json_object *result,
	      char *err, size_t errlen)
{
	static const char marker[] = OUTPUT_TRUNCATED "\n";
	const char *since, *start;
	char *log, *text;
	size_t len, n;

	if (arg_string(args, "since", false, &since, err, errlen))
		return -1;
	log = read_klog(&len);
	if (!log)
		log = read_kmsg(&len);
	if (!log) {
		snprintf(err, errlen, "cannot read the kernel log: %s", strerror(errno));
		return -1;
	}
	start = since ? after_marker(log, len, since) : NULL;
	if (since)
		json_object_object_add(result, "marker_found", json_object_new_boolean(start != NULL));
	if (!start)
		start = log;
	n = (size_t)(log + len - start);
	text = (char *)start;
	/* The end of the log matters most (the latest errors): keep that. */
	if (n > PMT_OUTPUT_MAX) {
		text = log + len - PMT_OUTPUT_MAX;
		memcpy(text, marker, sizeof(marker) - 1);
		n = PMT_OUTPUT_MAX;
	}
	json_object_object_add(result, "text", output_json(text, n));
	free(log);
	return 0;
}
