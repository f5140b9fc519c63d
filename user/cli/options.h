/* SPDX-License-Identifier: GPL-2.0-only */
/* One options table per command: a row per option (long name, short letter, id, argument name,
 * help). The getopt_long tables and the usage text are both generated from it, so an option is
 * declared, parsed and documented in one place.
 *
 *	enum { OPT_PID = 1, OPT_FORCE, OPT_HELP };
 *	static const struct cli_option opts[] = {
 *		{ "pid", 'p', OPT_PID, "PID", "profile this process", 0 },
 *		{ "force", 0, OPT_FORCE, NULL, "compare anyway", 0 },
 *		{ "help", 'h', OPT_HELP, NULL, "this help", 0 },
 *		{},
 *	};
 *	struct cli_parser p;
 *	int id;
 *
 *	cli_parser_init(&p, opts, argc, argv, 0);
 *	while ((id = cli_parser_next(&p, err, errlen)) > 0)
 *		switch (id) { case OPT_PID: use(p.arg); ... }
 *	if (id < 0) -> bad input, err says why; operands are argv[p.operands .. argc-1].
 */
#ifndef BINDPROF_CLI_OPTIONS_H
#define BINDPROF_CLI_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#define CLI_OPTIONS_MAX 48 /* rows in one table */
#define CLI_USAGE_WIDTH 100 /* columns of the usage text */

/* Row flags. */
#define CLI_OPT_REPEAT 1u /* may be given more than once: "[--ffi LIB]..." in the synopsis */
#define CLI_OPT_HIDDEN 2u /* parsed, not listed in the usage */
#define CLI_OPT_REQUIRED 4u /* the command needs it: "--url URL" in the synopsis, without brackets (the
                           * command checks that it was given) */

struct cli_option {
	const char *name;  /* long name without "--"; NULL ends the table */
	char short_name;   /* the short letter, or 0 for a long-only option */
	int id;            /* what cli_parser_next returns for it: > 0, unique in the table */
	const char *arg;   /* the argument's name in the usage ("SECS"); NULL: a flag, no argument */
	const char *help;  /* one or more sentences; wrapped to CLI_USAGE_WIDTH; '\n' breaks a line */
	unsigned flags;    /* CLI_OPT_* */
};

/* Parser flags. */
#define CLI_STOP_AT_OPERAND 1u /* stop at the first operand (`record -- CMD -x`: -x is CMD's) */

struct cli_parser {
	const struct cli_option *opts;
	int argc;
	char **argv;
	const char *arg;   /* after cli_parser_next: the option's argument, NULL for a flag */
	const char *given; /* after cli_parser_next: the option as written ("-p", "--pid") */
	int operands;      /* after the end (0 returned): index of the first operand in argv */
	struct option longopts[CLI_OPTIONS_MAX + 1];
	char shortopts[3 * CLI_OPTIONS_MAX + 4];
};

/* Build the getopt tables of opts for argv (argv[0] is the command's name, not parsed).
 * 0, or -EINVAL when the table is malformed (too many rows, id <= 0, a short letter that getopt
 * reserves): a programming error, which the unit tests catch. */
int cli_parser_init(struct cli_parser *p, const struct cli_option *opts, int argc, char **argv, unsigned flags);

/* The next option: its row's id (> 0) with p->arg set; 0 at the end of the options (then
 * p->operands is set); -EINVAL for an unknown option, a missing argument or an argument given to a
 * flag, with a one-line message in err ("unknown option '--x'", "option '--pid' needs a value"). */
int cli_parser_next(struct cli_parser *p, char *err, int errlen);

/* What an option's callback returns to cli_parse to stop before the rest (--help). */
#define CLI_STOP 1

/* One option, for cli_parse: 0 to go on, CLI_STOP to stop (--help), or -EINVAL with one line in
 * err. arg is the option's argument (NULL for a flag). */
typedef int (*cli_option_fn)(void *ctx, int id, const char *arg, char *err, int errlen);

/* The whole loop: fn for every option of argv in order. Returns the index in argv of the first
 * operand (>= 1) at the end of the options; 0 when fn returned CLI_STOP; -EINVAL for a malformed
 * table, a bad option (cli_parser_next's messages) or fn's refusal, with one line in err. */
int cli_parse(const struct cli_option *opts, unsigned flags, int argc, char **argv, cli_option_fn fn, void *ctx,
	      char *err, int errlen);

/* The getopt_long tables alone (for callers that keep their own loop): longopts gets a row per
 * option plus the zero row, each with val = the short letter or 256 + the row's index; shortopts
 * ":p:vh"-style (with a leading '+' for CLI_STOP_AT_OPERAND). 0 or -EINVAL. */
int cli_options_getopt(const struct cli_option *opts, unsigned flags, struct option *longopts, size_t nlong,
		       char *shortopts, size_t nshort);
/* The row a getopt_long return value (from the tables above) stands for; NULL when none. */
const struct cli_option *cli_options_row(const struct cli_option *opts, int val);

/* Print the usage to f, wrapped within CLI_USAGE_WIDTH columns:
 *	usage: bindprof CMD OPERANDS [-p PID] [--force] ...     (the synopsis, generated)
 *	<about, wrapped>
 *	Options:
 *	  -p, --pid PID      help, wrapped in its own column
 *	<epilogue, wrapped>
 * cmd is "bindprof diff"; operands ("BASE.json NEW.json"), about and epilogue may be NULL. */
void cli_options_usage(FILE *f, const char *cmd, const char *operands, const struct cli_option *opts,
		       const char *about, const char *epilogue);

/* Write text to f wrapped within width columns: first line after first_indent columns (already
 * printed by the caller), the next ones indented by indent spaces; '\n' in text breaks a line. */
void cli_wrap(FILE *f, const char *text, int first_indent, int indent, int width);

#endif
