// SPDX-License-Identifier: MIT
/*
 * devices: the pmem block devices and what the nd (libnvdimm) sysfs chain
 * says about them.  The chain is
 *     /sys/block/pmemN/device -> .../ndbusB/regionR/namespaceR.M
 * (or regionR/pfnR.M, btt..., which claim the namespace),
 * and the region's deep_flush / persistence_domain and the bus's provider
 * are what distinguish virtio-pmem from an emulated ACPI NVDIMM.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sysfs.h"

#define ATTR_MAX	256

/* Add attribute @name of @dir as a string, or null if it cannot be read. */
static int add_attr(struct json_object *obj, const char *key, const char *dir,
		    const char *name)
{
	char text[ATTR_MAX];
	int saved;

	if (!dir || read_attr_at(dir, name, text, sizeof(text))) {
		saved = errno;
		json_object_object_add(obj, key, NULL);
		errno = saved;	/* for the caller's *_error member */
		return -1;
	}
	json_object_object_add(obj, key, json_object_new_string(text));
	return 0;
}

/* Add basename(@path) under @key, or null. */
static void add_basename(struct json_object *obj, const char *key, const char *path)
{
	char copy[PATH_MAX];

	if (!path) {
		json_object_object_add(obj, key, NULL);
		return;
	}
	snprintf(copy, sizeof(copy), "%s", path);
	json_object_object_add(obj, key, json_object_new_string(basename(copy)));
}

static struct json_object *describe_pmem(const char *name)
{
	char blk[512], path[PATH_MAX], ns[PATH_MAX], region[PATH_MAX];
	char bus[PATH_MAX], provider[PATH_MAX], text[ATTR_MAX];
	struct json_object *obj = json_object_new_object();
	bool have_ns;

	snprintf(blk, sizeof(blk), "/sys/block/%s", name);
	snprintf(path, sizeof(path), "/dev/%s", name);
	json_object_object_add(obj, "dev", json_object_new_string(path));

	/* The size attribute counts 512-byte sectors whatever the block size. */
	if (!read_attr_at(blk, "size", text, sizeof(text)))
		json_object_object_add(obj, "size",
				       json_object_new_int64(strtoll(text, NULL, 10) * 512));
	else
		json_object_object_add(obj, "size", NULL);

	snprintf(path, sizeof(path), "%s/device", blk);
	have_ns = realpath(path, ns) != NULL;
	if (have_ns) {
		snprintf(region, sizeof(region), "%s", ns);
		dirname(region);
		snprintf(bus, sizeof(bus), "%s", region);
		dirname(bus);
	}
	/*
	 * In fsdax and sector mode the block device hangs off a pfn or btt
	 * device that claims the namespace (whose own "mode" would mean
	 * something else): follow its "namespace" attribute.
	 */
	if (have_ns) {
		snprintf(path, sizeof(path), "%s", ns);
		if (strncmp(basename(path), "namespace", 9)) {
			add_basename(obj, "claim", ns);
			if (!read_attr_at(ns, "namespace", text, sizeof(text)) && text[0] &&
			    !strchr(text, '/'))
				snprintf(ns, sizeof(ns), "%.3000s/%.200s", region, text);
		}
	}
	add_basename(obj, "namespace", have_ns ? ns : NULL);
	add_basename(obj, "region", have_ns ? region : NULL);
	add_basename(obj, "bus", have_ns ? bus : NULL);

	/* Reading deep_flush fails (ENXIO, EINVAL) on regions without flush hints. */
	if (add_attr(obj, "deep_flush", have_ns ? region : NULL, "deep_flush") && have_ns)
		json_object_object_add(obj, "deep_flush_error",
				       json_object_new_string(strerror(errno)));
	add_attr(obj, "persistence_domain", have_ns ? region : NULL, "persistence_domain");

	if (have_ns) {
		snprintf(path, sizeof(path), "%s", bus);
		snprintf(provider, sizeof(provider), "/sys/bus/nd/devices/%s", basename(path));
	}
	add_attr(obj, "provider", have_ns ? provider : NULL, "provider");
	add_attr(obj, "mode", have_ns ? ns : NULL, "mode");

	if (!read_attr_at(blk, "queue/dax", text, sizeof(text)))
		json_object_object_add(obj, "dax", json_object_new_boolean(!strcmp(text, "1")));
	else
		json_object_object_add(obj, "dax", NULL);
	return obj;
}

static int is_pmem(const struct dirent *de)
{
	return !strncmp(de->d_name, "pmem", 4);
}

int cmd_devices(struct json_object *args, struct json_object *result,
		char *err, size_t errlen)
{
	struct json_object *list = json_object_new_array();
	struct dirent **names;
	int i, n;

	(void)args;
	json_object_object_add(result, "pmem", list);
	n = scandir("/sys/block", &names, is_pmem, versionsort);
	if (n < 0) {
		snprintf(err, errlen, "scan /sys/block: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_object_array_add(list, describe_pmem(names[i]->d_name));
		free(names[i]);
	}
	free(names);
	return 0;
}
