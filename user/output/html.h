/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML report: one self-contained page (no request leaves it: the styles, the script and the
 * charts are inline; the charts are SVG drawn here) for any bindprof JSON. */
#ifndef BINDPROF_HTML_H
#define BINDPROF_HTML_H

#include <cjson/cJSON.h>

/* Write the page for doc (read from path, in directory dir: relative folded files are looked up
 * there) to out. 0, or negative errno with one line in err. */
int html_report_write(const cJSON *doc, const char *path, const char *dir, const char *out, char *err, int errlen);

#endif
