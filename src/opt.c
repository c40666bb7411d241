/* The one parser of subcommand arguments, and the usage made from it. */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define ID_JSON (-1)
#define ID_HELP (-2)
#define HELP_COLUMN 23		/* where a usage line's help starts */

/* What every command takes besides its own options. */
static const struct opt_spec common[] = {
	{ "json", 0, OPT_FLAG, ID_JSON, NULL, NULL, 0, 0, NULL },
	{ "help", 'h', OPT_FLAG, ID_HELP, NULL, NULL, 0, 0, NULL },
	{ NULL, 0, OPT_FLAG, 0, NULL, NULL, 0, 0, NULL },
};

static const struct opt_spec *
find_long(const struct opt_spec *specs, const char *name, size_t len)
{
	const struct opt_spec *tables[2] = { specs, common };
	const struct opt_spec *o;
	int t;

	for (t = 0; t < 2; t++)
		for (o = tables[t]; o != NULL && o->name != NULL; o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, name, len) == 0)
				return o;
	return NULL;
}

static const struct opt_spec *
find_short(const struct opt_spec *specs, char c)
{
	const struct opt_spec *tables[2] = { specs, common };
	const struct opt_spec *o;
	int t;

	for (t = 0; t < 2; t++)
		for (o = tables[t]; o != NULL && o->name != NULL; o++)
			if (o->short_name != 0 && o->short_name == c)
				return o;
	return NULL;
}

const struct opt_spec *
opt_find_long(const struct opt_spec *specs, const char *arg)
{
	const struct opt_spec *o;
	size_t len;

	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
		return NULL;
	len = strcspn(arg + 2, "=");
	for (o = specs; o != NULL && o->name != NULL; o++)
		if (strlen(o->name) == len &&
		    strncmp(o->name, arg + 2, len) == 0)
			return o;
	return NULL;
}

/* Checks and records one option; value is NULL for a flag. */
static int
take(struct opt_args *a, const struct opt_spec *o, const char *value,
    struct err *e)
{
	struct opt_value *v;
	int64_t num = 0;

	if (o->id == ID_JSON) {
		a->json = true;
		return 0;
	}
	if (o->id == ID_HELP) {
		a->help = true;
		return 0;
	}
	switch (o->type) {
	case OPT_INT:
		if (opt_int(o->name, value, o->min, o->max ? o->max :
		    INT64_MAX, &num, e) < 0)
			return -1;
		break;
	case OPT_DURATION:
		if (opt_duration(o->name, value, &num, e) < 0)
			return -1;
		if (num < o->min) {
			char least[32];
			duration_format(o->min, least, sizeof(least));
			return err_set(e, ERR_USAGE, "bad duration '%s' for "
			    "--%s: must be at least %s", value, o->name,
			    least);
		}
		break;
	default:
		break;
	}
	if (o->check != NULL && o->check(value, &num, e) < 0)
		return -1;
	v = &a->values[a->nvalues++];
	v->spec = o;
	v->value = value;
	v->num = num;
	return 0;
}

