/* SPDX-License-Identifier: GPL-2.0-only */
/* Command-line options of `bindprof record`, parsed without side effects (unit-tested). */
#ifndef BINDPROF_RECORD_OPTS_H
#define BINDPROF_RECORD_OPTS_H

#include "core/recorder.h" /* struct record_opts */


/* Parse argv (argv[0] is "record"). 0 on success; -EINVAL with a one-line message in err. */
int record_opts_parse(int argc, char **argv, struct record_opts *o, char *err, int errlen);
extern const char record_usage[];

#endif
