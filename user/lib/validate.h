/* SPDX-License-Identifier: GPL-2.0-only */
/* Up-front checks of command-line values, so that a bad one is refused with one line and exit 2
 * before anything is attached, started or run (docs/failure.md). Each returns 0, or a negative
 * errno with a one-line message in err that names the option. */
#ifndef BINDPROF_VALIDATE_H
#define BINDPROF_VALIDATE_H

#include <stddef.h>

/* A whole, finite decimal number: no leading or trailing space, not empty, not nan or inf.
 * -EINVAL (not a number), -ERANGE (overflow, nan, inf). */
int parse_finite_double(const char *s, double *out);

/* -p PID, strictly: decimal digits only (no sign, no space), 1..4194304 (the kernel's pid_max
 * limit). */
int parse_pid_strict(const char *opt, const char *s, int *pid, char *err, size_t errlen);

/* Whether pid (under proc_root, normally "/proc") is a process bindprof may attach to:
 * refused (-ESRCH) when it does not exist; refused (-EINVAL) when it is a kernel thread (the
 * PF_KTHREAD flag of /proc/PID/stat: no user space to probe, e.g. 2, kthreadd) or a bindprof
 * process (its /proc/PID/exe is the same file as /proc/self/exe: bindprof itself or another
 * instance). Allowed with a warning in warn (else warn[0] = 0): pid 1, the init process, whose
 * probes see the machine's service manager rather than an application. */
int validate_pid_target(const char *proc_root, const char *opt, int pid, char *err, size_t errlen, char *warn,
			size_t warnlen);

/* An output file given on the command line, checked before any work: not empty, not an existing
 * directory or other non-regular file, in a directory that exists and where a file can be created
 * now (a temporary file is created and removed). -EINVAL/-ENOENT/-EACCES/-EROFS... */
int validate_output_path(const char *opt, const char *path, char *err, size_t errlen);

/* --gil-method: "cheap" or "exact". */
int validate_gil_method(const char *opt, const char *s, char *err, size_t errlen);

/* --app-cmd: the command's first word must name an executable: a path (with '/') to an executable
 * regular file, or a name found on PATH. A command starting with a shell construct (a variable
 * assignment, a quote, a subshell, a shell builtin) is passed on unchecked. */
int validate_app_cmd(const char *opt, const char *cmd, char *err, size_t errlen);

/* A profile document as the readers that walk it need it: mode "profile", and every field diff,
 * compare and --baseline read well-typed (output/reader.h's profile_doc_validate). what names the
 * document in the message. */
struct cJSON;
int validate_profile_doc(const struct cJSON *doc, const char *what, char *err, size_t errlen);

/* --baseline FILE: a readable regular file (capped like every profile) holding a valid profile
 * document (validate_profile_doc). */
int validate_baseline_file(const char *opt, const char *path, char *err, size_t errlen);

#endif
