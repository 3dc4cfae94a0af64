/* SPDX-License-Identifier: MIT */
/* The agent's end of the virtio-serial port to the host. */
#ifndef PMT_AGENT_PORT_H
#define PMT_AGENT_PORT_H

#include <stddef.h>

/*
 * Open the port.  @override_path (from PMT_AGENT_PORT, which exists only
 * for testing the agent on the host) names the file to open instead of
 * searching /sys/class/virtio-ports.  Retries for about ten seconds,
 * because the port can appear after the agent starts.  Returns the fd or
 * -1 after logging why.
 */
int port_open(const char *override_path);

/* Write all of @buf; returns 0 or -1 with errno set. */
int port_write_all(int fd, const char *buf, size_t len);

#endif /* PMT_AGENT_PORT_H */
