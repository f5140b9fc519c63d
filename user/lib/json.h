/* SPDX-License-Identifier: GPL-2.0-only */
/* Typed accessors over cJSON for every reader of a bindprof file: one place that walks a dotted
 * path ("results.latency.p99_ms"), checks the type found there and, when it is not what the
 * caller needs, says where in the document in one line ("suites[0].workloads[1].name: a number,
 * not a string"). Callers turn that line into exit 2 (bad input).
 *
 * Two kinds of reader:
 * - strict (json_num, json_str, json_obj, json_arr): for what a computation needs. Missing is an
 *   error unless JSON_OPTIONAL is given; the wrong type always is.
 * - lenient (json_num_or, json_str_or): for printers that show "-" for what a file lacks.
 * A JSON null counts as missing everywhere: bindprof writes null for a metric it could not
 * measure. */
#ifndef BINDPROF_JSON_H
#define BINDPROF_JSON_H

#include <stdbool.h>
#include <cjson/cJSON.h>

/* The member at a dotted path; NULL when a step is absent or not an object (or the path is
 * empty and o is NULL). A key is at most 127 bytes; a longer one never matches. */
const cJSON *json_get(const cJSON *o, const char *path);

/* Flags of the strict readers. */
#define JSON_OPTIONAL 1u /* absent or null: return 0 (not found) instead of -ENOENT */

/* Strict readers. where names o within its document ("suites[2]"; NULL or "" for the root),
 * only for the message; an empty path checks o itself (json_obj(v, "suites[2]", "", ...)). Return 1 with *out set when the value is there with the right type;
 * 0 when absent or null and JSON_OPTIONAL is given (*out untouched); -ENOENT when absent
 * ("WHERE.PATH: missing"); -EINVAL when of another type ("WHERE.PATH: a string, not a number")
 * or a number that is not finite. err may be NULL. */
int json_num(const cJSON *o, const char *where, const char *path, unsigned flags, double *out, char *err,
	     int errlen);
int json_str(const cJSON *o, const char *where, const char *path, unsigned flags, const char **out, char *err,
	     int errlen);
int json_obj(const cJSON *o, const char *where, const char *path, unsigned flags, const cJSON **out, char *err,
	     int errlen);
int json_arr(const cJSON *o, const char *where, const char *path, unsigned flags, const cJSON **out, char *err,
	     int errlen);
int json_bool(const cJSON *o, const char *where, const char *path, unsigned flags, bool *out, char *err,
	      int errlen);

/* Lenient readers: the value, or dflt when absent, null or of another type. */
double json_num_or(const cJSON *o, const char *path, double dflt);
const char *json_str_or(const cJSON *o, const char *path, const char *dflt);

/* "a string", "a number", "an object", "an array", "true or false", "null", "nothing" */
const char *json_type_name(const cJSON *v);

/* Escape control characters in every string value and key under item, in place, for printing
 * data read from a file on a terminal: a byte below 0x20 or 0x7f becomes the four characters
 * \xNN (an ESC in a workload's name is shown as \x1b, never sent to the terminal). 0, or -ENOMEM. */
int json_escape_controls(cJSON *item);

#endif
