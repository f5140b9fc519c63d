/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "follow.skel.h"
#include "bpf/follow.h"
#include "core/follow.h"
#include "inspect/procfs.h"
#include "core/guardian.h"
#include "inspect/cpython.h"
#include "lib/log.h"
#include "lib/util.h"
#include "output/document.h"
#include "probes/python.h"

#define MAX_HELD 64 /* processes held at once: each is continued as soon as it is looked at */
#define SEEN_SLOTS 8192 /* a power of two, > 2 * MAX_TARGETS */
#define MAX_WATCH 64    /* processes that exec'd a non-CPython file, watched for a late libpython */

struct follow {
	struct follow_opts o;
	struct session *s;
	struct follow_bpf *skel;
	struct ring_buffer *rb;
	const char *ended_by;
	uint64_t files, python_files, gone, inspect_failed;
	double hold_ms_total, hold_ms_max;
	int held[MAX_HELD];  /* pids stopped and not yet continued (for follow__free) */
	int nheld;
	int seen[SEEN_SLOTS]; /* targets looked at for their namespaces (open addressing; 0: free) */
	ino_t own_pidns, own_mntns;
	int watch[MAX_WATCH]; /* pids whose exec was not CPython: do they load it later (dlopen)? */
	int nwatch;
	uint64_t loaded_later;     /* of those, processes that mapped a CPython file later */
	double loaded_later_max_ms; /* the longest time from such a process's exec to its discovery */
	uint64_t watch_ns[MAX_WATCH];
	dev_t watch_dev[MAX_WATCH]; /* the file it exec'd: when /proc/PID/exe is another, it exec'd */
	ino_t watch_ino[MAX_WATCH]; /* again (that exec was held or known), and is not watched */
	uint64_t followed, other_pidns, other_mntns;
};

static int exe_id(int pid, dev_t *dev, ino_t *ino);

static ino_t ns_ino(int pid, const char *ns)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	return stat(path, &st) ? 0 : st.st_ino;
}

/* Whether pid was seen before; marks it seen. */
static bool seen_before(struct follow *f, int pid)
{
	unsigned h = ((unsigned)pid * 2654435761u) & (SEEN_SLOTS - 1);

	for (int i = 0; i < SEEN_SLOTS; i++, h = (h + 1) & (SEEN_SLOTS - 1)) {
		if (f->seen[h] == pid)
			return true;
		if (!f->seen[h]) {
			f->seen[h] = pid;
			return false;
		}
	}
	return true; /* full: count no more */
}

/* Count the new targets, and those in a PID or mount namespace other than bindprof's (they are
 * followed all the same: the kernel's ids are global, files are read through /proc/PID). */
static void scan_targets(struct follow *f, struct session *s)
{
	int pids[MAX_TARGETS], n = session__targets(s, pids, MAX_TARGETS);

	for (int i = 0; i < n; i++) {
		ino_t p, m;

		if (seen_before(f, pids[i]))
			continue;
		f->followed++;
		p = ns_ino(pids[i], "pid");
		m = ns_ino(pids[i], "mnt");
		f->other_pidns += p && f->own_pidns && p != f->own_pidns;
		f->other_mntns += m && f->own_mntns && m != f->own_mntns;
	}
}

/* The watched processes (their exec was not CPython): one that maps a CPython file now loaded it
 * after its exec (dlopen): the CPython probes find it at their poll, and what ran before is not
 * measured. Count them; forget the ones that exited. */
