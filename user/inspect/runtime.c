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

/* "3.11" out of ".../python3.11", ".../libpython3.11.so.1.0" or ".../libpython3.8d.so". */
static void version_hint(const char *path, char *hint, size_t size)
{
	const char *base = strrchr(path, '/'), *p;

	base = base ? base + 1 : path;
	hint[0] = '\0';
	p = strstr(base, "python3.");
	if (!p)
		return;
	p += strlen("python");
	snprintf(hint, size, "3.%ld", strtol(p + 2, NULL, 10));
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

int runtime_detect_elf(const char *path, struct runtime_info *ri)
{
	struct elf_file *f;
	const void *rodata;
	char hint[16];
	GElf_Sym sym;

	memset(ri, 0, sizeof(*ri));
	snprintf(ri->elf, sizeof(ri->elf), "%s", path);
	snprintf(ri->name, sizeof(ri->name), "native");
	f = elf_file__open(path);
	if (!f)
		return errno == ENOEXEC ? -ENOEXEC : -errno;
	if (elf_file__symbol(f, "Py_Initialize", &sym))
		goto cleanup;
	snprintf(ri->name, sizeof(ri->name), "cpython");
	/* 3.11 and later export their PY_VERSION_HEX as Py_Version: exact, take it. */
	if (!elf_file__symbol(f, "Py_Version", &sym) && sym.st_size == 4 &&
	    (rodata = elf_file__data_at(f, sym.st_value, 4))) {
		uint32_t hex;

		memcpy(&hex, rodata, 4);
		runtime_version_from_hex(hex, ri->version, sizeof(ri->version));
		goto cleanup;
	}
	version_hint(path, hint, sizeof(hint));
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
			if (d && d->d_buf)
				runtime_find_version(d->d_buf, d->d_size, hint[0] ? hint : NULL, ri->version,
						     sizeof(ri->version));
			break;
		}
	}
cleanup:
	elf_file__close(f);
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
	snprintf(path, sizeof(path), "%s/%d/maps", root, pid);
	f = fopen(path, "re");
	if (!f)
		return err;
	while (fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/'), *nl;
		struct runtime_info lib;

		if (!file || !strstr(file, "/libpython3."))
			continue;
		nl = strchr(file, '\n');
		if (nl)
			*nl = '\0';
		if (!runtime_detect_elf(file, &lib) && !strcmp(lib.name, "cpython")) {
			*ri = lib;
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
