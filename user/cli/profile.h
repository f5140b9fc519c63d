/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof profile` as a function: compare runs it in-process, one round per framework, from an
 * options struct (never through argv). */
#ifndef BINDPROF_CLI_PROFILE_H
#define BINDPROF_CLI_PROFILE_H

#include <stdbool.h>
#include <stdio.h>
#include "cli/options.h"
#include "cli/shapes.h"
#include <cjson/cJSON.h>
#include "stats/repeats.h"
#include "cli/scenarios.h"

#define PROFILE_MAX_REPEATS 1000

struct profile_opts {
	const char *url, *app_cmd, *framework, *suite, *baseline, *health_path;
	const char *output;     /* the JSON written; NULL: none (the caller takes the document) */
	const char *files_base; /* the folded stacks' names derive from it (OUT.SUITE.WORKLOAD.folded);
				 * NULL: output, else bindprof-profile.json */
	int pid, concurrency, threads, repeats;
	unsigned probes;        /* mask of enum probe_id; 0: --probes none (no profiled pass) */
	int gil_method;         /* -1 not given, 0 cheap, 1 exact */
	bool probes_all;        /* --probes named the word all: the exact GIL method unless --gil-method */
	const char *ffi[16];    /* --ffi specs, for each profiled pass's recorder */
	int nffi;
	double duration, warmup, rate, ready_timeout;
	bool single_pass, table;
	bool allow_errors;      /* --allow-errors: a failed workload does not make profile_run return 4 */
	bool quiet;             /* no progress line, table or summary on stdout (compare's rounds) */
	const char *app_dir;    /* the app's working directory; NULL: ours */
	int app_port;           /* > 0: PORT in the app's environment */
	const char *app_log;    /* the app's stdout and stderr (appended); NULL: OUTPUT.app.log */
	const char *pprof, *speedscope; /* --pprof, --speedscope: every workload's stacks (cli/export.h) */
	const char *html;       /* --html FILE.html: the report as a page (output/html), or NULL */
	const char *history;    /* --history STORE: the page's trend section (NULL: the default store if any) */
	struct profile_shape_opts shape; /* --ramp-up, --burst, --sustained, --page-faults (cli/shapes.h) */
	bool help;
	/* sweep (issue 21): cli/scenarios.h */
	struct sweep_spec sweep; /* --sweep VAR=V1,V2...; var SWEEP_NONE: no sweep */
	double p99_target_ms;    /* --p99-target MS: a rate sweep's highest rate meeting it; 0 none */
	bool quick, list;        /* --quick, --list */
	const char *workload;    /* --workload NAME: only that workload of the suites */
	const char *output_dir;  /* --output-dir DIR: timestamped files there and latest.json */
	unsigned long long given; /* bit id: the option was given (--quick leaves those as they are) */
	char dir_output[4096], dir_html[4096]; /* --output-dir's file names */
};

/* One workload as measured: its clean passes' figures and its results object in the document. */
struct profile_workload {
	const char *suite, *name;     /* the document's strings */
	struct repeat_sample *samples; /* n of them, allocated */
	int n;                        /* clean passes completed (0: no results) */
	cJSON *results;               /* the workload's "results" in doc; NULL when none */
};

struct profile_result {
	cJSON *doc;                   /* the profile document (mode "profile"), owned */
	struct profile_workload *w;   /* every workload of the suites, in order */
	int nw;
};

/* Defaults: --suite all, --duration 10, --warmup 3, --concurrency 50, -t cores, --repeats 1,
 * --probes PROBES_DEFAULT, -o bindprof-profile.json, 30 s ready timeout. */
void profile_opts_defaults(struct profile_opts *o);
/* 0 (o->help set for --help) or -EINVAL with a one-line message in err. */
int profile_opts_parse(int argc, char **argv, struct profile_opts *o, char *err, int errlen);
/* Run the harness: start (or attach to) the app, every workload's passes, the document (written
 * to o->output when set). An exit status (EXIT_OK also when interrupted: the document is then
 * partial); res (may be NULL) gets the document and the workloads' figures, to free with
 * profile_result_free. */
int profile_run(const struct profile_opts *o, struct profile_result *res);
void profile_result_free(struct profile_result *res);
/* The usage, printed from the options table. */
void profile_usage(FILE *f);

/* The ids of profile's options table: compare's table reuses the load and probe ones, and gives
 * their values to profile_opt_apply, straight into the struct of its rounds. */
enum profile_opt_id {
	PO_URL = 1, PO_APP_CMD, PO_PID, PO_FRAMEWORK, PO_SUITE, PO_DURATION, PO_WARMUP, PO_CONCURRENCY,
	PO_THREADS, PO_RATE, PO_REPEATS, PO_PROBES, PO_GIL_METHOD, PO_SINGLE_PASS, PO_READY_TIMEOUT,
	PO_HEALTH_PATH, PO_FFI, PO_FORMAT, PO_BASELINE, PO_OUTPUT, PO_HELP, PO_PPROF, PO_SPEEDSCOPE, PO_ALLOW_ERRORS,
	PO_HTML, PO_HISTORY,
	PO_SWEEP, PO_P99_TARGET, PO_QUICK, PO_LIST, PO_WORKLOAD, PO_OUTPUT_DIR, /* sweep (issue 21) */
	PO_RAMP_UP, PO_BURST, PO_SUSTAINED, PO_PAGE_FAULTS, PO_MALLOC_SAMPLE, /* load shapes (issue 21, cli/shapes.h) */
	PO_MAX_ID,
};
extern const struct cli_option profile_options[];
/* One option's value (arg NULL for a flag) into o. 0 or -EINVAL with a one-line message. */
int profile_opt_apply(struct profile_opts *o, int id, const char *arg, char *err, int errlen);

#endif
