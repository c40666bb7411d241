/* Deciding what a job reference means; pure, tested in test-resolve.c. */
#include "resolve.h"

#include <string.h>

int
resolve_pick(const char *ref, const struct resolve_matches *m,
    char out[ULID_LEN + 1], struct err *e)
{
	char cand[ERR_MAX_CANDIDATES + 1][ULID_LEN + 1];
	int n = 0, i;

	if (m->exact) {
		memcpy(out, m->prefix_ids[0], ULID_LEN + 1);
		return 0;
	}
	for (i = 0; i < m->nprefix && n < ERR_MAX_CANDIDATES; i++)
		memcpy(cand[n++], m->prefix_ids[i], ULID_LEN + 1);
	if (m->name_id[0] != '\0') {
		bool seen = false;
		for (i = 0; i < n; i++)
			if (strcmp(cand[i], m->name_id) == 0)
				seen = true;
		if (!seen)
			memcpy(cand[n++], m->name_id, ULID_LEN + 1);
	}
	if (n == 0)
		return err_set(e, ERR_NOT_FOUND, "no job matches '%s'", ref);
	if (n == 1 && !m->prefix_more) {
		memcpy(out, cand[0], ULID_LEN + 1);
		return 0;
	}
	err_set(e, ERR_AMBIGUOUS, "'%s' matches %s%d jobs: use more of the id",
	    ref, m->prefix_more ? "more than " : "", n);
	if (e != NULL) {
		if (n > ERR_MAX_CANDIDATES)
			n = ERR_MAX_CANDIDATES;
		for (i = 0; i < n; i++)
			memcpy(e->candidates[i], cand[i], ULID_LEN + 1);
		e->ncandidates = n;
	}
	return -1;
}
