/* SPDX-License-Identifier: GPL-2.0-only */
/* Options tables: getopt_long's tables and the usage text generated from one row per option. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "cli/options.h"

#define LONG_ONLY_BASE 256 /* getopt val of a long-only row: 256 + its index, above every char */
#define HELP_COLUMN_MAX 30 /* the help column starts here at the latest */

int cli_options_getopt(const struct cli_option *opts, unsigned flags, struct option *longopts, size_t nlong,
		       char *shortopts, size_t nshort)
{
	size_t n = 0, s = 0;

	if (nshort < 3)
		return -EINVAL;
	if (flags & CLI_STOP_AT_OPERAND)
		shortopts[s++] = '+';
	shortopts[s++] = ':'; /* ':' for a missing value, '?' for an unknown option */
	for (const struct cli_option *o = opts; o->name; o++, n++) {
		if (n + 1 >= nlong || o->id <= 0 || !o->name[0])
			return -EINVAL;
		for (const struct cli_option *q = opts; q < o; q++)
			if (q->id == o->id || !strcmp(q->name, o->name) ||
			    (o->short_name && q->short_name == o->short_name))
				return -EINVAL;
		longopts[n] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					       o->short_name ? (unsigned char)o->short_name : LONG_ONLY_BASE + (int)n };
		if (!o->short_name)
			continue;
		if (o->short_name == ':' || o->short_name == '?' || o->short_name == '-' || o->short_name == '+' ||
		    o->short_name == 'W' || s + 3 >= nshort)
			return -EINVAL; /* reserved by getopt (-W is POSIX's "long option follows") */
		shortopts[s++] = o->short_name;
		if (o->arg)
			shortopts[s++] = ':';
	}
	longopts[n] = (struct option){ 0 };
	shortopts[s] = '\0';
	return 0;
}

const struct cli_option *cli_options_row(const struct cli_option *opts, int val)
{
	int i = 0;

	if (val <= 0)
		return NULL;
	for (const struct cli_option *o = opts; o->name; o++, i++)
		if (o->short_name ? val == (unsigned char)o->short_name : val == LONG_ONLY_BASE + i)
			return o;
	return NULL;
}

int cli_parser_init(struct cli_parser *p, const struct cli_option *opts, int argc, char **argv, unsigned flags)
{
	memset(p, 0, sizeof(*p));
	p->opts = opts;
	p->argc = argc;
	p->argv = argv;
	/* optind = 0: glibc re-reads the flags ('+') and forgets a previous parse's state */
	optind = 0;
	opterr = 0;
	return cli_options_getopt(opts, flags, p->longopts, CLI_OPTIONS_MAX + 1, p->shortopts, sizeof(p->shortopts));
}

int cli_parser_next(struct cli_parser *p, char *err, int errlen)
{
	const char *word;
	const struct cli_option *o;
	int ch;

	p->arg = NULL;
	p->given = NULL;
	ch = getopt_long(p->argc, p->argv, p->shortopts, p->longopts, NULL);
	if (ch == -1) {
		p->operands = optind;
		return 0;
	}
	/* the word getopt just read; a short option inside a cluster (-vx) is named by its letter */
	word = optind > 0 && optind - 1 < p->argc ? p->argv[optind - 1] : "?";
	if (ch == '?' || ch == ':') {
		char letter[3] = { '-', (char)optopt, 0 };
		bool is_short = optopt > 0 && optopt < LONG_ONLY_BASE && strncmp(word, "--", 2);

		if (ch == ':')
			snprintf(err, errlen, "option '%s' needs a value", is_short ? letter : word);
		else if (optopt && !is_short)
			snprintf(err, errlen, "option '%.*s' takes no value", (int)strcspn(word, "="), word);
		else
			snprintf(err, errlen, "unknown option '%s'", is_short ? letter : word);
		return -EINVAL;
	}
	o = cli_options_row(p->opts, ch);
	if (!o) {
		snprintf(err, errlen, "unknown option '%s'", word);
		return -EINVAL;
	}
	p->arg = o->arg ? optarg : NULL;
	p->given = word;
	return o->id;
}

int cli_parse(const struct cli_option *opts, unsigned flags, int argc, char **argv, cli_option_fn fn, void *ctx,
	      char *err, int errlen)
{
	struct cli_parser p;
	int id, r;

	if (cli_parser_init(&p, opts, argc, argv, flags)) {
		snprintf(err, errlen, "internal error: a malformed options table");
		return -EINVAL;
	}
	while ((id = cli_parser_next(&p, err, errlen)) > 0) {
		r = fn(ctx, id, p.arg, err, errlen);
		if (r == CLI_STOP)
			return 0;
		if (r)
			return -EINVAL;
	}
	return id < 0 ? -EINVAL : p.operands;
}

