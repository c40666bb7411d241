/*
 * JSON through jansson: a thin builder and reader, the job object and
 * --context.
 */
#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "utf8.h"

/* struct jval is json_t under another name, to keep jansson here. */
#define J(v) ((json_t *)(v))
#define V(j) ((struct jval *)(j))
/* Readers take const values; jansson's iterators and refcounts do not. */
#define CJ(v) ((const json_t *)(v))
#define MJ(v) ((json_t *)(uintptr_t)(v))

struct jval *
jobj(void)
{
	return V(json_object());
}

struct jval *
jarr(void)
{
	return V(json_array());
}

static json_t *
string_value(const char *s, size_t len)
{
	json_t *v;
	char *clean;
	size_t clean_len;

	/* Most strings are valid already: try them as they are first. */
	v = json_stringn(s, len);
	if (v != NULL)
		return v;
	clean = utf8_sanitize(s, len, &clean_len);
	if (clean == NULL)
		return json_null();
	v = json_stringn(clean, clean_len);
	free(clean);
	return v != NULL ? v : json_null();
}

void
jset_str(struct jval *o, const char *key, const char *s)
{
	json_object_set_new(J(o), key, s == NULL ? json_null() :
	    string_value(s, strlen(s)));
}

void
jset_strn(struct jval *o, const char *key, const char *s, size_t len)
{
	json_object_set_new(J(o), key, string_value(s, len));
}

void
jset_int(struct jval *o, const char *key, int64_t v)
{
	json_object_set_new(J(o), key, json_integer((json_int_t)v));
}

void
jset_real(struct jval *o, const char *key, double v)
{
	json_object_set_new(J(o), key, json_real(v));
}

void
jset_bool(struct jval *o, const char *key, bool v)
{
	json_object_set_new(J(o), key, json_boolean(v));
}

void
jset_null(struct jval *o, const char *key)
{
	json_object_set_new(J(o), key, json_null());
}

void
jset(struct jval *o, const char *key, struct jval *val)
{
	json_object_set_new(J(o), key, J(val));
}

void
jpush(struct jval *a, struct jval *val)
{
	json_array_append_new(J(a), J(val));
}

void
jpush_str(struct jval *a, const char *s)
{
	json_array_append_new(J(a), string_value(s, strlen(s)));
}

