/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/probes.h"
#include "lib/util.h"

static const char *const names[PROBE_COUNT] = {
	[PROBE_SYSCALLS] = "syscalls", [PROBE_GIL] = "gil",	  [PROBE_GC] = "gc",
	[PROBE_FFI] = "ffi",	       [PROBE_REQUESTS] = "requests", [PROBE_STACKS] = "stacks",
};

const char *probe_name(enum probe_id p)
{
	return p < PROBE_COUNT ? names[p] : "?";
}

int probes_parse(const char *list, unsigned *mask, const char **bad)
{
	static char word[64];
	const char *p = list;
	unsigned m = 0;

	if (!list || !*list) {
		*bad = "";
		return -EINVAL;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		int found = 0;

		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (!strcmp(word, "all")) {
			m |= PROBES_ALL;
			found = 1;
		}
		for (int i = 0; i < PROBE_COUNT && !found; i++) {
			if (!strcmp(word, names[i])) {
				m |= PROBE_BIT(i);
				found = 1;
			}
		}
		if (!found) {
			*bad = word;
			return -EINVAL;
		}
		p += n;
		if (*p == ',') {
			p++;
			if (!*p) { /* trailing comma */
				word[0] = '\0';
				*bad = word;
				return -EINVAL;
			}
		}
	}
	*mask = m;
	return 0;
}

bool probes_names_all(const char *list)
{
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == 3 && !strncmp(p, "all", 3))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}
