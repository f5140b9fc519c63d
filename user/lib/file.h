/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounded input and atomic output: the one way bindprof reads a file the user names (profiles,
 * suites, app manifests, request bodies) and writes a report.
 *
 * Reading: regular files only (a FIFO, directory or device is refused at once, never waited on:
 * the open is non-blocking), at most `cap` bytes (a larger file is refused before any byte is
 * read, and a file that grows past the cap while read is refused too).
 *
 * Writing: a temporary file in the destination's directory, every write's error kept (stdio's
 * error flag), then fflush + fsync + fclose checked and rename(2) over the destination. On any
 * failure the temporary file is removed and the destination is left as it was: never a 0-byte or
 * truncated file. */
#ifndef BINDPROF_FILE_H
#define BINDPROF_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* Default caps, bytes. Each can be raised or lowered with an environment variable giving MiB:
 * BINDPROF_MAX_PROFILE_MB (profile JSON files read by report, diff, compare, --baseline),
 * BINDPROF_MAX_CONFIG_MB (suite files, app manifests), BINDPROF_MAX_BODY_MB (request bodies). */
#define FILE_CAP_PROFILE (64ul << 20)
#define FILE_CAP_CONFIG (4ul << 20)
#define FILE_CAP_BODY (64ul << 20)

enum file_kind { FILE_PROFILE, FILE_CONFIG, FILE_BODY };

/* The cap for a kind of input, bytes: the default above, or its environment override (a whole
 * number of MiB from 1 to 65536). */
size_t file_cap(enum file_kind kind);
/* The three overrides, checked before any command runs: a variable that is set and is not a whole
 * decimal number of MiB from 1 to 65536 (0, -1, nan, 1e99, abc, 99999999) is refused (an empty one
 * is unset):
 * -EINVAL with one line in err naming it. 0 when each is unset or valid. */
int file_caps_check(char *err, size_t errlen);

/* Read the regular file at path whole into a NUL-terminated malloc'd buffer (*len: bytes, without
 * the NUL; len may be NULL). 0, or a negative errno with a one-line message in err naming path:
 * -EISDIR (a directory), -EINVAL (any other non-regular file: FIFO, device, socket), -EFBIG
 * (larger than cap bytes), -ENOMEM, or open/read's errno. /proc files (regular, of size 0) read
 * whole. lib/util.h's read_file and read_file_max are this, without the message. */
int file_read_bounded(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen);

/* An output file being written (see the top of this header). */
struct file_out {
	FILE *f;                 /* write with fprintf/fwrite/fputs; errors are checked at commit */
	char path[PATH_MAX];     /* the destination */
	char tmp[PATH_MAX + 16]; /* path.XXXXXX in the same directory */
	int fd;                  /* the temporary file's descriptor (under f) */
	int werr;                /* the first failed write(2)'s negative errno, 0 if none */
};

/* Start writing path: creates the temporary file. 0, or a negative errno with a message in err
 * (o->f is NULL then). Refuses a path that exists and is not a regular file (-EINVAL). The
 * struct must stay where it is until commit or abort (o->f's writes record their errors in it). */
int file_out_open(struct file_out *o, const char *path, char *err, size_t errlen);
/* Finish: every write's error, fflush, fsync and fclose checked, then rename over the destination.
 * 0, or a negative errno with a message in err (the temporary file removed, the destination
 * untouched). o->f is NULL afterwards either way. */
int file_out_commit(struct file_out *o, char *err, size_t errlen);
/* Give up: close and remove the temporary file (no-op when none is open). */
void file_out_abort(struct file_out *o);

/* Names and labels read from inputs (a suite's or workload's name, --framework): 0, or -EINVAL with
 * "WHAT: a control character (0x1b) is not allowed" in err when s holds a byte below 0x20 or 0x7f
 * (ESC would drive the terminal a report is printed on, a newline would forge lines). */
int text_control_check(const char *what, const char *s, char *err, size_t errlen);
/* Whether JSON text holds a \u0000 escape inside a string: cJSON would cut that string short at
 * the NUL (a name "ab\u0000cd" read as "ab"), so readers of suites and manifests refuse it. */
int json_text_has_nul(const char *text);

#endif