static void scan_watched(struct follow *f)
{
	for (int i = 0; i < f->nwatch; i++) {
		struct cpython_target t;
		bool gone = procfs_alive("/proc", f->watch[i]) != 1;
		dev_t dev = 0;
		ino_t ino = 0;

		/* exec'd again since: that exec was looked at (held) or its file was known */
		if (!gone && (exe_id(f->watch[i], &dev, &ino) || dev != f->watch_dev[i] || ino != f->watch_ino[i]))
			gone = true;

		if (!gone && !cpython_inspect("/proc", f->watch[i], &t) && t.minor) {
			double ms = (now_ns() - f->watch_ns[i]) / 1e6;

			f->loaded_later++;
			if (ms > f->loaded_later_max_ms)
				f->loaded_later_max_ms = ms;
			log_debug("pid %d loaded CPython (%s) %.0f ms after its exec", f->watch[i], t.elf, ms);
			gone = true;
		}
		if (gone) {
			f->watch_ns[i] = f->watch_ns[f->nwatch - 1];
			f->watch_dev[i] = f->watch_dev[f->nwatch - 1];
			f->watch_ino[i] = f->watch_ino[f->nwatch - 1];
			f->watch[i--] = f->watch[--f->nwatch];
		}
	}
}

/* Whether bindprof itself runs in a PID namespace below the initial one: its NSpid line in
 * /proc/self/status lists more than one id. */
static bool in_child_pidns(void)
{
	char line[256];
	bool nested = false;
	FILE *st = fopen("/proc/self/status", "re");

	while (st && fgets(line, sizeof(line), st))
		if (!strncmp(line, "NSpid:", 6)) {
			nested = strchr(line + 6 + strspn(line + 6, " \t"), '\t') != NULL;
			break;
		}
	if (st)
		fclose(st);
	return nested;
}

/* The file a process runs, by a path that works from here: /proc/PID/root + its path when that
 * is the same inode as /proc/PID/exe (a file in another mount namespace included), else
 * /proc/PID/exe itself (a deleted or unreachable file). */
static void exe_path(int pid, char *out, size_t size)
{
	char link[64], target[PATH_MAX];
	struct stat a, b;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0 && target[0] == '/') {
		target[n] = '\0';
		snprintf(out, size, "/proc/%d/root%s", pid, target);
		if (!stat(out, &a) && !stat(link, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return;
	}
	snprintf(out, size, "%s", link);
}

/* The identity of the file a process runs. */
static int exe_id(int pid, dev_t *dev, ino_t *ino)
{
	char link[64];
	struct stat st;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	if (stat(link, &st))
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

static void hold_add(struct follow *f, int pid)
{
	if (f->nheld < MAX_HELD)
		f->held[f->nheld++] = pid;
}

static void hold_del(struct follow *f, int pid)
{
	for (int i = 0; i < f->nheld; i++)
		if (f->held[i] == pid) {
			f->held[i] = f->held[--f->nheld];
			return;
		}
}

static int on_exec(void *ctx, void *data, size_t size)
{
	struct follow *f = ctx;
	const struct exec_event *e = data;
	char path[PATH_MAX + 64];
	__u8 verdict = 0;
	int err;

	if (size < sizeof(*e))
		return 0;
	if (e->held) {
		hold_add(f, e->pid);
		guardian_cont_on_exit(e->pid); /* should bindprof die while it looks */
	}
	f->files++;
	if (!procfs_alive("/proc", e->pid)) {
		f->gone++; /* killed while held, or exited before it could be looked at */
	} else {
		exe_path(e->pid, path, sizeof(path));
		err = f->o.on_exec ? f->o.on_exec(f->o.ctx, e->pid, path) : -ENOENT;
		verdict = !err;
		f->python_files += verdict;
		if (!verdict && f->nwatch < MAX_WATCH && !exe_id(e->pid, &f->watch_dev[f->nwatch],
								 &f->watch_ino[f->nwatch])) {
			f->watch_ns[f->nwatch] = e->ns;
			f->watch[f->nwatch++] = e->pid;
		}
		log_debug("exec: pid %d (%.16s) runs %s: %s%s", e->pid, e->comm, path,
			  verdict ? "CPython, probes attached" : "not CPython", e->held ? "; continued" : "");
	}
	/* the verdict first, so that the next exec of this file is not held */
	bpf_map_update_elem(bpf_map__fd(f->skel->maps.exe_known), &e->exe, &verdict, BPF_ANY);
	if (e->held) {
		double ms = (now_ns() - e->ns) / 1e6; /* bpf_ktime_get_ns and now_ns: CLOCK_MONOTONIC */

		kill(e->pid, SIGCONT);
		guardian_forget_cont(e->pid);
		hold_del(f, e->pid);
		f->hold_ms_total += ms;
		if (ms > f->hold_ms_max)
			f->hold_ms_max = ms;
	}
	return 0;
}

struct follow *follow__new(struct session *s, const struct follow_opts *o)
{
	struct follow *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return NULL;
	f->o = *o;
	f->s = s;
	f->own_pidns = ns_ino(0, "pid");
	f->own_mntns = ns_ino(0, "mnt");
	if (!o->hold_execs || !o->on_exec)
		return f;
	f->skel = follow_bpf__open();
	if (!f->skel) {
		err = -errno;
		goto fail;
	}
	if ((err = session__share_maps(s, f->skel->obj)) || (err = follow_bpf__load(f->skel))) {
		log_err("loading the follow BPF object: %s", strerror(-err));
		goto fail;
	}
	if ((err = follow_bpf__attach(f->skel))) {
		log_err("attaching tp_btf/sched_process_exec: %s", strerror(-err));
		goto fail;
	}
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.exec_events), on_exec, f, NULL);
	if (!f->rb) {
		err = -errno;
		goto fail;
	}
	log_debug("attached follow: tp_btf/sched_process_exec (unknown files held until looked at)");
	return f;
fail:
	follow__free(f);
	errno = -err;
	return NULL;
}

