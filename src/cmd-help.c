/* job help: the usage of a command, the same text as `job CMD -h`. */
#include <stdio.h>

#include "cmd.h"

static int
cmd_help(struct ctx *ctx, struct cmd_args *a)
{
	const struct cmd_entry *entry;
	struct err e;

	if (a->opt.noperands == 0) {
		cmd_global_usage(stdout);
		return EXIT_OK;
	}
	entry = cmd_find(a->opt.operands[0]);
	if (entry == NULL) {
		err_set(&e, ERR_USAGE, "unknown command '%s'",
		    a->opt.operands[0]);
		return cmd_error(ctx, &e);
	}
	cmd_usage(entry, stdout);
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.summary = "Show the commands, or one command's usage.",
	.grammar = {
		.operand = "COMMAND",
		.noun = "command",
		.max = 1,
	},
	.flags = 0,
	.exec = cmd_help,
};
