/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the profile reader behind report, diff, compare and profile --baseline: the
 * JSON parse of output/document.c, the dotted-path accessor, the document validator
 * (lib/validate.c, what --baseline checks up front) and, on a document it accepts, diff's walk
 * over suites and workloads (diff_ratios, the --baseline comparison) run on it against itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli/diff.h"
#include "lib/validate.h"
#include "output/document.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "mode", "suites", "results.latency.p99_ms", "metadata.target.pid",
					     "results.throughput.requests_per_sec", "warnings", "" };
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size), *r;

	if (!doc)
		return 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		(void)profile_get(doc, paths[i]);
	{
		char err[512];

		if (!validate_profile_doc(doc, "fuzz.json", err, sizeof(err))) {
			r = diff_ratios(doc, doc);
			cJSON_Delete(r);
		} else if (!err[0]) {
			abort();
		}
	}
	cJSON_Delete(doc);
	return 0;
}
