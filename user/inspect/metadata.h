/* SPDX-License-Identifier: GPL-2.0-only */
/* The metadata block of every profile: tool, host identity and target. */
#ifndef BINDPROF_METADATA_H
#define BINDPROF_METADATA_H

#include <cjson/cJSON.h>
#include "inspect/runtime.h"

struct target_info {
	int pid;
	char exe[PATH_MAX];
	char cmdline[4096];
	struct runtime_info rt;
	int have_rt;
	int exited;       /* the command's exit was observed */
	int exit_status;  /* its status: the exit code, or 128 + signal */
};

/* {"hostname","os","arch","cpu_model","cpu_cores","memory_gb","kernel"} from uname and /proc. */
cJSON *host_to_json(const char *proc_root);
/* Parse "model name" out of /proc/cpuinfo text. 0 or -ENOENT. */
int cpuinfo_model(const char *buf, char *out, size_t size);
/* Parse PRETTY_NAME out of os-release text. 0 or -ENOENT. */
int os_release_name(const char *buf, char *out, size_t size);
/* The whole metadata object; framework may be NULL. */
cJSON *metadata_to_json(const struct target_info *t, const char *framework);
/* The 40-hex commit of the current directory when it is a git checkout (`git rev-parse HEAD`),
 * malloc'd; NULL otherwise (no git, not a checkout). */
char *metadata_git_commit(void);

#endif
