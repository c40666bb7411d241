/* Filling struct err; the table of error code names lives here. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[] = {
	[ERR_NONE] = "none",
	[ERR_USAGE] = "usage",
	[ERR_NOT_FOUND] = "not_found",
	[ERR_AMBIGUOUS] = "ambiguous",
	[ERR_NAME_IN_USE] = "name_in_use",
	[ERR_SPAWN_FAILED] = "spawn_failed",
	[ERR_STORE] = "store",
	[ERR_IO] = "io",
};

int
err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->code = code;
	e->ncandidates = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_sys(struct err *e, enum err_code code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (e == NULL)
		return -1;
	e->code = code;
	e->ncandidates = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(errnum));
	return -1;
}

void
err_clear(struct err *e)
{
	e->code = ERR_NONE;
	e->msg[0] = '\0';
	e->ncandidates = 0;
}

const char *
err_code_name(enum err_code code)
{
	if ((size_t)code >= sizeof(code_names) / sizeof(code_names[0]))
		return "io";
	return code_names[code];
}
