/*
 * Tests the supervisor's last word (src/lifecycle.c): life_end_note and
 * life_end_from_note round-trip every field, and anything that is not
 * exactly such a line is refused.
 */
#include <string.h>

#include "lifecycle.h"

#include "unit.h"

static void
test_round_trip(void)
{
	struct job started, row, back_started;
	struct job_end end, back;
	char note[LIFE_NOTE_MAX];

	memset(&started, 0, sizeof(started));
	started.pid = 4242;
	started.pid_start = 123456789012LL;
	started.sup_pid = 4241;
	started.sup_start = 123456789000LL;
	started.started_at = 1796199179989LL;
	memset(&end, 0, sizeof(end));
	end.status = JOB_FAILED;
	end.reason = "signaled";
	end.exit_code = -1;
	end.signal_number = 9;
	end.finished_at = 1796199180001LL;
	end.log_dropped = 1LL << 40;
	end.started = &started;
	memset(&row, 0, sizeof(row));
	row.sup_pid = 4241;
	CHECK(life_end_note(&end, note, sizeof(note)) > 0);
	CHECK(life_end_from_note(note, &row, &back, &back_started));
	CHECK_EQ_INT(back.status, JOB_FAILED);
	CHECK_EQ_STR(back.reason, "signaled");
	CHECK_EQ_INT(back.exit_code, -1);
	CHECK_EQ_INT(back.signal_number, 9);
	CHECK_EQ_INT(back.finished_at, 1796199180001LL);
	CHECK_EQ_INT(back.log_dropped, 1LL << 40);
	CHECK_EQ_INT(back.sup_pid, 4241);
	CHECK(back.started == &back_started);
	CHECK_EQ_INT(back_started.pid, 4242);
	CHECK_EQ_INT(back_started.pid_start, 123456789012LL);
	CHECK_EQ_INT(back_started.sup_pid, 4241);
	CHECK_EQ_INT(back_started.sup_start, 123456789000LL);
	CHECK_EQ_INT(back_started.started_at, 1796199179989LL);

	/* A job that never started says so: no start to fill in. */
	end.status = JOB_FAILED;
	end.reason = "dependency_failed";
	end.started = NULL;
	CHECK(life_end_note(&end, note, sizeof(note)) > 0);
	CHECK(life_end_from_note(note, &row, &back, &back_started));
	CHECK_EQ_STR(back.reason, "dependency_failed");
	CHECK(back.started == NULL);
}

static void
refuses(const char *note)
{
	struct job row, started;
	struct job_end end;

	memset(&row, 0, sizeof(row));
	if (!CHECK(!life_end_from_note(note, &row, &end, &started)))
		fprintf(stderr, "  note was \"%s\"\n", note);
}

static void
test_refused(void)
{
	char small[8];
	struct job_end end;

	refuses("");
	refuses("job-end-1 completed exited 0 0 1 0 0 0 0 0 0");
	refuses("job-end-1 completed exited 0 0 1 0 0 0 0 0 0 junk\n");
	refuses("job-end-1 completed exited 0 0 1 0 0 0 0 0 0\njunk");
	refuses("job-end-2 completed exited 0 0 1 0 0 0 0 0 0\n");
	refuses("job-end-1 running exited 0 0 1 0 0 0 0 0 0\n");
	refuses("job-end-1 pending exited 0 0 1 0 0 0 0 0 0\n");
	refuses("job-end-1 done exited 0 0 1 0 0 0 0 0 0\n");
	refuses("job-end-1 completed 'x';DROP 0 0 1 0 0 0 0 0 0\n");
	refuses("job-end-1 completed exited zero 0 1 0 0 0 0 0 0\n");
	refuses("job-end-1 completed exited 0 0 1 0 0 0 0 0\n");
	/* Too small a buffer is said, not cut. */
	memset(&end, 0, sizeof(end));
	end.status = JOB_COMPLETED;
	end.reason = "exited";
	CHECK_EQ_INT(life_end_note(&end, small, sizeof(small)), -1);
}

int
main(void)
{
	test_round_trip();
	test_refused();
	return unit_done();
}
