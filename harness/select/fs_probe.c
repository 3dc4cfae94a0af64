// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fs_probe.h"

#define EXT4_MAGIC_OFF	(1024 + 56)

const char *pmt_fs_of_image(const char *path)
{
	unsigned char head[EXT4_MAGIC_OFF + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n >= 4 && !memcmp(head, "XFSB", 4))
		return "xfs";
	if (n == (ssize_t)sizeof(head) && head[EXT4_MAGIC_OFF] == 0x53 &&
	    head[EXT4_MAGIC_OFF + 1] == 0xEF)
		return "ext4";
	return NULL;
}
