/* SPDX-License-Identifier: GPL-2.0-only */
/* A stored series' trend chart (history/store.h's points), drawn as inline SVG: what
 * `history show --html` writes per series, and what the HTML report draws for the workloads of
 * the file it shows when a history store is given or found. */
#ifndef BINDPROF_HISTORY_TREND_H
#define BINDPROF_HISTORY_TREND_H

#include <stdio.h>
#include "history/store.h"

/* The chart of points [from, end) of one series (history_next_series), to f: one
 * <svg class="series"> of 640x200 user units, the runs left to right in time order, the value on
 * a linear axis from the series' minimum to its maximum (labelled), a polyline and one
 * <circle class="pt"> per run with data-run and data-value (the stored value, %.17g) and a
 * <title> giving its run, time, commit and value. The <svg> carries data-workload, data-metric,
 * data-host, data-min and data-max. Well-formed XML (also valid inside HTML). */
void history_trend_svg(FILE *f, const struct history_points *ps, size_t from, size_t end);

/* Whether the history store WHERE (a SQLite path or a postgresql:// URL) exists and opens: 0, or a
 * negative errno with ERR set. Opens and closes it; creates nothing. */
int history_store_check(const char *where, char *err, int errlen);

/* The stored points of the default metrics (throughput.requests_per_sec, latency.p99_ms) for the
 * HTML report's trend section: from the store where names (history/db.h), or, where is NULL,
 * from ./.bindprof/history.db when that file exists. 1 with ps filled; 0 when where is NULL and
 * no default store exists (ps empty: no section); a negative errno with one line in err when the
 * store named cannot be opened or read (-ENOENT: no such file). */
int history_trend_load(const char *where, struct history_points *ps, char *err, int errlen);

#endif
