/*
 * Starting C, the command, for both halves of the supervisor: S starts it
 * at once (sup-start.c), a waiting supervisor when the job's turn comes
 * (supervise.c). C gets its own process group, every signal at its
 * default and none blocked, the caller's environment with the job's
 * variables, and the output pipe as stdout and stderr.
 */
#define _DEFAULT_SOURCE 1	/* vfork, syscall */

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "job.h"
#include "sup.h"

/*
 * Every disposition to its default, by the kernel's call: the C library
 * refuses to touch the signals it reserves (32 and 33 in glibc), and a
 * SIG_IGN there survives exec. Safe in a vfork child: no memory is
 * written. The kernel's sigaction with every field zero is SIG_DFL, no
 * flags and an empty mask on every architecture.
 */
void
sup_reset_signals(void)
{
	int sig;

#if defined(__linux__)
	static const unsigned long dfl[8];
#if defined(__mips__)
	const size_t setsize = 16;
#else
	const size_t setsize = 8;
#endif
	for (sig = 1; sig <= SIGRTMAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, dfl, NULL, setsize);
#else
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
#endif
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
}


/* The value of name in the environment env, or NULL. */
static const char *
env_lookup(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

/* Whether the variable kv ("NAME=...") is named in the job's additions. */
static bool
env_named(const struct sup_command *c, const char *kv)
{
	size_t len = strcspn(kv, "=");
	int i;

	if (len == 6 && strncmp(kv, "JOB_ID", 6) == 0)
		return true;
	for (i = 0; i < c->nenv; i++)
		if (strncmp(c->env[i], kv, len) == 0 && c->env[i][len] == '=')
			return true;
	return false;
}

/*
 * The command's environment: the caller's, with the job's variables
 * (whatever their length) and its JOB_ID, without the test suite's fault
 * hooks (a job that runs `job` must not crash). The supervisor itself
 * keeps the caller's: a job's LD_PRELOAD or JOB_BUSY_TIMEOUT is not its.
 */
static char **
command_environ(const struct sup_command *c)
{
	extern char **environ;
	size_t n = 0, m = 0, slots;
	char **env, **p, *id;
	int i;

	for (p = environ; *p != NULL; p++)
		n++;
	/* One block: the pointers, then the JOB_ID variable. */
	slots = n + (size_t)c->nenv + 2;
	env = malloc(slots * sizeof(*env) + strlen(c->id) + 8);
	if (env == NULL)
		return NULL;
	id = (char *)(env + slots);
	for (p = environ; *p != NULL; p++)
		if (!env_named(c, *p) &&
		    strncmp(*p, "JOB_TEST_CRASH=", 15) != 0 &&
		    strncmp(*p, "JOB_TEST_STOP=", 14) != 0)
			env[m++] = *p;
	for (i = 0; i < c->nenv; i++)
		if (strchr(c->env[i], '=') != NULL)
			env[m++] = c->env[i];
	sprintf(id, "JOB_ID=%s", c->id);
	env[m++] = id;
	env[m] = NULL;
	return env;
}

/*
 * The file an argv's first word names: as given when it holds a '/', else
 * the first executable match in the job's PATH (an empty entry is the
 * folder). Returns 0, or ENOENT / EACCES as a shell would report them.
 */
static int
find_program(char **env, const char *word, char *path, size_t len)
{
	const char *dirs = env_lookup(env, "PATH"), *p, *end;
	int err = ENOENT;

	if (strchr(word, '/') != NULL) {
		snprintf(path, len, "%s", word);
		return access(path, X_OK) == 0 ? 0 : errno;
	}
	if (dirs == NULL)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs; ; p = end + 1) {
		struct stat sb;
		size_t dlen;

		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		snprintf(path, len, "%.*s%s%s", (int)dlen, p, dlen ? "/" : "",
		    word);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (access(path, X_OK) == 0)
				return 0;
			err = EACCES;
		}
		if (*end == '\0')
			return err;
	}
}

/*
 * The command's argv: the words, or sh -c for a shell line. One slot
 * more in front, for running a file without a #! line through sh as a
 * shell would. NULL when out of memory.
 */