void follow__free(struct follow *f)
{
	if (!f)
		return;
	if (f->skel)
		follow_bpf__detach(f->skel);
	f->o.on_exec = NULL; /* the hook's owner may be gone: only continue what is held */
	if (f->rb)
		ring_buffer__consume(f->rb);
	for (int i = 0; i < f->nheld; i++)
		kill(f->held[i], SIGCONT);
	ring_buffer__free(f->rb);
	follow_bpf__destroy(f->skel);
	free(f);
}

void follow__sleep(struct follow *f, double ms)
{
	if (f) {
		scan_targets(f, f->s);
		scan_watched(f);
	}
	follow__wait(f, ms);
}

void follow__wait(struct follow *f, double ms)
{
	uint64_t end = now_ns() + (uint64_t)(ms * 1e6);

	if (!f || !f->rb) {
		struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
				       .tv_nsec = (long)((ms - (long)(ms / 1000) * 1000) * 1e6) };

		nanosleep(&ts, NULL); /* a signal ends it early */
		return;
	}
	for (;;) {
		uint64_t now = now_ns();
		int left = now < end ? (int)((end - now + 999999) / 1000000) : 0;

		if (ring_buffer__poll(f->rb, left) < 0 || !left)
			return; /* -EINTR: a signal */
	}
}

int follow__alive(struct session *s, int except)
{
	int pids[MAX_TARGETS], n = session__targets(s, pids, MAX_TARGETS), alive = 0;

	for (int i = 0; i < n; i++)
		alive += pids[i] != except && procfs_alive("/proc", pids[i]) == 1;
	return alive;
}

void follow__set_ended_by(struct follow *f, const char *why)
{
	if (f)
		f->ended_by = why;
}

const char *follow__ended_by(const struct follow *f)
{
	return f ? f->ended_by : NULL;
}

static void read_counts(struct follow *f, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL;

	memset(out, 0, FOL_MAX * sizeof(*out));
	for (__u32 i = 0; v && f->skel && i < FOL_MAX; i++)
		if (!bpf_map_lookup_elem(bpf_map__fd(f->skel->maps.follow_counts), &i, v))
			for (int c = 0; c < ncpu; c++)
				out[i] += v[c];
	free(v);
}

