/* job help: the usage of a command, the same text as `job CMD -h`. */
#include <stdio.h>

#include "cmd.h"
#include "opt.h"

static const struct opt_spec options[] = {
	{ NULL, 0, OPT_NONE, 0 },
};

static int
cmd_help(struct ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *entry;
	struct opt_state st;
	struct err e;
	const char *value;

	err_clear(&e);
	if (opt_init(&st, argc, argv, &ctx->json, &e) < 0)
		return cmd_error(ctx, &e);
	if (opt_next(&st, options, &value, &e) < 0 || st.nwords > 1) {
		if (e.code == ERR_NONE)
			err_set(&e, ERR_USAGE, "unexpected argument '%s'",
			    st.words[1]);
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	if (st.nwords == 0) {
		cmd_global_usage(stdout);
		opt_free(&st);
		return EXIT_OK;
	}
	entry = cmd_find(st.words[0]);
	if (entry == NULL) {
		err_set(&e, ERR_USAGE, "unknown command '%s'", st.words[0]);
		opt_free(&st);
		return cmd_error(ctx, &e);
	}
	cmd_usage(entry, stdout);
	opt_free(&st);
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "Show the commands, or one command's usage.",
	.usage = "",
	.options = options,
	.flags = 0,
	.exec = cmd_help,
};
