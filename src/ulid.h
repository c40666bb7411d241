/*
 * Job ids are ULIDs: 48 bits of milliseconds and 80 random bits in Crockford
 * base32, 26 characters. They sort by creation time and are never reused.
 */
#ifndef JOB_ULID_H
#define JOB_ULID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ULID_LEN 26

/* Encodes time_ms and 10 random bytes into out (ULID_LEN + 1 bytes). */
void ulid_encode(int64_t time_ms, const unsigned char rnd[10], char *out);
/* Makes a new id from the clock and the system's random source. */
int ulid_new(char out[ULID_LEN + 1]);
/* Whether s (of length len) could be the start of an id, in any case. */
bool ulid_is_prefix(const char *s, size_t len);
/* Upper-cases a prefix and maps the Crockford aliases (O->0, I/L->1). */
void ulid_normalize(char *s);

#endif
