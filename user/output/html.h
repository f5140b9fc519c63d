/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML report: one self-contained page (no request leaves it: the styles, the script and the
 * charts are inline; the charts are SVG drawn here) for any bindprof JSON. */
#ifndef BINDPROF_HTML_H
#define BINDPROF_HTML_H

#include <cjson/cJSON.h>

/* Write the page for doc (read from path, in directory dir: relative folded files are looked up
 * there) to out. 0, or negative errno with one line in err. */
int html_report_write(const cJSON *doc, const char *path, const char *dir, const char *out, char *err, int errlen);

struct history_points;
/* The same, with a "Trend" section for a profile file: each stored series (history/store.h, the
 * last `last` runs) of a workload the file has, drawn by history/trend.h; store names where they
 * were read (shown in the caption). trend NULL: no section; no series for the file's workloads:
 * the section says so. */
int html_report_write_trend(const cJSON *doc, const char *path, const char *dir, const char *out,
			    const struct history_points *trend, const char *store, long last, char *err, int errlen);

#endif
