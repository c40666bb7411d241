/*
 * job completions: shell completion scripts made from the command table, so
 * they always offer the commands and flags this binary has; job names and
 * ids come from the store at completion time through `job completions
 * refs`.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "job.h"
#include "store.h"

static const struct opt_word shells[] = {
	{ "bash", "source <(job completions bash)" },
	{ "zsh", "source <(job completions zsh)" },
	{ "fish", "job completions fish | source" },
	{ "refs", NULL },	/* what the scripts call for names and ids */
	{ "queues", NULL },	/* and for queue names */
	{ NULL, NULL },
};

static void
print_flags(const struct cmd_entry *c, const char *sep)
{
	const struct opt_spec *o;

	for (o = c->grammar.options; o != NULL && o->name != NULL; o++)
		printf("--%s%s", o->name, sep);
	printf("--json%s--help", sep);
}

/* The listed fixed operands of a command, space-separated. */
static void
print_words(const struct cmd_entry *c)
{
	const struct opt_word *w;

	for (w = c->grammar.words; w->word != NULL; w++)
		if (w->help != NULL)
			printf("%s ", w->word);
}

static void
print_bash(void)
{
	const struct cmd_entry *const *p;

	printf("# bash completion for job; load with: "
	    "source <(job completions bash)\n_job()\n{\n"
	    "\tlocal cur=\"${COMP_WORDS[COMP_CWORD]}\" cmd=\"\" i\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase \"${COMP_WORDS[i]}\" in -*) ;; *) "
	    "cmd=\"${COMP_WORDS[i]}\"; break ;; esac\n\tdone\n"
	    "\tif [ -z \"$cmd\" ]; then\n\t\tCOMPREPLY=($(compgen -W \"");
	for (p = cmd_table; *p != NULL; p++)
		printf("%s ", (*p)->name);
	printf("--json --help --version\" -- \"$cur\"))\n\t\treturn\n\tfi\n"
	    "\tlocal flags=\"\"\n\tcase \"$cmd\" in\n");
	for (p = cmd_table; *p != NULL; p++) {
		printf("\t%s) flags=\"", (*p)->name);
		print_flags(*p, " ");
		printf("\" ;;\n");
	}
	/* The values of options that name jobs or queues. */
	printf("\tesac\n\tcase \"${COMP_WORDS[COMP_CWORD-1]}\" in\n"
	    "\t--after|--after-end) COMPREPLY=($(compgen -W \"$(job "
	    "completions refs 2>/dev/null)\" -- \"$cur\")); return ;;\n"
	    "\t--queue|-q) COMPREPLY=($(compgen -W \"$(job completions "
	    "queues 2>/dev/null)\" -- \"$cur\")); return ;;\n\tesac\n");
	printf("\tcase \"$cur\" in\n\t-*) COMPREPLY=($(compgen -W "
	    "\"$flags\" -- \"$cur\")) ;;\n\t*)\n\t\tcase \"$cmd\" in\n"
	    "\t\tqueue) COMPREPLY=($(compgen -W \"$(job completions queues "
	    "2>/dev/null)\" -- \"$cur\")) ;;\n\t\t");
	for (p = cmd_table; *p != NULL; p++)
		if ((*p)->flags & CMD_REFS)
			printf("%s|", (*p)->name);
	printf("_refs) COMPREPLY=($(compgen -W \"$(job completions refs "
	    "2>/dev/null)\" -- \"$cur\")) ;;\n\t\thelp) COMPREPLY=($(compgen "
	    "-W \"");
	for (p = cmd_table; *p != NULL; p++)
		printf("%s ", (*p)->name);
	printf("\" -- \"$cur\")) ;;\n");
	for (p = cmd_table; *p != NULL; p++) {
		if ((*p)->grammar.words == NULL)
			continue;
		printf("\t\t%s) COMPREPLY=($(compgen -W \"", (*p)->name);
		print_words(*p);
		printf("\" -- \"$cur\")) ;;\n");
	}
	printf("\t\t*) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	    "\t\tesac ;;\n\tesac\n}\ncomplete -F _job job\n");
}

