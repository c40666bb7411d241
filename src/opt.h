/*
 * The grammar of a subcommand, declared once and used for everything: the
 * parse, the operand counts, the typed option values, the synopsis and the
 * -h text. A command states its options (with their help) and operands in
 * a struct opt_grammar; opt_parse turns its argv into a struct opt_args the
 * command only queries. Nothing here prints to a terminal or exits.
 */
#ifndef JOB_OPT_H
#define JOB_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum opt_type {
	OPT_FLAG,		/* takes no value */
	OPT_STRING,		/* any value */
	OPT_INT,		/* a whole number in [min, max] */
	OPT_DURATION,		/* a duration of at least min ms */
};

struct opt_spec {
	const char *name;	/* without "--"; NULL ends a table */
	char short_name;	/* 0 for none */
	enum opt_type type;
	int id;			/* > 0: what the command asks for */
	const char *value_name;	/* the value in the usage: "DUR", "N" */
	const char *help;	/* the usage text; "\n" starts another line */
	int64_t min, max;	/* OPT_INT: the range, max 0 for none;
				 * OPT_DURATION: the least, in ms */
	/* A further check of an OPT_STRING value; may set *num. */
	int (*check)(const char *value, int64_t *num, struct err *e);
};

/* A fixed operand, such as an action: the only ones then allowed. */
struct opt_word {
	const char *word;
	const char *help;	/* NULL: accepted, but not listed */
};

struct opt_grammar {
	const struct opt_spec *options;	/* the command's own, or NULL */
	const char *operand;	/* in the synopsis: "REF", "COMMAND" */
	const char *noun;	/* in errors: "no job given" */
	const char *operand_help; /* a usage line about the operand, or NULL */
	const struct opt_word *words; /* the only operands allowed, or NULL */
	int min, max;		/* how many operands; max -1: no limit */
	bool stop;		/* options end at the first operand */
	const char *json_help;	/* the usage's --json line, or NULL */
};

/* One option as given. */
struct opt_value {
	const struct opt_spec *spec;
	const char *value;	/* NULL for a flag */
	int64_t num;		/* OPT_INT, OPT_DURATION, or set by check */
};

struct opt_args {
	struct opt_value *values; /* every option given, in order */
	int nvalues;
	char **operands;	/* the rest, in order */
	int noperands;
	int first;		/* argv index of the first operand */
	bool dashdash;		/* "--" came before the first operand */
	bool json;		/* --json was given */
	bool help;		/* -h or --help was given */
	int argc;		/* what was parsed: argv[0] is the command */
	char **argv;
};

/*
 * Parses argv (argv[0] is the command's name) by the grammar. Every command
 * also takes --json and -h/--help. Options may come before or after the
 * operands unless g->stop; "--" ends them either way. Long options take
 * "--name value" or "--name=value"; short ones "-n value" or "-nvalue",
 * and flags cluster ("-fp"). With -h or --help given, the operands are not
 * counted. Fails with ERR_USAGE naming what was wrong; a->json is set even
 * then when --json was among the options.
 */
int opt_parse(const struct opt_grammar *g, int argc, char **argv,
    struct opt_args *a, struct err *e);
void opt_args_free(struct opt_args *a);

/* Whether the option was given. */
bool opt_has(const struct opt_args *a, int id);
/* The option's last value, or NULL when it was not given. */
const struct opt_value *opt_last(const struct opt_args *a, int id);
/* Its last string value, or dflt. */
const char *opt_str(const struct opt_args *a, int id, const char *dflt);
/* Its last number, or dflt. */
int64_t opt_num(const struct opt_args *a, int id, int64_t dflt);
/* Each value of a repeatable option: pass NULL first, then the last. */
const struct opt_value *opt_each(const struct opt_args *a, int id,
    const struct opt_value *prev);

/*
 * The option of specs that arg ("--name" or "--name=value") names, or NULL:
 * for spotting a command's options where they are not options.
 */
const struct opt_spec *opt_find_long(const struct opt_spec *specs,
    const char *arg);

/* The synopsis after the command's name: "[options] [--] COMMAND...". */
void opt_print_synopsis(const struct opt_grammar *g, FILE *f);
/* The usage lines: words, operand, options, --json and -h. */
void opt_print_help(const struct opt_grammar *g, FILE *f);

/* Checked number parsing: the whole string, within [min, max]. */
int opt_int(const char *opt, const char *s, int64_t min, int64_t max,
    int64_t *out, struct err *e);
int opt_duration(const char *opt, const char *s, int64_t *ms, struct err *e);

#endif
