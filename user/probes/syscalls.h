/* SPDX-License-Identifier: GPL-2.0-only */
/* The syscalls section of a profile, from the maps of bpf/syscalls.bpf.c. */
#ifndef BINDPROF_SYSCALL_REPORT_H
#define BINDPROF_SYSCALL_REPORT_H

#include <cjson/cJSON.h>
#include <linux/types.h>
#include "bpf/syscalls.h"
#include "core/session.h"

/* One by_syscall entry: name, count, errors, total_ms, p50_us, p90_us, p99_us, max_us. Pure. */
cJSON *syscall_stat_to_json(const char *name, const struct syscall_stat *st);
/* The whole section: total_count, total_time_ms, by_syscall (by total time, largest first),
 * threads. NULL on a map read error. */
cJSON *syscalls_to_json(struct session *sess);

#endif
