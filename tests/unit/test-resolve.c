/*
 * Tests src/resolve.c: how resolve_pick turns what the store matched (an
 * exact id, id prefixes, a name) into one job or a not_found / ambiguous
 * error with the candidates listed.
 */
#include "resolve.h"

#include "unit.h"

#define ID_A "01ARZ3NDEKTSV4RRFFQ69G5FAA"
#define ID_B "01ARZ3NDEKTSV4RRFFQ69G5FAB"
#define ID_C "01ARZ3NDEKTSV4RRFFQ69G5FAC"
#define ID_N "01BX5ZZKBKACTAV9WEVGEMMVRZ"

static void
add_prefix(struct resolve_matches *m, const char *id)
{
	snprintf(m->prefix_ids[m->nprefix++], ULID_LEN + 1, "%s", id);
}

/*
 * out and the error start full of '#', so that an id copied without its
 * NUL, or an out written on failure, shows.
 */
static void
init(struct resolve_matches *m, struct err *e, char *out)
{
	memset(m, 0, sizeof(*m));
	memset(e, '#', sizeof(*e));
	e->ncandidates = -1;
	memset(out, '#', ULID_LEN + 1);
}

/* The 27 bytes of an id buffer: the id and its NUL. */
#define ID_IS(buf, id) CHECK_EQ_MEM((buf), ULID_LEN + 1, (id), ULID_LEN + 1)
#define UNTOUCHED(buf) ID_IS((buf), "###########################")

static void
test_exact(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	init(&m, &e, out);
	m.exact = true;
	add_prefix(&m, ID_A);
	CHECK_EQ_INT(resolve_pick(ID_A, &m, out, &e), 0);
	ID_IS(out, ID_A);
}

static void
test_one_prefix(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	init(&m, &e, out);
	add_prefix(&m, ID_B);
	CHECK_EQ_INT(resolve_pick("01arz3", &m, out, &e), 0);
	ID_IS(out, ID_B);
}

static void
test_none(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	init(&m, &e, out);
	CHECK_EQ_INT(resolve_pick("nosuch", &m, out, &e), -1);
	CHECK_EQ_INT(e.code, ERR_NOT_FOUND);
	CHECK_CONTAINS(e.msg, "nosuch");
	CHECK_EQ_INT(e.ncandidates, 0);
	UNTOUCHED(out);

	/* A NULL err is allowed. */
	CHECK_EQ_INT(resolve_pick("nosuch", &m, out, NULL), -1);
}

static void
test_several_prefixes(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	init(&m, &e, out);
	add_prefix(&m, ID_A);
	add_prefix(&m, ID_B);
	add_prefix(&m, ID_C);
	CHECK_EQ_INT(resolve_pick("01ARZ", &m, out, &e), -1);
	CHECK_EQ_INT(e.code, ERR_AMBIGUOUS);
	CHECK_CONTAINS(e.msg, "01ARZ");
	CHECK_CONTAINS(e.msg, "3 jobs");
	if (CHECK_EQ_INT(e.ncandidates, 3)) {
		ID_IS(e.candidates[0], ID_A);
		ID_IS(e.candidates[1], ID_B);
		ID_IS(e.candidates[2], ID_C);
	}
	UNTOUCHED(out);

	CHECK_EQ_INT(resolve_pick("01ARZ", &m, out, NULL), -1);
}

static void
test_prefix_more(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];
	char id[ULID_LEN + 1];
	int i;

	/* One listed, more exist: still ambiguous. */
	init(&m, &e, out);
	add_prefix(&m, ID_A);
	m.prefix_more = true;
	CHECK_EQ_INT(resolve_pick("0", &m, out, &e), -1);
	CHECK_EQ_INT(e.code, ERR_AMBIGUOUS);
	CHECK_CONTAINS(e.msg, "more than");
	if (CHECK_EQ_INT(e.ncandidates, 1))
		ID_IS(e.candidates[0], ID_A);
	UNTOUCHED(out);

	/* A full list and more. */
	init(&m, &e, out);
	for (i = 0; i < ERR_MAX_CANDIDATES; i++) {
		snprintf(id, sizeof(id), "01ARZ3NDEKTSV4RRFFQ69G5F%02d", i);
		add_prefix(&m, id);
	}
	m.prefix_more = true;
	CHECK_EQ_INT(resolve_pick("01", &m, out, &e), -1);
	CHECK_EQ_INT(e.code, ERR_AMBIGUOUS);
	CHECK_CONTAINS(e.msg, "more than 10");
	if (CHECK_EQ_INT(e.ncandidates, ERR_MAX_CANDIDATES)) {
		ID_IS(e.candidates[0], "01ARZ3NDEKTSV4RRFFQ69G5F00");
		ID_IS(e.candidates[9], "01ARZ3NDEKTSV4RRFFQ69G5F09");
	}
}

static void
test_name_only(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	init(&m, &e, out);
	snprintf(m.name_id, sizeof(m.name_id), "%s", ID_N);
	CHECK_EQ_INT(resolve_pick("build", &m, out, &e), 0);
	ID_IS(out, ID_N);
}

static void
test_name_equals_prefix(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	/* "deadbeef"-like names can be prefixes too; the same job is fine. */
	init(&m, &e, out);
	add_prefix(&m, ID_A);
	snprintf(m.name_id, sizeof(m.name_id), "%s", ID_A);
	CHECK_EQ_INT(resolve_pick("01arz", &m, out, &e), 0);
	ID_IS(out, ID_A);
}

static void
test_name_and_other_prefix(void)
{
	struct resolve_matches m;
	struct err e;
	char out[ULID_LEN + 1];

	init(&m, &e, out);
	add_prefix(&m, ID_A);
	snprintf(m.name_id, sizeof(m.name_id), "%s", ID_N);
	CHECK_EQ_INT(resolve_pick("01arz", &m, out, &e), -1);
	CHECK_EQ_INT(e.code, ERR_AMBIGUOUS);
	CHECK_CONTAINS(e.msg, "2 jobs");
	if (CHECK_EQ_INT(e.ncandidates, 2)) {
		ID_IS(e.candidates[0], ID_A);
		ID_IS(e.candidates[1], ID_N);
	}
	UNTOUCHED(out);

	/* Two prefixes, the name being one of them: two candidates. */
	init(&m, &e, out);
	add_prefix(&m, ID_A);
	add_prefix(&m, ID_B);
	snprintf(m.name_id, sizeof(m.name_id), "%s", ID_B);
	CHECK_EQ_INT(resolve_pick("01arz", &m, out, &e), -1);
	CHECK_EQ_INT(e.code, ERR_AMBIGUOUS);
	if (CHECK_EQ_INT(e.ncandidates, 2)) {
		ID_IS(e.candidates[0], ID_A);
		ID_IS(e.candidates[1], ID_B);
	}
}

int
main(void)
{
	test_exact();
	test_one_prefix();
	test_none();
	test_several_prefixes();
	test_prefix_more();
	test_name_only();
	test_name_equals_prefix();
	test_name_and_other_prefix();
	return unit_done();
}
