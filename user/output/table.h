/* SPDX-License-Identifier: GPL-2.0-only */
/* A table printer for the reports people read: columns sized to their content (header and
 * cells), text columns left-aligned and figures right-aligned, and a cell longer than its
 * column's limit cut with an ellipsis ("…") so that every row stays aligned. Widths count
 * characters (UTF-8 code points), not bytes. Two forms: plain text, and a GitHub markdown table
 * (cells never cut, '|' escaped). */
#ifndef BINDPROF_TABLE_H
#define BINDPROF_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#define TABLE_MAX_COLS 16
#define TABLE_TEXT_MAX 48 /* a text column's default limit, characters */

struct table {
	int ncols;
	char *hdr[TABLE_MAX_COLS];
	bool left[TABLE_MAX_COLS]; /* text: left-aligned */
	int max[TABLE_MAX_COLS];   /* a cell's limit in characters (0: none) */
	char **cells;              /* nrows * ncols, row-major, copies */
	int nrows, cap;
	int err;                   /* -ENOMEM once an add failed (the table prints what it holds) */
};

/* ncols (1..TABLE_MAX_COLS) headers, align one letter per column: 'l' text (limit
 * TABLE_TEXT_MAX), 'r' figure (no limit). Strings are copied. */
void table_init(struct table *t, int ncols, const char *const *hdr, const char *align);
/* A column's limit in characters (>= 2; 0: none). */
void table_limit(struct table *t, int col, int max);
/* A row of ncols cells (NULL: "-"). 0 or -ENOMEM. */
int table_add(struct table *t, const char *const *cells);
/* The table: plain (two spaces between columns, each line after indent, no trailing spaces) or
 * markdown ("| a | b |" with a "|:---|---:|" rule). */
void table_print(const struct table *t, FILE *f, bool markdown, const char *indent);
void table_free(struct table *t);

/* Characters (UTF-8 code points) of s. */
int table_width(const char *s);
/* s cut to at most max characters (>= 2): the first max-1 and "…" when longer. out holds len
 * bytes. Returns out. */
char *table_cut(const char *s, int max, char *out, size_t len);

#endif
