/* SPDX-License-Identifier: GPL-2.0-only */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/stat.h>
#include "inspect/elffile.h"
#include "inspect/runtime.h"
#include "lib/util.h"

/* "3.11.2", "3.13.0rc1", "3.12.1+": digits '.' digits '.' digits, then an optional pre-release tag. */
static bool looks_like_version(const char *s, size_t n)
{
	size_t i = 0;
	int dots = 0;

	if (n < 5 || n > 20 || s[0] != '3' || s[1] != '.')
		return false;
	for (i = 2; i < n && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return false;
			dots++;
		}
	}
	if (dots != 1 || s[i - 1] == '.') /* "3." then "minor.micro" */
		return false;
	/* optional "a1", "b2", "rc1", then an optional '+' */
	if (i < n && (s[i] == 'a' || s[i] == 'b' || !strncmp(s + i, "rc", 2))) {
		i += s[i] == 'r' ? 2 : 1;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return false;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i < n && s[i] == '+')
		i++;
	return i == n;
}

int runtime_find_version(const char *data, size_t len, const char *hint, char *out, size_t outlen)
{
	size_t hlen = hint ? strlen(hint) : 0;

	/* Linkers merge string literals into the tails of longer ones, so PY_VERSION "3.8.18" can
	 * live only as the end of "Python-3.8.18": with a hint, a candidate may follow any byte that
	 * is not part of a number; without one, it must stand alone. */
	for (size_t i = 0; i + 5 < len; i++) {
		const char *s = data + i;
		size_t n;

		if (s[0] != '3' || s[1] != '.')
			continue;
		if (i > 0 && (isdigit((unsigned char)s[-1]) || s[-1] == '.' || (!hlen && s[-1])))
			continue;
		n = strnlen(s, len - i);
		if (!looks_like_version(s, n))
			continue;
		if (hlen && (strncmp(s, hint, hlen) || s[hlen] != '.'))
			continue;
		snprintf(out, outlen, "%.*s", (int)n, s);
		return 0;
	}
	return -ENOENT;
}

/* "3.X" from a string that starts with "python3.X" or "libpython3.X" (a SONAME, a directory
 * name): the digits after "3." only. */
static bool hint_from(const char *s, char *hint, size_t size)
{
	const char *p = strstr(s, "python3.");
	char *end;
	long minor;

	if (!p)
		return false;
	minor = strtol(p + strlen("python3."), &end, 10);
	if (end == p + strlen("python3.") || minor < 0 || minor > 99)
		return false;
	snprintf(hint, size, "3.%ld", minor);
	return true;
}

/* The interpreter's major.minor as the file itself says, never from its name: its DT_SONAME
 * ("libpython3.10.so.1.0", kept when the file is copied or renamed), else a "python3.X" string
 * standing alone in .rodata (the library directory name every version has, "lib/python3.X"),
 * else the major.minor of the most frequent version-shaped string there. */
struct hint_buf {
	char *hint;
	size_t size;
};

static int soname_hint(void *ctx, int64_t tag, const char *v)
{
	struct hint_buf *h = ctx;

	return tag == DT_SONAME && hint_from(v, h->hint, h->size);
}

static void content_hint(Elf *elf, const char *rodata, size_t len, char *hint, size_t size)
{
	struct hint_buf hb = { hint, size };
	int counts[100] = { 0 }, best = -1;

	hint[0] = '\0';
	if (elf_dyn_strings(elf, soname_hint, &hb))
		return;
	for (size_t i = 0; rodata && i + 9 < len; i++) {
		const char *s = rodata + i;

		if ((i == 0 || s[-1] == '\0' || s[-1] == '/') && !strncmp(s, "python3.", 8) &&
		    isdigit((unsigned char)s[8])) {
			size_t n = 8;

			while (i + n < len && isdigit((unsigned char)s[n]))
				n++;
			if (i + n < len && s[n] == '\0' && hint_from(s, hint, size))
				return;
		}
	}
	for (size_t i = 0; rodata && i + 5 < len; i++) {
		const char *s = rodata + i;
		size_t n;

		if (s[0] != '3' || s[1] != '.' || (i > 0 && (isdigit((unsigned char)s[-1]) || s[-1] == '.')))
			continue;
		n = strnlen(s, len - i);
		if (looks_like_version(s, n)) {
			long minor = strtol(s + 2, NULL, 10);

			if (minor >= 0 && minor < 100 && ++counts[minor] > (best < 0 ? 0 : counts[best]))
				best = (int)minor;
		}
	}
	if (best >= 0)
		snprintf(hint, size, "3.%d", best);
}

