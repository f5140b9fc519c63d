/* SPDX-License-Identifier: GPL-2.0-only */
/* A stack set (output/stackset.h) as a speedscope file (https://www.speedscope.app/file-format-
 * schema.json): one "sampled" profile per source and kind (and per thread when the stacks carry
 * thread labels: "SOURCE: thread NAME (TID) ..."; requests and build-ids have no place in the
 * format and are left out), the on-CPU one with unit "none" and a
 * weight per folded line in samples, the GIL-wait one with unit "microseconds"; each profile's
 * weights sum to its folded file's total exactly. Frames are shared: the process (root), Python
 * frames with file and line (the code object's first line), native frames with their module as
 * the file when the folded line names it, kernel frames with file "[kernel.kallsyms]". */
#ifndef BINDPROF_SPEEDSCOPE_H
#define BINDPROF_SPEEDSCOPE_H

#include "output/stackset.h"

/* Write s to path as speedscope JSON, whole. 0, or a negative errno with one line in err. */
int speedscope_write(const struct stackset *s, const char *path, char *err, int errlen);

#endif
