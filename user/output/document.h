/* SPDX-License-Identifier: GPL-2.0-only */
/* The profile JSON document: its envelope, warnings, partial marking and whole-file write. */
#ifndef BINDPROF_PROFILE_H
#define BINDPROF_PROFILE_H

#include <cjson/cJSON.h>

#define SCHEMA_VERSION 1

/* {"schema_version":1,"mode":mode,"partial":false,"partial_reason":null,"warnings":[]} */
cJSON *profile_new(const char *mode);
void profile_warn(cJSON *doc, const char *section, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* reason: "interrupted" or "target_exited" */
void profile_set_partial(cJSON *doc, const char *reason);
/* Pretty-printed, written whole (temporary file, then rename). 0 or negative errno. */
int profile_write(const cJSON *doc, const char *path);
/* The member at a dotted path ("results.latency.p99_ms"), or NULL: lib/json.h's json_get, which
 * new code calls directly (with its typed readers). */
const cJSON *profile_get(const cJSON *o, const char *path);
/* Every loss that a probe reports in its own section of results.profiling (prof), added to
 * by_reason as a number per kind: stacks.lost ("stack_samples_ring_full"), stacks.gil_wait.lost
 * ("gil_wait_stacks_ring_full"), requests.lost_events ("request_events_lost"). Returns their sum,
 * for results.lost_events: every lost event counts in the total. */
unsigned long long profile_sum_probe_losses(const cJSON *prof, cJSON *by_reason);
/* Read and parse a JSON file: a regular file of at most file_cap(FILE_PROFILE) bytes (FIFOs,
 * directories and devices refused at once, lib/file.h). NULL with a one-line message in err. */
cJSON *profile_read(const char *path, char *err, int errlen);

#endif
