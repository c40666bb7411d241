/*
 * Errors travel up from the lower layers in a struct err: a code from the one
 * documented table, a message, and for ambiguous references the candidates.
 * Only commands decide what is printed and which exit status follows.
 */
#ifndef JOB_ERR_H
#define JOB_ERR_H

#include <stddef.h>

enum err_code {
	ERR_NONE = 0,
	ERR_USAGE,		/* bad arguments: exit 2 */
	ERR_NOT_FOUND,		/* no job matches a reference */
	ERR_AMBIGUOUS,		/* a reference matches several jobs */
	ERR_NAME_IN_USE,	/* an active job in the project has the name */
	ERR_SPAWN_FAILED,	/* the command could not be started */
	ERR_STORE,		/* job.db could not be read or written */
	ERR_IO			/* any other system error */
};

#define ERR_MAX_CANDIDATES 10

struct err {
	enum err_code code;
	char msg[1024];
	char candidates[ERR_MAX_CANDIDATES][27]; /* job ids, for ambiguous */
	int ncandidates;
};

/* Fills e (when not NULL) and returns -1, so callers can "return err_set()". */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like err_set, with ": strerror(errnum)" appended. */
int err_sys(struct err *e, enum err_code code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void err_clear(struct err *e);
const char *err_code_name(enum err_code code);

#endif
