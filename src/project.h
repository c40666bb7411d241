/* A job's project: the git root above the working folder, or the folder. */
#ifndef JOB_PROJECT_H
#define JOB_PROJECT_H

#include <stddef.h>

#include "err.h"

/* Fills cwd with the real working folder and project with its project. */
int project_detect(char *cwd, char *project, size_t len, struct err *e);
/* The project of an arbitrary folder (used for --cwd). */
int project_of(const char *dir, char *project, size_t len, struct err *e);

#endif
