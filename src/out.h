/* Human output helpers: escaping, ages, terminal width, colour. */
#ifndef JOB_OUT_H
#define JOB_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "job.h"

/*
 * Copies s with control characters and bytes that are not UTF-8 shown as
 * \n, \t, \e or \xNN, cut to len whole characters.
 */
void out_escape(const char *s, char *buf, size_t len);
/* The display columns of s, as escaped by out_escape. */
int out_columns(const char *s);
/*
 * Bytes of the longest start of s that fits in width columns, never ending
 * inside a character; *cols (when not NULL) gets the columns it takes.
 */
size_t out_fit(const char *s, int width, int *cols);
/* "12s", "5m", "3h" since ms (the epoch time). */
void out_age(int64_t ms, char *buf, size_t len);
/* Columns of the terminal on stdout; 0 when not a terminal. */
int out_width(void);
/* The ANSI colour for a status, or "" when colour is off. */
const char *out_status_color(enum job_status s, int color);
const char *out_reset(int color);
/* Writes s, padded to width display columns. */
void out_pad(FILE *f, const char *s, int width);

#endif
