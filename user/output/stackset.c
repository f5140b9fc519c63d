/* SPDX-License-Identifier: GPL-2.0-only */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/json.h"
#include "lib/util.h"
#include "lib/file.h"
#include "output/stackset.h"

void stackset_init(struct stackset *s)
{
	memset(s, 0, sizeof(*s));
}

void stackset_free(struct stackset *s)
{
	for (int i = 0; i < s->nsrc; i++) {
		free(s->src[i].name);
		free(s->src[i].workload);
		free(s->src[i].endpoint);
		for (int k = 0; k < SS_KINDS; k++)
			free(s->src[i].path[k]);
	}
	for (size_t i = 0; i < s->n; i++) {
		free(s->st[i].line);
		free(s->st[i].thread);
		free(s->st[i].req_endpoint);
	}
	for (int i = 0; i < s->nmap; i++) {
		free(s->map[i].module);
		free(s->map[i].path);
		free(s->map[i].build_id);
	}
	free(s->map);
	free(s->src);
	free(s->st);
	free(s->host);
	free(s->commit);
	memset(s, 0, sizeof(*s));
}

static char *dup_or_null(const char *x)
{
	return x ? strdup(x) : NULL;
}

int stackset_add_source(struct stackset *s, const char *name, const char *workload, const char *endpoint,
			double freq_hz)
{
	struct ss_source *n = realloc(s->src, (s->nsrc + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	s->src = n;
	n = &s->src[s->nsrc];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name ? name : "");
	n->workload = dup_or_null(workload);
	n->endpoint = dup_or_null(endpoint);
	n->freq_hz = freq_hz;
	return s->nsrc++;
}

void ss_parse_frame(const char *tok, bool first, struct ss_frame *f)
{
	size_t len;
	char *b = f->buf;

	snprintf(f->buf, sizeof(f->buf), "%s", tok);
	len = strlen(b);
	f->name = b;
	f->file = NULL;
	f->module = NULL;
	f->line = 0;
	if (first) {
		f->kind = SF_PROCESS;
		return;
	}
	/* kernel: "name_[k]" */
	if (len > 4 && !strcmp(b + len - 4, "_[k]")) {
		b[len - 4] = '\0';
		f->kind = SF_KERNEL;
		f->module = "[kernel]";
		return;
	}
	/* Python: "name (file:LINE)" */
	if (len > 4 && b[len - 1] == ')') {
		char *open = NULL, *colon;

		for (char *p = b; (p = strstr(p, " (")); p++)
			open = p;
		colon = open ? strrchr(open, ':') : NULL;
		if (colon && colon > open + 2 && colon < b + len - 2) {
			bool digits = true;

			for (char *p = colon + 1; p < b + len - 1; p++)
				digits &= isdigit((unsigned char)*p) != 0;
			if (digits) {
				b[len - 1] = '\0';
				*colon = '\0';
				*open = '\0';
				f->kind = SF_PYTHON;
				f->file = open + 2;
				f->line = strtol(colon + 1, NULL, 10);
				return;
			}
		}
	}
	/* native, with its module where Python called into it: "name [module]" */
	f->kind = SF_NATIVE;
	if (len > 3 && b[len - 1] == ']') {
		char *open = NULL;

		for (char *p = b; (p = strstr(p, " [")); p++)
			open = p;
		if (open && open > b) {
			b[len - 1] = '\0';
			*open = '\0';
			f->module = strcmp(open + 2, "?") ? open + 2 : NULL; /* "?": the module was unknown */
		}
	}
}

const struct ss_mapping *stackset_mapping(const struct stackset *s, const char *module)
{
	for (int i = 0; module && i < s->nmap; i++)
		if (!strcmp(s->map[i].module, module))
			return &s->map[i];
	return NULL;
}

static int add_mapping(struct stackset *s, const char *module, const char *path, const char *build_id)
{
	struct ss_mapping *n;

	if (stackset_mapping(s, module))
		return 0;
	if (!(n = realloc(s->map, (s->nmap + 1) * sizeof(*n))))
		return -ENOMEM;
	s->map = n;
	n = &s->map[s->nmap];
	n->module = strdup(module);
	n->path = dup_or_null(path);
	n->build_id = dup_or_null(build_id);
	if (!n->module)
		return -ENOMEM;
	s->nmap++;
	return 0;
}

static int add_stack(struct stackset *s, int src, int kind, const char *line, uint64_t w)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct ss_stack *n = realloc(s->st, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->st = n;
		s->cap = cap;
	}
	if (!(s->st[s->n].line = strdup(line)))
		return -ENOMEM;
	s->st[s->n].source = src;
	s->st[s->n].kind = kind;
	s->st[s->n].weight = w;
	s->st[s->n].tid = 0;
	s->st[s->n].thread = NULL;
	s->st[s->n].request = 0;
	s->st[s->n].req_endpoint = NULL;
	s->n++;
	s->total[kind] += w;
	return 0;
}

