/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "lib/strmap.h"
#include "lib/util.h"
#include "output/pprof.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__ValueType ValueType;

/* A growable array of pointers. */
struct vec {
	void **v;
	size_t n, cap;
};

static int vec_push(struct vec *a, void *x)
{
	if (!x)
		return -ENOMEM;
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		void **n = realloc(a->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->v = n;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

struct builder {
	struct strmap strs, funcs, locs, maps; /* key -> index + 1 (strings) or id */
	struct vec str, fn, loc, map, smp;
	const struct stackset *set;
	int err;
};

static int64_t str_id(struct builder *b, const char *s)
{
	struct strmap_entry *e = strmap_get(&b->strs, s ? s : "");

	if (!e) {
		b->err = -ENOMEM;
		return 0;
	}
	if (!e->val) {
		if (vec_push(&b->str, strdup(s ? s : ""))) {
			b->err = -ENOMEM;
			return 0;
		}
		e->val = b->str.n; /* index + 1 */
	}
	return (int64_t)e->val - 1;
}

static uint64_t mapping_id(struct builder *b, const char *module)
{
	struct strmap_entry *e = strmap_get(&b->maps, module);
	Mapping *m;

	if (!e) {
		b->err = -ENOMEM;
		return 0;
	}
	if (e->val)
		return e->val;
	if (!(m = malloc(sizeof(*m))) || vec_push(&b->map, m)) {
		free(m);
		b->err = -ENOMEM;
		return 0;
	}
	perftools__profiles__mapping__init(m);
	m->id = b->map.n;
	m->filename = str_id(b, !strcmp(module, "[kernel]") ? "[kernel.kallsyms]" : module);
	{
		/* the GNU build-id the run read from the module's file (stacks.mappings); "" if none */
		const struct ss_mapping *mp = stackset_mapping(b->set, module);

		m->build_id = str_id(b, mp && mp->build_id ? mp->build_id : "");
	}
	m->has_functions = true;
	e->val = m->id;
	return m->id;
}

static uint64_t function_id(struct builder *b, const struct ss_frame *f)
{
	char key[2200];
	struct strmap_entry *e;
	Function *fn;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%ld", f->name, f->file ? f->file : "", f->line);
	if (!(e = strmap_get(&b->funcs, key))) {
		b->err = -ENOMEM;
		return 0;
	}
	if (e->val)
		return e->val;
	if (!(fn = malloc(sizeof(*fn))) || vec_push(&b->fn, fn)) {
		free(fn);
		b->err = -ENOMEM;
		return 0;
	}
	perftools__profiles__function__init(fn);
	fn->id = b->fn.n;
	fn->name = str_id(b, f->name);
	fn->system_name = fn->name;
	fn->filename = str_id(b, f->file ? f->file : "");
	fn->start_line = f->line;
	e->val = fn->id;
	return fn->id;
}

static uint64_t location_id(struct builder *b, const struct ss_frame *f)
{
	char key[2300];
	struct strmap_entry *e;
	Location *l;
	Line *ln;

	snprintf(key, sizeof(key), "%d\x1f%s\x1f%s\x1f%s\x1f%ld", f->kind, f->name, f->file ? f->file : "",
		 f->module ? f->module : "", f->line);
	if (!(e = strmap_get(&b->locs, key))) {
		b->err = -ENOMEM;
		return 0;
	}
	if (e->val)
		return e->val;
	l = malloc(sizeof(*l));
	ln = malloc(sizeof(*ln));
	if (!l || !ln || vec_push(&b->loc, l)) {
		free(l);
		free(ln);
		b->err = -ENOMEM;
		return 0;
	}
	perftools__profiles__location__init(l);
	perftools__profiles__line__init(ln);
	l->id = b->loc.n;
	l->mapping_id = f->module ? mapping_id(b, f->module) : 0;
	ln->function_id = function_id(b, f);
	ln->line = f->line;
	l->n_line = 1;
	if (!(l->line = malloc(sizeof(*l->line)))) {
		free(ln);
		b->err = -ENOMEM;
		return 0;
	}
	l->line[0] = ln;
	e->val = l->id;
	return l->id;
}

/* A pprof label KEY: a string (VAL) or, when VAL is NULL, a number (NUM). NULL on ENOMEM (b->err). */
static Label *new_label(struct builder *b, const char *key, const char *val, int64_t num)
{
	Label *l = malloc(sizeof(*l));

	if (!l) {
		b->err = -ENOMEM;
		return NULL;
	}
	perftools__profiles__label__init(l);
	l->key = str_id(b, key);
	if (val)
		l->str = str_id(b, val);
	else
		l->num = num;
	return l;
}

static Label *num_label(struct builder *b, const char *key, int64_t val)
{
	return new_label(b, key, NULL, val);
}

static Label *label(struct builder *b, const char *key, const char *val)
{
	return new_label(b, key, val, 0);
}

/* One folded line as a sample: locations leaf first, values per column, labels. */
static void add_sample(struct builder *b, const struct stackset *s, const struct ss_stack *st, int ncols,
		       int col_ns, int col_gil)
{
	const struct ss_source *src = &s->src[st->source];
	char *copy = strdup(st->line), *tok, *save = NULL;
	const char *process = NULL;
	uint64_t *ids = NULL;
	size_t nids = 0, cap = 0;
	struct ss_frame f;
	Sample *sm = calloc(1, sizeof(*sm));
	bool first = true;

	if (!copy || !sm)
		goto oom;
	perftools__profiles__sample__init(sm);
	for (tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save), first = false) {
		ss_parse_frame(tok, first, &f);
		if (f.kind == SF_PROCESS) {
			process = tok;
			continue;
		}
		if (nids == cap) {
			uint64_t *n = realloc(ids, (cap = cap ? 2 * cap : 32) * sizeof(*n));

			if (!n)
				goto oom;
			ids = n;
		}
		ids[nids++] = location_id(b, &f);
	}
	/* leaf first */
	for (size_t i = 0; i < nids / 2; i++) {
		uint64_t t = ids[i];

		ids[i] = ids[nids - 1 - i];
		ids[nids - 1 - i] = t;
	}
	sm->location_id = ids;
	sm->n_location_id = nids;
	ids = NULL;
	if (!(sm->value = calloc(ncols, sizeof(*sm->value))))
		goto oom;
	sm->n_value = ncols;
	if (st->kind == SS_CPU) {
		sm->value[0] = (int64_t)st->weight;
		if (col_ns >= 0)
			sm->value[col_ns] = (int64_t)st->weight * (int64_t)(1e9 / src->freq_hz + 0.5);
	} else {
		sm->value[col_gil] = (int64_t)st->weight;
	}
	if (!(sm->label = calloc(9, sizeof(*sm->label))))
		goto oom;
	sm->label[sm->n_label++] = label(b, "kind", st->kind == SS_CPU ? "cpu" : "gil_wait");
	if (process)
		sm->label[sm->n_label++] = label(b, "process", process);
	if (src->workload)
		sm->label[sm->n_label++] = label(b, "workload", src->workload);
	/* endpoint: the profile workload's (every sample of its pass), else the request's */
	if (src->endpoint || st->req_endpoint)
		sm->label[sm->n_label++] = label(b, "endpoint", src->endpoint ? src->endpoint : st->req_endpoint);
	if (st->req_endpoint)
		sm->label[sm->n_label++] = label(b, "request_endpoint", st->req_endpoint);
	if (st->tid)
		sm->label[sm->n_label++] = num_label(b, "thread_id", st->tid);
	if (st->thread)
		sm->label[sm->n_label++] = label(b, "thread", st->thread);
	if (st->request)
		sm->label[sm->n_label++] = num_label(b, "request", (int64_t)st->request);
	if (s->host)
		sm->label[sm->n_label++] = label(b, "host", s->host);
	for (size_t i = 0; i < sm->n_label; i++)
		if (!sm->label[i])
			goto oom;
	if (vec_push(&b->smp, sm))
		goto oom;
	free(copy);
	return;
oom:
	/* what was allocated is freed with the profile when sm made it in; otherwise leaked
	 * partially only on out-of-memory, where the export fails anyway */
	free(ids);
	free(copy);
	b->err = -ENOMEM;
}

static ValueType *vtype(struct builder *b, const char *type, const char *unit)
{
	ValueType *v = malloc(sizeof(*v));

	if (!v) {
		b->err = -ENOMEM;
		return NULL;
	}
	perftools__profiles__value_type__init(v);
	v->type = str_id(b, type);
	v->unit = str_id(b, unit);
	return v;
}

static void free_profile(Profile *p, struct builder *b)
{
	for (size_t i = 0; i < b->smp.n; i++) {
		Sample *sm = b->smp.v[i];

		for (size_t k = 0; k < sm->n_label; k++)
			free(sm->label[k]);
		free(sm->label);
		free(sm->location_id);
		free(sm->value);
		free(sm);
	}
	for (size_t i = 0; i < b->loc.n; i++) {
		Location *l = b->loc.v[i];

		free(l->line[0]);
		free(l->line);
		free(l);
	}
	for (size_t i = 0; i < b->fn.n; i++)
		free(b->fn.v[i]);
	for (size_t i = 0; i < b->map.n; i++)
		free(b->map.v[i]);
	for (size_t i = 0; i < b->str.n; i++)
		free(b->str.v[i]);
	for (size_t i = 0; i < p->n_sample_type; i++)
		free(p->sample_type[i]);
	free(p->sample_type);
	free(p->period_type);
	free(p->comment);
	free(b->smp.v);
	free(b->loc.v);
	free(b->fn.v);
	free(b->map.v);
	free(b->str.v);
	strmap_free(&b->strs);
	strmap_free(&b->funcs);
	strmap_free(&b->locs);
	strmap_free(&b->maps);
}

/* gzip (RFC 1952) of in, malloc'd. 0 or -ENOMEM/-EIO. */
static int gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap;
	int rc;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len) + 32;
	if (!(*out = malloc(cap))) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = len;
	z.next_out = *out;
	z.avail_out = cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		return -EIO;
	}
	return 0;
}

