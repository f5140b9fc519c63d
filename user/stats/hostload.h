/* SPDX-License-Identifier: GPL-2.0-only */
/* Host load during a pass: the load average, CPU steal, and the CPU share of every process other
 * than the measured ones (the app, the load generator), from /proc/loadavg, /proc/stat and
 * /proc/PID/stat read at the pass's start and end. */
#ifndef BINDPROF_HOSTLOAD_H
#define BINDPROF_HOSTLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#define HOSTLOAD_MAX_PIDS 64

struct hostload_snap {
	uint64_t total;  /* jiffies of the "cpu" line: user + nice + system + idle + iowait + irq + softirq + steal */
	uint64_t idle;   /* idle + iowait */
	uint64_t steal;
	double load1, load5;
	int ncpu;        /* cpuN lines */
	int npids;
	int pids[HOSTLOAD_MAX_PIDS];
	int64_t ticks[HOSTLOAD_MAX_PIDS]; /* utime + stime of each pid; -1: not readable */
};

struct hostload {
	double secs;        /* wall time between the snapshots, from the jiffies and the CPU count */
	double load1;       /* the 1-minute load average at the end */
	double load1_per_cpu;
	double steal_pct;   /* stolen share of the machine's CPU time, percent */
	double busy_pct;    /* user + nice + system + irq + softirq share, percent */
	double own_pct;     /* the measured processes' share, percent of the whole machine */
	double others_pct;  /* busy - own: everything else on the host, percent of the whole machine */
};

struct hostload_limits {
	double others_pct; /* above: high load (default 75: more than 3/4 of the machine) */
	double steal_pct;  /* above: high load (default 10) */
	double load_per_cpu; /* the 1-minute load average per CPU above this: high load (default 8: the
			      * measured processes queued behind others for a CPU, whatever share they got) */
};

/* Read a snapshot under root ("/proc" or a fixture directory) for the measured pids[0..npids)
 * (at most HOSTLOAD_MAX_PIDS; a pid that cannot be read counts as absent). 0, or -errno when
 * root/stat cannot be read or parsed. */
int hostload_snap(const char *root, const int *pids, int npids, struct hostload_snap *s);
/* The load between two snapshots of the same pids. own counts only pids readable in both. */
void hostload_between(const struct hostload_snap *a, const struct hostload_snap *b, long clk_tck,
		      struct hostload *out);
/* true when h is above a limit (NULL: defaults); why gets the sentence naming it. */
bool hostload_high(const struct hostload *h, const struct hostload_limits *lim, char *why, int len);
/* {load1, load1_per_cpu, steal_percent, busy_percent, own_percent, others_percent, secs, high, reason} */
cJSON *hostload_json(const struct hostload *h, const struct hostload_limits *lim);

#endif
