// SPDX-License-Identifier: MIT
/* The command table: adding a command is one handler and one line here. */
#include <string.h>

#include "commands.h"


static const struct command commands[] = {
	{ "ping",	cmd_ping },
	{ "exec",	cmd_exec },
	{ "mkfs",	cmd_mkfs },
	{ "mount",	cmd_mount },
	{ "umount",	cmd_umount },
	{ "fsck",	cmd_fsck },
	{ "devices",	cmd_devices },
	{ "mark",	cmd_mark },
	{ "dmesg",	cmd_dmesg },
	{ "run",	cmd_run },
	{ "verify",	cmd_verify },
	{ "drop_caches",	cmd_drop_caches },
	{ "poweroff",	cmd_poweroff },
};

const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}
