/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof export`: the stacks of a bindprof run (a record or profile JSON, or a folded file)
 * as a gzipped pprof profile and/or a speedscope file, for the tools fleets read profiles with
 * (go tool pprof, Pyroscope, Parca, Grafana, speedscope). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "cli/export.h"
#include "cli/options.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/validate.h"
#include "output/document.h"
#include "output/pprof.h"
#include "output/speedscope.h"
#include "output/stackset.h"

enum { O_PPROF = 1, O_SPEEDSCOPE, O_FREQ, O_HELP };

static const struct cli_option export_options[] = {
	{ "pprof", 0, O_PPROF, "OUT.pb.gz", "write a gzipped pprof profile (profile.proto)", 0 },
	{ "speedscope", 0, O_SPEEDSCOPE, "OUT.json", "write a speedscope file", 0 },
	{ "freq", 'F', O_FREQ, "HZ",
	  "the sampling frequency of a bare folded file (a JSON file gives its own): with it the pprof "
	  "profile has a cpu/nanoseconds column (samples times 1e9/HZ); without, samples only", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

struct export_opts {
	const char *pprof, *speedscope, *input;
	double freq;
	bool help;
};

static int export_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct export_opts *o = ctx;
	long l;

	switch (id) {
	case O_HELP:
		o->help = true;
		return CLI_STOP;
	case O_PPROF:
	case O_SPEEDSCOPE:
		if (!*arg) {
			snprintf(err, errlen, "--%s: empty file name", id == O_PPROF ? "pprof" : "speedscope");
			return -EINVAL;
		}
		*(id == O_PPROF ? &o->pprof : &o->speedscope) = arg;
		return 0;
	case O_FREQ:
		if (parse_long(arg, 1, 10000, &l)) {
			snprintf(err, errlen, "-F: invalid frequency '%s' (1..10000 Hz)", arg);
			return -EINVAL;
		}
		o->freq = l;
		return 0;
	}
	return 0;
}

static void export_usage(FILE *f)
{
	cli_options_usage(f, "bindprof export", "FILE.json|FILE.folded", export_options,
			  "Convert the stacks of a bindprof run to the formats profile stores and viewers read. "
			  "FILE.json is a record or profile file: its folded files (on-CPU, and GIL wait) are "
			  "read, each labelled with its workload and endpoint. FILE.folded is a folded file "
			  "(its .gil-wait sibling is read too when present).",
			  "The folded files keep no thread, request, address or build-id: the export carries "
			  "what they hold (see docs/export.md).");
}

static int write_outputs(const struct stackset *s, const char *pprof, const char *speedscope, char *err,
			 int errlen)
{
	int e;

	if (pprof && (e = pprof_write(s, pprof, err, errlen)))
		return e;
	if (speedscope && (e = speedscope_write(s, speedscope, err, errlen)))
		return e;
	return 0;
}

int export_doc(const cJSON *doc, const char *dir, const char *pprof, const char *speedscope, char *err, int errlen)
{
	struct stackset s;
	int e;

	stackset_init(&s);
	if (!(e = stackset_from_doc(&s, doc, dir, err, errlen)))
		e = write_outputs(&s, pprof, speedscope, err, errlen);
	stackset_free(&s);
	return e;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int cmd_export(int argc, char **argv)
{
	struct export_opts o = { 0 };
	struct stackset s;
	char err[1024], dir[PATH_MAX];
	int first, e;

	first = cli_parse(export_options, 0, argc, argv, export_option, &o, err, sizeof(err));
	if (first < 0) {
		log_err("export: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		export_usage(stdout);
		return EXIT_OK;
	}
	if (argc - first != 1) {
		log_err("export: give exactly one FILE.json or FILE.folded");
		return EXIT_BADINPUT;
	}
	if (!o.pprof && !o.speedscope) {
		log_err("export: nothing to write: give --pprof OUT.pb.gz and/or --speedscope OUT.json");
		return EXIT_BADINPUT;
	}
	if ((o.pprof && validate_output_path("--pprof", o.pprof, err, sizeof(err))) ||
	    (o.speedscope && validate_output_path("--speedscope", o.speedscope, err, sizeof(err)))) {
		log_err("export: %s", err);
		return EXIT_BADINPUT;
	}
	o.input = argv[first];
	stackset_init(&s);
	if (ends_with(o.input, ".json")) {
		cJSON *doc = profile_read(o.input, err, sizeof(err));

		if (!doc) {
			log_err("export: %s", err);
			stackset_free(&s);
			return EXIT_BADINPUT;
		}
		if (o.freq)
			log_warn("export: -F ignored: %s gives its own sampling frequency", o.input);
		snprintf(dir, sizeof(dir), "%s", o.input);
		e = stackset_from_doc(&s, doc, dirname(dir), err, sizeof(err));
		cJSON_Delete(doc);
	} else {
		e = stackset_from_folded(&s, o.input, o.freq, err, sizeof(err));
	}
	if (!e)
		e = write_outputs(&s, o.pprof, o.speedscope, err, sizeof(err));
	if (e) {
		log_err("export: %s", err);
		stackset_free(&s);
		return EXIT_BADINPUT;
	}
	printf("bindprof: %llu on-CPU samples, %llu us of GIL wait from %d source%s", (unsigned long long)s.total[SS_CPU],
	       (unsigned long long)s.total[SS_GIL], s.nsrc, s.nsrc == 1 ? "" : "s");
	if (o.pprof)
		printf("; wrote %s", o.pprof);
	if (o.speedscope)
		printf("; wrote %s", o.speedscope);
	printf("\n");
	stackset_free(&s);
	return EXIT_OK;
}
