/* SPDX-License-Identifier: GPL-2.0-only */
/* The CPython processes among the targets: found as they appear, probed per binary, their GILs
 * located once the interpreter has one; and the gil, gc and python sections of the profile. */
#ifndef BINDPROF_PYTRACK_H
#define BINDPROF_PYTRACK_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "core/session.h"

struct pytrack;

struct pytrack_opts {
	bool gil, gc, gil_exact;
	bool follow_children; /* per-binary probes for every process (pid -1), else the one pid */
};

struct pytrack *pytrack__new(struct session *s, const struct pytrack_opts *o);
void pytrack__free(struct pytrack *pt);
/* Look at the target set: inspect new processes, attach what fits, locate GILs, read switch
 * counts. Cheap when nothing changed; called every tick. */
void pytrack__poll(struct pytrack *pt, const int *pids, int n);
/* Before a started command runs: when exe (a path) is a CPython interpreter, attach its
 * per-binary probes now, so that nothing early is missed. 0 when it was. */
int pytrack__preattach(struct pytrack *pt, const char *exe, int pid);
/* Add profiling.gil, profiling.gc and profiling.python to prof, and warnings to doc. */
void pytrack__report(struct pytrack *pt, cJSON *doc, cJSON *prof);
/* Per-hit cost of a uprobe+uretprobe pair on this kernel, ns (bindprof's own function, timed
 * with and without the probes). < 0 when it could not be measured. Resets the session's maps. */
double pytrack__calibrate_uprobe(struct session *s);

#endif
