/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/document.h"
#include "lib/file.h"
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

	if (file_read_bounded(path, file_cap(FILE_PROFILE), &buf, NULL, err, errlen))
		return NULL;
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

unsigned long long profile_sum_probe_losses(const cJSON *prof, cJSON *by_reason)
{
	static const struct {
		const char *path, *reason;
	} loss[] = { { "stacks.lost", "stack_samples_ring_full" },
		     { "stacks.gil_wait.lost", "gil_wait_stacks_ring_full" },
		     { "requests.lost_events", "request_events_lost" } };
	unsigned long long sum = 0;

	for (size_t i = 0; i < sizeof(loss) / sizeof(loss[0]); i++) {
		const cJSON *v = profile_get(prof, loss[i].path);
		double n = cJSON_IsNumber(v) && v->valuedouble > 0 && v->valuedouble < 1e18 ? v->valuedouble : 0;

		if (!cJSON_IsNumber(v))
			continue; /* the probe did not run */
		if (by_reason)
			cJSON_AddNumberToObject(by_reason, loss[i].reason, n);
		sum += (unsigned long long)n;
	}
	return sum;
}
