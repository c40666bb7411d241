/*
 * Durations as users write them: 500ms, 30s, 5m, 2h, 7d and combinations in
 * descending order such as 1h30m. Stored and computed in milliseconds.
 */
#ifndef JOB_DURATION_H
#define JOB_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration accepted: 100 years. */
#define DURATION_MAX_MS ((int64_t)36500 * 86400 * 1000)

/* Returns 0 and sets *ms, or -1 when s is not a valid duration. */
int duration_parse(const char *s, int64_t *ms);
/* Writes a short human form ("1h30m", "250ms", "0s") into buf. */
void duration_format(int64_t ms, char *buf, size_t len);

#endif
