/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/file.h"

static const char *const cap_env[] = { "BINDPROF_MAX_PROFILE_MB", "BINDPROF_MAX_CONFIG_MB", "BINDPROF_MAX_BODY_MB" };

/* A cap's value: a whole decimal number of MiB, 1..65536, digits only; 0 or -EINVAL */
static int cap_parse(const char *s, long *mb)
{
	char *end;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	*mb = strtol(s, &end, 10);
	if (errno || *end || *mb < 1 || *mb > 65536)
		return -EINVAL;
	return 0;
}

int file_caps_check(char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(cap_env) / sizeof(cap_env[0]); i++) {
		const char *s = getenv(cap_env[i]);
		long mb;

		if (s && *s && cap_parse(s, &mb)) { /* empty: unset */
			snprintf(err, errlen, "%s: '%.40s' is not a whole number of MiB from 1 to 65536", cap_env[i], s);
			return -EINVAL;
		}
	}
	return 0;
}

size_t file_cap(enum file_kind kind)
{
	static const size_t def[] = { FILE_CAP_PROFILE, FILE_CAP_CONFIG, FILE_CAP_BODY };
	long mb;

	if ((unsigned)kind >= sizeof(def) / sizeof(def[0]))
		return FILE_CAP_CONFIG;
	/* a bad value is refused up front (file_caps_check, from main); here it is the default */
	if (cap_parse(getenv(cap_env[kind]), &mb))
		return def[kind];
	return (size_t)mb << 20;
}

int text_control_check(const char *what, const char *s, char *err, size_t errlen)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "%s: a control character (0x%02x) is not allowed", what, *p);
			return -EINVAL;
		}
	return 0;
}

int json_text_has_nul(const char *text)
{
	bool in_str = false;

	for (const char *p = text; p && *p; p++) {
		if (*p == '"') {
			in_str = !in_str;
		} else if (in_str && *p == '\\') {
			if (p[1] == 'u' && p[2] == '0' && p[3] == '0' && p[4] == '0' && p[5] == '0')
				return 1;
			if (p[1])
				p++; /* the escaped character: \\ or \" */
		}
	}
	return 0;
}

static const char *type_name(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

static void human(size_t n, char *buf, size_t len)
{
	if (n >= (1ul << 20) && !(n & ((1ul << 20) - 1)))
		snprintf(buf, len, "%zu MiB", n >> 20);
	else
		snprintf(buf, len, "%zu bytes", n);
}

int file_read_bounded(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t n = 0, want;
	char *buf = NULL, capbuf[32];
	int fd, e = 0;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO with no writer returns at once instead of hanging */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-e));
		return e;
	}
	if (fstat(fd, &st)) {
		e = -errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-e));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is %s: only regular files are read", path, type_name(st.st_mode));
		e = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	human(cap, capbuf, sizeof(capbuf));
	if ((unsigned long long)st.st_size > cap) {
		snprintf(err, errlen, "'%s' is %lld bytes, over the %s limit for this input", path,
			 (long long)st.st_size, capbuf);
		e = -EFBIG;
		goto out;
	}
	/* regular files ignore O_NONBLOCK; read one byte past the size to see growth */
	want = (size_t)st.st_size + 1;
	if (want < 4096) /* /proc files say 0 bytes: start with a page */
		want = 4096;
	if (want > cap + 1)
		want = cap + 1;
	buf = malloc(want + 1);
	if (!buf) {
		e = -ENOMEM;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(ENOMEM));
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == want) { /* the file grew while read: grow the buffer, up to the cap */
			char *nb;

			if (n > cap) {
				snprintf(err, errlen, "'%s' grew past the %s limit for this input while read", path, capbuf);
				e = -EFBIG;
				goto out;
			}
			want = n * 2 > cap + 1 ? cap + 1 : n * 2;
			nb = realloc(buf, want + 1);
			if (!nb) {
				e = -ENOMEM;
				snprintf(err, errlen, "cannot read '%s': %s", path, strerror(ENOMEM));
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + n, want - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = -errno;
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-e));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > cap) {
		snprintf(err, errlen, "'%s' grew past the %s limit for this input while read", path, capbuf);
		e = -EFBIG;
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = n;
out:
	free(buf);
	close(fd);
	return e;
}

/* The stream's write: every byte or an error kept (the first errno, e.g. ENOSPC, for the message) */
static ssize_t out_write(void *cookie, const char *buf, size_t len)
{
	struct file_out *o = cookie;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(o->fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!o->werr)
				o->werr = n < 0 ? -errno : -ENOSPC;
			/* fopencookie(3): 0 on error, never negative (glibc's large-write path would take
			 * -1 as a count: write_file_atomic's fwrite of a whole report crashed on a full disk);
			 * glibc sets the stream's error flag on a short count */
			return 0;
		}
		off += (size_t)n;
	}
	return (ssize_t)len;
}

static int out_close(void *cookie)
{
	struct file_out *o = cookie;
	int r = close(o->fd);

	o->fd = -1;
	return r;
}

int file_out_open(struct file_out *o, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!path || !*path) {
		snprintf(err, errlen, "an empty output path");
		return -EINVAL;
	}
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is %s: output goes to a regular file", path, type_name(st.st_mode));
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if ((size_t)snprintf(o->path, sizeof(o->path), "%s", path) >= sizeof(o->path) ||
	    (size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", path) >= sizeof(o->tmp)) {
		snprintf(err, errlen, "'%.64s...': path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-e));
		o->tmp[0] = 0;
		return e;
	}
	{ /* mkstemp makes 0600; outputs get the mode a plain open(2) would give */
		mode_t um = umask(022);

		umask(um);
		if (fchmod(fd, 0666 & ~um)) {
			/* the mode only: the output is still written */
		}
	}
	o->fd = fd;
	o->f = fopencookie(o, "w", (cookie_io_functions_t){ .write = out_write, .close = out_close });
	if (!o->f) {
		e = -errno;
		close(fd);
		unlink(o->tmp);
		o->tmp[0] = 0;
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-e));
		return e;
	}
	return 0;
}

int file_out_commit(struct file_out *o, char *err, size_t errlen)
{
	int e = 0;

	if (!o->f) {
		snprintf(err, errlen, "cannot write '%s': not open", o->path);
		return -EBADF;
	}
	/* fprintf/fwrite set the stream's error flag on a failed write; fflush writes what is left */
	errno = 0;
	if (fflush(o->f) || ferror(o->f) || o->werr)
		e = o->werr ? o->werr : errno ? -errno : -EIO;
	if (!e && fsync(o->fd))
		e = -errno;
	errno = 0;
	if (fclose(o->f) && !e)
		e = errno ? -errno : -EIO;
	o->f = NULL;
	if (!e && rename(o->tmp, o->path))
		e = -errno;
	if (e) {
		unlink(o->tmp);
		snprintf(err, errlen, "cannot write '%s': %s", o->path, strerror(-e));
	}
	o->tmp[0] = 0;
	return e;
}

void file_out_abort(struct file_out *o)
{
	if (o->f) {
		fclose(o->f);
		o->f = NULL;
	}
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
}
