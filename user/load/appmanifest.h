/* SPDX-License-Identifier: GPL-2.0-only */
/* The app manifest of `compare --frameworks`: DIR/NAME/bindprof-app.json describes how to start
 * one framework's app and where it answers. */
#ifndef BINDPROF_APPMANIFEST_H
#define BINDPROF_APPMANIFEST_H
#include <stddef.h>

#define APP_MANIFEST "bindprof-app.json"

struct app_manifest {
	char dir[4096];		/* DIR/NAME: the start command runs there */
	char label[128];	/* NAME: the framework's name in compare's output */
	char name[128], version[64], language[64], runtime[128];
	char start[4096], health_path[1024];
	int port;
};

/* Parse manifest text (file names the file in messages). 0, or -EINVAL with a one-line message. */
int app_manifest_parse(const char *text, const char *file, struct app_manifest *m, char *err, size_t errlen);
/* Load DIR/NAME/bindprof-app.json. 0, or a negative errno with a one-line message. */
int app_manifest_load(const char *apps_dir, const char *name, struct app_manifest *m, char *err, size_t errlen);
#endif
