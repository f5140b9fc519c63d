/* SPDX-License-Identifier: GPL-2.0-only */
/* Following processes: which processes a run measures, and for how long.
 *
 * - Every process a target forks is a target (bpf/core.bpf.c), unless --no-children.
 * - A target that execs a file bindprof has not looked at yet is stopped before the new program's
 *   first instruction (bpf/follow.bpf.c) until the exec hook (the CPython probes' pre-attach) has
 *   run, then continued: probes attached by path cover every process that maps the file, so a
 *   short-lived interpreter is measured from its start.
 * - The run lasts until -d, Ctrl-C, or until the last followed process has exited (the root and
 *   every descendant), whichever comes first; follow__ended_by says which. */
#ifndef BINDPROF_FOLLOW_H_USER
#define BINDPROF_FOLLOW_H_USER

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "core/session.h"

struct follow;

/* Called for a target that exec'd a file not seen before, while the process is stopped (when
 * holding). exe: a path to the file that works from bindprof's mount namespace (through
 * /proc/PID/root). Returns 0 when the file is CPython (probes attached), else non-zero. */
typedef int (*follow_exec_fn)(void *ctx, int pid, const char *exe);

struct follow_opts {
	bool hold_execs;      /* stop unknown execs until the hook ran (needs a hook) */
	follow_exec_fn on_exec;
	void *ctx;
};

/* Load and attach the exec program when opts->hold_execs; else a follower without BPF (it still
 * decides when the run ends). NULL with errno on failure. */
struct follow *follow__new(struct session *s, const struct follow_opts *o);
/* Continue every process still held, detach, free. Accepts NULL. */
void follow__free(struct follow *f);
/* Sleep up to ms, serving exec events as they come (ends early on a signal). f may be NULL. */
void follow__sleep(struct follow *f, double ms);
/* The same wait (exec events handled as they come), without the scans of the target set. */
void follow__wait(struct follow *f, double ms);
/* Followed processes alive (not zombies) among the session's targets, not counting `except`
 * (the root, which the caller reaps). */
int follow__alive(struct session *s, int except);
/* Remember why the run ended: "duration", "processes_exited" or "interrupted". */
void follow__set_ended_by(struct follow *f, const char *why);
const char *follow__ended_by(const struct follow *f);
/* results.processes: execs seen, held, their hold times, the distinct files looked at, what was
 * missed; warnings for what was missed. */
void follow__report(struct follow *f, struct session *s, cJSON *doc, cJSON *res);

/* One summary line from results.processes (res: the profile's results). */
void follow__print_summary(const struct follow *f, const cJSON *res);
/* The exec hook of the CPython probes: pytrack__preattach(ctx, exe, pid). */
int follow_hook_pytrack(void *pytrack, int pid, const char *exe);

#endif
