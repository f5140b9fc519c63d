/* SPDX-License-Identifier: GPL-2.0-only */
/* Durations with units, as wrk takes them: "10" (seconds), "10s", "500ms", "2m", "1h", "1.5s". */
#ifndef BINDPROF_DURATION_H
#define BINDPROF_DURATION_H

#include <stddef.h>

/* Parse a duration: a number > 0 with an optional unit us, ms, s, m or h (no unit: seconds).
 * *secs gets seconds. 0, -EINVAL for anything else (empty, a bad number, an unknown unit, NaN or
 * infinity), -ERANGE when the value is <= 0 or above max seconds. */
int parse_duration(const char *s, double max, double *secs);
/* "10s", "2m", "1m30s", "500ms", "1.5s": the shortest exact form for the start line; buf. */
const char *duration_format(double secs, char *buf, size_t len);

#endif
