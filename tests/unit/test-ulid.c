/*
 * Tests src/ulid.c: ulid_encode on known vectors, ulid_new's shape and
 * ordering, and the prefix checks and normalisation used for references.
 */
#include "ulid.h"

#include <time.h>

#include "unit.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void
test_encode_vectors(void)
{
	unsigned char zeros[10] = { 0 };
	unsigned char ones[10];
	unsigned char seq[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	char out[ULID_LEN + 1];

	memset(ones, 0xFF, sizeof(ones));

	memset(out, 'X', sizeof(out));
	ulid_encode(0, zeros, out);
	CHECK_EQ_STR(out, "00000000000000000000000000");

	ulid_encode(1469918176385, zeros, out);
	CHECK_EQ_INT(strlen(out), ULID_LEN);
	CHECK_EQ_MEM(out, 10, "01ARYZ6S41", 10);
	CHECK_EQ_MEM(out + 10, 16, "0000000000000000", 16);

	/* The time of the spec's example 01ARZ3NDEKTSV4RRFFQ69G5FAV. */
	ulid_encode(1469922850259, zeros, out);
	CHECK_EQ_MEM(out, 10, "01ARZ3NDEK", 10);

	ulid_encode(0, ones, out);
	CHECK_EQ_STR(out, "0000000000ZZZZZZZZZZZZZZZZ");
	CHECK_EQ_MEM(out + 10, 16, "ZZZZZZZZZZZZZZZZ", 16);

	/* Bytes 01..0A: big-endian 80 bits in 16 groups of 5. */
	ulid_encode(0, seq, out);
	CHECK_EQ_STR(out + 10, "041061050R3GG28A");

	/* The largest 48-bit time. */
	ulid_encode(((int64_t)1 << 48) - 1, ones, out);
	CHECK_EQ_STR(out, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
}

/* ulid_encode writes ULID_LEN + 1 bytes and not one more. */
static void
test_encode_bounds(void)
{
	unsigned char ones[10];
	char buf[ULID_LEN + 1 + 16];
	size_t i;

	memset(ones, 0xFF, sizeof(ones));
	memset(buf, '#', sizeof(buf));
	ulid_encode(0, ones, buf);
	CHECK_EQ_INT(buf[ULID_LEN], '\0');
	for (i = ULID_LEN + 1; i < sizeof(buf); i++)
		if (!CHECK_EQ_INT(buf[i], '#'))
			break;
}

/* Milliseconds since the epoch from an id's first 10 characters. */
static int64_t
decode_time(const char *id)
{
	int64_t t = 0;
	int i;

	for (i = 0; i < 10; i++)
		t = t * 32 + (strchr(crockford, id[i]) - crockford);
	return t;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every character of s is in the Crockford alphabet (upper case). */
static bool
all_crockford(const char *s)
{
	for (; *s != '\0'; s++)
		if (strchr(crockford, *s) == NULL)
			return false;
	return true;
}

static void
test_new(void)
{
	char a[ULID_LEN + 1], b[ULID_LEN + 1], c[ULID_LEN + 1];
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	CHECK_EQ_INT(ulid_new(a), 0);
	CHECK_EQ_INT(strlen(a), ULID_LEN);
	CHECK(all_crockford(a));
	/* Times up to the year 10889 begin with 0-7. */
	CHECK(a[0] >= '0' && a[0] <= '7');

	CHECK_EQ_INT(ulid_new(b), 0);
	CHECK(strcmp(a, b) != 0);

	nanosleep(&ts, NULL);
	CHECK_EQ_INT(ulid_new(c), 0);
	CHECK_EQ_INT(strlen(c), ULID_LEN);
	CHECK(all_crockford(c));
	/* 2 ms later: the time part, and so the whole id, sorts after. */
	CHECK(memcmp(a, c, 10) < 0);
	CHECK(memcmp(b, c, 10) < 0);
	CHECK(strcmp(a, c) < 0);
	CHECK(strcmp(b, c) < 0);
}

/* The time part is the clock's, in milliseconds. */
static void
test_new_time(void)
{
	char id[ULID_LEN + 1];
	int64_t before, after, t;

	before = now_ms();
	CHECK_EQ_INT(ulid_new(id), 0);
	after = now_ms();
	t = decode_time(id);
	if (!CHECK(before <= t && t <= after))
		fprintf(stderr, "  %lld not in [%lld, %lld]\n", (long long)t,
		    (long long)before, (long long)after);
}

/*
 * All 80 random bits come from the random source: over 64 ids each of the
 * 16 random characters takes more than one value (the chance that a fair
 * one does not is 32^-63).
 */
static void
test_new_random(void)
{
	char first[ULID_LEN + 1], id[ULID_LEN + 1];
	bool varied[ULID_LEN] = { false };
	int i, k;

	CHECK_EQ_INT(ulid_new(first), 0);
	for (k = 0; k < 63; k++) {
		CHECK_EQ_INT(ulid_new(id), 0);
		for (i = 10; i < ULID_LEN; i++)
			if (id[i] != first[i])
				varied[i] = true;
	}
	for (i = 10; i < ULID_LEN; i++)
		if (!CHECK(varied[i]))
			fprintf(stderr, "  character %d never changed\n", i);
}

static void
test_is_prefix(void)
{
	CHECK(ulid_is_prefix("0", 1));
	CHECK(ulid_is_prefix("01ARYZ", 6));
	CHECK(ulid_is_prefix("01aryz", 6));
	CHECK(ulid_is_prefix("01ARZ3NDEKTSV4RRFFQ69G5FAV", 26));
	CHECK(ulid_is_prefix("01arz3ndektsv4rrffq69g5fav", 26));
	/* The Crockford aliases. */
	CHECK(ulid_is_prefix("O", 1));
	CHECK(ulid_is_prefix("o", 1));
	CHECK(ulid_is_prefix("I", 1));
	CHECK(ulid_is_prefix("i", 1));
	CHECK(ulid_is_prefix("L", 1));
	CHECK(ulid_is_prefix("l", 1));
	/* Only len bytes count. */
	CHECK(ulid_is_prefix("01%", 2));

	CHECK(!ulid_is_prefix("", 0));
	CHECK(!ulid_is_prefix("01ARZ", 0));
	CHECK(!ulid_is_prefix("U", 1));
	CHECK(!ulid_is_prefix("u", 1));
	CHECK(!ulid_is_prefix("01U", 3));
	CHECK(!ulid_is_prefix("%", 1));
	CHECK(!ulid_is_prefix("01%", 3));
	CHECK(!ulid_is_prefix("_", 1));
	CHECK(!ulid_is_prefix("01_", 3));
	CHECK(!ulid_is_prefix("'", 1));
	CHECK(!ulid_is_prefix("01'--", 5));
	CHECK(!ulid_is_prefix("-", 1));
	CHECK(!ulid_is_prefix(" ", 1));
	CHECK(!ulid_is_prefix("build", 5));	/* 'U' */
	CHECK(!ulid_is_prefix("\xc3\x89", 2));
	CHECK(!ulid_is_prefix("0\0", 2));
	CHECK(!ulid_is_prefix("01ARZ3NDEKTSV4RRFFQ69G5FAV0", 27));
	/* No id starts past 7: 48 bits of time in 10 characters. */
	CHECK(ulid_is_prefix("7", 1));
	CHECK(ulid_is_prefix("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 26));
	CHECK(!ulid_is_prefix("8", 1));
	CHECK(!ulid_is_prefix("ZZZ", 3));
	CHECK(!ulid_is_prefix("000000000000000000000000000000", 30));
}

/* Checks that normalising in gives want. */
static void
normalizes(const char *in, const char *want)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", in);
	ulid_normalize(buf);
	CHECK_EQ_STR(buf, want);
}

static void
test_normalize(void)
{
	normalizes("01aryz6s41", "01ARYZ6S41");
	normalizes("01ARYZ6S41", "01ARYZ6S41");
	normalizes("O", "0");
	normalizes("o", "0");
	normalizes("I", "1");
	normalizes("i", "1");
	normalizes("L", "1");
	normalizes("l", "1");
	normalizes("oIlL", "0111");
	normalizes("01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FAV");
	normalizes("", "");
}

int
main(void)
{
	test_encode_vectors();
	test_encode_bounds();
	test_new();
	test_new_time();
	test_new_random();
	test_is_prefix();
	test_normalize();
	return unit_done();
}
