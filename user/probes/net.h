/* SPDX-License-Identifier: GPL-2.0-only */
/* The net probe, user side (docs/network.md): what the TCP stack did to the target's connections
 * (bpf/net.bpf.c, and the requests probe's two calls into bpf/net.bpf.h), the target's listening
 * sockets (sock_diag) and the kernel's listen counters (/proc/PID/net/netstat); from them the
 * diagnoses (profiling.diagnoses[]). Attached with the requests probe. */
#ifndef BINDPROF_NET_PROBE_H
#define BINDPROF_NET_PROBE_H

#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "core/session.h"

struct netdiag;

/* Load and attach; read the listen counters of pid's network namespace (0: bindprof's). NULL
 * with errno set on failure (logged). */
struct netdiag *net__new(struct session *s, int pid);
/* Every tick: the listening sockets' queues and drops (sock_diag), and once a second the targets'
 * descriptors for their listening sockets, whose ports the BPF side then watches. */
void net__poll(struct netdiag *n, const int *pids, int npids);
/* Detach; the last look at the listeners and the counters. */
void net__stop(struct netdiag *n);
/* profiling.net (the evidence) and profiling.diagnoses[] (those whose evidence crosses its
 * threshold, docs/network.md); reads profiling.requests.count when present. */
void net__report(struct netdiag *n, cJSON *doc, cJSON *prof);
void net__free(struct netdiag *n);
/* The net programs' measured run time (ms) and runs (0 when BPF statistics are off). */
double net__run_ms(struct netdiag *n, uint64_t *runs);

/* Print a document's profiling.diagnoses[] under the line `title` (one block per diagnosis: name,
 * summary, cost, fix), or nothing when the list is absent or empty. Used by record, profile and
 * report. */
void net_print_diagnoses(FILE *f, const cJSON *prof, const char *title);

#endif
