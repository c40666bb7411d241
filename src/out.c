/* Small pieces of human output shared by the commands. */
#include "out.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


void
out_escape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (s == NULL)
		s = "";
	for (; *s != '\0' && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c == 0x1b) {
			buf[o++] = '\\';
			buf[o++] = 'e';
		} else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
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
	int n = 0;
	const unsigned char *p;

	fputs(s, f);
	/* Count code points, not bytes, so UTF-8 names align. */
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	for (; n < width; n++)
		fputc(' ', f);
}