void follow__report(struct follow *f, struct session *s, cJSON *doc, cJSON *res)
{
	cJSON *p = cJSON_AddObjectToObject(res, "processes");
	uint64_t c[FOL_MAX], hits[HIT_MAX] = {};

	if (!f)
		return;
	session__read_hits(s, hits);
	read_counts(f, c);
	scan_targets(f, s);
	cJSON_AddNumberToObject(p, "forks_followed", hits[HIT_FORK]);
	/* of the processes alive at a tick (every 100 ms): a shorter-lived one is not looked at */
	cJSON_AddNumberToObject(p, "seen_at_ticks", f->followed);
	cJSON_AddNumberToObject(p, "seen_in_other_pid_namespaces", f->other_pidns);
	cJSON_AddNumberToObject(p, "seen_in_other_mount_namespaces", f->other_mntns);
	if (in_child_pidns())
		profile_warn(doc, "processes", "bindprof runs inside a PID namespace: the probes see the "
			     "kernel's process ids, /proc shows this namespace's, and processes of the "
			     "target outside this namespace are not followed");
	if (f->ended_by)
		cJSON_AddStringToObject(p, "ended_by", f->ended_by);
	else
		cJSON_AddNullToObject(p, "ended_by");
	if (!f->skel) {
		cJSON_AddNullToObject(p, "execs");
		return;
	}
	cJSON_AddNumberToObject(p, "execs", c[FOL_EXECS]);
	cJSON_AddNumberToObject(p, "files_inspected", f->files);
	cJSON_AddNumberToObject(p, "cpython_files", f->python_files);
	cJSON_AddNumberToObject(p, "held", c[FOL_HELD]);
	cJSON_AddNumberToObject(p, "hold_ms_total", f->hold_ms_total);
	cJSON_AddNumberToObject(p, "hold_ms_max", f->hold_ms_max);
	cJSON_AddNumberToObject(p, "missed_execs", c[FOL_LOST] + c[FOL_HOLD_FAIL]);
	cJSON_AddNumberToObject(p, "gone_before_inspection", f->gone);
	cJSON_AddNumberToObject(p, "cpython_loaded_after_exec", f->loaded_later);
	if (f->loaded_later)
		profile_warn(doc, "processes", "%llu processes loaded CPython after their exec (dlopen; up to "
			     "%.0f ms after it): their interpreter was probed from the next poll (every 100 ms), "
			     "and what it did before is not measured", (unsigned long long)f->loaded_later,
			     f->loaded_later_max_ms);
	if (c[FOL_LOST])
		profile_warn(doc, "processes", "%llu execs of new files were not looked at before they ran "
			     "(the exec ring buffer was full): an interpreter among them is probed only "
			     "if another process already ran its file, or from the next poll",
			     (unsigned long long)c[FOL_LOST]);
	if (c[FOL_HOLD_FAIL])
		profile_warn(doc, "processes", "%llu execs of new files could not be held (bpf_send_signal "
			     "failed): they ran while bindprof looked at them, and collections before "
			     "their probes attached are not counted", (unsigned long long)c[FOL_HOLD_FAIL]);
}

int follow_hook_pytrack(void *pt, int pid, const char *exe)
{
	return pt ? pytrack__preattach(pt, exe, pid) : -ENOENT;
}

void follow__print_summary(const struct follow *f, const cJSON *res)
{
	const cJSON *p = cJSON_GetObjectItem(res, "processes");
	const cJSON *forks = cJSON_GetObjectItem(p, "forks_followed"), *execs = cJSON_GetObjectItem(p, "execs");
	const cJSON *eb = cJSON_GetObjectItem(p, "ended_by");
	const char *why = f ? follow__ended_by(f) : cJSON_IsString(eb) ? eb->valuestring : NULL;

	if (!p)
		return;
	printf("  processes: %.0f forks followed", cJSON_IsNumber(forks) ? forks->valuedouble : 0);
	if (cJSON_IsNumber(execs))
		printf(", %.0f execs (%.0f held, max %.1f ms)", execs->valuedouble,
		       cJSON_GetNumberValue(cJSON_GetObjectItem(p, "held")),
		       cJSON_GetNumberValue(cJSON_GetObjectItem(p, "hold_ms_max")));
	printf("; ended by %s\n", !why ? "?" : !strcmp(why, "processes_exited") ? "the exit of the last followed process" :
	       !strcmp(why, "duration") ? "the duration (-d)" : why);
}
