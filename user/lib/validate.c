/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "lib/validate.h"
#include "output/document.h"
#include "output/reader.h"

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

int parse_finite_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || !((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_pid_strict(const char *opt, const char *s, int *pid, char *err, size_t errlen)
{
	long v = 0;
	size_t i;

	for (i = 0; s[i] && i < 8; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		v = v * 10 + (s[i] - '0');
	}
	if (!i || s[i] || v < 1 || v > 4194304) {
		snprintf(err, errlen, "%s: invalid PID '%s'", opt, s);
		return -EINVAL;
	}
	*pid = (int)v;
	return 0;
}

/* The flags field (the 9th) of /proc/PID/stat: after "pid (comm) ", the 7th field. */
static int read_stat_flags(const char *proc_root, int pid, unsigned long *flags, char *comm, size_t commlen)
{
	char path[PATH_MAX], buf[1024], *p, *open_paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/stat", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	open_paren = strchr(buf, '(');
	p = strrchr(buf, ')');
	if (!p || !open_paren || p < open_paren)
		return -EIO;
	snprintf(comm, commlen, "%.*s", (int)(p - open_paren - 1), open_paren + 1);
	p++;
	for (int f = 0; f < 7; f++) { /* " S ppid pgrp session tty tpgid flags" */
		while (*p == ' ')
			p++;
		if (f == 6) {
			char *end;

			*flags = strtoul(p, &end, 10);
			return end == p ? -EIO : 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -EIO;
}

int validate_pid_target(const char *proc_root, const char *opt, int pid, char *err, size_t errlen, char *warn,
			size_t warnlen)
{
	char path[PATH_MAX], comm[64] = "";
	struct stat self, st;
	unsigned long flags = 0;
	int e;

	if (warnlen)
		warn[0] = 0;
	e = read_stat_flags(proc_root, pid, &flags, comm, sizeof(comm));
	if (e) {
		snprintf(err, errlen, "%s: no such process: %d", opt, pid);
		return -ESRCH;
	}
	if (flags & PF_KTHREAD) {
		snprintf(err, errlen, "%s %d: '%s' is a kernel thread: it has no user space to profile", opt, pid, comm);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%d/exe", proc_root, pid);
	if (!stat("/proc/self/exe", &self) && !stat(path, &st) && self.st_dev == st.st_dev && self.st_ino == st.st_ino) {
		snprintf(err, errlen, "%s %d: that is bindprof itself%s: give the application's PID", opt, pid,
			 pid == getpid() ? "" : " (another bindprof process)");
		return -EINVAL;
	}
	if (pid == 1 && warnlen)
		snprintf(warn, warnlen, "%s 1: '%s' is the init process, not an application: its probes see the "
			 "machine's service manager", opt, comm);
	return 0;
}

int validate_output_path(const char *opt, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], probe[PATH_MAX + 32], *slash;
	struct stat st;
	int fd;

	if (!path || !*path) {
		snprintf(err, errlen, "%s: empty file name", opt);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: file name too long", opt);
		return -ENAMETOOLONG;
	}
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "%s: a control character (0x%02x) in the file name is not allowed", opt, *p);
			return -EINVAL;
		}
	if (path[strlen(path) - 1] == '/') {
		snprintf(err, errlen, "%s: '%s' is a directory: give a file name", opt, path);
		return -EINVAL;
	}
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: '%s' is a directory: give a file name", opt, path);
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s: '%s' exists and is not a regular file", opt, path);
			return -EINVAL;
		}
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: cannot write '%s': directory '%s' does not exist", opt, path, dir);
		return -ENOENT;
	}
	snprintf(probe, sizeof(probe), "%s/.bindprof-probe.XXXXXX", dir);
	fd = mkostemp(probe, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot write '%s': %s", opt, path, strerror(e));
		return -e;
	}
	close(fd);
	unlink(probe);
	return 0;
}

int validate_gil_method(const char *opt, const char *s, char *err, size_t errlen)
{
	if (s && (!strcmp(s, "cheap") || !strcmp(s, "exact")))
		return 0;
	snprintf(err, errlen, "%s: unknown method '%s' (cheap, exact)", opt, s ? s : "");
	return -EINVAL;
}

static int executable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int validate_app_cmd(const char *opt, const char *cmd, char *err, size_t errlen)
{
	static const char *const shell_words[] = { "exec", "cd", "env", "nohup", "ulimit", "export", "set",
						   "source", ".", "eval", "umask", "trap", "command", "if",
						   "for", "while", "case", "{", "(", "!" };
	char word[PATH_MAX], cand[PATH_MAX * 2];
	size_t n;
	const char *p = cmd, *path;

	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\n;&|<>");
	if (!n) {
		snprintf(err, errlen, "%s: empty command", opt);
		return -EINVAL;
	}
	if (n >= sizeof(word))
		return 0;
	memcpy(word, p, n);
	word[n] = 0;
	/* shell syntax we do not interpret: passed to sh as is */
	if (strpbrk(word, "=\"'$`(){}\\*?[~"))
		return 0;
	for (size_t i = 0; i < sizeof(shell_words) / sizeof(shell_words[0]); i++)
		if (!strcmp(word, shell_words[i]))
			return 0;
	if (strchr(word, '/')) {
		if (executable(word))
			return 0;
		snprintf(err, errlen, "%s: '%s' is not an executable file%s", opt, word,
			 access(word, F_OK) ? " (it does not exist)" : "");
		return -ENOENT;
	}
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");

		snprintf(cand, sizeof(cand), "%.*s/%s", (int)(l ? l : 1), l ? path : ".", word);
		if (executable(cand))
			return 0;
		path += l;
		if (*path == ':')
			path++;
	}
	snprintf(err, errlen, "%s: command '%s' not found on PATH", opt, word);
	return -ENOENT;
}

int validate_profile_doc(const cJSON *doc, const char *what, char *err, size_t errlen)
{
	const cJSON *mode = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc, "mode") : NULL;
	char msg[512];

	if (!cJSON_IsString(mode) || strcmp(mode->valuestring, "profile")) {
		snprintf(err, errlen, "%s is not a bindprof profile document (\"mode\": \"profile\")", what);
		return -EINVAL;
	}
	/* the readers' own validator: every field diff, compare and --baseline read */
	if (profile_doc_validate(doc, msg, sizeof(msg))) {
		snprintf(err, errlen, "%s: %s", what, msg);
		return -EINVAL;
	}
	return 0;
}

int validate_baseline_file(const char *opt, const char *path, char *err, size_t errlen)
{
	char msg[PATH_MAX + 256], what[PATH_MAX + 64];
	cJSON *doc = profile_read(path, msg, sizeof(msg));
	int e;

	if (!doc) {
		snprintf(err, errlen, "%s: %s", opt, msg);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "%s: '%s'", opt, path);
	e = validate_profile_doc(doc, what, err, errlen);
	cJSON_Delete(doc);
	return e;
}
