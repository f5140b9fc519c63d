/* SPDX-License-Identifier: GPL-2.0-only */
/* The HTML report's pieces shared between its files (output/html.c draws the page; html_shapes.c
 * the load shapes of a profile: per-interval series, burst, sustained, ramp, mix, streams). */
#ifndef BINDPROF_HTML_PARTS_H
#define BINDPROF_HTML_PARTS_H

#include <stdio.h>
#include <cjson/cJSON.h>

/* A column of a sortable table: header, the JSON path of its value in a row, and the printf format
 * of a number (NULL: a string; a "verdict" string column gets the class v-VERDICT). */
struct hcol {
	const char *hdr, *path, *fmt;
};

/* s HTML-escaped into f (& < > " '). */
void html_esc(FILE *f, const char *s);
/* A sortable table (class "sortable", data-table=id) of the objects of arr, n columns; a number
 * cell carries its exact value in data-v (%.15g). Nothing for an empty array. */
void html_table_of(FILE *f, const char *id, const cJSON *arr, const struct hcol *c, int n);
/* The chart width in user units, and the palette (10 colours). */
#define HTML_CW 900.0
extern const char *const html_palette[10];

/* The load-shape section of one workload's results (output/html_shapes.c): per-interval series
 * (requests/s, errors, p50/p99, CPU, RSS/USS/PSS), the burst, sustained degradation and leak, the
 * ramp, the mix and the event/message stream figures. Nothing when results have none of them. */
void html_shapes(FILE *f, const char *label, const cJSON *res);

#endif
