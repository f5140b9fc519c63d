/* SPDX-License-Identifier: GPL-2.0-only */
/* Folded stacks (a count per stack line) and their rendering as a self-contained interactive SVG
 * flamegraph (click to zoom, search by regular expression), written by bindprof itself, after
 * Brendan Gregg's flamegraph.pl; the differential form follows his difffolded.pl/--negate idea:
 * frames sized by the new profile, coloured by how their share of it changed from a base. */
#ifndef BINDPROF_FLAMEGRAPH_H
#define BINDPROF_FLAMEGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/strmap.h"

struct folded {
	struct strmap m; /* stack line -> weight */
	uint64_t total;
};

void folded_init(struct folded *f);
void folded_free(struct folded *f);
int folded_add(struct folded *f, const char *stack, uint64_t weight);
/* "stack weight\n" lines sorted by stack, written whole. 0 or negative errno. */
int folded_write(const struct folded *f, const char *path);
/* Add a folded file's lines ("frame;frame;... COUNT", parsed by output/stackset) to f (weights of
 * repeated stacks add up). 0; -errno when it cannot be read; -EINVAL for a malformed line; one
 * line "PATH[:LINE]: why" in err either way. */
int folded_read(struct folded *f, const char *path, char *err, int errlen);

/* Frame kinds, for the palettes: the root ("all"), the process (a line's first frame), a Python
 * frame "fn (file.py:N)", a kernel frame "sym_[k]", "[unknown]", and any other native symbol. */
enum { FG_ROOT = 0, FG_PROCESS, FG_PYTHON, FG_NATIVE, FG_KERNEL, FG_UNKNOWN };
/* The kind of a frame named name at depth (0: the root, 1: the process). Pure. */
int flamegraph_frame_kind(const char *name, int depth);

/* A frame's change in a differential flamegraph: its share of the new profile minus its share of
 * the base (fractions, -1..1; > 0: it grew). A total of 0 counts as a share of 0. Pure. */
double flamegraph_delta(uint64_t value, uint64_t total, uint64_t base, uint64_t base_total);

struct fg_opts {
	const char *title;         /* the top line; NULL: "bindprof" */
	const char *subtitle;      /* the second line (pid, duration, Hz, samples: what is known); NULL: none */
	const char *unit;          /* what the weights count ("samples", "us"); NULL: "samples" */
	const struct folded *base; /* non-NULL: a differential flamegraph against this base */
	bool inline_svg;           /* for a page: no XML declaration, no script (no zoom or search: hover
				    * titles only), no ids, styles scoped to svg.fgsvg */
};

/* The SVG flamegraph of f as text (malloc'd into *out, *len bytes): 1200 user units wide in a
 * viewBox with width="100%", so it follows the viewer's width. Every frame is one
 * <g class="f" data-n="WEIGHT" data-d="DEPTH"> (plus data-b="BASE WEIGHT" when differential) with
 * a <title>, a <rect> 1180 * WEIGHT / TOTAL wide, and a <text>; frames narrower than 0.1 units are
 * left out (their weight stays in their parent). Palettes: Python green, native warm, kernel blue,
 * process and unknown grey; differential: red for a frame whose share grew, blue for one that
 * shrank, deeper with the change (relative to the largest change in the graph). A legend says
 * which. Frames found only in the base have no width in the new profile and are not drawn.
 * 0 or -ENOMEM. */
int flamegraph_svg(const struct folded *f, const struct fg_opts *o, char **out, size_t *len);
/* flamegraph_svg written to path (atomically). 0 or negative errno. */
int flamegraph_write(const struct folded *f, const struct fg_opts *o, const char *path);
/* The plain SVG flamegraph with title and the subtitle "N unit" (unit "samples", "us"). */
int flamegraph_write_svg(const struct folded *f, const char *path, const char *title, const char *unit);

/* "N unit, pid P, D s, sampled at H Hz per CPU" into buf, with the parts that are known (pid > 0,
 * secs > 0, hz > 0). */
void flamegraph_subtitle(char *buf, size_t len, uint64_t total, const char *unit, double hz, double secs, long pid);
/* Read the folded file in (and base_in, for a differential graph; else NULL) and write the SVG to
 * out. opts->subtitle NULL: flamegraph_subtitle's, with the base's total when differential.
 * 0, or negative errno with one line in err. */
int flamegraph_file(const char *in, const char *base_in, const char *out, const struct fg_opts *opts, double hz,
		    double secs, long pid, char *err, int errlen);

#endif
