/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the app manifest parser (load/appmanifest.c) of `compare --frameworks`.
 * A parsed manifest has a port in 1..65535, a health path starting with '/', and a name of
 * letters, digits, '-', '_' and '.'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "load/appmanifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct app_manifest m;
	char *text = malloc(size + 1), err[1024];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	memset(&m, 0, sizeof(m));
	if (!app_manifest_parse(text, "fuzz.json", &m, err, sizeof(err))) {
		if (m.port < 1 || m.port > 65535 || m.health_path[0] != '/' || !m.name[0] ||
		    strspn(m.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(m.name))
			abort();
	} else if (!err[0]) {
		abort();
	}
	free(text);
	return 0;
}
