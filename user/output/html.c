/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <stdio.h>
#include "output/html.h"

int html_report_write(const cJSON *doc, const char *path, const char *dir, const char *out, char *err, int errlen)
{
	snprintf(err, errlen, "html: not built yet");
	return -ENOSYS;
}
