/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "load/suites.h"
#include "lib/file.h"
#include "load/httpcheck.h"
#include "lib/util.h"

static const char *const builtin[] = { "json-bodies", "path-params", "query-params", "forms" };

const char *suites_builtin_names(void)
{
	return "json-bodies, path-params, query-params, forms, mixed, all";
}

/* A JSON document of exactly n bytes: {"data":"xxxx..."} */
static char *json_of_size(size_t n, size_t *len)
{
	static const char head[] = "{\"data\":\"", tail[] = "\"}";
	size_t fill = n - (sizeof(head) - 1) - (sizeof(tail) - 1);
	char *b = malloc(n + 1);

	if (!b)
		return NULL;
	memcpy(b, head, sizeof(head) - 1);
	for (size_t i = 0; i < fill; i++)
		b[sizeof(head) - 1 + i] = 'a' + i % 26;
	memcpy(b + sizeof(head) - 1 + fill, tail, sizeof(tail));
	*len = n;
	return b;
}

static void add(struct suite *s, const char *name, const char *cat, const char *method, const char *path,
		const char *ctype, char *body, size_t body_len)
{
	struct workload *w = &s->w[s->n++];

	memset(w, 0, sizeof(*w));
	w->name = strdup(name);
	w->category = strdup(cat);
	w->method = strdup(method);
	w->path = strdup(path);
	w->content_type = ctype ? strdup(ctype) : NULL;
	w->body = body;
	w->body_len = body_len;
	w->weight = 1;
	if (ctype) {
		char h[256];

		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		w->headers[w->nheaders++] = strdup(h);
	}
}

static char *dup_text(const char *t, size_t *len)
{
	*len = strlen(t);
	return strdup(t);
}

static void builtin_suite(const char *name, struct suite *s)
{
	size_t len = 0;
	char *b;

	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->w = calloc(8, sizeof(*s->w));
	if (!strcmp(name, "json-bodies")) {
		static const struct {
			const char *n, *p;
			size_t size;
		} j[] = { { "json-small", "/json/small", 86 },
			  { "json-medium", "/json/medium", 1536 },
			  { "json-large", "/json/large", 15360 },
			  { "json-very-large", "/json/very-large", 153600 } };

		s->description = strdup("JSON request bodies of 86 B, 1.5 KB, 15 KB and 150 KB, parsed and echoed");
		for (size_t i = 0; i < 4; i++) {
			b = json_of_size(j[i].size, &len);
			add(s, j[i].n, "json-bodies", "POST", j[i].p, "application/json", b, len);
		}
	} else if (!strcmp(name, "path-params")) {
		s->description = strdup("Path parameter extraction");
		add(s, "path-simple", "path-params", "GET", "/items/42", NULL, NULL, 0);
		add(s, "path-multiple", "path-params", "GET", "/users/7/posts/19", NULL, NULL, 0);
		add(s, "path-deep", "path-params", "GET", "/orgs/3/teams/5/members/8/roles/2", NULL, NULL, 0);
		add(s, "path-typed", "path-params", "GET",
		    "/typed/42/3.14/true/550e8400-e29b-41d4-a716-446655440000", NULL, NULL, 0);
	} else if (!strcmp(name, "query-params")) {
		char q[2048];
		int n = 0;

		s->description = strdup("Query string parsing");
		add(s, "query-few", "query-params", "GET", "/query?page=1&limit=20", NULL, NULL, 0);
		n = snprintf(q, sizeof(q), "/query?");
		for (int i = 0; i < 8; i++)
			n += snprintf(q + n, sizeof(q) - n, "%sk%d=v%d", i ? "&" : "", i, i);
		add(s, "query-medium", "query-params", "GET", q, NULL, NULL, 0);
		n = snprintf(q, sizeof(q), "/query?");
		for (int i = 0; i < 32; i++)
			n += snprintf(q + n, sizeof(q) - n, "%sparam%d=value%d", i ? "&" : "", i, i);
		add(s, "query-many", "query-params", "GET", q, NULL, NULL, 0);
	} else { /* forms */
		s->description = strdup("Form data: urlencoded and multipart");
		b = dup_text("name=alice&email=alice%40example.com&age=30&city=Paris&country=FR&"
			     "lang=fr&plan=pro&seats=5&newsletter=on&ref=bindprof", &len);
		add(s, "form-urlencoded", "forms", "POST", "/form/urlencoded",
		    "application/x-www-form-urlencoded", b, len);
		b = dup_text("--bindprofboundary\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nalice\r\n"
			     "--bindprofboundary\r\nContent-Disposition: form-data; name=\"file\"; "
			     "filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello multipart\r\n"
			     "--bindprofboundary--\r\n", &len);
		add(s, "form-multipart", "forms", "POST", "/form/multipart",
		    "multipart/form-data; boundary=bindprofboundary", b, len);
	}
}

