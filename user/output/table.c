/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/table.h"

void table_init(struct table *t, int ncols, const char *const *hdr, const char *align)
{
	memset(t, 0, sizeof(*t));
	if (ncols > TABLE_MAX_COLS)
		ncols = TABLE_MAX_COLS;
	t->ncols = ncols;
	for (int i = 0; i < ncols; i++) {
		t->hdr[i] = strdup(hdr[i] ? hdr[i] : "");
		t->left[i] = align && align[i] == 'l';
		t->max[i] = t->left[i] ? TABLE_TEXT_MAX : 0;
		if (!t->hdr[i])
			t->err = -ENOMEM;
	}
}

void table_limit(struct table *t, int col, int max)
{
	if (col >= 0 && col < t->ncols)
		t->max[col] = max >= 2 ? max : 0;
}

int table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		int cap = t->cap ? 2 * t->cap : 16;
		char **n = realloc(t->cells, (size_t)cap * t->ncols * sizeof(*n));

		if (!n)
			return t->err = -ENOMEM;
		t->cells = n;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++) {
		char *c = strdup(cells[i] ? cells[i] : "-");

		if (!c) {
			for (int j = 0; j < i; j++)
				free(t->cells[(size_t)t->nrows * t->ncols + j]);
			return t->err = -ENOMEM;
		}
		t->cells[(size_t)t->nrows * t->ncols + i] = c;
	}
	t->nrows++;
	return 0;
}

void table_free(struct table *t)
{
	for (int i = 0; i < t->ncols; i++)
		free(t->hdr[i]);
	for (size_t i = 0; i < (size_t)t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int table_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

char *table_cut(const char *s, int max, char *out, size_t len)
{
	const char *p = s;
	int n = 0;

	if (max < 2 || table_width(s) <= max) {
		snprintf(out, len, "%s", s);
		return out;
	}
	/* the first max-1 characters, whole code points */
	while (*p && n < max - 1) {
		p++;
		while (((unsigned char)*p & 0xC0) == 0x80)
			p++;
		n++;
	}
	snprintf(out, len, "%.*s\u2026", (int)(p - s), s);
	return out;
}

static const char *cell(const struct table *t, int r, int c)
{
	return r < 0 ? t->hdr[c] : t->cells[(size_t)r * t->ncols + c];
}

static void pad(FILE *f, int n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static void md_cell(FILE *f, const char *s)
{
	fputs("| ", f);
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc(' ', f);
}

void table_print(const struct table *t, FILE *f, bool markdown, const char *indent)
{
	int w[TABLE_MAX_COLS] = { 0 };
	char buf[4096];

	if (markdown) {
		for (int r = -1; r < t->nrows; r++) {
			for (int c = 0; c < t->ncols; c++)
				md_cell(f, cell(t, r, c));
			fputs("|\n", f);
			if (r == -1) {
				for (int c = 0; c < t->ncols; c++)
					fputs(t->left[c] ? "|:---" : "|---:", f);
				fputs("|\n", f);
			}
		}
		return;
	}
	for (int r = -1; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++) {
			int n = table_width(table_cut(cell(t, r, c), t->max[c], buf, sizeof(buf)));

			if (n > w[c])
				w[c] = n;
		}
	for (int r = -1; r < t->nrows; r++) {
		int owed = 0; /* spaces owed before the next cell: trailing blanks are never printed */

		fputs(indent ? indent : "", f);
		for (int c = 0; c < t->ncols; c++) {
			int n;

			table_cut(cell(t, r, c), t->max[c], buf, sizeof(buf));
			n = table_width(buf);
			if (c)
				owed += 2;
			if (t->left[c]) {
				pad(f, owed);
				fputs(buf, f);
				owed = w[c] - n;
			} else {
				pad(f, owed + w[c] - n);
				fputs(buf, f);
				owed = 0;
			}
		}
		fputc('\n', f);
	}
}