int
jprint(struct jval *v, FILE *f)
{
	int rc;

	/* 15 digits: 0.005 prints as 0.005, not 0.0050000000000000001. */
	rc = json_dumpf(J(v), f, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (rc == 0 && fputc('\n', f) == EOF)
		rc = -1;
	json_decref(J(v));
	return rc;
}

void
jfree(struct jval *v)
{
	json_decref(J(v));
}

struct jval *
jstring(const char *s)
{
	return V(string_value(s, strlen(s)));
}

struct jval *
jbool(bool v)
{
	return V(json_boolean(v));
}

struct jval *
jref(const struct jval *v)
{
	return V(json_incref(MJ(v)));
}

char *
jdump(const struct jval *v, size_t *len)
{
	char *s = json_dumps(CJ(v), JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

struct jval *
jparse(const char *s, size_t len, struct err *e)
{
	json_error_t je;
	json_t *v;

	v = json_loadb(s, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		err_set(e, ERR_USAGE, "%s (column %d)", je.text, je.column);
	return V(v);
}

enum jtype
jtype(const struct jval *v)
{
	if (v == NULL)
		return JT_NULL;
	switch (json_typeof(CJ(v))) {
	case JSON_OBJECT:
		return JT_OBJECT;
	case JSON_ARRAY:
		return JT_ARRAY;
	case JSON_STRING:
		return JT_STRING;
	case JSON_INTEGER:
		return JT_INTEGER;
	case JSON_REAL:
		return JT_REAL;
	case JSON_TRUE:
		return JT_TRUE;
	case JSON_FALSE:
		return JT_FALSE;
	default:
		return JT_NULL;
	}
}

struct jval *
jget(const struct jval *o, const char *key)
{
	return V(json_object_get(CJ(o), key));
}

const char *
jstr(const struct jval *v)
{
	return json_string_value(CJ(v));
}

bool
jint(const struct jval *v, int64_t *out)
{
	double d;

	if (json_is_integer(CJ(v))) {
		*out = (int64_t)json_integer_value(CJ(v));
		return true;
	}
	if (!json_is_real(CJ(v)))
		return false;
	/* 3.0 is 3; the range check keeps the cast defined. */
	d = json_real_value(CJ(v));
	if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(int64_t)d)
		return false;
	*out = (int64_t)d;
	return true;
}

bool
jnum(const struct jval *v, double *out)
{
	if (!json_is_number(CJ(v)))
		return false;
	*out = json_number_value(CJ(v));
	return true;
}

size_t
jlen(const struct jval *a)
{
	return json_array_size(CJ(a));
}

struct jval *
jat(const struct jval *a, size_t i)
{
	return V(json_array_get(CJ(a), i));
}

void *
jiter(const struct jval *o)
{
	return json_object_iter(MJ(o));
}

void *
jnext(const struct jval *o, void *it)
{
	return json_object_iter_next(MJ(o), it);
}

const char *
jiter_key(void *it)
{
	return json_object_iter_key(it);
}

struct jval *
jiter_value(void *it)
{
	return V(json_object_iter_value(it));
}

bool
jequal(const struct jval *a, const struct jval *b)
{
	return json_equal(CJ(a), CJ(b)) != 0;
}

void
json_time(int64_t ms, char *buf, size_t len)
{
	int64_t sec = ms / 1000, frac = ms % 1000;
	time_t t;
	struct tm tm;

	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	t = (time_t)sec;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
}

static void
set_time(json_t *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms == 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	json_time(ms, buf, sizeof(buf));
	json_object_set_new(o, key, json_string(buf));
}

static void
set_int_or_null(json_t *o, const char *key, int64_t v, bool present)
{
	json_object_set_new(o, key, present ? json_integer(v) : json_null());
}

static void
set_seconds(json_t *o, const char *key, int64_t ms, bool present)
{
	json_object_set_new(o, key, present ? json_real((double)ms / 1000) :
	    json_null());
}

static void
push_id(void *arg, const char *id)
{
	json_array_append_new(arg, json_string(id));
}

/* "ID ID" as a JSON array of ids. */
static json_t *
id_array(const char *list)
{
	json_t *a = json_array();

	job_each_id(list, push_id, a);
	return a;
}

struct jval *
json_job(const struct job *j, const char *log_path, int64_t log_bytes)
{
	json_t *o = json_object();
	json_t *env;
	int64_t end;

	json_object_set_new(o, "id", json_string(j->id));
	jset_str(V(o), "name", j->name);
	jset_str(V(o), "command", j->command);
	if (j->argv != NULL) {
		json_t *words = json_array();
		size_t off = 0;
		while (off < j->argv_len) {
			size_t len = strlen(j->argv + off);
			json_array_append_new(words,
			    string_value(j->argv + off, len));
			off += len + 1;
		}
		json_object_set_new(o, "argv", words);
	} else
		json_object_set_new(o, "argv", json_null());
	json_object_set_new(o, "status",
	    json_string(job_status_name(j->status)));
	json_object_set_new(o, "reason", j->reason ? json_string(j->reason) :
	    json_null());
	set_int_or_null(o, "exit_code", j->exit_code, j->exit_code >= 0);
	json_object_set_new(o, "signal", j->signal ? json_string(j->signal) :
	    json_null());
	set_int_or_null(o, "signal_number", j->signal_number,
	    j->signal_number > 0);
	jset_str(V(o), "project", j->project);
	jset_str(V(o), "cwd", j->cwd);
	set_int_or_null(o, "pid", j->pid, j->pid > 0);
	set_int_or_null(o, "supervisor_pid", j->sup_pid, j->sup_pid > 0);
	set_time(o, "created_at", j->created_at);
	set_time(o, "started_at", j->started_at);
	set_time(o, "finished_at", j->finished_at);
	end = j->finished_at ? j->finished_at : job_now_ms();
	set_seconds(o, "duration_s", end - j->started_at, j->started_at > 0);
	set_seconds(o, "timeout_s", j->timeout_ms, j->timeout_ms > 0);
	set_seconds(o, "grace_s", j->grace_ms, true);
	if (j->context != NULL) {
		json_t *ctx = json_loads(j->context,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		json_object_set_new(o, "context", ctx ? ctx : json_null());
	} else
		json_object_set_new(o, "context", json_null());
	jset_str(V(o), "key", j->key);
	json_object_set_new(o, "retry_of", j->retry_of ?
	    json_string(j->retry_of) : json_null());
	jset_str(V(o), "queue", j->queue);
	json_object_set_new(o, "after", id_array(j->after));
	json_object_set_new(o, "after_end", id_array(j->after_end));
	if (j->status == JOB_PENDING) {
		json_t *w = json_object();
		json_object_set_new(w, "jobs", id_array(j->awaiting));
		jset_str(V(w), "queue", j->queue);
		json_object_set_new(o, "waiting_for", w);
	} else
		json_object_set_new(o, "waiting_for", json_null());
	env = json_object();
	if (j->env != NULL) {
		size_t off = 0;
		while (off < j->env_len) {
			const char *kv = j->env + off;
			const char *eq = strchr(kv, '=');
			if (eq != NULL) {
				char *name = strndup(kv, (size_t)(eq - kv));
				if (name != NULL) {
					jset_str(V(env), name, eq + 1);
					free(name);
				}
			}
			off += strlen(kv) + 1;
		}
	}
	json_object_set_new(o, "env", env);
	jset_str(V(o), "boot_id", j->boot_id);
	jset_str(V(o), "log_path", log_path);
	json_object_set_new(o, "log_bytes", json_integer(log_bytes));
	json_object_set_new(o, "log_dropped", json_integer(j->log_dropped));
	return V(o);
}

struct jval *
json_error(const struct err *e)
{
	json_t *o = json_object(), *inner = json_object();
	int i;

	json_object_set_new(inner, "code", json_string(err_code_name(e->code)));
	jset_str(V(inner), "message", e->msg);
	if (e->ncandidates > 0) {
		json_t *c = json_array();
		for (i = 0; i < e->ncandidates; i++)
			json_array_append_new(c,
			    json_string(e->candidates[i]));
		json_object_set_new(inner, "candidates", c);
	}
	json_object_set_new(o, "error", inner);
	return V(o);
}

int
json_normalize(const char *text, char **compact, struct err *e)
{
	json_error_t je;
	json_t *v;

	v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
	    JSON_ALLOW_NUL, &je);
	if (v == NULL)
		return err_set(e, ERR_USAGE, "--context is not valid JSON: %s "
		    "(line %d, column %d)", je.text, je.line, je.column);
	*compact = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	json_decref(v);
	if (*compact == NULL)
		return err_set(e, ERR_IO, "out of memory");
	return 0;
}
