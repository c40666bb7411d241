/* Project detection: walk up to the nearest folder holding .git. */
#include "project.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
project_of(const char *dir, char *project, size_t len, struct err *e)
{
	char path[PATH_MAX + 8];
	struct stat sb;
	size_t n;

	if (strlen(dir) >= len)
		return err_set(e, ERR_IO, "path too long");
	strcpy(project, dir);
	for (;;) {
		n = strlen(project);
		snprintf(path, sizeof(path), "%s%s.git", project,
		    n > 0 && project[n - 1] == '/' ? "" : "/");
		/* .git is a folder, or a file in worktrees and submodules. */
		if (stat(path, &sb) == 0)
			return 0;
		if (strcmp(project, "/") == 0)
			break;
		{
			char *slash = strrchr(project, '/');
			if (slash == NULL)
				break;
			if (slash == project)
				slash[1] = '\0';
			else
				*slash = '\0';
		}
	}
	strcpy(project, dir);
	return 0;
}

int
project_detect(char *cwd, char *project, size_t len, struct err *e)
{
	char buf[PATH_MAX];

	if (getcwd(buf, sizeof(buf)) == NULL)
		return err_sys(e, ERR_IO, errno,
		    "cannot read the working folder");
	if (strlen(buf) >= len)
		return err_set(e, ERR_IO, "working folder path too long");
	strcpy(cwd, buf);
	return project_of(cwd, project, len, e);
}
