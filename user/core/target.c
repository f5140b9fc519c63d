/* SPDX-License-Identifier: GPL-2.0-only */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "inspect/procfs.h"
#include "core/target.h"

int target_check_cmd(const char *cmd0, char *out, size_t size)
{
	char path[PATH_MAX];
	const char *env, *p;
	struct stat st;

	if (strchr(cmd0, '/')) {
		if (stat(cmd0, &st))
			return -errno;
		if (!S_ISREG(st.st_mode) || access(cmd0, X_OK))
			return -EACCES;
		if (out)
			snprintf(out, size, "%s", cmd0);
		return 0;
	}
	env = getenv("PATH");
	if (!env)
		env = "/usr/local/bin:/usr/bin:/bin";
	for (p = env; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(path, sizeof(path), "%.*s/%s", (int)n, n ? p : ".", cmd0);
		if (!stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK)) {
			if (out)
				snprintf(out, size, "%s", path);
			return 0;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

int target_spawn_held(char **cmd, struct held_child *hc)
{
	int go[2], errp[2], pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		return err;
	}
	/* The command's orphaned descendants come to bindprof, not to init: a process group whose
	 * parent exits while the exec hold has a member stopped stays joined to this session, so the
	 * kernel does not send it SIGHUP (POSIX's orphaned process group rule), which killed a
	 * Python started by `sh -c 'python ... & exit 0'` in 1 of 3 runs. Zombies of those are
	 * reaped when bindprof exits; procfs_alive counts them as gone. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		close(errp[0]);
		close(errp[1]);
		return err;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(errp[0]);
		/* The child keeps the default dispositions: Ctrl-C reaches it as it would without us. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* It dies with bindprof, however bindprof ends (the forking thread is the main one). Off
		 * a terminal it leads its own process group, which the guardian kills with its
		 * descendants; on a terminal it stays in the foreground group, where it can read. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (!isatty(STDIN_FILENO))
			setpgid(0, 0);
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* bindprof died before releasing us */
		execvp(cmd[0], cmd);
		e = errno;
		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(errp[1]);
	hc->own_group = !isatty(STDIN_FILENO);
	if (hc->own_group)
		setpgid(pid, pid); /* as the child does: whichever runs first */
	hc->pid = pid;
	hc->go_fd = go[1];
	hc->err_fd = errp[0];
	return 0;
}

int target_release(struct held_child *hc)
{
	char c = 1;
	int e = 0;
	ssize_t n;

	if (write(hc->go_fd, &c, 1) != 1)
		return -errno;
	close(hc->go_fd);
	hc->go_fd = -1;
	do {
		n = read(hc->err_fd, &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(hc->err_fd);
	hc->err_fd = -1;
	return n == sizeof(e) ? -e : 0;
}

int target_descendants(const char *root, int pid, int *out, int max)
{
	struct { int pid, ppid; } *all = NULL;
	int nall = 0, cap = 0, n = 0;
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct proc_stat st;
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end || p <= 0 || procfs_read_stat(root, (int)p, &st))
			continue;
		if (nall == cap) {
			void *na = realloc(all, (cap = cap ? cap * 2 : 512) * sizeof(*all));

			if (!na)
				break;
			all = na;
		}
		all[nall].pid = (int)p;
		all[nall].ppid = st.ppid;
		nall++;
	}
	closedir(d);
	/* Breadth first from pid: out[] doubles as the queue. */
	for (int head = -1; head < n; head++) {
		int parent = head < 0 ? pid : out[head];

		for (int i = 0; i < nall && n < max; i++)
			if (all[i].ppid == parent && all[i].pid != pid)
				out[n++] = all[i].pid;
	}
	free(all);
	return n;
}