int pprof_write(const struct stackset *s, const char *path, char *err, int errlen)
{
	Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	struct builder b = { 0 };
	bool have_ns = s->nsrc > 0;
	int ncols = 0, col_ns = -1, col_gil, e;
	double period_ns = 0;
	uint8_t *raw = NULL, *gz = NULL;
	size_t rawlen, gzlen;

	b.set = s;
	strmap_init(&b.strs);
	strmap_init(&b.funcs);
	strmap_init(&b.locs);
	strmap_init(&b.maps);
	str_id(&b, ""); /* string_table[0] is "" */
	/* cpu/nanoseconds only when every source's sampling frequency is known */
	for (int i = 0; i < s->nsrc; i++)
		have_ns &= s->src[i].freq_hz > 0;
	if (!(p.sample_type = calloc(3, sizeof(*p.sample_type)))) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	p.sample_type[ncols++] = vtype(&b, "samples", "count");
	if (have_ns) {
		col_ns = ncols;
		p.sample_type[ncols++] = vtype(&b, "cpu", "nanoseconds");
		period_ns = 1e9 / s->src[0].freq_hz;
	}
	col_gil = ncols;
	p.sample_type[ncols++] = vtype(&b, "gil_wait", "microseconds");
	p.n_sample_type = ncols;
	for (size_t i = 0; i < s->n && !b.err; i++)
		add_sample(&b, s, &s->st[i], ncols, col_ns, col_gil);
	if (have_ns) {
		p.period_type = vtype(&b, "cpu", "nanoseconds");
		p.period = (int64_t)(period_ns + 0.5);
		p.default_sample_type = str_id(&b, "cpu");
	} else {
		p.period_type = vtype(&b, "samples", "count");
		p.period = 1;
		p.default_sample_type = str_id(&b, "samples");
	}
	p.time_nanos = s->time_ns;
	p.duration_nanos = s->duration_ns;
	if ((p.comment = calloc(2, sizeof(*p.comment)))) {
		char c[256];

		snprintf(c, sizeof(c), "bindprof %s", BINDPROF_VERSION);
		p.comment[p.n_comment++] = str_id(&b, c);
		if (s->commit) {
			snprintf(c, sizeof(c), "git commit %s", s->commit);
			p.comment[p.n_comment++] = str_id(&b, c);
		}
	}
	p.sample = (Sample **)b.smp.v;
	p.n_sample = b.smp.n;
	p.location = (Location **)b.loc.v;
	p.n_location = b.loc.n;
	p.function = (Function **)b.fn.v;
	p.n_function = b.fn.n;
	p.mapping = (Mapping **)b.map.v;
	p.n_mapping = b.map.n;
	p.string_table = (char **)b.str.v;
	p.n_string_table = b.str.n;
	if ((e = b.err))
		goto out;
	rawlen = protobuf_c_message_get_packed_size(&p.base);
	if (!(raw = malloc(rawlen ? rawlen : 1))) {
		e = -ENOMEM;
		goto out;
	}
	protobuf_c_message_pack(&p.base, raw);
	if ((e = gzip(raw, rawlen, &gz, &gzlen)))
		goto out;
	e = write_file_atomic(path, (const char *)gz, gzlen);
out:
	if (e)
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
	free(raw);
	free(gz);
	free_profile(&p, &b);
	return e;
}
