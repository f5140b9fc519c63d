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
/* Read and parse a JSON file. NULL with a message in err. */
cJSON *profile_read(const char *path, char *err, int errlen);

#endif
