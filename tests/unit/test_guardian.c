/* SPDX-License-Identifier: GPL-2.0-only */
/* The guardian: when the process that started it dies by SIGKILL, the registered process group is
 * killed and the registered stopped pid is resumed; a clean stop touches nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/guardian.h"

/* A process group of two sleepers (the leader and a child): the leader's pid. */
static pid_t sleeper_group(void)
{
	pid_t p = fork();

	if (p == 0) {
		setpgid(0, 0);
		if (fork() == 0)
			execlp("sleep", "sleep", "60", (char *)NULL);
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	setpgid(p, p);
	return p;
}

/* A child that stopped itself; returns once it is stopped (a SIGCONT before its SIGSTOP would
 * leave it stopped). */
static pid_t stopped_sleeper(void)
{
	siginfo_t si;
	pid_t p = fork();

	if (p == 0) {
		raise(SIGSTOP);
		_exit(7); /* resumed: exit with a known status */
	}
	memset(&si, 0, sizeof(si));
	waitid(P_PID, p, &si, WSTOPPED | WNOWAIT);
	return p;
}

static bool group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0;
}

/* The leader is our child: reaped here, else its zombie would count as a member. */
static bool wait_gone(pid_t pgid, int ms)
{
	bool reaped = false;

	for (int t = 0; t < ms; t += 20) {
		reaped = reaped || waitpid(pgid, NULL, WNOHANG) == pgid;
		if (reaped && !group_alive(pgid))
			return true;
		usleep(20000);
	}
	return false;
}

/* The stand-in for bindprof: starts a guardian, registers, reports ready, then waits to be killed. */
static pid_t guarded(pid_t pgid, pid_t stopped, int ready_fd)
{
	pid_t p = fork();

	if (p == 0) {
		char c = guardian_start() == 0 && guardian_kill_group_on_exit(pgid) == 0 &&
				 guardian_cont_on_exit(stopped) == 0 ? 'y' : 'n';

		if (write(ready_fd, &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	return p;
}

static void test_sigkill_kills_group_and_resumes(void **state)
{
	pid_t g = sleeper_group(), s = stopped_sleeper(), b;
	int fds[2], st;
	char c = 0;

	assert_int_equal(pipe(fds), 0);
	usleep(100000);
	assert_true(group_alive(g));
	b = guarded(g, s, fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	/* the sleepers ignore nothing: SIGTERM ends them well within the grace */
	assert_true(wait_gone(g, 3000));
	assert_int_equal(waitpid(s, &st, 0), s);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	close(fds[0]);
	close(fds[1]);
}

static void test_forget_and_clean_stop_touch_nothing(void **state)
{
	pid_t g = sleeper_group(), g2 = sleeper_group();

	usleep(100000);
	assert_int_equal(guardian_start(), 0);
	assert_int_equal(guardian_kill_group_on_exit(g), 0);
	assert_int_equal(guardian_kill_group_on_exit(g2), 0);
	assert_int_equal(guardian_forget(g), 0);
	guardian_stop();
	usleep(300000);
	assert_true(group_alive(g));
	assert_true(group_alive(g2));
	/* without a guardian every call is a no-op */
	assert_int_equal(guardian_kill_group_on_exit(g), 0);
	kill(-g, SIGKILL);
	kill(-g2, SIGKILL);
	waitpid(g, NULL, 0);
	waitpid(g2, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_kills_group_and_resumes),
		cmocka_unit_test(test_forget_and_clean_stop_touch_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
