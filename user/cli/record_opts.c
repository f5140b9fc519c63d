/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli/options.h"
#include "cli/record_opts.h"
#include "core/probes.h"
#include "lib/duration.h"
#include "lib/util.h"
#include "probes/ffi.h"

enum {
	O_PID = 1, O_DURATION, O_OUTPUT, O_PROBES, O_GIL_METHOD, O_FFI, O_FOLDED, O_SVG, O_FREQ,
	O_GIL_STACKS, O_EXEMPLARS, O_NO_CHILDREN, O_FOLLOW, O_VERBOSE, O_HELP, O_PPROF, O_SPEEDSCOPE,
	O_TASKS,
	O_REQUESTS_LOG, O_UNWIND,
};

const struct cli_option record_options[] = {
	{ "pid", 'p', O_PID, "PID", "profile a running process and the processes it forks", 0 },
	{ "duration", 'd', O_DURATION, "SECS", "stop after SECS seconds (default: until Ctrl-C or the target exits)", 0 },
	{ "output", 'o', O_OUTPUT, "FILE", "profile JSON to write (default: bindprof.json)", 0 },
	{ "probes", 0, O_PROBES, "LIST",
	  "comma list of syscalls,gil,gc,ffi,requests,stacks, or all (default: gil,gc,ffi,requests,stacks, "
	  "the cheap set; all adds the costly ones: syscalls and the exact GIL method)", 0 },
	{ "gil-method", 0, O_GIL_METHOD, "cheap|exact",
	  "cheap (default: sched_switch + futex, waits only) or exact (uprobes on take_gil/drop_gil: waits "
	  "and holds, costly)", 0 },
	{ "ffi", 0, O_FFI, "LIB[:GLOB]",
	  "time every call of LIB's functions (exported ones, or those GLOB matches, by symbol or Python "
	  "name); LIB is a path or a file name in the target's maps (libz.so.1, _cffi_backend); repeatable",
	  CLI_OPT_REPEAT },
	{ "folded", 0, O_FOLDED, "FILE",
	  "write the on-CPU stacks as folded lines (and the GIL-wait stacks to FILE with .gil-wait before "
	  "its extension); turns stacks on", 0 },
	{ "svg", 0, O_SVG, "FILE", "write an interactive SVG flamegraph (and FILE's .gil-wait one); without "
	  "--folded, the folded files go next to -o's file (OUT.folded), for report --format html", 0 },
	{ "pprof", 0, O_PPROF, "FILE.pb.gz",
	  "write the stacks as a gzipped pprof profile (as `bindprof export`); turns stacks on and, without "
	  "--folded, writes the folded files next to -o's file (OUT.folded)", 0 },
	{ "speedscope", 0, O_SPEEDSCOPE, "FILE.json", "write the stacks as a speedscope file (as --pprof)", 0 },
	{ "freq", 'F', O_FREQ, "HZ", "stack samples per second per CPU (default 99, 1..10000)", 0 },
	{ "gil-stacks", 0, O_GIL_STACKS, "on|off",
	  "with gil and stacks: a stack per GIL wait, at most HZ a second per process (default on; off "
	  "saves their unwinding)", 0 },
	{ "unwind", 0, O_UNWIND, "dwarf|kernel",
	  "how CPU samples' native frames are unwound: dwarf (default: a 16 KiB stack copy unwound in user "
	  "space by libdw) or kernel (in BPF from tables built from each file's .eh_frame; a sample with a "
	  "rule BPF cannot follow falls back to dwarf, counted by reason in stacks.unwind)", 0 },
	{ "asyncio-tasks", 0, O_TASKS, "on|off",
	  "with requests: follow asyncio tasks, so that a handler's work on both sides of an await is its "
	  "request's (default on; a uprobe pair per task step, about 2 per request: off saves them)", 0 },
	{ "exemplars", 0, O_EXEMPLARS, "N", "keep the N slowest requests with their breakdown (default 5)", 0 },
	{ "requests-log", 0, O_REQUESTS_LOG, "FILE",
	  "with requests: write every answered request to FILE as it is seen (about 250 ms after its "
	  "answer), for `bindprof load --split-with FILE` to split its clients' latency", 0 },
	{ "no-children", 0, O_NO_CHILDREN, NULL, "profile only the one process, not its descendants", 0 },
	{ "follow-children", 0, O_FOLLOW, NULL, "profile descendants too (the default)", 0 },
	{ "verbose", 'v', O_VERBOSE, NULL, "libbpf and attach logging on stderr", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

void record_usage(FILE *f)
{
	cli_options_usage(f, "bindprof record", "[-- CMD ARGS...]", record_options,
			  "Attach to a process (and its descendants) with -p, or start CMD with the probes "
			  "attached before it runs; measure until the duration ends, Ctrl-C, or the target "
			  "exits, then write the profile JSON and print a summary.",
			  NULL);
}

static int set_file(const char **dst, const char *given, const char *arg, char *err, int errlen)
{
	if (!*arg) {
		snprintf(err, errlen, "%s: empty file name", given);
		return -EINVAL;
	}
	*dst = arg;
	return 0;
}

/* One option's value into o. 0 or -EINVAL with err. */
static int record_opt(struct record_opts *o, int id, const char *arg, int *gil_method, bool *all_named,
		      char *err, int errlen)
{
	const char *bad;
	long l;

	switch (id) {
	case O_PID:
		return cli_parse_pid(arg, &o->pid, err, errlen) ? -EINVAL : 0;
	case O_DURATION:
		if (parse_duration(arg, 7 * 86400, &o->duration)) /* 30, 30s, 500ms, 2m */
			break;
		return 0;
	case O_OUTPUT:
		return set_file(&o->output, "-o", arg, err, errlen);
	case O_PROBES:
		/* the word "all", not a list that happens to name every probe */
		*all_named = probes_names_all(arg);
		if (probes_parse(arg, &o->probes, &bad)) {
			snprintf(err, errlen, "--probes: unknown probe '%s' (syscalls,gil,gc,ffi,requests,stacks,all)", bad);
			return -EINVAL;
		}
		return 0;
	case O_GIL_METHOD:
		if (strcmp(arg, "cheap") && strcmp(arg, "exact")) {
			snprintf(err, errlen, "--gil-method: unknown method '%s' (cheap, exact)", arg);
			return -EINVAL;
		}
		*gil_method = !strcmp(arg, "exact");
		return 0;
	case O_FFI:
		return ffi_spec_add(o->ffi, &o->nffi, (int)ARRAY_SIZE(o->ffi), arg, err, errlen) ? -EINVAL : 0;
	case O_FOLDED:
		return set_file(&o->folded, "--folded", arg, err, errlen);
	case O_SVG:
		return set_file(&o->svg, "--svg", arg, err, errlen);
	case O_PPROF:
		return set_file(&o->pprof, "--pprof", arg, err, errlen);
	case O_SPEEDSCOPE:
		return set_file(&o->speedscope, "--speedscope", arg, err, errlen);
	case O_FREQ:
		if (parse_long(arg, 1, 10000, &l))
			break;
		o->freq = (int)l;
		return 0;
	case O_GIL_STACKS:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			snprintf(err, errlen, "--gil-stacks: '%s' is not on or off", arg);
			return -EINVAL;
		}
		o->no_gil_stacks = !strcmp(arg, "off");
		return 0;
	case O_UNWIND:
		if (strcmp(arg, "dwarf") && strcmp(arg, "kernel")) {
			snprintf(err, errlen, "--unwind: '%s' is not dwarf or kernel", arg);
			return -EINVAL;
		}
		o->kernel_unwind = !strcmp(arg, "kernel");
		return 0;
	case O_TASKS:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			snprintf(err, errlen, "--asyncio-tasks: '%s' is not on or off", arg);
			return -EINVAL;
		}
		o->no_tasks = !strcmp(arg, "off");
		return 0;
	case O_REQUESTS_LOG:
		return set_file(&o->requests_log, "--requests-log", arg, err, errlen);
	case O_EXEMPLARS:
		if (parse_long(arg, 0, 1000, &l))
			break;
		o->exemplars = (int)l;
		return 0;
	case O_NO_CHILDREN:
	case O_FOLLOW:
		o->follow_children = id == O_FOLLOW;
		return 0;
	case O_VERBOSE:
		o->verbose++;
		return 0;
	}
	if (id == O_DURATION)
		snprintf(err, errlen, "-d: invalid duration '%s' (seconds > 0)", arg);
	else if (id == O_FREQ)
		snprintf(err, errlen, "-F: invalid frequency '%s' (1..10000 Hz)", arg);
	else
		snprintf(err, errlen, "--exemplars: invalid count '%s' (0..1000)", arg);
	return -EINVAL;
}

