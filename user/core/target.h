/* SPDX-License-Identifier: GPL-2.0-only */
/* Targets: a running process (and its descendants) or a command started under the probes. */
#ifndef BINDPROF_TARGET_H
#define BINDPROF_TARGET_H

#include <stdbool.h>
#include <sys/resource.h>

/* A child forked and held before exec, so probes attach before it runs anything. */
struct held_child {
	int pid;
	int go_fd;  /* write end: one byte releases the child */
	int err_fd; /* read end: the child's execvp errno, or EOF on success (CLOEXEC) */
	bool own_group; /* it leads its own process group (pgid == pid): stdin is not a terminal */
};

/* Resolve cmd[0] through PATH and check it is executable. 0 or negative errno. When path is not
 * NULL it receives the resolved file. */
int target_check_cmd(const char *cmd0, char *path, size_t size);
/* Fork a child held before its exec. It gets SIGKILL when bindprof's main thread dies
 * (PR_SET_PDEATHSIG), and leads its own process group unless stdin is a terminal. 0 or a
 * negative errno. */
int target_spawn_held(char **cmd, struct held_child *hc);
/* Release the child; 0 when it exec'd, else the negative errno of its failed execvp. */
int target_release(struct held_child *hc);
/* Every descendant of pid (from /proc ppid links), up to max. Returns how many. */
int target_descendants(const char *proc_root, int pid, int *out, int max);

#endif
