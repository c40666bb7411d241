/*
 * JSON output and input. The only file that includes <jansson.h>; the rest
 * of the program builds and reads documents through these opaque values.
 * Strings are made valid UTF-8 on the way in, so every document printed is
 * valid.
 */
#ifndef JOB_JSON_H
#define JOB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "job.h"

struct jval;

struct jval *jobj(void);
struct jval *jarr(void);
/* Setters take ownership of nothing but val in jset/jpush. NULL s = null. */
void jset_str(struct jval *o, const char *key, const char *s);
void jset_strn(struct jval *o, const char *key, const char *s, size_t len);
void jset_int(struct jval *o, const char *key, int64_t v);
void jset_real(struct jval *o, const char *key, double v);
void jset_bool(struct jval *o, const char *key, bool v);
void jset_null(struct jval *o, const char *key);
void jset(struct jval *o, const char *key, struct jval *val);
void jpush(struct jval *a, struct jval *val);
void jpush_str(struct jval *a, const char *s);
/* Prints v and a newline, then frees it. Returns -1 on a write error. */
int jprint(struct jval *v, FILE *f);
void jfree(struct jval *v);

/* Values of their own, for jset and jpush. */
struct jval *jstring(const char *s);
struct jval *jbool(bool v);
/* Another reference to v, which stays shared (jfree each). */
struct jval *jref(const struct jval *v);
/* v in one compact line, malloc'd, without a newline; NULL: no memory. */
char *jdump(const struct jval *v, size_t *len);

/*
 * Reading. jparse takes len bytes holding one value of any type; a string
 * holding NUL is refused, since it could reach no C string whole. The
 * getters return NULL (or false, 0) for a value of another type; what they
 * return is borrowed from the value it came from.
 */
enum jtype { JT_OBJECT, JT_ARRAY, JT_STRING, JT_INTEGER, JT_REAL, JT_TRUE,
	JT_FALSE, JT_NULL };

struct jval *jparse(const char *s, size_t len, struct err *e);
enum jtype jtype(const struct jval *v);
/* A member of an object, or NULL (absent, or o is no object). */
struct jval *jget(const struct jval *o, const char *key);
const char *jstr(const struct jval *v);
/* An integer, or a real with no fraction part, in *out. */
bool jint(const struct jval *v, int64_t *out);
/* Any number, in *out. */
bool jnum(const struct jval *v, double *out);
/* An array's length (0 for anything else) and its i-th value. */
size_t jlen(const struct jval *a);
struct jval *jat(const struct jval *a, size_t i);
/* An object's members in order: it = jiter(o); it; it = jnext(o, it). */
void *jiter(const struct jval *o);
void *jnext(const struct jval *o, void *it);
const char *jiter_key(void *it);
struct jval *jiter_value(void *it);
bool jequal(const struct jval *a, const struct jval *b);

/* The flat job object of job.1 (JSON OUTPUT). */
struct jval *json_job(const struct job *j, const char *log_path,
    int64_t log_bytes);
/* {"error":{"code":..,"message":..,"candidates":[..]}} */
struct jval *json_error(const struct err *e);
/* Checks that text is one JSON value; *compact gets it re-encoded. */
int json_normalize(const char *text, char **compact, struct err *e);
/* Formats ms since the epoch as RFC 3339 UTC with milliseconds. */
void json_time(int64_t ms, char *buf, size_t len);

#endif
