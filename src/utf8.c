/* UTF-8 checks following RFC 3629 (no overlongs, no surrogates). */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

size_t
utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t need, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (avail < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

size_t
utf8_complete_len(const unsigned char *s, size_t len)
{
	size_t back, start;

	/* A sequence is at most 4 bytes: look at the last 3 for a lead byte. */
	for (back = 1; back <= 3 && back <= len; back++) {
		unsigned char c = s[len - back];
		size_t need;

		if (c < 0x80)
			return len;
		if (c < 0xC0)
			continue;	/* continuation byte: keep looking */
		need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		start = len - back;
		if (back < need && utf8_seq_len(s + start, len - start) == 0) {
			/* Only cut if the partial bytes are a valid start. */
			size_t i;
			for (i = start + 1; i < len; i++)
				if (s[i] < 0x80 || s[i] > 0xBF)
					return len;
			if (c < 0xC2 || c > 0xF4)
				return len;
			/* A second byte outside the lead's range can never
			 * complete (overlong, surrogate, past U+10FFFF). */
			if (start + 1 < len) {
				unsigned char b = s[start + 1];
				if ((c == 0xE0 && b < 0xA0) ||
				    (c == 0xED && b > 0x9F) ||
				    (c == 0xF0 && b < 0x90) ||
				    (c == 0xF4 && b > 0x8F))
					return len;
			}
			return start;
		}
		return len;
	}
	return len;
}

char *
utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *in = (const unsigned char *)s;
	size_t i = 0, o = 0;
	char *out;

	/* Each bad byte grows to 3 bytes at worst. */
	out = malloc(len * 3 + 1);
	if (out == NULL)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq_len(in + i, len - i);
		if (n == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}