/* "--name", "--name=value" or "--name value" at argv[*i]. */
static int
parse_long(const struct opt_grammar *g, struct opt_args *a, int argc,
    char **argv, int *i, struct err *e)
{
	const char *arg = argv[*i], *eq = strchr(arg + 2, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	const struct opt_spec *o = find_long(g->options, arg + 2, len);

	if (o == NULL)
		return err_set(e, ERR_USAGE, "unknown option '%.*s'",
		    (int)(len + 2), arg);
	if (o->type == OPT_FLAG) {
		if (eq != NULL)
			return err_set(e, ERR_USAGE, "option '--%s' takes no "
			    "value", o->name);
		return take(a, o, NULL, e);
	}
	if (eq != NULL)
		return take(a, o, eq + 1, e);
	if (*i + 1 >= argc)
		return err_set(e, ERR_USAGE, "option '--%s' needs a value",
		    o->name);
	return take(a, o, argv[++*i], e);
}

/* "-f", a cluster of flags "-fp", ending perhaps in "-n value" or "-nv". */
static int
parse_short(const struct opt_grammar *g, struct opt_args *a, int argc,
    char **argv, int *i, struct err *e)
{
	const char *arg = argv[*i], *p;

	for (p = arg + 1; *p != '\0'; p++) {
		const struct opt_spec *o = find_short(g->options, *p);

		if (o == NULL) {
			if (arg[2] == '\0')
				return err_set(e, ERR_USAGE, "unknown option "
				    "'%s'", arg);
			return err_set(e, ERR_USAGE, "unknown option '-%c' in "
			    "'%s'", *p, arg);
		}
		if (o->type == OPT_FLAG) {
			if (take(a, o, NULL, e) < 0)
				return -1;
			continue;
		}
		if (p[1] != '\0')
			return take(a, o, p + 1, e);
		if (*i + 1 >= argc)
			return err_set(e, ERR_USAGE, "option '--%s' needs a "
			    "value", o->name);
		return take(a, o, argv[++*i], e);
	}
	return 0;
}

/* After a failed parse: a --json among the options still asks for JSON. */
static void
scan_json(const struct opt_grammar *g, struct opt_args *a, int argc,
    char **argv, int from)
{
	int i;

	for (i = from; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (g->stop && argv[i][0] != '-')
			break;
		if (strcmp(argv[i], "--json") == 0)
			a->json = true;
	}
}

static const struct opt_word *
find_word(const struct opt_word *words, const char *s)
{
	for (; words->word != NULL; words++)
		if (strcmp(words->word, s) == 0)
			return words;
	return NULL;
}

/* "a, b or c": the listed words, for messages. */
static void
word_list(const struct opt_word *words, char *buf, size_t len)
{
	const struct opt_word *w;
	size_t o = 0;
	int n = 0, i = 0;

	buf[0] = '\0';
	for (w = words; w->word != NULL; w++)
		if (w->help != NULL)
			n++;
	for (w = words; w->word != NULL && o < len; w++) {
		if (w->help == NULL)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    i == 0 ? "" : i == n - 1 ? " or " : ", ", w->word);
		i++;
	}
}

static int
check_operands(const struct opt_grammar *g, const struct opt_args *a,
    struct err *e)
{
	char list[256] = "";
	int i;

	if (g->words != NULL)
		word_list(g->words, list, sizeof(list));
	if (a->noperands < g->min)
		return err_set(e, ERR_USAGE, "no %s given%s%s", g->noun,
		    list[0] ? ": say " : "", list);
	if (g->max >= 0 && a->noperands > g->max) {
		const char *extra = a->operands[g->max];

		if (g->max == 0)
			return err_set(e, ERR_USAGE, "unexpected argument "
			    "'%s'", extra);
		if (g->max == 1)
			return err_set(e, ERR_USAGE, "one %s at a time: "
			    "unexpected '%s'", g->noun, extra);
		return err_set(e, ERR_USAGE, "at most %d %ss: unexpected "
		    "'%s'", g->max, g->noun, extra);
	}
	for (i = 0; g->words != NULL && i < a->noperands; i++)
		if (find_word(g->words, a->operands[i]) == NULL)
			return err_set(e, ERR_USAGE, "unknown %s '%s': say %s",
			    g->noun, a->operands[i], list);
	return 0;
}

int
opt_parse(const struct opt_grammar *g, int argc, char **argv,
    struct opt_args *a, struct err *e)
{
	bool done = false;
	size_t room = 1;
	int i;

	memset(a, 0, sizeof(*a));
	a->argc = argc;
	a->argv = argv;
	a->first = argc;
	/* Each option takes at least one letter of argv ("-fp" is two). */
	for (i = 1; i < argc; i++)
		room += strlen(argv[i]);
	a->values = calloc(room, sizeof(*a->values));
	a->operands = calloc((size_t)argc + 1, sizeof(*a->operands));
	if (a->values == NULL || a->operands == NULL)
		return err_set(e, ERR_IO, "out of memory");
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int rc;

		if (done || arg[0] != '-' || arg[1] == '\0') {
			if (a->noperands == 0)
				a->first = i;
			a->operands[a->noperands++] = argv[i];
			done = done || g->stop;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			a->dashdash = a->noperands == 0;
			done = true;
			continue;
		}
		rc = arg[1] == '-' ? parse_long(g, a, argc, argv, &i, e) :
		    parse_short(g, a, argc, argv, &i, e);
		if (rc < 0) {
			scan_json(g, a, argc, argv, i + 1);
			return -1;
		}
	}
	if (a->help)
		return 0;
	return check_operands(g, a, e);
}

void
opt_args_free(struct opt_args *a)
{
	free(a->values);
	free(a->operands);
	a->values = NULL;
	a->operands = NULL;
	a->nvalues = a->noperands = 0;
}

