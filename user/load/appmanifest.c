/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading and validating bindprof-app.json: every field present, of the right type and range. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "load/appmanifest.h"
#include "lib/file.h"
#include "lib/util.h"

static int str_field(const cJSON *doc, const char *key, char *dst, size_t len, const char *file, char *err,
		     size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	if (!v) {
		snprintf(err, errlen, "%s: missing field \"%s\"", file, key);
		return -EINVAL;
	}
	if (!cJSON_IsString(v) || !*v->valuestring) {
		snprintf(err, errlen, "%s: field \"%s\" must be a non-empty string", file, key);
		return -EINVAL;
	}
	if (strlen(v->valuestring) >= len) {
		snprintf(err, errlen, "%s: field \"%s\" is too long (at most %zu characters)", file, key, len - 1);
		return -EINVAL;
	}
	strcpy(dst, v->valuestring);
	return 0;
}

int app_manifest_parse(const char *text, const char *file, struct app_manifest *m, char *err, size_t errlen)
{
	cJSON *doc = cJSON_Parse(text);
	const cJSON *port;
	int e = -EINVAL;

	if (!doc) {
		const char *at = cJSON_GetErrorPtr();

		snprintf(err, errlen, "%s: malformed JSON near byte %ld", file, at && at >= text ? (long)(at - text) : 0L);
		return -EINVAL;
	}
	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "%s: must be a JSON object", file);
		goto out;
	}
	if (json_text_has_nul(text)) { /* cJSON would cut a string short at the NUL */
		snprintf(err, errlen, "%s: a NUL character (\\u0000) in a string is not allowed", file);
		goto out;
	}
	if (str_field(doc, "name", m->name, sizeof(m->name), file, err, errlen) ||
	    str_field(doc, "version", m->version, sizeof(m->version), file, err, errlen) ||
	    str_field(doc, "language", m->language, sizeof(m->language), file, err, errlen) ||
	    str_field(doc, "runtime", m->runtime, sizeof(m->runtime), file, err, errlen) ||
	    str_field(doc, "start", m->start, sizeof(m->start), file, err, errlen) ||
	    str_field(doc, "health_path", m->health_path, sizeof(m->health_path), file, err, errlen))
		goto out;
	for (const char *c = m->name; *c; c++)
		if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z'))) {
			snprintf(err, errlen, "%s: field \"name\" may hold letters, digits, '-', '_' and '.' only", file);
			goto out;
		}
	if (m->health_path[0] != '/') {
		snprintf(err, errlen, "%s: field \"health_path\" must start with '/'", file);
		goto out;
	}
	port = cJSON_GetObjectItemCaseSensitive(doc, "port");
	if (!port) {
		snprintf(err, errlen, "%s: missing field \"port\"", file);
		goto out;
	}
	/* range first, then the conversion: (int) of a double out of int's range is undefined */
	if (!cJSON_IsNumber(port) || !(port->valuedouble >= 1 && port->valuedouble <= 65535) ||
	    port->valuedouble != (double)(int)port->valuedouble) {
		snprintf(err, errlen, "%s: field \"port\" must be an integer from 1 to 65535", file);
		goto out;
	}
	m->port = (int)port->valuedouble;
	e = 0;
out:
	cJSON_Delete(doc);
	return e;
}

int app_manifest_load(const char *apps_dir, const char *name, struct app_manifest *m, char *err, size_t errlen)
{
	char path[4096 + 64], *text = NULL, msg[4096 + 256];
	int e;

	memset(m, 0, sizeof(*m));
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) >= sizeof(m->label)) {
		snprintf(err, errlen, "--frameworks: '%s' is not an app directory name", name);
		return -EINVAL;
	}
	snprintf(m->label, sizeof(m->label), "%s", name);
	if ((size_t)snprintf(m->dir, sizeof(m->dir), "%s/%s", apps_dir, name) >= sizeof(m->dir)) {
		snprintf(err, errlen, "--apps: path too long");
		return -ENAMETOOLONG;
	}
	snprintf(path, sizeof(path), "%s/%s", m->dir, APP_MANIFEST);
	e = file_read_bounded(path, file_cap(FILE_CONFIG), &text, NULL, msg, sizeof(msg));
	if (e) {
		snprintf(err, errlen, "%s: cannot read the app manifest: %s", path,
			 e == -EINVAL || e == -EFBIG ? msg : strerror(-e));
		return e;
	}
	e = app_manifest_parse(text, path, m, err, errlen);
	free(text);
	return e;
}
