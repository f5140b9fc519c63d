/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdlib.h>
#include <string.h>
#include "lib/strmap.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->e[i].key);
	free(m->e);
	memset(m, 0, sizeof(*m));
}

static struct strmap_entry *slot(struct strmap_entry *e, size_t cap, const char *key)
{
	size_t i = hash(key) & (cap - 1);

	while (e[i].key && strcmp(e[i].key, key))
		i = (i + 1) & (cap - 1);
	return &e[i];
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256;
	struct strmap_entry *e = calloc(cap, sizeof(*e));

	if (!e)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->e[i].key)
			*slot(e, cap, m->e[i].key) = m->e[i];
	free(m->e);
	m->e = e;
	m->cap = cap;
	return 0;
}

struct strmap_entry *strmap_find(const struct strmap *m, const char *key)
{
	struct strmap_entry *e;

	if (!m->cap)
		return NULL;
	e = slot(m->e, m->cap, key);
	return e->key ? e : NULL;
}

struct strmap_entry *strmap_get(struct strmap *m, const char *key)
{
	struct strmap_entry *e;

	if ((m->n + 1) * 10 > m->cap * 7 && grow(m))
		return NULL;
	e = slot(m->e, m->cap, key);
	if (!e->key) {
		if (!(e->key = strdup(key)))
			return NULL;
		e->val = 0;
		e->ptr = NULL;
		m->n++;
	}
	return e;
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(struct strmap_entry *const *)a)->key, (*(struct strmap_entry *const *)b)->key);
}

struct strmap_entry **strmap_sorted(const struct strmap *m)
{
	struct strmap_entry **v = malloc((m->n ? m->n : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < m->cap; i++)
		if (m->e[i].key)
			v[k++] = &m->e[i];
	qsort(v, k, sizeof(*v), by_key);
	return v;
}
