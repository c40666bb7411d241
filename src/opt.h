/*
 * Option parsing for subcommands. Options may come before or after the
 * words; "--" ends them. Long options take "--name value" or
 * "--name=value"; short ones "-n value". What is not an option is left in
 * order in the words array.
 */
#ifndef JOB_OPT_H
#define JOB_OPT_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"

enum opt_arg { OPT_NONE, OPT_VALUE };

struct opt_spec {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 0 for none */
	enum opt_arg arg;
	int id;			/* returned for a match */
};

struct opt_state {
	int argc;
	char **argv;
	int i;			/* next argv index */
	bool done;		/* "--" seen */
	bool *json;		/* set when --json is seen */
	char **words;		/* the non-option words, in order */
	int nwords;
};

/*
 * Every command takes --json (handled here: it sets *json) and -h/--help
 * (handled by main before the command runs). Fails only out of memory.
 */
int opt_init(struct opt_state *st, int argc, char **argv, bool *json,
    struct err *e);
void opt_free(struct opt_state *st);
/*
 * Returns the next option's id (> 0) and sets *value for OPT_VALUE options;
 * 0 when done; -1 (after filling e) for an unknown option or a missing
 * value.
 */
int opt_next(struct opt_state *st, const struct opt_spec *specs,
    const char **value, struct err *e);

/* Checked number parsing: the whole string, within [min, max]. */
int opt_int(const char *opt, const char *s, int64_t min, int64_t max,
    int64_t *out, struct err *e);
int opt_duration(const char *opt, const char *s, int64_t *ms, struct err *e);

#endif
