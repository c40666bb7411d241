/*
 * The tools of `job mcp`, each one a command of the CLI. A tool's arguments
 * become that command's argv (a snake_case name is its long option in
 * kebab-case), and what the command prints with --json becomes the tool's
 * result. Pure: nothing here forks, opens the store or prints; cmd-mcp.c
 * runs each argv in a worker and hands back what the worker printed.
 */
#ifndef JOB_MCP_H
#define JOB_MCP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct jval;
struct mcp_tool;

/* The revision answered to a client that asked for requested (or NULL). */
const char *mcp_protocol(const char *requested);

const struct mcp_tool *mcp_tool_find(const char *name);
/* The tools/list array: name, title, description, inputSchema, annotations. */
struct jval *mcp_tools_json(void);

/*
 * One tools/call, stage by stage: most tools run one command; job_wait
 * with until or port runs two (the wait, then the job's record).
 */
struct mcp_call {
	const struct mcp_tool *tool;
	char **argv;		/* the stage's: "job" "--json" COMMAND ... NULL */
	int argc;
	bool read_only;		/* a cancel may end the worker: nothing to undo */
	bool blocks;		/* it may wait long (job_wait): stdin EOF ends it */
	int stage;		/* 0, then 1 */
	int ready;		/* job_wait: -1 unknown (null), 0 or 1 */
	bool timed_out;		/* job_wait: the first stage's timeout expired */
};

/*
 * Builds the first stage from the tool's arguments (an object, or NULL for
 * none). Fails with ERR_USAGE when an argument is unknown, of the wrong
 * type or missing: a tool error for the model to read, not a protocol one.
 */
int mcp_call_init(struct mcp_call *c, const struct mcp_tool *t,
    const struct jval *args, struct err *e);
/*
 * Takes what the stage's worker wrote on stdout and stderr and its wait
 * status. Returns the CallToolResult, or NULL when the next stage must run
 * (c->argv is then that stage's).
 */
struct jval *mcp_call_done(struct mcp_call *c, const char *out, size_t outlen,
    const char *errtext, size_t errlen, int wstatus);
void mcp_call_free(struct mcp_call *c);

/* The CallToolResult for e: the CLI's error object, with isError set. */
struct jval *mcp_tool_error(const struct err *e);

/*
 * The path a file:// URI names, percent-decoded, in buf. Fails for another
 * scheme, a host other than localhost, a relative path, %00 or a bad
 * escape.
 */
int mcp_uri_path(const char *uri, char *buf, size_t len);

#endif
