/*
 * UTF-8 validation and repair. JSON output must be valid UTF-8 whatever a
 * job printed, and log slices must not end inside a character.
 */
#ifndef JOB_UTF8_H
#define JOB_UTF8_H

#include <stddef.h>

/*
 * Length of the next valid UTF-8 sequence at s (1 to 4), or 0 when the bytes
 * at s are not one. An incomplete sequence at the end of the buffer is 0 too.
 */
size_t utf8_seq_len(const unsigned char *s, size_t avail);
/*
 * Length of the longest prefix of s that does not end inside a sequence that
 * the following bytes could still complete. Used to cut slices cleanly.
 */
size_t utf8_complete_len(const unsigned char *s, size_t len);
/*
 * Returns a NUL-terminated copy of s with every invalid byte replaced by
 * U+FFFD (NUL bytes are kept; *outlen gives the real length), or NULL when
 * out of memory.
 */
char *utf8_sanitize(const char *s, size_t len, size_t *outlen);

#endif
