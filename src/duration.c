/* Parsing and formatting durations; pure, unit-tested in test-duration.c. */
#include "duration.h"

#include <stdio.h>
#include <string.h>

struct unit {
	const char *suffix;
	int64_t ms;
};

/* Descending, so each component must be smaller than the one before. */
static const struct unit units[] = {
	{ "d", 86400000 },
	{ "h", 3600000 },
	{ "m", 60000 },
	{ "s", 1000 },
	{ "ms", 1 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int
duration_parse(const char *s, int64_t *ms)
{
	int64_t total = 0;
	size_t next_unit = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		int64_t n = 0;
		size_t i, digits = 0;

		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (*s - '0');
			if (n > DURATION_MAX_MS)
				return -1;
			s++;
			digits++;
		}
		if (digits == 0)
			return -1;
		/* "ms" must be tried before "m". */
		for (i = next_unit; i < NUNITS; i++) {
			size_t len = strlen(units[i].suffix);
			if (strncmp(s, units[i].suffix, len) == 0 &&
			    !(len == 1 && s[0] == 'm' && s[1] == 's'))
				break;
		}
		if (i == NUNITS)
			return -1;
		if (n > DURATION_MAX_MS / units[i].ms)
			return -1;
		total += n * units[i].ms;
		if (total > DURATION_MAX_MS)
			return -1;
		s += strlen(units[i].suffix);
		next_unit = i + 1;
	}
	*ms = total;
	return 0;
}

void
duration_format(int64_t ms, char *buf, size_t len)
{
	size_t used = 0;
	size_t i;

	if (ms < 0)
		ms = 0;
	if (ms < 1000) {
		snprintf(buf, len, ms == 0 ? "0s" : "%lldms", (long long)ms);
		return;
	}
	if (ms < 60000 && ms % 1000 != 0) {
		snprintf(buf, len, "%lld.%llds", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 100));
		return;
	}
	ms -= ms % 1000;
	buf[0] = '\0';
	/* Two most significant components are plenty for people. */
	for (i = 0; i < NUNITS - 1 && used < 2; i++) {
		int64_t n = ms / units[i].ms;
		size_t cur;

		if (n == 0 && used == 0)
			continue;
		if (n != 0) {
			cur = strlen(buf);
			snprintf(buf + cur, len - cur, "%lld%s", (long long)n,
			    units[i].suffix);
		}
		ms -= n * units[i].ms;
		used++;
	}
}