static void
print_fish(void)
{
	const struct cmd_entry *const *p;
	const struct opt_spec *o;

	printf("# fish completion for job; load with: "
	    "job completions fish | source\ncomplete -c job -f\n");
	for (p = cmd_table; *p != NULL; p++) {
		printf("complete -c job -n __fish_use_subcommand -a %s "
		    "-d '%s'\n", (*p)->name, (*p)->summary);
		for (o = (*p)->grammar.options; o != NULL && o->name != NULL;
		    o++)
			printf("complete -c job -n '__fish_seen_subcommand_from "
			    "%s' -l %s%s%s\n", (*p)->name, o->name,
			    o->type != OPT_FLAG ? " -r" : "",
			    strcmp(o->name, "queue") == 0 ? " -a '(job "
			    "completions queues 2>/dev/null)'" :
			    strncmp(o->name, "after", 5) == 0 ? " -a '(job "
			    "completions refs 2>/dev/null)'" : "");
		printf("complete -c job -n '__fish_seen_subcommand_from %s' "
		    "-l json\n", (*p)->name);
		if ((*p)->flags & CMD_REFS)
			printf("complete -c job -n '__fish_seen_subcommand_from "
			    "%s' -a '(job completions refs 2>/dev/null)'\n",
			    (*p)->name);
		if ((*p)->grammar.words != NULL) {
			printf("complete -c job -n '__fish_seen_subcommand_from "
			    "%s' -a '", (*p)->name);
			print_words(*p);
			printf("'\n");
		}
	}
}

/* The queues' names, one a line. */
static int
print_queues(struct ctx *ctx)
{
	struct store_queue *qs;
	struct err e;
	size_t n, i;

	if (store_queue_list(ctx->store, &qs, &n, &e) < 0)
		return cmd_error(ctx, &e);
	for (i = 0; i < n; i++)
		if (strpbrk(qs[i].name, " \t\n") == NULL)
			printf("%s\n", qs[i].name);
	store_queue_free(qs, n);
	return EXIT_OK;
}

/* Names and ids of the project's recent jobs, one a line. */
static int
print_refs(struct ctx *ctx)
{
	struct store_filter f;
	struct job *jobs;
	struct err e;
	size_t n, i;

	memset(&f, 0, sizeof(f));
	f.project = ctx->project;
	f.limit = 100;
	if (store_job_list(ctx->store, &f, &jobs, &n, &e) < 0)
		return cmd_error(ctx, &e);
	for (i = 0; i < n; i++) {
		if (jobs[i].name != NULL && strchr(jobs[i].name, '\n') == NULL)
			printf("%s\n", jobs[i].name);
		printf("%s\n", jobs[i].id);
	}
	job_free_array(jobs, n);
	return EXIT_OK;
}

static int
cmd_completions(struct ctx *ctx, struct cmd_args *a)
{
	const char *shell = a->opt.operands[0];
	int rc = EXIT_OK;

	if (strcmp(shell, "bash") == 0)
		print_bash();
	else if (strcmp(shell, "zsh") == 0) {
		/* zsh runs the bash function through bashcompinit. */
		printf("# zsh completion for job; load with: "
		    "source <(job completions zsh)\nautoload -U +X "
		    "bashcompinit && bashcompinit\n");
		print_bash();
	} else if (strcmp(shell, "fish") == 0)
		print_fish();
	else {
		/* Only refs needs the store: a script must print even where
		 * JOB_HOME is refused. */
		rc = cmd_setup(ctx, CMD_STORE);
		if (rc == 0)
			rc = strcmp(shell, "refs") == 0 ? print_refs(ctx) :
			    print_queues(ctx);
	}
	return rc;
}

const struct cmd_entry cmd_completions_entry = {
	.name = "completions",
	.summary = "Print a shell completion script.",
	.grammar = {
		.noun = "shell",
		.words = shells,
		.min = 1,
		.max = 1,
	},
	.flags = 0,
	.exec = cmd_completions,
};
