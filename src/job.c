/* Status names and the small helpers that belong to the record itself. */
#include "job.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static const char *const status_names[JOB_NSTATUS] = {
	"pending", "running", "completed", "failed", "stopped", "interrupted",
};

const char *
job_status_name(enum job_status s)
{
	return (unsigned)s < JOB_NSTATUS ? status_names[s] : "unknown";
}

int
job_status_parse(const char *name)
{
	int i;

	for (i = 0; i < JOB_NSTATUS; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

bool
job_status_active(enum job_status s)
{
	return s == JOB_PENDING || s == JOB_RUNNING;
}

void
job_free(struct job *j)
{
	free(j->name);
	free(j->command);
	free(j->project);
	free(j->cwd);
	free(j->boot_id);
	free(j->signal);
	free(j->reason);
	free(j->context);
	free(j->key);
	free(j->retry_of);
	free(j->argv);
	free(j->env);
	free(j->stop_signal);
	free(j->queue);
	free(j->after);
	free(j->after_end);
	free(j->awaiting);
	memset(j, 0, sizeof(*j));
	j->exit_code = -1;
}

static int
dup_field(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	*dst = strdup(src);
	return *dst == NULL ? -1 : 0;
}

/* A NUL-separated list of len bytes, kept NUL-terminated. */
static int
dup_blob(char **dst, const char *src, size_t len)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	if ((*dst = malloc(len + 1)) == NULL)
		return -1;
	memcpy(*dst, src, len);
	(*dst)[len] = '\0';
	return 0;
}

int
job_copy(struct job *dst, const struct job *src)
{
	int rc = 0;

	*dst = *src;
	rc |= dup_field(&dst->name, src->name);
	rc |= dup_field(&dst->command, src->command);
	rc |= dup_field(&dst->project, src->project);
	rc |= dup_field(&dst->cwd, src->cwd);
	rc |= dup_field(&dst->boot_id, src->boot_id);
	rc |= dup_field(&dst->signal, src->signal);
	rc |= dup_field(&dst->reason, src->reason);
	rc |= dup_field(&dst->context, src->context);
	rc |= dup_field(&dst->key, src->key);
	rc |= dup_field(&dst->retry_of, src->retry_of);
	rc |= dup_field(&dst->stop_signal, src->stop_signal);
	rc |= dup_field(&dst->queue, src->queue);
	rc |= dup_field(&dst->after, src->after);
	rc |= dup_field(&dst->after_end, src->after_end);
	rc |= dup_field(&dst->awaiting, src->awaiting);
	rc |= dup_blob(&dst->argv, src->argv, src->argv_len);
	rc |= dup_blob(&dst->env, src->env, src->env_len);
	if (rc != 0) {
		job_free(dst);
		return -1;
	}
	return 0;
}

void
job_free_array(struct job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		job_free(&jobs[i]);
	free(jobs);
}

int
job_exit_status(const struct job *j)
{
	if (j->reason != NULL && strcmp(j->reason, "timeout") == 0)
		return 124;
	if (j->status == JOB_INTERRUPTED)
		return 1;
	if (j->signal_number > 0)
		return 128 + j->signal_number;
	if (j->exit_code >= 0)
		return j->exit_code;
	return 1;
}

/* Whether the shell would take word as it is. */
static bool
shell_safe(const char *word, bool first)
{
	const char *p;

	if (*word == '\0')
		return false;
	for (p = word; *p != '\0'; p++) {
		/* "A=b" first would be an assignment, not the program. */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("@%+:,./_-", *p) ||
		    (*p == '=' && !first))
			continue;
		return false;
	}
	return true;
}

char *
job_quote_words(char *const *words, int n)
{
	size_t len = 1;
	char *s, *o;
	const char *p;
	int i;

	for (i = 0; i < n; i++)
		len += 4 * strlen(words[i]) + 3;
	s = malloc(len);
	if (s == NULL)
		return NULL;
	o = s;
	for (i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ' ';
		if (shell_safe(words[i], i == 0)) {
			o = stpcpy(o, words[i]);
			continue;
		}
		*o++ = '\'';
		for (p = words[i]; *p != '\0'; p++) {
			if (*p == '\'')
				o = stpcpy(o, "'\\''");
			else
				*o++ = *p;
		}
		*o++ = '\'';
	}
	*o = '\0';
	return s;
}

int64_t
job_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
job_pause_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
job_each_id(const char *list, void (*fn)(void *, const char *), void *arg)
{
	char id[ULID_LEN + 1];
	size_t len;

	while (list != NULL && *list != '\0') {
		len = strcspn(list, " ");
		if (len == ULID_LEN) {
			memcpy(id, list, len);
			id[len] = '\0';
			fn(arg, id);
		}
		list += len;
		list += strspn(list, " ");
	}
}

int64_t
job_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