/* What the options imply, and the target's checks. */
static int record_finish(struct record_opts *o, int gil_method, bool all_named, char *err, int errlen)
{
	/* An export is made from the folded files: without --folded, OUT.folded next to -o's file. So is
	 * --svg's graph: kept, `report --format html`, `flamegraph` and `export` can draw it again from the
	 * JSON (without it they said "no folded stacks" of a run that took them). */
	if ((o->pprof || o->speedscope || o->svg) && !o->folded) {
		static char folded[4096];
		const char *dot = strrchr(o->output, '.'), *slash = strrchr(o->output, '/');
		int n = dot && (!slash || dot > slash) ? (int)(dot - o->output) : (int)strlen(o->output);

		snprintf(folded, sizeof(folded), "%.*s.folded", n, o->output);
		o->folded = folded;
	}
	/* Asking for a stack file asks for stacks; naming a library asks for its calls. */
	if (o->folded || o->svg)
		o->probes |= PROBE_BIT(PROBE_STACKS);
	if (o->nffi)
		o->probes |= PROBE_BIT(PROBE_FFI);
	/* --probes all includes the costly methods; an explicit --gil-method wins. */
	o->gil_exact = gil_method >= 0 ? gil_method == 1 : all_named;
	if (o->requests_log && !(o->probes & PROBE_BIT(PROBE_REQUESTS))) {
		snprintf(err, errlen, "--requests-log needs the requests probe (--probes ...,requests)");
		return -EINVAL;
	}
	if (o->pid && o->cmd) {
		snprintf(err, errlen, "-p and -- CMD are exclusive: give one target");
		return -EINVAL;
	}
	if (!o->pid && !o->cmd) {
		snprintf(err, errlen, "no target: give -p PID or -- CMD ARGS...");
		return -EINVAL;
	}
	return 0;
}

int record_opts_parse(int argc, char **argv, struct record_opts *o, char *err, int errlen)
{
	struct cli_parser p;
	int gil_method = -1; /* -1: not given, 0 cheap, 1 exact */
	bool all_named = false;
	int id;

	record_opts_defaults(o);
	/* stop at the first operand, so CMD's own flags are left to CMD */
	if (cli_parser_init(&p, record_options, argc, argv, CLI_STOP_AT_OPERAND))
		return -EINVAL;
	while ((id = cli_parser_next(&p, err, errlen)) > 0) {
		if (id == O_HELP) {
			o->help = true;
			return 0;
		}
		if (record_opt(o, id, p.arg, &gil_method, &all_named, err, errlen))
			return -EINVAL;
	}
	if (id < 0)
		return -EINVAL;
	if (p.operands < argc) {
		if (strcmp(argv[p.operands - 1], "--") != 0) {
			snprintf(err, errlen, "unexpected argument '%s' (a command goes after --)", argv[p.operands]);
			return -EINVAL;
		}
		o->cmd = &argv[p.operands];
	}
	return record_finish(o, gil_method, all_named, err, errlen);
}
