/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "inspect/procfs.h"
#include "lib/util.h"

int procfs_parse_stat(const char *buf, struct proc_stat *st)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	unsigned long long v[52];
	size_t n;
	int field;

	/* The comm may hold spaces and parentheses: it spans from the first '(' to the last ')'. */
	if (!open || !close || close < open || close[1] != ' ')
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	n = close - open - 1;
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';
	p = close + 2;
	st->state = *p++;
	/* Fields 4.. are numbers; field numbering follows proc(5). */
	for (field = 4; field <= 22; field++) {
		char *end;

		while (*p == ' ')
			p++;
		errno = 0;
		v[field] = strtoull(p, &end, 10);
		if (end == p) {
			/* ppid may be negative in theory; anything else non-numeric is malformed. */
			if (*p == '-' && field == 4) {
				v[field] = 0;
				end = (char *)p + strspn(p, "-0123456789");
			} else {
				return -EINVAL;
			}
		}
		p = end;
	}
	st->ppid = (int)v[4];
	st->utime = v[14];
	st->stime = v[15];
	st->cutime = v[16];
	st->cstime = v[17];
	st->starttime = v[22];
	return 0;
}

int procfs_parse_status_kb(const char *buf, const char *field, uint64_t *kb)
{
	size_t flen = strlen(field);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			if (sscanf(p + flen + 1, " %" SCNu64, kb) == 1)
				return 0;
			return -EINVAL;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int procfs_parse_uss_kb(const char *buf, uint64_t *kb)
{
	static const char *const fields[] = { "Private_Clean", "Private_Dirty", "Private_Hugetlb" };
	uint64_t sum = 0, v;
	int found = 0;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		if (procfs_parse_status_kb(buf, fields[i], &v) == 0) {
			sum += v;
			found++;
		}
	}
	if (!found)
		return -ENOENT;
	*kb = sum;
	return 0;
}

static int read_proc_file(const char *root, int pid, const char *name, char **buf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d/%s", root, pid, name);
	return read_file(path, buf, NULL);
}

int procfs_read_stat(const char *root, int pid, struct proc_stat *st)
{
	char *buf;
	int err = read_proc_file(root, pid, "stat", &buf);

	if (err)
		return err;
	err = procfs_parse_stat(buf, st);
	free(buf);
	return err;
}

int procfs_read_rss_kb(const char *root, int pid, uint64_t *kb)
{
	char *buf;
	int err = read_proc_file(root, pid, "status", &buf);

	if (err)
		return err;
	err = procfs_parse_status_kb(buf, "VmRSS", kb);
	free(buf);
	return err;
}

int procfs_read_uss_kb(const char *root, int pid, uint64_t *kb)
{
	char *buf;
	int err = read_proc_file(root, pid, "smaps_rollup", &buf);

	if (err)
		return err;
	err = procfs_parse_uss_kb(buf, kb);
	free(buf);
	return err;
}

int procfs_read_cmdline(const char *root, int pid, char *out, size_t size)
{
	char *buf;
	size_t len, i;
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%d/cmdline", root, pid);
	err = read_file(path, &buf, &len);
	if (err)
		return err;
	while (len && buf[len - 1] == '\0')
		len--;
	for (i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	snprintf(out, size, "%.*s", (int)len, buf);
	free(buf);
	return 0;
}

int procfs_read_comm(const char *root, int pid, int tid, char *out, size_t size)
{
	char path[PATH_MAX], *buf, *nl;
	int err;

	snprintf(path, sizeof(path), "%s/%d/task/%d/comm", root, pid, tid);
	err = read_file(path, &buf, NULL);
	if (err)
		return err;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	snprintf(out, size, "%s", buf);
	free(buf);
	return 0;
}

int procfs_read_exe(const char *root, int pid, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int procfs_alive(const char *root, int pid)
{
	struct proc_stat st;
	int e = procfs_read_stat(root, pid, &st);

	if (e == -EMFILE || e == -ENFILE || e == -ENOMEM) /* our limits, not the process: a signal 0 tells */
		return pid > 0 && !strcmp(root, "/proc") && (!kill(pid, 0) || errno == EPERM);
	if (e)
		return 0;
	return st.state != 'Z' && st.state != 'X';
}

int procfs_lib_name_matches(const char *base, const char *name)
{
	size_t n = strlen(name), stem = strcspn(name, ".");
	const char *tag;

	if (!n)
		return 0;
	if (!strncmp(base, name, n) && (base[n] == '\0' || base[n] == '.'))
		return 1;
	/* a bundled copy: STEM-TAG.REST (libffi-9c61262e.so.8 for libffi.so) */
	if (strncmp(base, name, stem) || base[stem] != '-' || !name[stem])
		return 0;
	tag = strchr(base + stem + 1, '.');
	n = strlen(name + stem);
	return tag && tag > base + stem + 1 && !strncmp(tag, name + stem, n) && (tag[n] == '\0' || tag[n] == '.');
}

int procfs_parse_mapped_lib(const char *maps, const char *name, char *path, size_t len)
{
	const char *line = maps;

	while (line && *line) {
		const char *eol = strchr(line, '\n'), *file, *base, *end;
		size_t flen;

		if (!eol)
			eol = line + strlen(line);
		/* the path is the sixth field: the first '/' after the inode on the line */
		file = memchr(line, '/', eol - line);
		end = eol;
		if (file && end - file > 10 && !strncmp(end - 10, " (deleted)", 10))
			file = NULL;
		if (file) {
			flen = end - file;
			base = file + flen;
			while (base > file && base[-1] != '/')
				base--;
			{
				char b[256];

				snprintf(b, sizeof(b), "%.*s", (int)(end - base), base);
				if (procfs_lib_name_matches(b, name)) {
					if (flen >= len)
						return -ENAMETOOLONG;
					memcpy(path, file, flen);
					path[flen] = '\0';
					return 0;
				}
			}
		}
		line = *eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

int procfs_find_mapped_lib(const char *root, int pid, const char *name, char *path, size_t len)
{
	char file[PATH_MAX], *buf;
	int err;

	snprintf(file, sizeof(file), "%s/%d/maps", root, pid);
	err = read_file(file, &buf, NULL);
	if (err)
		return err;
	err = procfs_parse_mapped_lib(buf, name, path, len);
	free(buf);
	return err;
}