const struct opt_value *
opt_each(const struct opt_args *a, int id, const struct opt_value *prev)
{
	const struct opt_value *v = prev == NULL ? a->values : prev + 1;

	for (; v < a->values + a->nvalues; v++)
		if (v->spec->id == id)
			return v;
	return NULL;
}

const struct opt_value *
opt_last(const struct opt_args *a, int id)
{
	const struct opt_value *v, *last = NULL;

	for (v = opt_each(a, id, NULL); v != NULL; v = opt_each(a, id, v))
		last = v;
	return last;
}

bool
opt_has(const struct opt_args *a, int id)
{
	return opt_each(a, id, NULL) != NULL;
}

const char *
opt_str(const struct opt_args *a, int id, const char *dflt)
{
	const struct opt_value *v = opt_last(a, id);

	return v != NULL ? v->value : dflt;
}

int64_t
opt_num(const struct opt_args *a, int id, int64_t dflt)
{
	const struct opt_value *v = opt_last(a, id);

	return v != NULL ? v->num : dflt;
}

void
opt_print_synopsis(const struct opt_grammar *g, FILE *f)
{
	const struct opt_word *w;

	if ((g->options != NULL && g->options[0].name != NULL) ||
	    g->json_help != NULL)
		fputs(" [options]", f);
	if (g->stop)
		fputs(" [--]", f);
	if (g->max == 0)
		return;
	fputs(g->min == 0 ? " [" : " ", f);
	if (g->words != NULL) {
		bool first = true;
		for (w = g->words; w->word != NULL; w++) {
			if (w->help == NULL)
				continue;
			fprintf(f, "%s%s", first ? "" : "|", w->word);
			first = false;
		}
	} else
		fputs(g->operand, f);
	if (g->max < 0)
		fputs("...", f);
	if (g->min == 0)
		fputc(']', f);
}

/*
 * "  LEFT   help", the help starting at HELP_COLUMN on every line; on the
 * next line when LEFT leaves no room before it.
 */
static void
help_line(FILE *f, const char *left, const char *help)
{
	int col = fprintf(f, "  %s", left);
	const char *p;

	if (col >= HELP_COLUMN) {
		fputc('\n', f);
		col = 0;
	}
	do
		fputc(' ', f);
	while (++col < HELP_COLUMN);
	for (p = help; *p != '\0'; p++) {
		fputc(*p, f);
		if (*p == '\n')
			fprintf(f, "%*s", HELP_COLUMN, "");
	}
	fputc('\n', f);
}

void
opt_print_help(const struct opt_grammar *g, FILE *f)
{
	const struct opt_word *w;
	const struct opt_spec *o;
	char left[64];

	for (w = g->words; w != NULL && w->word != NULL; w++)
		if (w->help != NULL)
			help_line(f, w->word, w->help);
	if (g->operand_help != NULL) {
		snprintf(left, sizeof(left), "%s%s", g->operand,
		    g->max < 0 ? "..." : "");
		help_line(f, left, g->operand_help);
	}
	for (o = g->options; o != NULL && o->name != NULL; o++) {
		int n;

		if (o->short_name != 0)
			n = snprintf(left, sizeof(left), "-%c, --%s",
			    o->short_name, o->name);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->name);
		if (o->value_name != NULL)
			snprintf(left + n, sizeof(left) - (size_t)n, " %s",
			    o->value_name);
		help_line(f, left, o->help);
	}
	if (g->json_help != NULL)
		help_line(f, "    --json", g->json_help);
	help_line(f, "-h, --help", "show this help");
}

int
opt_int(const char *opt, const char *s, int64_t min, int64_t max,
    int64_t *out, struct err *e)
{
	char *end;
	long long v;

	errno = 0;
	/* strtoll would skip white space and take a '+': neither is ours. */
	if (*s != '-' && (*s < '0' || *s > '9'))
		goto bad;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return err_set(e, ERR_USAGE, "bad value '%s' for --%s: expected a "
	    "whole number from %lld to %lld", s, opt, (long long)min,
	    (long long)max);
}

int
opt_duration(const char *opt, const char *s, int64_t *ms, struct err *e)
{
	if (duration_parse(s, ms) < 0)
		return err_set(e, ERR_USAGE, "bad duration '%s' for --%s: "
		    "use forms like 500ms, 30s, 5m, 2h, 7d or 1h30m", s, opt);
	return 0;
}
