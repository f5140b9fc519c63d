/* SPDX-License-Identifier: GPL-2.0-only */
/* Folded stacks (a count per stack line) and their rendering as a self-contained interactive SVG
 * flamegraph (click to zoom, search by regular expression), written by bindprof itself. */
#ifndef BINDPROF_FLAMEGRAPH_H
#define BINDPROF_FLAMEGRAPH_H

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
/* The SVG flamegraph: title on top, weights named unit ("samples", "us"). 0 or negative errno. */
int flamegraph_write_svg(const struct folded *f, const char *path, const char *title, const char *unit);

#endif
