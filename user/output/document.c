/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/document.h"
#include "lib/json.h"
#include "lib/util.h"

cJSON *profile_new(const char *mode)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddNumberToObject(doc, "schema_version", SCHEMA_VERSION);
	cJSON_AddStringToObject(doc, "mode", mode);
	cJSON_AddFalseToObject(doc, "partial");
	cJSON_AddNullToObject(doc, "partial_reason");
	cJSON_AddArrayToObject(doc, "warnings");
	return doc;
}

void profile_warn(cJSON *doc, const char *section, const char *fmt, ...)
{
	cJSON *w = cJSON_CreateObject();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(w, "section", section);
	cJSON_AddStringToObject(w, "message", msg);
	cJSON_AddItemToArray(cJSON_GetObjectItem(doc, "warnings"), w);
}

void profile_set_partial(cJSON *doc, const char *reason)
{
	cJSON_ReplaceItemInObject(doc, "partial", cJSON_CreateTrue());
	cJSON_ReplaceItemInObject(doc, "partial_reason", cJSON_CreateString(reason));
}

int profile_write(const cJSON *doc, const char *path)
{
	char *text = cJSON_Print(doc);
	size_t len;
	int err;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\0';
	{
		char *nl = realloc(text, len + 2);

		if (!nl) {
			free(text);
			return -ENOMEM;
		}
		text = nl;
		text[len++] = '\n';
		text[len] = '\0';
	}
	err = write_file_atomic(path, text, len);
	free(text);
	return err;
}

cJSON *profile_read(const char *path, char *err, int errlen)
{
	char *buf;
	cJSON *doc;
	int e = read_file(path, &buf, NULL);

	if (e) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-e));
		return NULL;
	}
	doc = cJSON_Parse(buf);
	free(buf);
	if (!doc)
		snprintf(err, errlen, "'%s' is not valid JSON", path);
	return doc;
}

const cJSON *profile_get(const cJSON *o, const char *path)
{
	return json_get(o, path);
}
