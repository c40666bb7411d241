/* The one option parser every subcommand uses. */
#include "opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define OPT_ID_JSON (-2)

static const struct opt_spec common[] = {
	{ "json", 0, OPT_NONE, OPT_ID_JSON },
	{ NULL, 0, OPT_NONE, 0 },
};

int
opt_init(struct opt_state *st, int argc, char **argv, bool *json,
    struct err *e)
{
	st->argc = argc;
	st->argv = argv;
	st->i = 1;
	st->done = false;
	st->json = json;
	st->nwords = 0;
	st->words = calloc((size_t)argc + 1, sizeof(*st->words));
	if (st->words == NULL)
		return err_set(e, ERR_IO, "out of memory");
	return 0;
}

void
opt_free(struct opt_state *st)
{
	free(st->words);
	st->words = NULL;
}

static const struct opt_spec *
find_long(const struct opt_spec *specs, const char *name, size_t len)
{
	const struct opt_spec *tables[2] = { specs, common };
	int t;

	for (t = 0; t < 2; t++) {
		const struct opt_spec *o;
		for (o = tables[t]; o != NULL && o->name != NULL; o++)
			if (strlen(o->name) == len &&
			    strncmp(o->name, name, len) == 0)
				return o;
	}
	return NULL;
}

static const struct opt_spec *
find_short(const struct opt_spec *specs, char c)
{
	const struct opt_spec *tables[2] = { specs, common };
	int t;

	for (t = 0; t < 2; t++) {
		const struct opt_spec *o;
		for (o = tables[t]; o != NULL && o->name != NULL; o++)
			if (o->short_name != 0 && o->short_name == c)
				return o;
	}
	return NULL;
}

int
opt_next(struct opt_state *st, const struct opt_spec *specs,
    const char **value, struct err *e)
{
	while (st->i < st->argc) {
		char *arg = st->argv[st->i++];
		const struct opt_spec *o;
		const char *inline_value = NULL;

		if (st->done || arg[0] != '-' || arg[1] == '\0') {
			st->words[st->nwords++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			st->done = true;
			continue;
		}
		if (arg[1] == '-') {
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) :
			    strlen(arg + 2);
			o = find_long(specs, arg + 2, len);
			if (eq != NULL)
				inline_value = eq + 1;
		} else {
			o = arg[2] == '\0' ? find_short(specs, arg[1]) : NULL;
			if (o == NULL && arg[2] != '\0' &&
			    find_short(specs, arg[1]) != NULL &&
			    find_short(specs, arg[1])->arg == OPT_VALUE) {
				o = find_short(specs, arg[1]);
				inline_value = arg + 2;
			}
		}
		if (o == NULL) {
			err_set(e, ERR_USAGE, "unknown option '%s'", arg);
			return -1;
		}
		if (o->arg == OPT_NONE) {
			if (inline_value != NULL) {
				err_set(e, ERR_USAGE,
				    "option '--%s' takes no value", o->name);
				return -1;
			}
			if (o->id == OPT_ID_JSON) {
				*st->json = true;
				continue;
			}
			*value = NULL;
			return o->id;
		}
		if (inline_value == NULL) {
			if (st->i >= st->argc) {
				err_set(e, ERR_USAGE,
				    "option '--%s' needs a value", o->name);
				return -1;
			}
			inline_value = st->argv[st->i++];
		}
		*value = inline_value;
		return o->id;
	}
	return 0;
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