/* "3.12.1" or "3.13.0rc1" from a PY_VERSION_HEX value (0x030C01F0). */
void runtime_version_from_hex(unsigned int hex, char *out, size_t size)
{
	static const char *const level[16] = { [0xA] = "a", [0xB] = "b", [0xC] = "rc" };
	unsigned lv = (hex >> 4) & 0xF;

	if (lv == 0xF || !level[lv])
		snprintf(out, size, "%u.%u.%u", hex >> 24, (hex >> 16) & 0xFF, (hex >> 8) & 0xFF);
	else
		snprintf(out, size, "%u.%u.%u%s%u", hex >> 24, (hex >> 16) & 0xFF, (hex >> 8) & 0xFF,
			 level[lv], hex & 0xF);
}

/* Files found not to be CPython, by identity (device, inode, size, mtime): looked at once. */
#define MAX_NATIVE_SEEN 1024
static struct native_seen {
	dev_t dev;
	ino_t ino;
	off_t size;
	long mtime;
} native_seen[MAX_NATIVE_SEEN];
static int nnative_seen;
static pthread_mutex_t native_lock = PTHREAD_MUTEX_INITIALIZER;

/* CPython files found, by the same identity, with what was found in them: the requests probe asks
 * again every second for each target until it imports asyncio, and each look opened the ELF file
 * and searched its symbol tables twice (a quarter of bindprof's own CPU on a loaded server). */
#define MAX_CPYTHON_SEEN 64
static struct cpython_seen {
	dev_t dev;
	ino_t ino;
	off_t size;
	long mtime;
	char version[32];
} cpython_seen[MAX_CPYTHON_SEEN];
static int ncpython_seen;

/* Whether the file of st is a known CPython (its version into version[32]); add: remember it. */
static bool cpython_known(const struct stat *st, char *version, bool add)
{
	bool found = false;

	pthread_mutex_lock(&native_lock);
	for (int i = 0; i < ncpython_seen && !found; i++) {
		struct cpython_seen *c = &cpython_seen[i];

		if (c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
		    c->mtime == st->st_mtime) {
			found = true;
			if (!add)
				memcpy(version, c->version, sizeof(c->version));
		}
	}
	if (!found && add) {
		struct cpython_seen *c = &cpython_seen[ncpython_seen < MAX_CPYTHON_SEEN ? ncpython_seen++ : 0];

		c->dev = st->st_dev;
		c->ino = st->st_ino;
		c->size = st->st_size;
		c->mtime = st->st_mtime;
		snprintf(c->version, sizeof(c->version), "%s", version);
	}
	pthread_mutex_unlock(&native_lock);
	return found;
}

static bool native_known(const struct stat *st, bool add)
{
	bool found = false;

	pthread_mutex_lock(&native_lock);
	for (int i = 0; i < nnative_seen && !found; i++)
		found = native_seen[i].dev == st->st_dev && native_seen[i].ino == st->st_ino &&
			native_seen[i].size == st->st_size && native_seen[i].mtime == st->st_mtime;
	if (!found && add) {
		struct native_seen *n = &native_seen[nnative_seen < MAX_NATIVE_SEEN ? nnative_seen++ : 0];

		n->dev = st->st_dev;
		n->ino = st->st_ino;
		n->size = st->st_size;
		n->mtime = st->st_mtime;
	}
	pthread_mutex_unlock(&native_lock);
	return found;
}

