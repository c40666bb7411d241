/*
 * JSON output and input. The only file that includes <jansson.h>; the rest
 * of the program builds documents through these opaque values. Strings are
 * made valid UTF-8 on the way in, so every document printed is valid.
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
