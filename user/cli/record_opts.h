/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line options of `bindprof record`, parsed without side effects (unit-tested). */
#ifndef BINDPROF_RECORD_OPTS_H
#define BINDPROF_RECORD_OPTS_H

#include <stdio.h>
#include "cli/options.h"
#include "core/recorder.h" /* struct record_opts */


/* Parse argv (argv[0] is "record"). 0 on success; -EINVAL with a one-line message in err. */
int record_opts_parse(int argc, char **argv, struct record_opts *o, char *err, int errlen);
/* The usage, printed from the options table (each line within 100 columns). */
void record_usage(FILE *f);
extern const struct cli_option record_options[]; /* the table, for the unit tests */

#endif
