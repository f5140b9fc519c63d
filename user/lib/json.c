/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json.h"

const cJSON *json_get(const cJSON *o, const char *path)
{
	char key[128];

	while (o && path && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !cJSON_IsObject(o))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path += n;
		if (*path == '.')
			path++;
	}
	return o;
}

const char *json_type_name(const cJSON *v)
{
	if (!v)
		return "nothing";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsObject(v))
		return "an object";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsBool(v))
		return "true or false";
	if (cJSON_IsNull(v))
		return "null";
	return "an invalid value";
}

/* The member, checked by type: 1 found, 0 optional and missing, -ENOENT / -EINVAL with err. */
static int lookup(const cJSON *o, const char *where, const char *path, unsigned flags, cJSON_bool (*is)(const cJSON *),
		  const char *want, const cJSON **out, char *err, int errlen)
{
	const cJSON *v = json_get(o, path);
	const char *dot = where && *where && path && *path ? "." : "";

	if (!v || cJSON_IsNull(v)) {
		if (flags & JSON_OPTIONAL)
			return 0;
		if (err)
			snprintf(err, errlen, "%s%s%s: missing (%s expected)", where ? where : "", dot, path ? path : "",
				 want);
		return -ENOENT;
	}
	if (cJSON_IsNumber(v) && !isfinite(v->valuedouble)) {
		/* cJSON reads 1e999 as infinity: a number by type, but no figure */
		if (err)
			snprintf(err, errlen, "%s%s%s: not a finite number", where ? where : "", dot, path ? path : "");
		return -EINVAL;
	}
	if (!is(v)) {
		if (err)
			snprintf(err, errlen, "%s%s%s: %s, not %s", where ? where : "", dot, path ? path : "",
				 json_type_name(v), want);
		return -EINVAL;
	}
	*out = v;
	return 1;
}

int json_num(const cJSON *o, const char *where, const char *path, unsigned flags, double *out, char *err,
	     int errlen)
{
	const cJSON *v;
	int r = lookup(o, where, path, flags, cJSON_IsNumber, "a number", &v, err, errlen);

	if (r == 1)
		*out = v->valuedouble;
	return r;
}

int json_str(const cJSON *o, const char *where, const char *path, unsigned flags, const char **out, char *err,
	     int errlen)
{
	const cJSON *v;
	int r = lookup(o, where, path, flags, cJSON_IsString, "a string", &v, err, errlen);

	if (r == 1)
		*out = v->valuestring;
	return r;
}

int json_obj(const cJSON *o, const char *where, const char *path, unsigned flags, const cJSON **out, char *err,
	     int errlen)
{
	return lookup(o, where, path, flags, cJSON_IsObject, "an object", out, err, errlen);
}

int json_arr(const cJSON *o, const char *where, const char *path, unsigned flags, const cJSON **out, char *err,
	     int errlen)
{
	return lookup(o, where, path, flags, cJSON_IsArray, "an array", out, err, errlen);
}

int json_bool(const cJSON *o, const char *where, const char *path, unsigned flags, bool *out, char *err,
	      int errlen)
{
	const cJSON *v;
	int r = lookup(o, where, path, flags, cJSON_IsBool, "true or false", &v, err, errlen);

	if (r == 1)
		*out = cJSON_IsTrue(v);
	return r;
}

double json_num_or(const cJSON *o, const char *path, double dflt)
{
	const cJSON *v = json_get(o, path);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

const char *json_str_or(const cJSON *o, const char *path, const char *dflt)
{
	const cJSON *v = json_get(o, path);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* s with control bytes as \xNN, malloc'd; NULL when s has none (or out of memory: *oom set) */
static char *escaped(const char *s, int *oom)
{
	size_t n = 0, extra = 0;
	char *out, *q;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] == 0x7f)
			extra += 3;
	if (!extra)
		return NULL;
	if (!(out = malloc(n + extra + 1))) {
		*oom = 1;
		return NULL;
	}
	q = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			q += sprintf(q, "\\x%02x", *p);
		else
			*q++ = (char)*p;
	}
	*q = 0;
	return out;
}

int json_escape_controls(cJSON *item)
{
	int oom = 0;
	char *e;

	if (!item)
		return 0;
	if (item->string && (e = escaped(item->string, &oom))) {
		if (!(item->type & cJSON_StringIsConst))
			free(item->string);
		item->string = e;
		item->type &= ~cJSON_StringIsConst;
	}
	if (cJSON_IsString(item) && item->valuestring && (e = escaped(item->valuestring, &oom))) {
		if (!(item->type & cJSON_IsReference))
			free(item->valuestring);
		item->valuestring = e;
		item->type &= ~cJSON_IsReference;
	}
	for (cJSON *k = item->child; k && !oom; k = k->next)
		oom = json_escape_controls(k) ? 1 : 0;
	return oom ? -ENOMEM : 0;
}
