/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the profile reader behind report, diff, compare and profile --baseline: the
 * JSON parse of output/document.c, the validating reader (output/reader.c over lib/json.c:
 * profile_doc_workloads, profile_doc_validate), what --baseline checks up front
 * (validate_profile_doc) and, on a document the reader accepts, diff's walk over its workloads
 * (diff_ratios, the --baseline comparison) against itself. Invariants: the reader and the
 * validator agree; every workload listed has a name, a label and a results object; a refusal
 * always has its one-line message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "cli/diff.h"
#include "lib/validate.h"
#include "output/document.h"
#include "output/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct doc_workload w[PROFILE_DOC_MAX_WORKLOADS];
	static const char *const paths[] = { "mode", "suites", "results.latency.p99_ms", "metadata.target.pid",
					     "results.throughput.requests_per_sec", "warnings", "", "." , "a..b" };
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size), *r;
	char err[512] = "", err2[512] = "";
	int n, v;

	if (!doc)
		return 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		(void)profile_get(doc, paths[i]);
	n = profile_doc_workloads(doc, w, PROFILE_DOC_MAX_WORKLOADS, err, sizeof(err));
	v = profile_doc_validate(doc, err2, sizeof(err2));
	if ((n < 0) != (v < 0) || (n < 0 && (!err[0] || !err2[0])) || n > PROFILE_DOC_MAX_WORKLOADS)
		abort();
	for (int i = 0; i < n; i++)
		if (!w[i].name || !w[i].suite || !cJSON_IsObject(w[i].results) || !memchr(w[i].label, 0, sizeof(w[i].label)))
			abort();
	err[0] = 0;
	if (!validate_profile_doc(doc, "fuzz.json", err, sizeof(err))) {
		if (n < 0)
			abort(); /* --baseline accepted what the reader refuses */
		r = diff_ratios(doc, doc);
		cJSON_Delete(r);
	} else if (!err[0]) {
		abort();
	}
	cJSON_Delete(doc);
	return 0;
}
