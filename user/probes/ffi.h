/* SPDX-License-Identifier: GPL-2.0-only */
/* FFI crossings (--ffi LIB[:GLOB]): per native function, calls, latency corrected for the
 * probes' cost, the GIL on entry and during the call, and libffi's marshalling (ctypes, cffi).
 * Libraries named by path are probed at once (a uprobe belongs to the file, so a later load is
 * covered); libraries named by file name are resolved in the targets' maps, and while one is
 * still unresolved, every dynamic load of a target stops it briefly (the loader's
 * _dl_debug_state) until bindprof has looked at its maps and attached. */
#ifndef BINDPROF_FFI_USER_H
#define BINDPROF_FFI_USER_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "core/session.h"

#define MAX_FFI_SPECS 16

struct ffi;

/* Validate a spec (LIB[:GLOB]) without touching anything. 0 or -EINVAL with err. */
int ffi_spec_check(const char *spec, char *err, int errlen);
/* Check spec and append it to specs[*n] (at most max): the --ffi option of record and profile.
 * 0 or -EINVAL with err. */
int ffi_spec_add(const char **specs, int *n, int max, const char *spec, char *err, int errlen);
/* Load, calibrate and attach what can be attached now. NULL (err filled) on failure, with *status
 * EXIT_BADINPUT for a spec whose path cannot be read or that matches no or too many functions,
 * EXIT_ENV for a BPF object that does not load or calibrate. */
struct ffi *ffi__new(struct session *s, const char *const *specs, int n, int *status, char *err, int errlen);
/* Resolve specs named by file name in new targets' maps; probe new interpreters' GIL calls. */
void ffi__poll(struct ffi *f, const int *pids, int n);
/* A command about to run: probe its interpreter's GIL calls before it starts. */
void ffi__preattach(struct ffi *f, const char *exe);
/* The calibrated cost of one uprobe hit, ns. */
double ffi__hit_ns(struct ffi *f);
/* What the ffi probes cost so far, ms of CPU: each probed call's pair at the calibrated cost of
 * its kind (emulated or single-stepped first instruction), and the other probes' hits. */
double ffi__estimated_ms(struct ffi *f);
void ffi__report(struct ffi *f, cJSON *doc, cJSON *prof);
/* The probed function with index id (the BPF side's key): library file name, symbol, Python name
 * ("" if unknown). -1 if there is none. */
int ffi__func_info(struct ffi *f, int id, const char **lib, const char **sym, const char **pyname);
void ffi__free(struct ffi *f);

#endif
