/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof export`, and the same export for record's --pprof and --speedscope. */
#ifndef BINDPROF_CLI_EXPORT_H
#define BINDPROF_CLI_EXPORT_H

#include <cjson/cJSON.h>

int cmd_export(int argc, char **argv);

/* Write the stacks of a document just built (record's, before or after it is written) as pprof
 * (when pprof is not NULL) and speedscope (when speedscope is not NULL), from the folded files
 * the document names. dir: where relative folded paths are looked up besides the cwd (NULL:
 * the cwd only). 0, or a negative errno with one line in err (-EINVAL: the document has no
 * folded stacks, or a folded file is malformed). */
int export_doc(const cJSON *doc, const char *dir, const char *pprof, const char *speedscope, char *err, int errlen);

#endif
