/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the custom suite parser (load/suites.c), as `profile --suite FILE.json` runs it.
 * Besides the sanitizers' checks, a parsed suite must hold what bindprof writes onto the wire
 * safely: paths starting with '/', no control character in a path or a header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "load/httpcheck.h"
#include "load/suites.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[1024];
	struct suite s;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	/* body_file names resolve under a directory that does not exist: only absolute ones open */
	if (!suite_parse_json(text, "fuzz.json", "/nonexistent-bindprof-fuzz", &s, err, sizeof(err))) {
		if (!s.name || s.n < 1)
			abort();
		for (int i = 0; i < s.n; i++) {
			const struct workload *w = &s.w[i];

			if (httpcheck_path("path", w->path, err, sizeof(err)) ||
			    httpcheck_method("method", w->method, err, sizeof(err)) || w->nheaders > SUITE_MAX_HEADERS ||
			    (w->body && w->body_len > (64ul << 20)))
				abort();
			for (int h = 0; h < w->nheaders; h++)
				if (httpcheck_header_line("header", w->headers[h], err, sizeof(err)))
					abort();
		}
		suite_free(&s);
	} else if (!memchr(err, 0, sizeof(err)) || !err[0]) {
		abort(); /* an error always comes with its message */
	}
	free(text);
	return 0;
}
