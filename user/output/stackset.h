/* SPDX-License-Identifier: GPL-2.0-only */
/* The stacks of one or more bindprof runs, as the exporters (output/pprof, output/speedscope)
 * read them: the folded files bindprof wrote (on-CPU samples, and GIL waits in microseconds),
 * grouped by source (a record run, or one workload of a profile file) with the labels the profile
 * JSON gives that source (workload, endpoint, the sampling frequency, the host).
 *
 * What a folded line holds, and so what an export can carry: the process name (the first frame),
 * then frames root to leaf. A Python frame is "function (file.py:LINE)" with the file's base
 * name and the code object's first line; a native frame is its symbol, "symbol [module]" where
 * Python calls into native code (the only native frames whose module the line keeps), "[unknown]"
 * when unresolved; a kernel frame ends in "_[k]". Threads, requests, addresses and build-ids are
 * not in the folded lines: threads and requests come from their labelled twins (stacks.labelled_path,
 * "TID\tTHREAD\tREQUEST\tENDPOINT\tSTACK WEIGHT" lines, the same weights split by label) when a
 * document names them, and build-ids from stacks.mappings. */
#ifndef BINDPROF_STACKSET_H
#define BINDPROF_STACKSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

enum ss_kind { SS_CPU = 0, SS_GIL, SS_KINDS }; /* on-CPU samples (count); GIL waits (microseconds) */

struct ss_source {
	char *name;      /* "record", or "SUITE/WORKLOAD"; the file's name for a bare folded file */
	char *workload;  /* "SUITE/WORKLOAD", or NULL */
	char *endpoint;  /* "GET /path", or NULL */
	double freq_hz;  /* stack samples per second per CPU; 0 when unknown */
	char *path[SS_KINDS]; /* the folded files read (NULL: none) */
};

struct ss_stack {
	int source;      /* index into sources */
	int kind;        /* enum ss_kind */
	char *line;      /* "process;frame;...;leaf" */
	uint64_t weight; /* samples (SS_CPU) or microseconds (SS_GIL) */
	uint32_t tid;    /* the thread's id; 0: unknown (a plain folded line) */
	char *thread;    /* its name (comm) when labelled, else NULL */
	uint64_t request; /* the request it fell in (the requests probe's id); 0: none or unknown */
	char *req_endpoint; /* that request's endpoint ("GET /path"), or NULL */
};

/* A native module the samples went through (stacks.mappings). */
struct ss_mapping {
	char *module;   /* base name, as the folded lines name it */
	char *path;
	char *build_id; /* lowercase hex, or NULL */
};

struct stackset {
	struct ss_source *src;
	int nsrc;
	struct ss_stack *st;
	size_t n, cap;
	uint64_t total[SS_KINDS]; /* the sums of the folded weights: what every export must keep */
	char *host;               /* metadata.host.hostname, or NULL */
	char *commit;             /* metadata.git_commit, or NULL */
	int64_t time_ns;          /* metadata.timestamp as Unix ns; 0 when unknown */
	int64_t duration_ns;      /* a record file's configuration.measured_secs as ns; 0 otherwise */
	struct ss_mapping *map;   /* every source's mappings, one per module name */
	int nmap;
	bool labelled;            /* some stacks carry thread/request labels */
};

/* The mapping of a module base name, or NULL. */
const struct ss_mapping *stackset_mapping(const struct stackset *s, const char *module);

enum ss_frame_kind { SF_PROCESS = 0, SF_PYTHON, SF_NATIVE, SF_KERNEL };

/* One frame of a folded line, parsed. name, file and module point into buf. */
struct ss_frame {
	int kind;           /* enum ss_frame_kind */
	const char *name;   /* the function or symbol ("[unknown]" kept as is) */
	const char *file;   /* a Python frame's file (base name); NULL otherwise */
	long line;          /* a Python frame's code object's first line; 0 otherwise */
	const char *module; /* a native frame's module when the line names it; "[kernel]" for kernel frames; else NULL */
	char buf[1024];
};

/* Parse one frame (no ';'); first: it is the line's first frame (the process name). Pure. */
void ss_parse_frame(const char *tok, bool first, struct ss_frame *f);

void stackset_init(struct stackset *s);
void stackset_free(struct stackset *s);

/* Add a source; returns its index or -ENOMEM. Strings are copied (NULL allowed). */
int stackset_add_source(struct stackset *s, const char *name, const char *workload, const char *endpoint,
			double freq_hz);

/* Read a folded file ("stack weight" lines) into source src as kind. 0; -errno when it cannot be
 * read; -EINVAL for a malformed line, with "PATH:LINE: ..." in err. */
int stackset_read_folded(struct stackset *s, int src, int kind, const char *path, char *err, int errlen);
/* The same for a labelled file ("TID\tTHREAD\tREQUEST\tENDPOINT\tSTACK WEIGHT" lines). */
int stackset_read_labelled(struct stackset *s, int src, int kind, const char *path, char *err, int errlen);

/* Every source of a bindprof JSON document: a record file's stacks, or each workload of a profile
 * file (suites[].workloads[].results.profiling.stacks), with their folded files (CPU and GIL
 * wait) read. A relative folded path that does not exist as given is looked up next to the
 * document (dir: the document's directory, or NULL). 0; -EINVAL with one line in err when the
 * document has no stacks, a field has the wrong type, or a folded file is malformed; -errno when
 * a folded file named cannot be read. */
int stackset_from_doc(struct stackset *s, const cJSON *doc, const char *dir, char *err, int errlen);

/* A bare folded file (FILE.folded, or a .gil-wait one): its samples, and the GIL-wait sibling
 * (FILE.gil-wait.folded) when it exists. freq_hz as given (0: unknown). Errors as above. */
int stackset_from_folded(struct stackset *s, const char *path, double freq_hz, char *err, int errlen);

#endif
