/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/guardian.h"

#define GUARD_MAX 256
#define GUARD_GRACE_MS 2000

enum { OP_KILL_GROUP = 'K', OP_CONT = 'C', OP_FORGET = 'F', OP_FORGET_CONT = 'R', OP_QUIT = 'Q' };

struct guard_msg {
	int32_t op;
	int32_t pid;
};

static int guard_fd = -1;   /* bindprof's write end */
static pid_t guard_pid = -1;

static void close_all_but(int keep)
{
	/* close_range(2) would do it in one call; the loop works on every kernel and libc */
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	if (syscall(SYS_close_range, 3, keep - 1 >= 3 ? keep - 1 : 2, 0) == 0 &&
	    syscall(SYS_close_range, keep + 1, ~0U, 0) == 0)
		return;
	for (int fd = 3; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

static void list_del(pid_t *v, int *n, pid_t p)
{
	for (int i = 0; i < *n; i++)
		if (v[i] == p)
			v[i--] = v[--*n];
}

static void list_add(pid_t *v, int *n, pid_t p)
{
	list_del(v, n, p);
	if (*n < GUARD_MAX)
		v[(*n)++] = p;
}

static void cleanup(const pid_t *groups, int ng, const pid_t *conts, int nc)
{
	for (int i = 0; i < nc; i++)
		kill(conts[i], SIGCONT);
	for (int i = 0; i < ng; i++) {
		kill(-groups[i], SIGTERM);
		kill(-groups[i], SIGCONT);
	}
	for (int waited = 0; waited < GUARD_GRACE_MS; waited += 50) {
		struct timespec ts = { 0, 50 * 1000000L };
		int alive = 0;

		for (int i = 0; i < ng; i++)
			alive += kill(-groups[i], 0) == 0;
		if (!alive)
			return;
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < ng; i++)
		kill(-groups[i], SIGKILL);
}

static void __attribute__((noreturn)) guardian_main(int rd)
{
	pid_t groups[GUARD_MAX], conts[GUARD_MAX];
	int ng = 0, nc = 0;
	struct guard_msg m;

	/* Ctrl-C and the terminal's signals are bindprof's to handle; the guardian ends on EOF */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "bindprof-guard", 0, 0, 0);
	close_all_but(rd);
	/* nor does it hold bindprof's output open (a reader of bindprof's pipes sees their end when
	 * bindprof ends, not after the guardian's grace) */
	{
		int null = open("/dev/null", O_RDWR);

		for (int fd = 0; null >= 0 && fd <= 2; fd++)
			if (fd != rd)
				dup2(null, fd);
		if (null > 2 && null != rd)
			close(null);
	}
	for (;;) {
		ssize_t n = read(rd, &m, sizeof(m));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m)) /* EOF (or a torn record): bindprof is gone */
			break;
		switch (m.op) {
		case OP_KILL_GROUP:
			list_add(groups, &ng, m.pid);
			break;
		case OP_CONT:
			list_add(conts, &nc, m.pid);
			break;
		case OP_FORGET:
			list_del(groups, &ng, m.pid);
			break;
		case OP_FORGET_CONT:
			list_del(conts, &nc, m.pid);
			break;
		case OP_QUIT:
			_exit(0);
		}
	}
	cleanup(groups, ng, conts, nc);
	_exit(0);
}

int guardian_start(void)
{
	int p[2];
	pid_t pid;

	if (guard_fd >= 0)
		return 0;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		guardian_main(p[0]);
	}
	close(p[0]);
	guard_fd = p[1];
	guard_pid = pid;
	return 0;
}

static int send_msg(int op, pid_t pid)
{
	struct guard_msg m = { .op = op, .pid = pid };
	ssize_t n;

	if (guard_fd < 0)
		return 0;
	if (pid <= 0)
		return -EINVAL;
	do
		n = write(guard_fd, &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(m) ? 0 : n < 0 ? -errno : -EIO;
}

int guardian_kill_group_on_exit(pid_t pgid)
{
	return send_msg(OP_KILL_GROUP, pgid);
}

int guardian_cont_on_exit(pid_t pid)
{
	return send_msg(OP_CONT, pid);
}

int guardian_forget(pid_t pgid)
{
	return send_msg(OP_FORGET, pgid);
}

int guardian_forget_cont(pid_t pid)
{
	return send_msg(OP_FORGET_CONT, pid);
}

void guardian_stop(void)
{
	struct guard_msg m = { .op = OP_QUIT, .pid = 0 };

	if (guard_fd < 0)
		return;
	if (write(guard_fd, &m, sizeof(m)) < 0) {
		/* gone already: nothing to tell it */
	}
	close(guard_fd);
	guard_fd = -1;
	while (waitpid(guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
	guard_pid = -1;
}
