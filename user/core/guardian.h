/* SPDX-License-Identifier: GPL-2.0-only */
/* The guardian: a small watchdog process, forked once at a command's start, that cleans up after
 * bindprof however it ends (return, exit, crash, SIGKILL). It holds the read end of a pipe whose
 * write end only bindprof holds (close-on-exec); when it reads EOF without a clean stop, it
 *  - sends SIGTERM (and SIGCONT, so stopped members see it) to every registered process group,
 *    then SIGKILL to the groups still alive after a grace of 2 s;
 *  - sends SIGCONT to every registered stopped pid (a target bindprof had stopped, e.g. to
 *    single-step it), so that it does not stay stopped forever.
 * BPF links need no guardian: they are held by bindprof's file descriptors (never pinned) and the
 * kernel detaches them when the process dies. The guardian closes every inherited descriptor
 * but its pipe, so it never holds a BPF object alive.
 * Commands go over the pipe as fixed 8-byte records (atomic writes). Every function but
 * guardian_start is a no-op returning 0 when no guardian runs. */
#ifndef BINDPROF_GUARDIAN_H
#define BINDPROF_GUARDIAN_H

#include <sys/types.h>

/* Fork the guardian. 0, or a negative errno (fork or pipe failed; nothing is guarded then).
 * A second call while one runs is a no-op. Call it before any BPF object is opened (it would
 * not hold them anyway) and from the main thread. */
int guardian_start(void);
/* Kill process group pgid (SIGTERM, then SIGKILL after 2 s) if bindprof dies before
 * guardian_forget(pgid). 0 or a negative errno (-EPIPE: the guardian is gone). */
int guardian_kill_group_on_exit(pid_t pgid);
/* Send SIGCONT to pid if bindprof dies before guardian_forget(pid). 0 or a negative errno. */
int guardian_cont_on_exit(pid_t pid);
/* Drop pgid from the groups to kill (bindprof stopped the group itself). 0 or a negative errno. */
int guardian_forget(pid_t pgid);
/* Drop pid from the pids to continue (bindprof resumed it). Separate from guardian_forget: a held
 * process can also lead a registered group (a command that execs), which must stay registered. */
int guardian_forget_cont(pid_t pid);
/* A clean end: the guardian exits without touching anything still registered, and is reaped. */
void guardian_stop(void);

#endif