static int read_lines(struct stackset *s, int src, int kind, const char *path, bool labelled, char *err, int errlen);

int stackset_read_folded(struct stackset *s, int src, int kind, const char *path, char *err, int errlen)
{
	return read_lines(s, src, kind, path, false, err, errlen);
}

int stackset_read_labelled(struct stackset *s, int src, int kind, const char *path, char *err, int errlen)
{
	return read_lines(s, src, kind, path, true, err, errlen);
}

static int read_lines(struct stackset *s, int src, int kind, const char *path, bool labelled, char *err, int errlen)
{
	char *data, *line, *save = NULL;
	int e, lineno = 0;

	{ /* the bounded reader, with its message ("'x.folded' is a FIFO: only regular files are read") */
		char msg[4200];

		if ((e = file_read_bounded(path, READ_FILE_MAX, &data, NULL, msg, sizeof(msg)))) {
			snprintf(err, errlen, "%s", msg);
			return e;
		}
	}
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' '), *end;
		unsigned long long w;

		lineno++;
		if (!*line)
			continue;
		errno = 0;
		w = sp ? strtoull(sp + 1, &end, 10) : 0;
		if (!sp || sp == line || !isdigit((unsigned char)sp[1]) || *end || errno) {
			snprintf(err, errlen, "%s:%d: not a folded line (\"frame;frame;... COUNT\")", path, lineno);
			free(data);
			return -EINVAL;
		}
		/* pprof's values are int64: a count, or a total, past INT64_MAX would wrap (silently) */
		if (w > (unsigned long long)INT64_MAX || s->total[kind] + w > (unsigned long long)INT64_MAX) {
			snprintf(err, errlen, "%s:%d: the count makes the file's total pass 2^63 - 1 samples", path,
				 lineno);
			free(data);
			return -EINVAL;
		}
		*sp = '\0';
		if (labelled) {
			char *f[4], *c = line;

			for (int k = 0; k < 4; k++) {
				f[k] = c;
				if (!(c = strchr(c, '\t'))) {
					snprintf(err, errlen, "%s:%d: not a labelled line (\"TID\\tTHREAD\\tREQUEST\\t"
						 "ENDPOINT\\tframe;... COUNT\")", path, lineno);
					free(data);
					return -EINVAL;
				}
				*c++ = '\0';
			}
			line = c;
			if ((e = add_stack(s, src, kind, line, w)))
				goto oom;
			s->st[s->n - 1].tid = (uint32_t)strtoul(f[0], NULL, 10);
			s->st[s->n - 1].request = strtoull(f[2], NULL, 10);
			if ((*f[1] && !(s->st[s->n - 1].thread = strdup(f[1]))) ||
			    (*f[3] && !(s->st[s->n - 1].req_endpoint = strdup(f[3])))) {
				e = -ENOMEM;
				goto oom;
			}
			continue;
		}
		if ((e = add_stack(s, src, kind, line, w))) {
oom:
			snprintf(err, errlen, "%s: %s", path, strerror(-e));
			free(data);
			return e;
		}
	}
	free(data);
	if (labelled)
		return 0; /* the source keeps its folded file's path */
	if (!(s->src[src].path[kind] = strdup(path)))
		return -ENOMEM;
	return 0;
}

/* path as given when it exists (or is absolute), else next to the document. */
static void resolve(const char *path, const char *dir, char *out, size_t len)
{
	if (path[0] == '/' || !dir || !access(path, F_OK))
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%s/%s", dir, path);
}

/* Drop stacks [from, to) (they were read twice: the labelled and the folded copies). */
static void drop_stacks(struct stackset *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		s->total[s->st[i].kind] -= s->st[i].weight;
		free(s->st[i].line);
		free(s->st[i].thread);
		free(s->st[i].req_endpoint);
	}
	memmove(s->st + from, s->st + to, (s->n - to) * sizeof(*s->st));
	s->n -= to - from;
}

