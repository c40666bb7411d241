/* Human output helpers: escaping, ages, terminal width, colour. */
#ifndef JOB_OUT_H
#define JOB_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "job.h"

/* Copies s with control characters shown as \n, \t, \e or \xNN. */
void out_escape(const char *s, char *buf, size_t len);
/* "12s", "5m", "3h" since ms (the epoch time). */
void out_age(int64_t ms, char *buf, size_t len);
/* Columns of the terminal on stdout; 0 when not a terminal. */
int out_width(void);
/* The ANSI colour for a status, or "" when colour is off. */
const char *out_status_color(enum job_status s, int color);
const char *out_reset(int color);
/* Writes s, padded to width display columns (ASCII counts as one). */
void out_pad(FILE *f, const char *s, int width);

#endif