/* The built-in mixed suite: every workload of the four, in one pass, weighted as an API's traffic
 * might be: the GETs (path and query parameters) 3 each, small and medium JSON bodies 2, forms 1,
 * the 15 KB body 1 and the 150 KB one 0.25. */
static void mixed_suite(struct suite *s)
{
	struct suite part;
	int n = 0;

	memset(s, 0, sizeof(*s));
	s->name = strdup("mixed");
	s->description = strdup("Every built-in workload in one pass, mixed by weight (path and query GETs 3, "
				"JSON bodies 2/2/1/0.25, forms 1)");
	s->mixed = true;
	s->w = calloc(16, sizeof(*s->w));
	for (size_t i = 0; s->w && i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		builtin_suite(builtin[i], &part);
		for (int k = 0; k < part.n && n < 16; k++) {
			struct workload *w = &s->w[n++];

			*w = part.w[k];
			if (!strcmp(w->category, "path-params") || !strcmp(w->category, "query-params"))
				w->weight = 3;
			else if (!strcmp(w->category, "forms"))
				w->weight = 1;
			else
				w->weight = k < 2 ? 2 : k == 2 ? 1 : 0.25;
		}
		free(part.w);
		free(part.name);
		free(part.description);
	}
	s->n = n;
}

static int is_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(name, builtin[i]))
			return 1;
	return 0;
}

static int fail(char *err, size_t errlen, const char *file, const char *fmt, const char *field, const char *what)
{
	snprintf(err, errlen, fmt, file, field, what);
	return -EINVAL;
}

static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS" };

