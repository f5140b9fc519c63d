/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "lib/strmap.h"
#include "lib/util.h"
#include "output/speedscope.h"

/* The frame's index in shared.frames, added when new; -1 when out of memory. */
static int frame_index(struct strmap *idx, cJSON *frames, const struct ss_frame *f)
{
	char key[2300];
	struct strmap_entry *e;
	cJSON *o;

	snprintf(key, sizeof(key), "%d\x1f%s\x1f%s\x1f%s\x1f%ld", f->kind, f->name, f->file ? f->file : "",
		 f->module ? f->module : "", f->line);
	if (!(e = strmap_get(idx, key)))
		return -1;
	if (e->val)
		return (int)e->val - 1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", f->name);
	if (f->kind == SF_PYTHON) {
		cJSON_AddStringToObject(o, "file", f->file);
		cJSON_AddNumberToObject(o, "line", f->line);
	} else if (f->kind == SF_KERNEL) {
		cJSON_AddStringToObject(o, "file", "[kernel.kallsyms]");
	} else if (f->module) {
		cJSON_AddStringToObject(o, "file", f->module);
	}
	cJSON_AddItemToArray(frames, o);
	e->val = cJSON_GetArraySize(frames);
	return (int)e->val - 1;
}

int speedscope_write(const struct stackset *s, const char *path, char *err, int errlen)
{
	cJSON *doc = cJSON_CreateObject(), *frames, *profiles;
	struct strmap idx;
	char name[600], *text = NULL;
	int e = 0;

	strmap_init(&idx);
	cJSON_AddStringToObject(doc, "$schema", "https://www.speedscope.app/file-format-schema.json");
	snprintf(name, sizeof(name), "bindprof %s", BINDPROF_VERSION);
	cJSON_AddStringToObject(doc, "exporter", name);
	snprintf(name, sizeof(name), "bindprof%s%s", s->host ? " on " : "", s->host ? s->host : "");
	cJSON_AddStringToObject(doc, "name", name);
	cJSON_AddNumberToObject(doc, "activeProfileIndex", 0);
	frames = cJSON_AddArrayToObject(cJSON_AddObjectToObject(doc, "shared"), "frames");
	profiles = cJSON_AddArrayToObject(doc, "profiles");
	for (int src = 0; src < s->nsrc && !e; src++)
		for (int kind = 0; kind < SS_KINDS && !e; kind++) {
			uint32_t *tids = NULL;
			size_t ntid = 0;
			bool any = false;

			for (size_t i = 0; i < s->n && !any; i++)
				any = s->st[i].source == src && s->st[i].kind == kind;
			if (!any && !s->src[src].path[kind])
				continue;
			/* one profile per thread when the stacks are labelled (speedscope's own shape:
			 * a profile is a thread), else one */
			if (!(tids = malloc((s->n + 1) * sizeof(*tids)))) {
				e = -ENOMEM;
				break;
			}
			for (size_t i = 0; i < s->n; i++) {
				bool seen = false;

				if (s->st[i].source != src || s->st[i].kind != kind)
					continue;
				for (size_t k = 0; k < ntid && !seen; k++)
					seen = tids[k] == s->st[i].tid;
				if (!seen)
					tids[ntid++] = s->st[i].tid;
			}
			if (!ntid)
				tids[ntid++] = 0;
			for (size_t ti = 0; ti < ntid && !e; ti++) {
				cJSON *p, *samples, *weights;
				uint64_t total = 0;
				char thr[160] = "";

				if (tids[ti]) {
					const char *tn = NULL;

					for (size_t i = 0; i < s->n && !tn; i++)
						if (s->st[i].source == src && s->st[i].kind == kind && s->st[i].tid == tids[ti])
							tn = s->st[i].thread;
					snprintf(thr, sizeof(thr), " thread %s%s%u%s", tn ? tn : "", tn ? " (" : "", tids[ti],
						 tn ? ")" : "");
				}
				p = cJSON_CreateObject();
				cJSON_AddStringToObject(p, "type", "sampled");
				if (kind == SS_CPU && s->src[src].freq_hz > 0)
					snprintf(name, sizeof(name), "%s:%s on-CPU samples at %g Hz", s->src[src].name, thr,
						 s->src[src].freq_hz);
				else
					snprintf(name, sizeof(name), "%s:%s %s", s->src[src].name, thr,
						 kind == SS_CPU ? "on-CPU samples" : "GIL wait (microseconds)");
				cJSON_AddStringToObject(p, "name", name);
				cJSON_AddStringToObject(p, "unit", kind == SS_CPU ? "none" : "microseconds");
				cJSON_AddNumberToObject(p, "startValue", 0);
				samples = cJSON_AddArrayToObject(p, "samples");
				weights = cJSON_AddArrayToObject(p, "weights");
				for (size_t i = 0; i < s->n && !e; i++) {
					const struct ss_stack *st = &s->st[i];
					char *copy, *tok, *save = NULL;
					cJSON *stack;
					bool first = true;

					if (st->source != src || st->kind != kind || st->tid != tids[ti])
						continue;
					if (!(copy = strdup(st->line))) {
						e = -ENOMEM;
						break;
					}
					stack = cJSON_CreateArray();
					for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
						struct ss_frame f;
						int fi;

						ss_parse_frame(tok, first, &f);
						first = false;
						if ((fi = frame_index(&idx, frames, &f)) < 0) {
							e = -ENOMEM;
							break;
						}
						cJSON_AddItemToArray(stack, cJSON_CreateNumber(fi));
					}
					free(copy);
					cJSON_AddItemToArray(samples, stack);
					cJSON_AddItemToArray(weights, cJSON_CreateNumber((double)st->weight));
					total += st->weight;
				}
				cJSON_AddNumberToObject(p, "endValue", (double)total);
				cJSON_AddItemToArray(profiles, p);
			}
			free(tids);
		}
	if (!e && !(text = cJSON_PrintUnformatted(doc)))
		e = -ENOMEM;
	if (!e)
		e = write_file_atomic(path, text, strlen(text));
	if (e)
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
	free(text);
	cJSON_Delete(doc);
	strmap_free(&idx);
	return e;
}
