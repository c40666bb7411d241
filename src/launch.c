/*
 * The order matters: the lock exists and is held before the row, so no
 * reconciliation ever sees a pending row without a live holder; the row
 * exists before the supervisor, which only ever updates it.
 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "home.h"
#include "lock.h"
#include "proc.h"
#include "store.h"
#include "supervisor.h"

/*
 * Fault injection for the test suite: JOB_TEST_CRASH=<point> makes `job run`
 * die by SIGKILL at that point, as a crash or an OOM kill would.
 */
static void
crash_point(const char *point)
{
	const char *want = getenv("JOB_TEST_CRASH");

	if (want != NULL && strcmp(want, point) == 0)
		raise(SIGKILL);
}

int
launch_job(struct ctx *ctx, const struct job *spec, struct job *out,
    bool *existing, struct err *e)
{
	struct job j = *spec;
	struct sup_spec sup;
	struct sup_result res;
	char log_path[PATH_MAX], boot_id[64];
	int lock_fd = -1, log_fd = -1, rc;

	*existing = false;
	if (ulid_new(j.id) < 0)
		return err_sys(e, ERR_IO, errno, "cannot make a job id");
	proc_boot_id(boot_id, sizeof(boot_id));
	j.boot_id = boot_id;
	j.created_at = job_now_ms();
	j.status = JOB_PENDING;

	if (lock_create(ctx->home, j.id, &lock_fd, e) < 0)
		return -1;
	home_log_path(ctx->home, j.id, log_path, sizeof(log_path));
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		err_sys(e, ERR_IO, errno, "cannot create '%s'", log_path);
		goto fail;
	}
	crash_point("before-insert");
	if (store_job_insert(ctx->store, &j, out, existing, e) < 0)
		goto fail;
	if (*existing) {
		close(log_fd);
		unlink(log_path);
		close(lock_fd);
		lock_remove(ctx->home, j.id);
		return 0;
	}
	crash_point("after-insert");

	memset(&sup, 0, sizeof(sup));
	sup.home = ctx->home;
	sup.id = j.id;
	sup.command = j.command;
	sup.argv = j.argv;
	sup.argv_len = j.argv_len;
	sup.cwd = j.cwd;
	sup.env = j.env;
	sup.env_len = j.env_len;
	sup.timeout_ms = j.timeout_ms;
	sup.grace_ms = j.grace_ms;
	sup.lock_fd = lock_fd;
	sup.log_fd = log_fd;
	sup.self_exe = ctx->self_exe;
	sup.umask = ctx->caller_umask;
	/* Our connection stays open: the supervisor never touches SQLite
	 * before it execs a fresh image (see supervisor.c). */
	rc = sup_start(&sup, &res, e);
	/* The supervisor holds the lock now; closing our copy keeps it. */
	close(lock_fd);
	close(log_fd);
	if (rc < 0) {
		struct job_end end;

		memset(&end, 0, sizeof(end));
		end.finished_at = job_now_ms();
		if (rc == SUP_LOST) {
			end.status = JOB_INTERRUPTED;
			end.reason = "supervisor_lost";
			end.exit_code = -1;
		} else {
			/* As a shell reports a command it cannot run: 127
			 * for not found, 126 for found but not runnable. */
			end.status = JOB_FAILED;
			end.reason = "spawn_failed";
			end.exit_code = res.err == ENOENT ||
			    res.err == ENOTDIR ? 127 : 126;
		}
		store_job_finish(ctx->store, j.id, &end, NULL, NULL);
		lock_remove(ctx->home, j.id);
		store_job_get(ctx->store, j.id, out, NULL);
		return -1;
	}
	crash_point("after-spawn");
	j.pid = res.pid;
	j.pid_start = res.pid_start;
	j.sup_pid = res.sup_pid;
	j.sup_start = res.sup_start;
	j.started_at = res.started_at;
	if (store_job_mark_running(ctx->store, &j, e) < 0)
		return -1;
	if (store_job_get(ctx->store, j.id, out, e) == 0)
		return 0;
	if (e->code != ERR_NOT_FOUND)
		return -1;
	/* It started, ended and was cleaned before we read it back: what
	 * we know is what it was when it started. */
	j.status = JOB_RUNNING;
	if (job_copy(out, &j) < 0)
		return err_set(e, ERR_IO, "out of memory");
	return 0;
fail:
	if (log_fd >= 0) {
		close(log_fd);
		unlink(log_path);
	}
	close(lock_fd);
	lock_remove(ctx->home, j.id);
	return -1;
}
