/* SPDX-License-Identifier: MIT */
/* Reading small text attributes from sysfs and procfs. */
#ifndef PMT_AGENT_SYSFS_H
#define PMT_AGENT_SYSFS_H

#include <stddef.h>

/*
 * Read the file at @path into @buf (NUL-terminated, trailing white space
 * removed).  Returns 0, or -1 with errno set: sysfs attributes report
 * their failures (ENXIO, EINVAL, ...) from read(), not from open().
 */
int read_attr(const char *path, char *buf, size_t len);

/* Like read_attr() for the attribute @name in directory @dir. */
int read_attr_at(const char *dir, const char *name, char *buf, size_t len);

#endif /* PMT_AGENT_SYSFS_H */
