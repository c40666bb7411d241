/* ULID generation and validation (https://github.com/ulid/spec). */
#include "ulid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void
ulid_encode(int64_t time_ms, const unsigned char rnd[10], char *out)
{
	uint64_t t = (uint64_t)time_ms;
	int i;

	for (i = 9; i >= 0; i--) {
		out[i] = alphabet[t & 31];
		t >>= 5;
	}
	/* 80 random bits are 16 groups of 5: two 40-bit halves. */
	for (i = 0; i < 2; i++) {
		uint64_t v = 0;
		int j;

		for (j = 0; j < 5; j++)
			v = (v << 8) | rnd[i * 5 + j];
		for (j = 7; j >= 0; j--) {
			out[10 + i * 8 + j] = alphabet[v & 31];
			v >>= 5;
		}
	}
	out[ULID_LEN] = '\0';
}

static int
random_bytes(unsigned char *buf, size_t len)
{
#if defined(__linux__)
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
#elif defined(__APPLE__) || defined(__OpenBSD__) || defined(__FreeBSD__) || \
    defined(__NetBSD__)
	arc4random_buf(buf, len);
	return 0;
#else
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = read(fd, buf, len);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	close(fd);
	return 0;
#endif
}

int
ulid_new(char out[ULID_LEN + 1])
{
	unsigned char rnd[10];
	struct timespec ts;

	if (random_bytes(rnd, sizeof(rnd)) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ulid_encode((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, rnd,
	    out);
	return 0;
}

bool
ulid_is_prefix(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > ULID_LEN)
		return false;
	/* 48 bits of time in 10 characters: the first is at most '7'
	 * (or an alias of 0 or 1). */
	if (!((s[0] >= '0' && s[0] <= '7') || strchr("OoIiLl", s[0]) != NULL))
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'O' || c == 'I' || c == 'L')
			continue;
		if (c == '\0' || strchr(alphabet, c) == NULL)
			return false;
	}
	return true;
}

void
ulid_normalize(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
		if (*s == 'O')
			*s = '0';
		else if (*s == 'I' || *s == 'L')
			*s = '1';
	}
}
