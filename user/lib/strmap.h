/* SPDX-License-Identifier: GPL-2.0-only */
/* A string-keyed hash map (open addressing, grows at 70% load): counts and small values per key,
 * for folded stacks and symbol caches. Keys are copied. */
#ifndef BINDPROF_STRMAP_H
#define BINDPROF_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_entry {
	char *key;    /* NULL: empty slot */
	uint64_t val;
	void *ptr;    /* owned by the caller (strmap_free does not free it) */
};

struct strmap {
	struct strmap_entry *e;
	size_t cap, n;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* The entry for key, created (val 0, ptr NULL) when absent; NULL only when out of memory. */
struct strmap_entry *strmap_get(struct strmap *m, const char *key);
/* The entry for key, or NULL. */
struct strmap_entry *strmap_find(const struct strmap *m, const char *key);
/* The entries, sorted by key (a malloc'd array of pointers into the map; n entries). */
struct strmap_entry **strmap_sorted(const struct strmap *m);

#endif