/* Print one hard line (no '\n') word-wrapped; col is the column the cursor is at. */
static int wrap_line(FILE *f, const char *s, size_t len, int col, int indent, int width)
{
	const char *end = s + len;
	bool first = true;

	while (s < end) {
		size_t w;

		while (s < end && *s == ' ')
			s++;
		if (s == end)
			break;
		w = strcspn(s, " ");
		if (w > (size_t)(end - s))
			w = end - s;
		if (!first && col + 1 + (int)w > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
		}
		if (!first) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, w, f);
		col += w;
		s += w;
		first = false;
	}
	return col;
}

void cli_wrap(FILE *f, const char *text, int first_indent, int indent, int width)
{
	const char *s = text;
	int col = first_indent;

	for (;;) {
		size_t len = strcspn(s, "\n");
		size_t lead = strspn(s, " ");

		/* a line's own leading spaces (a list, an example) indent its continuations too */
		if (lead > len)
			lead = len;
		if (col == indent && lead) {
			fprintf(f, "%*s", (int)lead, "");
			col += lead;
		}
		col = wrap_line(f, s + lead, len - lead, col, indent + (int)lead, width);
		if (!s[len])
			break;
		fprintf(f, "\n%*s", indent, "");
		col = indent;
		s += len + 1;
	}
	fputc('\n', f);
}

/* "-p, --pid PID" or "    --force" into buf; its width */
static int left_column(const struct cli_option *o, char *buf, size_t len)
{
	return snprintf(buf, len, "  %c%c%s--%s%s%s", o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
			o->short_name ? ", " : "  ", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cli_options_usage(FILE *f, const char *cmd, const char *operands, const struct cli_option *opts,
		       const char *about, const char *epilogue)
{
	int indent = (int)strlen("usage: ") + (int)strlen(cmd) + 1, col, helpcol = 0;
	char item[160];

	/* the synopsis: operands, then every listed option but --help, wrapped under the first */
	col = fprintf(f, "usage: %s", cmd);
	if (operands && *operands) {
		fputc(' ', f);
		col = wrap_line(f, operands, strlen(operands), col + 1, indent, CLI_USAGE_WIDTH);
	}
	for (const struct cli_option *o = opts; o->name; o++) {
		int w;

		if ((o->flags & CLI_OPT_HIDDEN) || !strcmp(o->name, "help"))
			continue;
		if (o->flags & CLI_OPT_REQUIRED)
			w = o->short_name ? snprintf(item, sizeof(item), "-%c%s%s", o->short_name, o->arg ? " " : "",
						     o->arg ? o->arg : "")
					  : snprintf(item, sizeof(item), "--%s%s%s", o->name, o->arg ? " " : "",
						     o->arg ? o->arg : "");
		else if (o->short_name)
			w = snprintf(item, sizeof(item), "[-%c%s%s]%s", o->short_name, o->arg ? " " : "",
				     o->arg ? o->arg : "", o->flags & CLI_OPT_REPEAT ? "..." : "");
		else
			w = snprintf(item, sizeof(item), "[--%s%s%s]%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "",
				     o->flags & CLI_OPT_REPEAT ? "..." : "");
		if (col + 1 + w > CLI_USAGE_WIDTH) {
			fprintf(f, "\n%*s%s", indent, "", item);
			col = indent + w;
		} else {
			fprintf(f, " %s", item);
			col += 1 + w;
		}
	}
	fputc('\n', f);
	if (about && *about) {
		fputc('\n', f);
		cli_wrap(f, about, 0, 0, CLI_USAGE_WIDTH);
	}
	/* the options, the help in a column of its own */
	for (const struct cli_option *o = opts; o->name; o++) {
		int w = left_column(o, item, sizeof(item)) + 2;

		if (w > HELP_COLUMN_MAX)
			w = HELP_COLUMN_MAX;
		if (!(o->flags & CLI_OPT_HIDDEN) && w > helpcol)
			helpcol = w;
	}
	fputs("\nOptions:\n", f);
	for (const struct cli_option *o = opts; o->name; o++) {
		int w;

		if (o->flags & CLI_OPT_HIDDEN)
			continue;
		w = left_column(o, item, sizeof(item));
		fputs(item, f);
		if (w + 2 > helpcol) {
			fprintf(f, "\n%*s", helpcol, "");
		} else {
			fprintf(f, "%*s", helpcol - w, "");
		}
		cli_wrap(f, o->help ? o->help : "", helpcol, helpcol, CLI_USAGE_WIDTH);
	}
	if (epilogue && *epilogue) {
		fputc('\n', f);
		cli_wrap(f, epilogue, 0, 0, CLI_USAGE_WIDTH);
	}
}