/* The folded file of kind, and its labelled twin when there is one whose weights add up to the
 * same total: then the labelled stacks replace the folded ones. */
static int read_kind(struct stackset *s, int src, int kind, const char *fp, const char *lp, const char *dir,
		     char *err, int errlen)
{
	char path[4096];
	size_t n0 = s->n, n1;
	uint64_t t0 = s->total[kind], tf;
	int e;

	resolve(fp, dir, path, sizeof(path));
	if ((e = stackset_read_folded(s, src, kind, path, err, errlen)))
		return e;
	if (!lp || !*lp)
		return 0;
	resolve(lp, dir, path, sizeof(path));
	if (access(path, R_OK))
		return 0; /* not kept with the document: the folded stacks, unlabelled */
	n1 = s->n;
	tf = s->total[kind] - t0;
	if (stackset_read_labelled(s, src, kind, path, err, errlen) || s->total[kind] - t0 - tf != tf) {
		drop_stacks(s, n1, s->n); /* unreadable, or not the folded file's twin: unlabelled */
		return 0;
	}
	drop_stacks(s, n0, n1);
	s->labelled = true;
	return 0;
}

/* One results object's stacks into a new source. Returns 1 when it had folded stacks, 0 when
 * not, or an error. */
static int source_of_results(struct stackset *s, const cJSON *res, const char *where, const char *name,
			     const char *workload, const char *endpoint, const char *dir, char *err, int errlen)
{
	const cJSON *stk = NULL, *gil = NULL;
	const char *fp = NULL, *gp = NULL, *lp = NULL, *glp = NULL;
	const cJSON *maps = NULL, *m;
	double freq = 0;
	char w[256];
	int src, e;

	snprintf(w, sizeof(w), "%s%sresults.profiling", where, *where ? "." : "");
	if ((e = json_obj(res, w, "profiling.stacks", JSON_OPTIONAL, &stk, err, errlen)) <= 0)
		return e;
	snprintf(w, sizeof(w), "%s%sresults.profiling.stacks", where, *where ? "." : "");
	if ((e = json_str(stk, w, "folded_path", JSON_OPTIONAL, &fp, err, errlen)) < 0 ||
	    (e = json_num(stk, w, "frequency_hz", JSON_OPTIONAL, &freq, err, errlen)) < 0 ||
	    (e = json_obj(stk, w, "gil_wait", JSON_OPTIONAL, &gil, err, errlen)) < 0 ||
	    (e = json_str(stk, w, "labelled_path", JSON_OPTIONAL, &lp, err, errlen)) < 0 ||
	    (e = json_arr(stk, w, "mappings", JSON_OPTIONAL, &maps, err, errlen)) < 0 ||
	    (gil && (e = json_str(gil, w, "folded_path", JSON_OPTIONAL, &gp, err, errlen)) < 0) ||
	    (gil && (e = json_str(gil, w, "labelled_path", JSON_OPTIONAL, &glp, err, errlen)) < 0))
		return e;
	if (!fp)
		return 0;
	if ((src = stackset_add_source(s, name, workload, endpoint, freq > 0 ? freq : 0)) < 0)
		return src;
	if ((e = read_kind(s, src, SS_CPU, fp, lp, dir, err, errlen)))
		return e;
	if (gp && *gp && (e = read_kind(s, src, SS_GIL, gp, glp, dir, err, errlen)))
		return e;
	cJSON_ArrayForEach(m, maps) {
		const cJSON *mod = cJSON_GetObjectItem(m, "module"), *path = cJSON_GetObjectItem(m, "path"),
			    *bid = cJSON_GetObjectItem(m, "build_id");

		if (cJSON_IsString(mod) &&
		    (e = add_mapping(s, mod->valuestring, cJSON_IsString(path) ? path->valuestring : NULL,
				     cJSON_IsString(bid) ? bid->valuestring : NULL)))
			return e;
	}
	return 1;
}