int suite_parse_json(const char *text, const char *file, const char *dir, struct suite *s, char *err,
		     size_t errlen)
{
	cJSON *doc = cJSON_Parse(text), *ws, *w;
	char field[96], msg[512];
	int i = 0, e = 0;

	memset(s, 0, sizeof(*s));
	if (!doc)
		return fail(err, errlen, file, "%s: not valid JSON%s%s", "", "");
	if (json_text_has_nul(text)) { /* cJSON would cut a name short at the NUL */
		e = fail(err, errlen, file, "%s: %s: %s", "a string", "a NUL character (\\u0000) is not allowed");
		goto out;
	}
	if (!cJSON_IsObject(doc)) {
		e = fail(err, errlen, file, "%s: %s: %s", "the suite", "must be a JSON object");
		goto out;
	}
	if (!cJSON_IsString(cJSON_GetObjectItem(doc, "name")) || !*cJSON_GetObjectItem(doc, "name")->valuestring) {
		e = fail(err, errlen, file, "%s: %s: %s", "name", "a non-empty string is required");
		goto out;
	}
	ws = cJSON_GetObjectItem(doc, "workloads");
	if (!cJSON_IsArray(ws) || !cJSON_GetArraySize(ws)) {
		e = fail(err, errlen, file, "%s: %s: %s", "workloads", "a non-empty array is required");
		goto out;
	}
	if (text_control_check("name", cJSON_GetObjectItem(doc, "name")->valuestring, msg, sizeof(msg))) {
		e = fail(err, errlen, file, "%s: %s%s", msg, "");
		goto out;
	}
	s->name = strdup(cJSON_GetObjectItem(doc, "name")->valuestring);
	{
		const cJSON *m = cJSON_GetObjectItem(doc, "mode");

		if (m && !(cJSON_IsString(m) && (!strcmp(m->valuestring, "mixed") || !strcmp(m->valuestring, "separate")))) {
			e = fail(err, errlen, file, "%s: %s: %s", "mode", "\"mixed\" or \"separate\" (the default)");
			goto out;
		}
		s->mixed = m && !strcmp(m->valuestring, "mixed");
	}
	s->description = cJSON_IsString(cJSON_GetObjectItem(doc, "description"))
				 ? strdup(cJSON_GetObjectItem(doc, "description")->valuestring)
				 : NULL;
	/* one spare entry: suite_free also frees a workload left half-filled by an error */
	s->w = calloc(cJSON_GetArraySize(ws) + 1, sizeof(*s->w));
	cJSON_ArrayForEach(w, ws) {
		struct workload *wl = &s->w[s->n];
		const cJSON *v, *h;
		bool known = false;

		snprintf(field, sizeof(field), "workloads[%d]", i);
		if (!cJSON_IsObject(w)) {
			e = fail(err, errlen, file, "%s: %s: %s", field, "must be an object");
			goto out;
		}
#define STR(key) (cJSON_IsString(v = cJSON_GetObjectItem(w, key)) ? v->valuestring : NULL)
		if (!STR("name") || !*v->valuestring) {
			snprintf(field, sizeof(field), "workloads[%d].name", i);
			e = fail(err, errlen, file, "%s: %s: %s", field, "a non-empty string is required");
			goto out;
		}
		snprintf(field, sizeof(field), "workloads[%d].name", i);
		if (text_control_check(field, v->valuestring, msg, sizeof(msg))) {
			e = fail(err, errlen, file, "%s: %s%s", msg, "");
			goto out;
		}
		for (int j = 0; j < s->n; j++)
			if (!strcmp(s->w[j].name, v->valuestring)) {
				/* results, --workload and the folded files are named by it: two would clash */
				snprintf(msg, sizeof(msg), "a second workload named '%.64s'", v->valuestring);
				e = fail(err, errlen, file, "%s: %s: %s", field, msg);
				goto out;
			}
		wl->name = strdup(v->valuestring);
		snprintf(field, sizeof(field), "workloads[%d].method", i);
		if (!STR("method")) {
			e = fail(err, errlen, file, "%s: %s: %s", field, "a string is required");
			goto out;
		}
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			known |= !strcmp(v->valuestring, methods[m]);
		if (!known) {
			e = fail(err, errlen, file, "%s: %s: %s", field, "must be GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS");
			goto out;
		}
		wl->method = strdup(v->valuestring);
		snprintf(field, sizeof(field), "workloads[%d].path", i);
		if (!STR("path") || v->valuestring[0] != '/') {
			e = fail(err, errlen, file, "%s: %s: %s", field, "a string starting with '/' is required");
			goto out;
		}
		if (httpcheck_path(field, v->valuestring, msg, sizeof(msg))) {
			e = fail(err, errlen, file, "%s: %s%s", msg, "");
			goto out;
		}
		wl->path = strdup(v->valuestring);
		wl->category = strdup(STR("category") ? v->valuestring : "custom");
		wl->weight = 1;
		if ((v = cJSON_GetObjectItem(w, "stream"))) {
			snprintf(field, sizeof(field), "workloads[%d].stream", i);
			if (!cJSON_IsString(v) || (strcmp(v->valuestring, "sse") && strcmp(v->valuestring, "websocket"))) {
				e = fail(err, errlen, file, "%s: %s: %s", field,
					 "\"sse\" (Server-Sent Events) or \"websocket\" is required");
				goto out;
			}
			if (strcmp(wl->method, "GET") || s->mixed) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "a stream is a GET, outside a mixed suite");
				goto out;
			}
			wl->sse = !strcmp(v->valuestring, "sse");
			wl->ws = !wl->sse;
		}
		wl->ws_message_bytes = 32;
		if ((v = cJSON_GetObjectItem(w, "websocket"))) {
			const cJSON *x;

			snprintf(field, sizeof(field), "workloads[%d].websocket", i);
			if (!wl->ws || !cJSON_IsObject(v)) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "an object, with \"stream\": \"websocket\"");
				goto out;
			}
			cJSON_ArrayForEach(x, v) {
				if (!strcmp(x->string, "mode") && cJSON_IsString(x) &&
				    (!strcmp(x->valuestring, "echo") || !strcmp(x->valuestring, "receive"))) {
					wl->ws_receive = !strcmp(x->valuestring, "receive");
				} else if (!strcmp(x->string, "messages") && cJSON_IsNumber(x) && x->valuedouble >= 0 &&
					   x->valuedouble <= 1e9 && x->valuedouble == (long)x->valuedouble) {
					wl->ws_messages = (long)x->valuedouble;
				} else if (!strcmp(x->string, "message_bytes") && cJSON_IsNumber(x) && x->valuedouble >= 8 &&
					   x->valuedouble <= 1 << 20 && x->valuedouble == (int)x->valuedouble) {
					wl->ws_message_bytes = (int)x->valuedouble;
				} else {
					snprintf(field, sizeof(field), "workloads[%d].websocket.%.40s", i, x->string);
					e = fail(err, errlen, file, "%s: %s: %s", field,
						 "mode \"echo\" or \"receive\", messages an integer >= 0, message_bytes an "
						 "integer 8..1048576");
					goto out;
				}
			}
		}
		if ((v = cJSON_GetObjectItem(w, "weight"))) {
			snprintf(field, sizeof(field), "workloads[%d].weight", i);
			if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1e6)) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "a number > 0 (at most 1e6) is required");
				goto out;
			}
			if (!s->mixed) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "a weight needs \"mode\": \"mixed\"");
				goto out;
			}
			wl->weight = v->valuedouble;
		}
		if (STR("content_type")) {
			char hdr[512];

			snprintf(field, sizeof(field), "workloads[%d].content_type", i);
			if (httpcheck_header_value(field, v->valuestring, msg, sizeof(msg))) {
				e = fail(err, errlen, file, "%s: %s%s", msg, "");
				goto out;
			}
			if (strlen(v->valuestring) > 256) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "256 characters at most");
				goto out;
			}
			wl->content_type = strdup(v->valuestring);
			snprintf(hdr, sizeof(hdr), "Content-Type: %s", v->valuestring);
			wl->headers[wl->nheaders++] = strdup(hdr);
		}
		if (cJSON_GetObjectItem(w, "body") && cJSON_GetObjectItem(w, "body_file")) {
			snprintf(field, sizeof(field), "workloads[%d].body_file", i);
			e = fail(err, errlen, file, "%s: %s: %s", field, "give body or body_file, not both");
			goto out;
		}
		if ((v = cJSON_GetObjectItem(w, "body"))) {
			snprintf(field, sizeof(field), "workloads[%d].body", i);
			if (cJSON_IsString(v))
				wl->body = strdup(v->valuestring);
			else if (cJSON_IsObject(v) || cJSON_IsArray(v))
				wl->body = cJSON_PrintUnformatted(v);
			else {
				e = fail(err, errlen, file, "%s: %s: %s", field, "must be a string, object or array");
				goto out;
			}
			wl->body_len = strlen(wl->body);
		}
		if ((v = cJSON_GetObjectItem(w, "body_file"))) {
			char path[PATH_MAX], bmsg[PATH_MAX + 128];

			snprintf(field, sizeof(field), "workloads[%d].body_file", i);
			if (!cJSON_IsString(v)) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "must be a string");
				goto out;
			}
			if (v->valuestring[0] == '/')
				snprintf(path, sizeof(path), "%s", v->valuestring);
			else
				snprintf(path, sizeof(path), "%s/%s", dir, v->valuestring);
			if (file_read_bounded(path, file_cap(FILE_BODY), &wl->body, &wl->body_len, bmsg, sizeof(bmsg))) {
				snprintf(err, errlen, "%s: %s: %s", file, field, bmsg);
				e = -EINVAL;
				goto out;
			}
		}
		if ((h = cJSON_GetObjectItem(w, "headers"))) {
			const cJSON *kv;

			snprintf(field, sizeof(field), "workloads[%d].headers", i);
			if (!cJSON_IsObject(h)) {
				e = fail(err, errlen, file, "%s: %s: %s", field, "must be an object of strings");
				goto out;
			}
			cJSON_ArrayForEach(kv, h) {
				char hdr[1024];

				if (!cJSON_IsString(kv) || wl->nheaders == SUITE_MAX_HEADERS) {
					e = fail(err, errlen, file, "%s: %s: %s", field,
						 "must be an object of strings (16 at most)");
					goto out;
				}
				if (httpcheck_header_name(field, kv->string, msg, sizeof(msg)) ||
				    httpcheck_header_value(field, kv->valuestring, msg, sizeof(msg))) {
					e = fail(err, errlen, file, "%s: %s%s", msg, "");
					goto out;
				}
				if (strlen(kv->string) > 500 || strlen(kv->valuestring) > 500) {
					e = fail(err, errlen, file, "%s: %s: %s", field, "names and values of 500 characters at most");
					goto out;
				}
				snprintf(hdr, sizeof(hdr), "%.500s: %.500s", kv->string, kv->valuestring);
				wl->headers[wl->nheaders++] = strdup(hdr);
			}
		}
