/* SPDX-License-Identifier: MIT */
/*
 * The agent's commands (see the table in agent_proto.h).  A handler fills
 * @result and returns 0, or returns -1 with a one-line reason in @err;
 * main.c turns that into the reply.
 */
#ifndef PMT_AGENT_COMMANDS_H
#define PMT_AGENT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

typedef int command_handler(struct json_object *args, struct json_object *result,
			    char *err, size_t errlen);

struct command {
	const char *name;
	command_handler *handler;
};

const struct command *command_find(const char *name);

/* Set by the poweroff handler: main.c powers off once the reply is out. */
extern bool agent_poweroff_requested;

command_handler cmd_ping, cmd_exec, cmd_run, cmd_poweroff;	/* cmd_basic.c */
command_handler cmd_mkfs, cmd_mount, cmd_umount, cmd_fsck;	/* cmd_fs.c */
command_handler cmd_devices;					/* cmd_devices.c */
command_handler cmd_mark, cmd_dmesg;				/* cmd_kmsg.c */
command_handler cmd_verify, cmd_drop_caches;			/* cmd_verify.c */

/* Write "pmtorture-mark: @name" to the kernel log (mark, and mount's "mark"):
 * 0, or -1 with @err. */
int kmsg_mark(const char *name, char *err, size_t errlen);

#endif /* PMT_AGENT_COMMANDS_H */
