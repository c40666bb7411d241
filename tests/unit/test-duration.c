/*
 * Tests src/duration.c: duration_parse on the accepted forms and the
 * malformed ones, and duration_format's short forms and round trips.
 */
#include "duration.h"

#include "unit.h"

/* Checks that s parses to want milliseconds. */
static void
parses(const char *s, int64_t want)
{
	int64_t ms = -12345;

	if (!CHECK_EQ_INT(duration_parse(s, &ms), 0)) {
		fprintf(stderr, "  input was \"%s\"\n", s);
		return;
	}
	if (!CHECK_EQ_INT(ms, want))
		fprintf(stderr, "  input was \"%s\"\n", s);
}

/* Checks that s is rejected and *ms left alone. */
static void
rejects(const char *s)
{
	int64_t ms = -12345;

	if (!CHECK_EQ_INT(duration_parse(s, &ms), -1))
		fprintf(stderr, "  input was \"%s\"\n", s);
	CHECK_EQ_INT(ms, -12345);
}

static void
test_parse_valid(void)
{
	parses("500ms", 500);
	parses("30s", 30000);
	parses("5m", 300000);
	parses("2h", 7200000);
	parses("7d", (int64_t)7 * 86400000);
	parses("1h30m", 5400000);
	parses("0s", 0);
	parses("0ms", 0);
	parses("1d2h3m4s5ms",
	    86400000 + 2 * 3600000 + 3 * 60000 + 4 * 1000 + 5);
	parses("1m5ms", 60005);
	parses("1s500ms", 1500);
	parses("90s", 90000);
	parses("007s", 7000);
	/* The limit itself is accepted, in any unit. */
	parses("36500d", DURATION_MAX_MS);
	parses("3153600000000ms", DURATION_MAX_MS);
}

static void
test_parse_invalid(void)
{
	rejects("");
	rejects("5");
	rejects("5x");
	rejects("-5s");
	rejects("+5s");
	rejects("5 s");
	rejects(" 5s");
	rejects("5s ");
	rejects("1m1h");	/* not descending */
	rejects("1s1m");
	rejects("1ms1s");
	rejects("1h1h");
	rejects("1m1m");
	rejects("99999999999d");	/* over DURATION_MAX_MS */
	rejects("36501d");
	rejects("36500d1ms");
	rejects("3153600000001ms");
	rejects("99999999999999999999999ms");
	rejects("ms");
	rejects("s5");
	rejects("1h30");
	rejects("5mss");
	rejects("1.5s");
	rejects("5S");
	CHECK_EQ_INT(duration_parse(NULL, &(int64_t){ 0 }), -1);
}

/* Checks duration_format(ms) against want. */
static void
formats(int64_t ms, const char *want)
{
	char buf[64];

	memset(buf, 'X', sizeof(buf));
	duration_format(ms, buf, sizeof(buf));
	if (!CHECK_EQ_STR(buf, want))
		fprintf(stderr, "  ms was %lld\n", (long long)ms);
}

static void
test_format(void)
{
	formats(0, "0s");
	formats(1, "1ms");
	formats(250, "250ms");
	formats(999, "999ms");
	formats(1000, "1s");
	formats(1500, "1.5s");
	formats(59999, "59.9s");
	/* Tenths are cut, not rounded; whole seconds are exact. */
	formats(30010, "30.0s");
	formats(2001, "2.0s");
	formats(30000, "30s");
	formats(60000, "1m");
	formats(90000, "1m30s");
	formats(5400000, "1h30m");
	formats(7200000, "2h");
	formats((int64_t)7 * 86400000, "7d");
	/* Two components at most, sub-seconds dropped past a minute. */
	formats(3661000, "1h1m");
	formats(60500, "1m");
	formats(86400000 + 60000, "1d");
	formats(-5, "0s");
}

/* format(ms) parses back to ms. */
static void
round_trip(int64_t ms)
{
	char buf[64];
	int64_t back = -1;

	duration_format(ms, buf, sizeof(buf));
	if (!CHECK_EQ_INT(duration_parse(buf, &back), 0) ||
	    !CHECK_EQ_INT(back, ms))
		fprintf(stderr, "  ms %lld formatted as \"%s\"\n",
		    (long long)ms, buf);
}

/* parse(s) formats back to s. */
static void
round_trip_str(const char *s)
{
	char buf[64];
	int64_t ms = -1;

	if (!CHECK_EQ_INT(duration_parse(s, &ms), 0))
		return;
	duration_format(ms, buf, sizeof(buf));
	CHECK_EQ_STR(buf, s);
}

static void
test_round_trip(void)
{
	static const int64_t values[] = {
		0, 1, 250, 999, 1000, 30000, 59000, 60000, 90000, 300000,
		3600000, 5400000, 7200000, 86400000, 93600000, 604800000,
		DURATION_MAX_MS,
	};
	size_t i;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		round_trip(values[i]);
	round_trip_str("0s");
	round_trip_str("500ms");
	round_trip_str("30s");
	round_trip_str("5m");
	round_trip_str("2h");
	round_trip_str("7d");
	round_trip_str("1h30m");
	round_trip_str("1d2h");
}

static void
test_format_small_buffer(void)
{
	char buf[4];

	/* snprintf truncation: always terminated, never overrun. */
	duration_format(5400000, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "1h3");
	duration_format(123, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "123");
}

int
main(void)
{
	test_parse_valid();
	test_parse_invalid();
	test_format();
	test_round_trip();
	test_format_small_buffer();
	return unit_done();
}