int runtime_detect_elf(const char *path, struct runtime_info *ri)
{
	struct stat st;
	bool have_st;

	struct elf_file *f;
	const void *rodata;
	char hint[16];
	GElf_Sym sym;

	memset(ri, 0, sizeof(*ri));
	snprintf(ri->elf, sizeof(ri->elf), "%s", path);
	snprintf(ri->name, sizeof(ri->name), "native");
	have_st = !stat(path, &st);
	if (have_st && native_known(&st, false))
		return 0;
	if (have_st && cpython_known(&st, ri->version, false)) {
		snprintf(ri->name, sizeof(ri->name), "cpython");
		return 0;
	}
	f = elf_file__open(path);
	if (!f)
		return errno == ENOEXEC ? -ENOEXEC : -errno;
	if (elf_file__symbol(f, "Py_Initialize", &sym)) {
		if (have_st)
			native_known(&st, true);
		goto cleanup;
	}
	snprintf(ri->name, sizeof(ri->name), "cpython");
	/* 3.11 and later export their PY_VERSION_HEX as Py_Version: exact, take it. */
	if (!elf_file__symbol(f, "Py_Version", &sym) && sym.st_size == 4 &&
	    (rodata = elf_file__data_at(f, sym.st_value, 4))) {
		uint32_t hex;

		memcpy(&hex, rodata, 4);
		runtime_version_from_hex(hex, ri->version, sizeof(ri->version));
		goto cleanup;
	}
	{
		Elf *elf = elf_file__elf(f);
		size_t shstrndx;
		Elf_Scn *scn = NULL;

		elf_getshdrstrndx(elf, &shstrndx);
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;
			const char *name;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS)
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name || strcmp(name, ".rodata"))
				continue;
			d = elf_getdata(scn, NULL);
			if (d && d->d_buf) {
				content_hint(elf, d->d_buf, d->d_size, hint, sizeof(hint));
				runtime_find_version(d->d_buf, d->d_size, hint[0] ? hint : NULL, ri->version,
						     sizeof(ri->version));
			}
			break;
		}
	}
cleanup:
	elf_file__close(f);
	if (have_st && !strcmp(ri->name, "cpython"))
		cpython_known(&st, ri->version, true);
	return 0;
}

int runtime_detect_pid(const char *root, int pid, struct runtime_info *ri)
{
	char path[PATH_MAX], line[PATH_MAX + 256], exe[PATH_MAX];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
	{
		ssize_t n = readlink(path, exe, sizeof(exe) - 1);

		if (n < 0)
			return -errno;
		exe[n] = '\0';
	}
	/* Read the exe through /proc/PID/exe: it works even for a deleted or replaced file. */
	err = runtime_detect_elf(path, ri);
	if (!err)
		snprintf(ri->elf, sizeof(ri->elf), "%s", exe);
	if (!err && !strcmp(ri->name, "cpython") && ri->version[0])
		return 0;
	/* A shared build: the mapped file that is CPython, whatever its name (a renamed or dlopen'd
	 * libpython too), read through /proc/PID/map_files: the very file, in any mount namespace. */
	snprintf(path, sizeof(path), "%s/%d/maps", root, pid);
	f = fopen(path, "re");
	if (!f)
		return err;
	while (fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/');
		unsigned long long lo, hi, off;
		struct runtime_info lib;

		if (!file || sscanf(line, "%llx-%llx %*s %llx", &lo, &hi, &off) != 3 || off != 0)
			continue;
		file[strcspn(file, "\n")] = '\0';
		if (!strcmp(file, exe))
			continue;
		snprintf(path, sizeof(path), "%s/%d/map_files/%llx-%llx", root, pid, lo, hi);
		if (!runtime_detect_elf(path, &lib) && !strcmp(lib.name, "cpython")) {
			*ri = lib;
			snprintf(ri->elf, sizeof(ri->elf), "%s", file);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int elf_has_section(const char *path, const char *want)
{
	struct elf_file *f = elf_file__open(path);
	int found;

	if (!f)
		return -errno;
	found = elf_file__has_section(f, want);
	elf_file__close(f);
	return found;
}
