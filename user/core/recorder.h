/* SPDX-License-Identifier: GPL-2.0-only */
/* The recording engine: what `record` is, as a library that `record`, `profile` and `compare`
 * call in-process. It works on an options struct (struct record_opts) and gives a document built
 * from its modules' structs (the probe sections of the profile JSON).
 *
 *   recorder_open   checks the environment, calibrates, loads the probe objects (no target yet)
 *   recorder_start  spawns the command (held before exec) or adds the pid and its descendants,
 *                   then polls once: when it returns, the per-binary probes are attached
 *   recorder_run    the loop: a poll every 100 ms until the duration, the target's exit, a
 *                   signal (SIGINT/SIGTERM/SIGHUP, see signals_install) or *stop
 *   recorder_stop   stops sampling, detaches every probe (counts freeze), stops a spawned child
 *   recorder_document  the results built from the modules' structs (the profile JSON of record)
 *   recorder_free   frees everything; the BPF links die with their file descriptors (nothing is
 *                   pinned), so nothing outlives the process even when it is killed
 *
 * Every function returning int returns an exit status of lib/log.h (EXIT_OK, EXIT_BADINPUT,
 * EXIT_ENV, EXIT_TARGET) with a one-line message in err. The engine may run in a thread of its
 * own (profile runs it beside the load generator): its CPU figure (bindprof_cpu_ms) counts only
 * the thread that runs recorder_run and the threads its modules started, by their thread CPU
 * clocks. */
#ifndef BINDPROF_RECORDER_H
#define BINDPROF_RECORDER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

struct reqtrack;

struct record_opts {
	int pid;               /* -p; 0 when a command is given */
	char **cmd;            /* -- CMD ARGS...; NULL with -p */
	double duration;       /* -d seconds; 0: until Ctrl-C, *stop or the target's exit */
	const char *output;    /* -o; default bindprof.json (the CLI writes it, not the engine) */
	unsigned probes;       /* mask of enum probe_id */
	bool follow_children;  /* default true; --no-children */
	bool gil_exact;        /* --gil-method exact, or --probes all without --gil-method */
	int verbose;           /* -v */
	const char *folded;    /* --folded FILE */
	const char *svg;       /* --svg FILE */
	const char *pprof;     /* record --pprof FILE: written by the CLI from the folded files (cli/export.h) */
	const char *speedscope; /* record --speedscope FILE: likewise */
	int freq;              /* -F HZ, default 99 */
	bool page_faults;      /* the stacks probe samples every page fault instead of cpu-clock */
	unsigned long malloc_every; /* > 0: the stacks probe samples one malloc call in N instead */
	bool no_gil_stacks;    /* --gil-stacks off: no stack per GIL wait */
	bool kernel_unwind;    /* --unwind kernel: CPU samples' native frames unwound in BPF */
	bool no_tasks;         /* --asyncio-tasks off: the requests probe does not follow asyncio tasks */
	const char *ffi[16];   /* --ffi LIB[:GLOB], repeatable */
	int nffi;
	int exemplars;         /* --exemplars N: slowest requests kept, default 5 */
	bool keep_requests;    /* keep every answered request's record (profile: matched with the
				* load's, load/latsplit.h) */
	const char *requests_log; /* --requests-log FILE: every answered request, a line each, for
				   * load --split-with (load/latsplit.h) */
	bool help;
};

/* The options record uses when none is given (probes PROBES_DEFAULT, 99 Hz, 5 exemplars,
 * descendants followed, output bindprof.json). */
void record_opts_defaults(struct record_opts *o);

/* What a run measured, besides the document. */
struct recorder_result {
	int pid;                /* the target (the spawned command's pid with -- CMD) */
	const char *runtime;    /* "cpython" etc., or NULL when not detected */
	const char *version;    /* the runtime's version, "" when unknown */
	double elapsed;         /* seconds of the run loop */
	const char *partial;    /* NULL, "interrupted" or "target_exited" */
	bool exited;            /* a spawned command exited by itself */
	int exit_status;        /* its status as a shell reports it (128 + signal) */
	double own_cpu_ms;      /* the engine's threads' CPU during the loop; < 0 unknown */
};

struct recorder;

int recorder_open(const struct record_opts *o, struct recorder **out, char *err, size_t errlen);
int recorder_start(struct recorder *r, char *err, size_t errlen);
/* Returns when the run ends; *stop (may be NULL) set to nonzero ends it without "partial". */
void recorder_run(struct recorder *r, volatile sig_atomic_t *stop);
/* sig: what a spawned command that outlived the run gets first (0: SIGTERM). */
void recorder_stop(struct recorder *r, int sig);
/* The profile document of mode "record" (metadata, configuration, results). Owned by the caller. */
cJSON *recorder_document(struct recorder *r);
const struct recorder_result *recorder_result(const struct recorder *r);
/* The requests probe's tracker (records, endpoints: probes/requests.h), NULL without it; valid
 * until recorder_free. */
struct reqtrack *recorder_requests(struct recorder *r);
void recorder_free(struct recorder *r);

#endif
