/* Small pieces of human output shared by the commands. */
#include "out.h"

#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "utf8.h"

void
out_escape(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p), o = 0, n;

	for (; left > 0; p += n, left -= n) {
		n = utf8_seq_len(p, left);
		/* Whole characters only: a cut never splits one. */
		if (o + (n > 1 ? n : 4) >= len)
			break;
		if (n > 1) {
			memcpy(buf + o, p, n);
			o += n;
			continue;
		}
		n = 1;
		if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (*p == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (*p == 0x1b) {
			buf[o++] = '\\';
			buf[o++] = 'e';
		} else if (*p < 0x20 || *p >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
}

/* The locale that gives wcwidth its Unicode table, whatever the caller's. */
static locale_t
utf8_locale(void)
{
	static locale_t loc;
	static bool tried;

	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

/* Columns of the n-byte UTF-8 character at p, which is printable. */
static int
char_columns(const unsigned char *p, size_t n)
{
	locale_t loc = utf8_locale(), old;
	uint32_t cp;
	size_t i;
	int w;

	if (n <= 1 || loc == (locale_t)0)
		return 1;
	cp = p[0] & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	old = uselocale(loc);
	w = wcwidth((wchar_t)cp);
	uselocale(old);
	return w < 0 ? 1 : w;
}

size_t
out_fit(const char *s, int width, int *cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), o = 0, n;
	int used = 0, w;

	for (; o < len; o += n) {
		n = utf8_seq_len(p + o, len - o);
		if (n == 0)
			n = 1;
		w = char_columns(p + o, n);
		if (used + w > width)
			break;
		used += w;
	}
	if (cols != NULL)
		*cols = used;
	return o;
}

int
out_columns(const char *s)
{
	int cols;

	out_fit(s, INT32_MAX, &cols);
	return cols;
}

void
out_age(int64_t ms, char *buf, size_t len)
{
	int64_t d = job_now_ms() - ms;

	if (d < 1000)
		d = 0;
	/* Ages need one unit, not milliseconds. */
	if (d < 60000)
		snprintf(buf, len, "%llds", (long long)(d / 1000));
	else if (d < 3600000)
		snprintf(buf, len, "%lldm", (long long)(d / 60000));
	else if (d < 86400000)
		snprintf(buf, len, "%lldh", (long long)(d / 3600000));
	else
		snprintf(buf, len, "%lldd", (long long)(d / 86400000));
}

int
out_width(void)
{
	struct winsize ws;
	const char *cols;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	cols = getenv("COLUMNS");
	if (cols != NULL && atoi(cols) > 0)
		return atoi(cols);
	return 80;
}

const char *
out_status_color(enum job_status s, int color)
{
	if (!color)
		return "";
	switch (s) {
	case JOB_RUNNING:
	case JOB_PENDING:
		return "\033[36m";
	case JOB_COMPLETED:
		return "\033[32m";
	case JOB_FAILED:
		return "\033[31m";
	default:
		return "\033[33m";
	}
}

const char *
out_reset(int color)
{
	return color ? "\033[0m" : "";
}

void
out_pad(FILE *f, const char *s, int width)
{
	int n;

	fputs(s, f);
	for (n = out_columns(s); n < width; n++)
		fputc(' ', f);
}
