/*
 * Reference resolution: a full id, an unambiguous id prefix (any case), or a
 * job name (the most recent job with that name in the current project). The
 * store gathers what matches; this decides, and never picks one silently.
 */
#ifndef JOB_RESOLVE_H
#define JOB_RESOLVE_H

#include <stdbool.h>

#include "err.h"
#include "ulid.h"

struct resolve_matches {
	bool exact;			/* ref is a full id that exists */
	char prefix_ids[ERR_MAX_CANDIDATES][ULID_LEN + 1];
	int nprefix;			/* ids starting with ref (capped) */
	bool prefix_more;		/* more prefix matches than listed */
	char name_id[ULID_LEN + 1];	/* newest job named ref, or "" */
};

/* Picks the one job m names, or fails with not_found or ambiguous. */
int resolve_pick(const char *ref, const struct resolve_matches *m,
    char out[ULID_LEN + 1], struct err *e);

#endif
