/*
 * Tests src/job.c: job_quote_words, which shows an argv as a line a POSIX
 * shell turns back into the same words, and job_copy of the byte fields.
 */
#include "job.h"

#include <stdlib.h>

#include "unit.h"

/* job_quote_words of the n words gives want. */
static void
quotes_as(const char *want, int n, ...)
{
	char *words[16];
	char *got;
	va_list ap;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		words[i] = va_arg(ap, char *);
	va_end(ap);
	got = job_quote_words(words, n);
	if (CHECK(got != NULL))
		CHECK_EQ_STR(got, want);
	free(got);
}

static void
test_quote(void)
{
	/* What a shell takes as it is stays bare. */
	quotes_as("npm run dev", 3, "npm", "run", "dev");
	quotes_as("./a-b_c.d/e@f%g+h:i,j --x=1", 2, "./a-b_c.d/e@f%g+h:i,j",
	    "--x=1");
	/* Everything else goes in single quotes; a quote is '\''. */
	quotes_as("printf '%s|\\n' 'a  b'", 3, "printf", "%s|\\n", "a  b");
	quotes_as("echo 'it'\\''s' '$HOME' '*' '' '`x`' '~' '#c'", 8, "echo",
	    "it's", "$HOME", "*", "", "`x`", "~", "#c");
	quotes_as("'a\nb' 'tab\there'", 2, "a\nb", "tab\there");
	/* "A=b" first would be an assignment, not the program. */
	quotes_as("'A=b' c=d", 2, "A=b", "c=d");
	quotes_as("''", 1, "");
	quotes_as("", 0);
	/* Bytes that are not UTF-8 are kept as they are. */
	quotes_as("'\xff\xfe'", 1, "\xff\xfe");
}

static void
test_copy(void)
{
	static const char argv[] = "sh\0-c\0\0x";
	static const char env[] = "A=1\0B=2";
	struct job src, dst;

	memset(&src, 0, sizeof(src));
	src.command = (char *)(uintptr_t)"sh -c '' x";
	src.argv = (char *)(uintptr_t)argv;
	src.argv_len = sizeof(argv);
	src.env = (char *)(uintptr_t)env;
	src.env_len = sizeof(env);
	if (!CHECK_EQ_INT(job_copy(&dst, &src), 0))
		return;
	CHECK(dst.argv != argv && dst.env != env);
	CHECK_EQ_MEM(dst.argv, dst.argv_len, argv, sizeof(argv));
	CHECK_EQ_MEM(dst.env, dst.env_len, env, sizeof(env));
	CHECK_EQ_STR(dst.command, src.command);
	job_free(&dst);
	CHECK(dst.argv == NULL && dst.argv_len == 0);

	/* A shell line has no argv. */
	src.argv = NULL;
	src.argv_len = 0;
	if (CHECK_EQ_INT(job_copy(&dst, &src), 0)) {
		CHECK(dst.argv == NULL);
		job_free(&dst);
	}
}

int
main(void)
{
	test_quote();
	test_copy();
	return unit_done();
}
