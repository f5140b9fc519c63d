/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "probes/ffi.h"
#include "core/probes.h"
#include "cli/record_opts.h"
#include "lib/util.h"
#include "lib/validate.h"

const char record_usage[] =
	"usage: bindprof record [-p PID | -- CMD ARGS...] [-d SECS] [-o FILE.json] [--probes LIST]\n"
	"                       [--gil-method cheap|exact] [--ffi LIB[:GLOB]]... [--folded FILE]\n"
	"                       [--svg FILE] [-F HZ] [--gil-stacks on|off] [--exemplars N]\n"
	"                       [--no-children] [-v]\n"
	"\n"
	"Attach to a process (and its descendants) or start one, measure until the duration ends,\n"
	"Ctrl-C, or the target exits, then write the profile JSON and print a summary.\n"
	"\n"
	"  -p, --pid PID        profile a running process and the processes it forks\n"
	"  -- CMD ARGS...       start CMD with probes attached before it runs\n"
	"  -d, --duration SECS  stop after SECS seconds (default: until Ctrl-C or the target exits)\n"
	"  -o, --output FILE    profile JSON to write (default: bindprof.json)\n"
	"      --probes LIST    comma list of syscalls,gil,gc,ffi,requests,stacks, or all\n"
	"                       (default: gil,gc,ffi,requests,stacks, the cheap set; all adds\n"
	"                       the costly ones: syscalls and the exact GIL method)\n"
	"      --gil-method M   cheap (default: sched_switch + futex, waits only) or exact\n"
	"                       (uprobes on take_gil/drop_gil: waits and holds, costly)\n"
	"      --ffi LIB[:GLOB] time every call of LIB's functions (exported ones, or those GLOB\n"
	"                       matches, by symbol or Python name); LIB is a path or a file name\n"
	"                       in the target's maps (libz.so.1, _cffi_backend); repeatable\n"
	"      --folded FILE    write the on-CPU stacks as folded lines (and the GIL-wait stacks\n"
	"                       to FILE with .gil-wait before its extension); turns stacks on\n"
	"      --svg FILE       write an interactive SVG flamegraph (and FILE's .gil-wait one)\n"
	"  -F, --freq HZ        stack samples per second per CPU (default 99, 1..10000)\n"
	"      --gil-stacks on|off  with gil and stacks: a stack per GIL wait, at most HZ a\n"
	"                       second per process (default on; off saves their unwinding)\n"
	"      --exemplars N    keep the N slowest requests with their breakdown (default 5)\n"
	"      --no-children    profile only the one process, not its descendants\n"
	"      --follow-children  profile descendants too (the default)\n"
	"  -v, --verbose        libbpf and attach logging on stderr\n"
	"  -h, --help           this help\n";

int record_opts_parse(int argc, char **argv, struct record_opts *o, char *err, int errlen)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "probes", required_argument, NULL, 'P' },
		{ "no-children", no_argument, NULL, 'N' },
		{ "gil-method", required_argument, NULL, 'G' },
		{ "follow-children", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "folded", required_argument, NULL, 'f' },
		{ "svg", required_argument, NULL, 's' },
		{ "freq", required_argument, NULL, 'F' },
		{ "ffi", required_argument, NULL, 'x' },
		{ "exemplars", required_argument, NULL, 'E' },
		{ "gil-stacks", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *bad;
	int gil_method = -1; /* -1: not given, 0 cheap, 1 exact */
	bool all_named = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->output = "bindprof.json";
	o->probes = PROBES_DEFAULT;
	o->follow_children = true;
	o->freq = 99;
	o->exemplars = 5;
	optind = 1;
	opterr = 0;
	/* '+': stop at the first non-option, so CMD's own flags are left to CMD. */
	while ((c = getopt_long(argc, argv, "+:p:d:o:F:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pid_strict("-p", optarg, &o->pid, err, errlen)) /* harden: digits only */
				return -EINVAL;
			break;
		case 'd':
			if (parse_seconds(optarg, 7 * 86400, &o->duration)) {
				snprintf(err, errlen, "-d: invalid duration '%s' (seconds > 0)", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			if (!*optarg) {
				snprintf(err, errlen, "-o: empty file name");
				return -EINVAL;
			}
			o->output = optarg;
			break;
		case 'P':
			/* the word "all", not a list that happens to name every probe */
			all_named = strstr(optarg, "all") != NULL;
			if (probes_parse(optarg, &o->probes, &bad)) {
				snprintf(err, errlen,
					 "--probes: unknown probe '%s' (syscalls,gil,gc,ffi,requests,stacks,all)",
					 bad);
				return -EINVAL;
			}
			break;
		case 'N':
			o->follow_children = false;
			break;
		case 'G':
			if (!strcmp(optarg, "cheap")) {
				gil_method = 0;
			} else if (!strcmp(optarg, "exact")) {
				gil_method = 1;
			} else {
				snprintf(err, errlen, "--gil-method: unknown method '%s' (cheap, exact)", optarg);
				return -EINVAL;
			}
			break;
		case 'C':
			o->follow_children = true;
			break;
		case 'f':
		case 's':
			if (!*optarg) {
				snprintf(err, errlen, "--%s: empty file name", c == 'f' ? "folded" : "svg");
				return -EINVAL;
			}
			*(c == 'f' ? &o->folded : &o->svg) = optarg;
			break;
		case 'x':
			if (ffi_spec_add(o->ffi, &o->nffi, (int)(sizeof(o->ffi) / sizeof(o->ffi[0])), optarg, err, errlen))
				return -EINVAL;
			break;
		case 'F': {
			long hz;

			if (parse_long(optarg, 1, 10000, &hz)) {
				snprintf(err, errlen, "-F: invalid frequency '%s' (1..10000 Hz)", optarg);
				return -EINVAL;
			}
			o->freq = (int)hz;
			break;
		}
		case 'E': {
			long n;

			if (parse_long(optarg, 0, 1000, &n)) {
				snprintf(err, errlen, "--exemplars: invalid count '%s' (0..1000)", optarg);
				return -EINVAL;
			}
			o->exemplars = (int)n;
			break;
		}
		case 'S':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				snprintf(err, errlen, "--gil-stacks: '%s' is not on or off", optarg);
				return -EINVAL;
			}
			o->no_gil_stacks = !strcmp(optarg, "off");
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return cli_getopt_error(c, argv, err, errlen);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0) {
			snprintf(err, errlen, "unexpected argument '%s' (a command goes after --)",
				 argv[optind]);
			return -EINVAL;
		}
		o->cmd = &argv[optind];
	}
	/* Asking for a stack file asks for stacks; naming a library asks for its calls. */
	if (o->folded || o->svg)
		o->probes |= PROBE_BIT(PROBE_STACKS);
	if (o->nffi)
		o->probes |= PROBE_BIT(PROBE_FFI);
	/* --probes all includes the costly methods; an explicit --gil-method wins. */
	o->gil_exact = gil_method >= 0 ? gil_method == 1 : all_named;
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
