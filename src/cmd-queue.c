/*
 * job queue: lists the queues, or shows and sets one: its limit of jobs
 * running at once (--parallel), and whether it starts any (--pause,
 * --resume). A queue exists from its first use by `job run --queue` or
 * here.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json.h"
#include "lifecycle.h"
#include "opt.h"
#include "out.h"
#include "store.h"

enum { O_PARALLEL = 1, O_PAUSE, O_RESUME };

static const struct opt_spec options[] = {
	{ .name = "parallel", .short_name = 'p', .type = OPT_INT,
	  .id = O_PARALLEL, .value_name = "N",
	  .help = "run at most N of its jobs at once (N >= 1; new queues:\n"
	    "1, one after another); raising it starts waiting jobs now",
	  .min = 1, .max = 1000000 },
	{ .name = "pause", .type = OPT_FLAG, .id = O_PAUSE,
	  .help = "start none of its jobs (running ones go on)" },
	{ .name = "resume", .type = OPT_FLAG, .id = O_RESUME,
	  .help = "start its jobs again" },
	{ NULL },
};

static struct jval *
queue_json(const struct store_queue *q)
{
	struct jval *o = jobj();

	jset_str(o, "name", q->name);
	jset_int(o, "parallel", q->parallel);
	jset_int(o, "running", q->running);
	jset_int(o, "pending", q->pending);
	jset_bool(o, "paused", q->paused);
	return o;
}

static void
queue_line(const struct store_queue *q)
{
	char name[CMD_NAME_MAX * 4 + 1];

	out_escape(q->name, name, sizeof(name));
	printf("%s parallel=%lld running=%lld pending=%lld %s\n", name,
	    (long long)q->parallel, (long long)q->running,
	    (long long)q->pending, q->paused ? "paused" : "active");
}

static int
check_queue_args(const struct ctx *ctx, const struct opt_args *a,
    struct err *e)
{
	(void)ctx;
	if (opt_has(a, O_PAUSE) && opt_has(a, O_RESUME))
		return err_set(e, ERR_USAGE, "--pause and --resume together: "
		    "give one");
	if (a->noperands == 0 && (opt_has(a, O_PARALLEL) ||
	    opt_has(a, O_PAUSE) || opt_has(a, O_RESUME)))
		return err_set(e, ERR_USAGE, "which queue? give its NAME");
	if (a->noperands == 1)
		return cmd_check_queue(a->operands[0], NULL, e);
	return 0;
}

static int
list_queues(struct ctx *ctx)
{
	struct store_queue *qs;
	struct err e;
	size_t n, i;

	if (store_queue_list(ctx->store, &qs, &n, &e) < 0)
		return cmd_error(ctx, &e);
	if (ctx->json) {
		struct jval *a = jarr();
		for (i = 0; i < n; i++)
			jpush(a, queue_json(&qs[i]));
		jprint(a, stdout);
	} else if (n == 0)
		printf("no queues (job run --queue NAME makes one)\n");
	else
		for (i = 0; i < n; i++)
			queue_line(&qs[i]);
	store_queue_free(qs, n);
	return EXIT_OK;
}

static int
cmd_queue(struct ctx *ctx, struct cmd_args *a)
{
	const char *name;
	struct store_queue q;
	struct life l;
	struct err e;
	int paused = -1;

	if (a->opt.noperands == 0)
		return list_queues(ctx);
	name = a->opt.operands[0];
	if (opt_has(&a->opt, O_PAUSE))
		paused = 1;
	else if (opt_has(&a->opt, O_RESUME))
		paused = 0;
	cmd_life(ctx, &l);
	if ((opt_has(&a->opt, O_PARALLEL) || paused >= 0) &&
	    life_queue_set(&l, name, opt_num(&a->opt, O_PARALLEL, 0), paused,
	    &e) < 0)
		return cmd_error(ctx, &e);
	if (store_queue_get(ctx->store, name, &q, &e) < 0)
		return cmd_error(ctx, &e);
	if (ctx->json)
		jprint(queue_json(&q), stdout);
	else
		queue_line(&q);
	free(q.name);
	return EXIT_OK;
}

const struct cmd_entry cmd_queue_entry = {
	.name = "queue",
	.summary = "List the queues, or show and set one: its limit, pause, "
	    "resume.",
	.grammar = {
		.options = options,
		.operand = "NAME",
		.noun = "queue",
		.operand_help = "the queue to show or set; none: list them all",
		.min = 0,
		.max = 1,
		.json_help = "print the queues as JSON: an array, or NAME's "
		    "object",
	},
	.flags = CMD_STORE | CMD_RECONCILE,
	.check = check_queue_args,
	.exec = cmd_queue,
};
