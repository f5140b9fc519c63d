/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof load`: its options and the results object it shares with `profile`. */
#ifndef BINDPROF_LOAD_CMD_H
#define BINDPROF_LOAD_CMD_H

#include <stdio.h>
#include <cjson/cJSON.h>
#include "load/loadgen.h"

#define MAX_HEADERS 64

struct load_cli {
	struct load_opts o;
	const char *output;
	const char *split_with; /* --split-with FILE: the server's request log (record --requests-log) */
	const char *headers[MAX_HEADERS];
	char *body;
};

/* From the options table (cli/options.h): 0, 1 for --help, or -EINVAL with a one-line message. */
int load_opts_parse(int argc, char **argv, struct load_cli *c, char *err, int errlen);
/* throughput, latency (null when nothing was answered), latency_uncorrected, errors, generator;
 * warnings go to doc when given. */
cJSON *load_result_json(const struct load_result *r, cJSON *doc);
/* Requests answered (any status). */
uint64_t load_completed(const struct load_result *r);
/* Failed requests: 4xx + 5xx + read + write + timeout (--timeout fired) + never sent + connect
 * errors after the start (each refused or reset connection attempt). Requests cut at the end of -d
 * and refusals during the warm-up are not in it. total_requests = ok + this. */
uint64_t load_failed(const struct load_result *r);
/* The usage text, generated from the options table. */
void load_usage(FILE *f);

#endif