#undef STR
		s->n++;
		i++;
	}
out:
	cJSON_Delete(doc);
	if (e)
		suite_free(s);
	return e;
}

int suites_load(const char *spec, struct suite_set *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strchr(spec, '/') || strstr(spec, ".json")) {
		char *text, dir[PATH_MAX], msg[PATH_MAX + 128];
		int e = file_read_bounded(spec, file_cap(FILE_CONFIG), &text, NULL, msg, sizeof(msg));

		if (e) {
			snprintf(err, errlen, "--suite: %s", msg);
			return -EINVAL;
		}
		snprintf(dir, sizeof(dir), "%s", spec);
		out->s = calloc(1, sizeof(*out->s));
		e = suite_parse_json(text, spec, dirname(dir), &out->s[0], err, errlen);
		free(text);
		if (e) {
			suites_free(out);
			return e;
		}
		out->n = 1;
		return 0;
	}
	/* the built-in suites and mixed: each at most once */
	out->s = calloc(sizeof(builtin) / sizeof(builtin[0]) + 1, sizeof(*out->s));
	if (!strcmp(spec, "all")) {
		for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
			builtin_suite(builtin[i], &out->s[out->n++]);
		return 0;
	}
	{
		char buf[256], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", spec);
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			bool again = false;

			for (int j = 0; j < out->n; j++)
				again |= !strcmp(out->s[j].name, t);
			if (again || !strcmp(t, "all")) {
				snprintf(err, errlen, again ? "--suite: '%s' named twice"
							    : "--suite: '%s' stands alone, not in a list", t);
				suites_free(out);
				return -EINVAL;
			}
			if (!strcmp(t, "mixed")) {
				mixed_suite(&out->s[out->n++]);
				continue;
			}
			if (!is_builtin(t)) {
				snprintf(err, errlen, "--suite: unknown suite '%s' (%s, or a .json file)", t,
					 suites_builtin_names());
				suites_free(out);
				return -EINVAL;
			}
			builtin_suite(t, &out->s[out->n++]);
		}
	}
	if (!out->n) {
		snprintf(err, errlen, "--suite: empty");
		return -EINVAL;
	}
	return 0;
}

void workload_clear(struct workload *w)
{
	free(w->name);
	free(w->category);
	free(w->method);
	free(w->path);
	free(w->content_type);
	free(w->body);
	for (int h = 0; h < w->nheaders; h++)
		free(w->headers[h]);
	memset(w, 0, sizeof(*w));
}

void suite_free(struct suite *s)
{
	for (int i = 0; s->w && i <= s->n; i++) /* arrays have a spare entry: see the parsers */
		workload_clear(&s->w[i]);
	free(s->w);
	free(s->name);
	free(s->description);
	memset(s, 0, sizeof(*s));
}

void suites_free(struct suite_set *set)
{
	for (int i = 0; set->s && i < set->n; i++)
		suite_free(&set->s[i]);
	free(set->s);
	memset(set, 0, sizeof(*set));
}
