/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof flamegraph FILE.folded [-o FILE.svg]`, and `--diff BASE.folded NEW.folded`: draw the
 * folded stacks that record, profile and compare write as an interactive SVG flamegraph (a
 * differential one, coloured by change, for two files). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/options.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/validate.h"
#include "lib/json.h"
#include "output/document.h"
#include "output/flamegraph.h"
#include "output/stackset.h"

enum { O_OUT = 1, O_DIFF, O_TITLE, O_FREQ, O_SECS, O_PID, O_UNIT, O_HELP };

static const struct cli_option fg_options[] = {
	{ "output", 'o', O_OUT, "FILE.svg", "where to write the SVG (default: the input with .svg for .folded; "
	  "with --diff, NEW.diff.svg; for a JSON, each folded file's name with .svg)", 0 },
	{ "diff", 'd', O_DIFF, NULL, "a differential flamegraph of two files, BASE.folded NEW.folded: frames sized "
	  "by NEW, red where a frame's share of the samples grew since BASE, blue where it shrank", 0 },
	{ "title", 't', O_TITLE, "TEXT", "the title (default: the input's file name)", 0 },
	{ "freq", 'F', O_FREQ, "HZ", "the sampling frequency, for the subtitle", 0 },
	{ "duration", 0, O_SECS, "SECS", "the profile's duration, for the subtitle", 0 },
	{ "pid", 'p', O_PID, "PID", "the profiled process, for the subtitle", 0 },
	{ "unit", 'u', O_UNIT, "NAME", "what the counts are (default: samples; us for a .gil-wait file)", 0 },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char fg_about[] =
	"Draw folded stacks (\"frame;frame;... COUNT\" lines, as record --folded, profile and compare write "
	"them) as an interactive SVG flamegraph: click a frame to zoom, Search to highlight by regular "
	"expression. Python frames are green, native ones warm, kernel ones blue. A record or profile JSON: "
	"an SVG next to each folded file it names, subtitled with the target's pid, the duration and the "
	"sampling frequency from the document.";

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

struct fg_cli {
	const char *out, *title, *unit;
	bool diff, help;
	double hz, secs;
	long pid;
};

static bool ends_with(const char *s, const char *suffix);

static int num(const char *opt, const char *arg, double *v, char *err, int errlen)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	if (errno || end == arg || *end || !(*v > 0) || *v > 1e9) {
		snprintf(err, errlen, "--%s: '%s' is not a positive number", opt, arg);
		return -EINVAL;
	}
	return 0;
}

static int fg_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct fg_cli *o = ctx;
	double v;

	switch (id) {
	case O_OUT: o->out = arg; return 0;
	case O_DIFF: o->diff = true; return 0;
	case O_TITLE: o->title = arg; return 0;
	case O_UNIT: o->unit = arg; return 0;
	case O_FREQ: return num("freq", arg, &o->hz, err, errlen);
	case O_SECS: return num("duration", arg, &o->secs, err, errlen);
	case O_PID:
		if (num("pid", arg, &v, err, errlen) || v != (long)v)
			return snprintf(err, errlen, "--pid: '%s' is not a process id", arg), -EINVAL;
		o->pid = (long)v;
		return 0;
	default: o->help = true; return CLI_STOP;
	}
}

/* A record or profile JSON: an SVG next to each folded file it names (FILE.folded -> FILE.svg; -o
 * only when there is one), the subtitle from the document (the target's pid, a record's measured
 * duration, the sampling frequency). */
static int from_doc(const char *in, const struct fg_cli *o)
{
	char err[1024], dir[4096], *slash;
	struct stackset s;
	cJSON *doc = profile_read(in, err, sizeof(err));
	long pid;
	int e, rc = EXIT_OK;

	if (!doc) {
		log_err("flamegraph: %s", err);
		return EXIT_BADINPUT;
	}
	snprintf(dir, sizeof(dir), "%s", in);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	stackset_init(&s);
	if ((e = stackset_from_doc(&s, doc, slash ? dir : NULL, err, sizeof(err)))) {
		log_err("flamegraph: %s: %s", in, err);
		rc = e == -EINVAL ? EXIT_BADINPUT : EXIT_ENV;
		goto out;
	}
	if (o->out && s.nsrc > 1) {
		log_err("flamegraph: %s has %d workloads with stacks: -o names one file; leave it out (each SVG goes next to "
			"its folded file)", in, s.nsrc);
		rc = EXIT_BADINPUT;
		goto out;
	}
	pid = (long)json_num_or(doc, "metadata.target.pid", 0);
	/* each source's on-CPU file, then (without -o) its GIL-wait file, weighted in us */
	for (int j = 0; j < 2 * s.nsrc && rc == EXIT_OK; j++) {
		int i = j % s.nsrc, gil = j >= s.nsrc;
		const char *fp = s.src[i].path[gil ? SS_GIL : SS_CPU];
		char out[4096], title[512];
		struct fg_opts fo = { .title = title, .unit = gil ? "us" : "samples" };
		size_t n;

		if (!fp || (gil && o->out))
			continue;
		n = strlen(fp);

		if (ends_with(fp, ".folded"))
			n -= strlen(".folded");
		if (o->out)
			snprintf(out, sizeof(out), "%s", o->out);
		else
			snprintf(out, sizeof(out), "%.*s.svg", (int)n, fp);
		snprintf(title, sizeof(title), "%s", o->title ? o->title : "");
		if (!o->title)
			snprintf(title, sizeof(title), "bindprof: %s %s stacks", s.src[i].name, gil ? "GIL-wait" : "on-CPU");
		if ((e = flamegraph_file(fp, NULL, out, &fo, o->hz ? o->hz : s.src[i].freq_hz,
					 o->secs ? o->secs : s.duration_ns / 1e9, o->pid ? o->pid : pid, err, sizeof(err)))) {
			log_err("flamegraph: %s", err);
			rc = e == -EINVAL || e == -ENOENT ? EXIT_BADINPUT : EXIT_ENV;
			break;
		}
		printf("wrote %s\n", out);
	}
	/* profile --page-faults: each workload's page-fault stacks (results.page_faults.folded_path) */
	for (const cJSON *su = cJSON_GetObjectItem(doc, "suites") ? cJSON_GetObjectItem(doc, "suites")->child : NULL;
	     su && !o->out && rc == EXIT_OK; su = su->next) {
		const cJSON *w;

		cJSON_ArrayForEach(w, cJSON_GetObjectItem(su, "workloads")) {
			const char *fp = json_str_or(w, "results.page_faults.folded_path", NULL);
			char path[8192], out[8200], title[512];
			struct fg_opts fo = { .title = title, .unit = "faults" };
			size_t n;

			if (!fp || !*fp || strlen(fp) >= 4096)
				continue;
			if (fp[0] != '/' && slash && access(fp, F_OK))
				snprintf(path, sizeof(path), "%s/%s", dir, fp);
			else
				snprintf(path, sizeof(path), "%s", fp);
			n = strlen(path) - (ends_with(path, ".folded") ? strlen(".folded") : 0);
			snprintf(out, sizeof(out), "%.*s.svg", (int)n, path);
			snprintf(title, sizeof(title), "bindprof: %s/%s page faults", json_str_or(su, "name", "-"),
				 json_str_or(w, "name", "-"));
			if ((e = flamegraph_file(path, NULL, out, &fo, 0, o->secs ? o->secs : s.duration_ns / 1e9,
						 o->pid ? o->pid : pid, err, sizeof(err)))) {
				log_err("flamegraph: %s", err);
				rc = e == -EINVAL || e == -ENOENT ? EXIT_BADINPUT : EXIT_ENV;
				break;
			}
			printf("wrote %s\n", out);
		}
	}
out:
	stackset_free(&s);
	cJSON_Delete(doc);
	return rc;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct fg_cli o = { 0 };
	struct fg_opts fo = { 0 };
	const char *in, *base = NULL, *slash;
	char err[1024], out[4096], title[512];
	int first, e;

	first = cli_parse(fg_options, 0, argc, argv, fg_option, &o, err, sizeof(err));
	if (first < 0) {
		log_err("flamegraph: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		cli_options_usage(stdout, "bindprof flamegraph", "FILE.folded | FILE.json | --diff BASE.folded NEW.folded",
				  fg_options, fg_about, NULL);
		return EXIT_OK;
	}
	if (argc - first != (o.diff ? 2 : 1)) {
		log_err("flamegraph: give %s", o.diff ? "two files with --diff: BASE.folded NEW.folded"
						      : "exactly one FILE.folded (or --diff BASE.folded NEW.folded)");
		return EXIT_BADINPUT;
	}
	if (o.out && validate_output_path("-o", o.out, err, sizeof(err))) {
		log_err("flamegraph: %s", err);
		return EXIT_BADINPUT;
	}
	if (o.diff)
		base = argv[first++];
	in = argv[first];
	if (ends_with(in, ".json")) {
		if (o.diff) {
			log_err("flamegraph: --diff takes two .folded files, not %s", in);
			return EXIT_BADINPUT;
		}
		return from_doc(in, &o);
	}
	if (o.out) {
		snprintf(out, sizeof(out), "%s", o.out);
	} else {
		size_t n = strlen(in);

		if (ends_with(in, ".folded"))
			n -= strlen(".folded");
		snprintf(out, sizeof(out), "%.*s%s", (int)n, in, o.diff ? ".diff.svg" : ".svg");
	}
	if (!o.out && validate_output_path("the SVG", out, err, sizeof(err))) {
		log_err("flamegraph: %s", err);
		return EXIT_BADINPUT;
	}
	slash = strrchr(in, '/');
	if (o.title)
		snprintf(title, sizeof(title), "%s", o.title);
	else if (o.diff)
		snprintf(title, sizeof(title), "bindprof: %s vs %s", slash ? slash + 1 : in,
			 strrchr(base, '/') ? strrchr(base, '/') + 1 : base);
	else
		snprintf(title, sizeof(title), "bindprof: %s", slash ? slash + 1 : in);
	fo.title = title;
	fo.unit = o.unit ? o.unit : strstr(in, ".gil-wait") ? "us" : "samples";
	e = flamegraph_file(in, base, out, &fo, o.hz, o.secs, o.pid, err, sizeof(err));
	if (e) {
		log_err("flamegraph: %s", err);
		return e == -EINVAL || e == -ENOENT || e == -EISDIR ? EXIT_BADINPUT : EXIT_ENV;
	}
	printf("wrote %s\n", out);
	return EXIT_OK;
}