static int64_t parse_timestamp(const char *ts)
{
	struct tm tm = { 0 };
	char *end;

	if (!ts || !(end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	return (int64_t)timegm(&tm) * 1000000000LL;
}

int stackset_from_doc(struct stackset *s, const cJSON *doc, const char *dir, char *err, int errlen)
{
	const char *mode = NULL, *host = NULL, *commit = NULL, *ts = NULL;
	const cJSON *suites, *res;
	int e, found = 0;

	if ((e = json_str(doc, "", "mode", 0, &mode, err, errlen)) < 0 ||
	    (e = json_str(doc, "", "metadata.host.hostname", JSON_OPTIONAL, &host, err, errlen)) < 0 ||
	    (e = json_str(doc, "", "metadata.git_commit", JSON_OPTIONAL, &commit, err, errlen)) < 0 ||
	    (e = json_str(doc, "", "metadata.timestamp", JSON_OPTIONAL, &ts, err, errlen)) < 0)
		return -EINVAL;
	s->host = dup_or_null(host);
	s->commit = dup_or_null(commit);
	s->time_ns = parse_timestamp(ts);
	if (!strcmp(mode, "profile")) {
		const cJSON *suite;
		int si = 0;

		if ((e = json_arr(doc, "", "suites", 0, &suites, err, errlen)) < 0)
			return -EINVAL;
		cJSON_ArrayForEach(suite, suites) {
			const cJSON *wls, *wl;
			const char *sname;
			char where[64];
			int wi = 0;

			snprintf(where, sizeof(where), "suites[%d]", si++);
			if (json_obj(suite, where, "", 0, &res, err, errlen) < 0 ||
			    json_str(suite, where, "name", 0, &sname, err, errlen) < 0 ||
			    json_arr(suite, where, "workloads", 0, &wls, err, errlen) < 0)
				return -EINVAL;
			cJSON_ArrayForEach(wl, wls) {
				const char *wname, *method = NULL, *epath = NULL;
				char ww[96], label[512], ep[600];

				snprintf(ww, sizeof(ww), "%s.workloads[%d]", where, wi++);
				if (json_obj(wl, ww, "", 0, &res, err, errlen) < 0 ||
				    json_str(wl, ww, "name", 0, &wname, err, errlen) < 0 ||
				    json_str(wl, ww, "endpoint.method", JSON_OPTIONAL, &method, err, errlen) < 0 ||
				    json_str(wl, ww, "endpoint.path", JSON_OPTIONAL, &epath, err, errlen) < 0 ||
				    json_obj(wl, ww, "results", JSON_OPTIONAL, &res, err, errlen) < 0)
					return -EINVAL;
				res = cJSON_GetObjectItem(wl, "results");
				if (!cJSON_IsObject(res))
					continue; /* the workload failed: no results, no stacks */
				snprintf(label, sizeof(label), "%s/%s", sname, wname);
				snprintf(ep, sizeof(ep), "%s %s", method ? method : "", epath ? epath : "");
				e = source_of_results(s, res, ww, label, label, epath ? ep + !method : NULL, dir, err,
						      errlen);
				if (e < 0)
					return e;
				found += e;
			}
		}
	} else {
		double secs = 0;

		if ((e = json_num(doc, "", "configuration.measured_secs", JSON_OPTIONAL, &secs, err, errlen)) < 0 ||
		    (e = json_obj(doc, "", "results", JSON_OPTIONAL, &res, err, errlen)) < 0)
			return -EINVAL;
		s->duration_ns = secs > 0 ? (int64_t)(secs * 1e9) : 0;
		if (e > 0 && (e = source_of_results(s, res, "", mode, NULL, NULL, dir, err, errlen)) < 0)
			return e;
		found += e > 0;
	}
	if (!found) {
		snprintf(err, errlen, "no folded stacks in this %s file (record with --folded, or profile with the "
			 "stacks probe)", mode);
		return -EINVAL;
	}
	return 0;
}

static bool exists(const char *p)
{
	return !access(p, F_OK);
}

int stackset_from_folded(struct stackset *s, const char *path, double freq_hz, char *err, int errlen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	bool is_gil = strstr(base, ".gil-wait") != NULL;
	int src = stackset_add_source(s, base, NULL, NULL, freq_hz), e;

	if (src < 0)
		return src;
	if ((e = stackset_read_folded(s, src, is_gil ? SS_GIL : SS_CPU, path, err, errlen)))
		return e;
	if (!is_gil) {
		/* the sibling record and profile write: FILE.gil-wait.EXT */
		const char *dot = strrchr(base, '.');
		char sib[4096];

		if (dot)
			snprintf(sib, sizeof(sib), "%.*s.gil-wait%s", (int)(dot - path), path, dot);
		else
			snprintf(sib, sizeof(sib), "%s.gil-wait", path);
		if (exists(sib) && (e = stackset_read_folded(s, src, SS_GIL, sib, err, errlen)))
			return e;
	}
	return 0;
}