static char **
command_argv(const struct sup_command *c)
{
	char **argv;
	int i;

	if (c->nwords == 0) {
		argv = calloc(5, sizeof(*argv));
		if (argv != NULL) {
			argv[1] = (char *)(uintptr_t)"sh";
			argv[2] = (char *)(uintptr_t)"-c";
			argv[3] = (char *)(uintptr_t)c->command;
		}
		return argv;
	}
	if ((argv = calloc((size_t)c->nwords + 2, sizeof(*argv))) == NULL)
		return NULL;
	for (i = 0; i < c->nwords; i++)
		argv[i + 1] = c->words[i];
	return argv;
}

/*
 * vfork copies no page tables, which is most of the cost of a start, and
 * unlike posix_spawn it lets C reset every signal itself. Returns 0, or
 * the errno of the exec.
 */
static int
spawn(const char *path, char **argv, char **env, int out_w, pid_t *pid)
{
	volatile int err = 0;
	pid_t child;

	child = vfork();
	if (child < 0)
		return errno;
	if (child == 0) {
		setpgid(0, 0);
		if (dup2(out_w, STDOUT_FILENO) < 0 ||
		    dup2(out_w, STDERR_FILENO) < 0) {
			err = errno;
			_exit(127);
		}
		sup_reset_signals();
		execve(path, argv + 1, env);
		if (errno == ENOEXEC) {
			/* A script without #!: sh runs it, as a shell would. */
			argv[0] = (char *)(uintptr_t)"sh";
			argv[1] = (char *)(uintptr_t)path;
			execve("/bin/sh", argv, env);
		}
		err = errno;
		_exit(127);
	}
	/* The child has exec'd or exited: err is final. A group of its own
	 * before anyone can signal it, whichever of us runs first. */
	setpgid(child, child);
	if (err != 0) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	*pid = child;
	return 0;
}

int
sup_command_check(const struct sup_command *c, char *what, size_t len)
{
	char path[PATH_MAX], **env;
	int rc;

	snprintf(what, len, "%s", c->nwords ? c->words[0] : "start");
	if (c->nwords == 0)
		return 0;
	if ((env = command_environ(c)) == NULL)
		return ENOMEM;
	rc = find_program(env, c->words[0], path, sizeof(path));
	free(env);
	return rc;
}

int
sup_command_spawn(const struct sup_command *c, int out_w, pid_t *pid,
    char *what, size_t len)
{
	char path[PATH_MAX], **argv, **env;
	int rc = ENOMEM;

	snprintf(what, len, "start");
	argv = command_argv(c);
	env = command_environ(c);
	if (argv == NULL || env == NULL)
		goto out;
	snprintf(path, sizeof(path), "/bin/sh");
	if (c->nwords > 0) {
		snprintf(what, len, "%s", c->words[0]);
		if ((rc = find_program(env, c->words[0], path,
		    sizeof(path))) != 0)
			goto out;
	} else
		snprintf(what, len, "%s", path);
	rc = spawn(path, argv, env, out_w, pid);
out:
	free(env);
	free(argv);
	return rc;
}

int
sup_command_from_job(const struct job *j, struct sup_command *c)
{
	size_t off;
	int n;

	memset(c, 0, sizeof(*c));
	c->id = j->id;
	c->command = j->command;
	for (off = 0; j->argv != NULL && off < j->argv_len;
	    off += strlen(j->argv + off) + 1)
		c->nwords++;
	for (off = 0; j->env != NULL && off < j->env_len;
	    off += strlen(j->env + off) + 1)
		c->nenv++;
	c->words = calloc((size_t)c->nwords + 1, sizeof(*c->words));
	c->env = calloc((size_t)c->nenv + 1, sizeof(*c->env));
	if (c->words == NULL || c->env == NULL) {
		free(c->words);
		free(c->env);
		return -1;
	}
	for (n = 0, off = 0; n < c->nwords; off += strlen(j->argv + off) + 1)
		c->words[n++] = j->argv + off;
	for (n = 0, off = 0; n < c->nenv; off += strlen(j->env + off) + 1)
		c->env[n++] = j->env + off;
	return 0;
}
