// SPDX-License-Identifier: MIT
/*
 * There is no udev in the guest, so nothing creates /dev/virtio-ports/NAME:
 * find the port by the name in sysfs and create its device node ourselves
 * if devtmpfs has not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "agent_proto.h"
#include "log.h"
#include "port.h"
#include "sysfs.h"

#define PORT_SYSFS_DIR		"/sys/class/virtio-ports"
#define PORT_OPEN_TRIES		100
#define PORT_RETRY_NS		(100 * 1000 * 1000L)

/* Create /dev/@entry from the "major:minor" in its sysfs dev file. */
static int make_node(const char *entry, const char *devpath)
{
	char attr[PATH_MAX], text[32];
	unsigned int major_nr, minor_nr;

	snprintf(attr, sizeof(attr), PORT_SYSFS_DIR "/%s/dev", entry);
	if (read_attr(attr, text, sizeof(text)))
		return -1;
	if (sscanf(text, "%u:%u", &major_nr, &minor_nr) != 2) {
		errno = EINVAL;
		return -1;
	}
	if (mknod(devpath, S_IFCHR | 0600, makedev(major_nr, minor_nr)) && errno != EEXIST)
		return -1;
	return 0;
}

/* One attempt: returns the fd, or -1 if the port is not there (yet). */
static int find_and_open(char *devpath, size_t devlen)
{
	char attr[PATH_MAX], name[256];
	struct dirent *de;
	DIR *dir;
	int fd = -1;

	dir = opendir(PORT_SYSFS_DIR);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(attr, sizeof(attr), PORT_SYSFS_DIR "/%s/name", de->d_name);
		if (read_attr(attr, name, sizeof(name)) || strcmp(name, PMT_AGENT_PORT_NAME))
			continue;
		snprintf(devpath, devlen, "/dev/%s", de->d_name);
		if (access(devpath, F_OK) && make_node(de->d_name, devpath))
			agent_log("cannot create %s: %s", devpath, strerror(errno));
		fd = open(devpath, O_RDWR | O_NOCTTY | O_CLOEXEC);
		break;
	}
	closedir(dir);
	return fd;
}

/*
 * A pty used for testing would cook the stream (4 KiB line limit, echo):
 * make it a plain byte pipe like the virtio port.
 */
static void make_raw_if_tty(int fd)
{
	struct termios tio;

	if (tcgetattr(fd, &tio))
		return;
	cfmakeraw(&tio);
	tcsetattr(fd, TCSANOW, &tio);
}

int port_open(const char *override_path)
{
	const struct timespec pause = { 0, PORT_RETRY_NS };
	char devpath[PATH_MAX] = "";
	int tries, fd;

	for (tries = 0; tries < PORT_OPEN_TRIES; tries++) {
		if (override_path) {
			snprintf(devpath, sizeof(devpath), "%s", override_path);
			fd = open(devpath, O_RDWR | O_NOCTTY | O_CLOEXEC);
		} else {
			fd = find_and_open(devpath, sizeof(devpath));
		}
		if (fd >= 0) {
			make_raw_if_tty(fd);
			return fd;
		}
		nanosleep(&pause, NULL);
	}
	if (devpath[0])
		agent_log("cannot open %s: %s", devpath, strerror(errno));
	else
		agent_log("no virtio port named %s in " PORT_SYSFS_DIR, PMT_AGENT_PORT_NAME);
	return -1;
}

int port_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	/* virtio_console takes at most 32 KiB per write(): partial writes are normal. */
	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
