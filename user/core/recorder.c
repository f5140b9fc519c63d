/* SPDX-License-Identifier: GPL-2.0-only */
/* The recording engine (core/recorder.h): attach, poll until the run ends, detach, build the
 * document. Probes are detached on every exit path (recorder_free -> session__free). */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "core/calib.h"
#include "core/env.h"
#include "core/follow.h"
#include "core/guardian.h"
#include "core/probes.h"
#include "core/recorder.h"
#include "core/resources.h"
#include "core/session.h"
#include "core/target.h"
#include "inspect/metadata.h"
#include "inspect/procfs.h"
#include "lib/log.h"
#include "lib/signals.h"
#include "lib/util.h"
#include "output/document.h"
#include "probes/ffi.h"
#include "probes/net.h"
#include "probes/python.h"
#include "probes/requests.h"
#include "probes/stacks.h"
#include "probes/syscalls.h"

#define TICK_MS 100
#define USS_EVERY_TICKS 10
/* The requests' ring buffer is drained this often inside a tick: at 10,000 requests/s its
 * records fill a 100 ms tick's worth of it and more, and a full buffer drops them (measured: 5,300
 * lost in 10 s with the default probe set when drained once a tick). */
#define REQ_POLL_MS 25
#define TRIM_EVERY_TICKS 50 /* malloc_trim every 5 s */
#define KILL_GRACE_MS 2000
#define MAX_OWN_THREADS 32

struct recorder {
	struct record_opts o;
	struct session *sess;
	struct resources *res;
	struct target_info tgt;
	struct held_child hc;
	bool spawned;
	bool stopped;
	char cmd_path[PATH_MAX]; /* -- CMD resolved through PATH */
	struct pytrack *py;     /* CPython processes; NULL without gil/gc */
	struct stacks *stk;     /* stack samples; NULL without stacks */
	struct ffi *ffi;        /* --ffi: timed native calls; NULL without */
	struct reqtrack *req;   /* server-side requests; NULL without */
	struct netdiag *net;    /* TCP diagnoses, with the requests probe; NULL without */
	struct follow *fol;     /* which processes are followed, and until when */
	double sys_hit_ns;      /* calibrated per-hit cost of a tp_btf program; < 0 when not calibrated */
	double uprobe_hit_ns;   /* of a uprobe (mean of uprobe and uretprobe); < 0 when not calibrated */
	double elapsed;
	double own_cpu_ms;      /* the engine's threads' CPU during the run loop; < 0 unknown */
	int own_tids[MAX_OWN_THREADS]; /* threads the modules started (stack consumer, ffi loader watch) */
	double own_last_ms[MAX_OWN_THREADS];
	int n_own;
	int links_attached;     /* BPF links attached at the end of the run */
	double child_cpu_ms;    /* from wait4 when the spawned child exited; < 0 otherwise */
	const char *partial;    /* NULL, "interrupted" or "target_exited" */
	struct recorder_result result;
};

void record_opts_defaults(struct record_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->output = "bindprof.json";
	o->probes = PROBES_DEFAULT;
	o->follow_children = true;
	o->freq = 99;
	o->exemplars = 5;
}

static void sleep_ms(double ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)((ms - (long)(ms / 1000) * 1000) * 1e6) };

	nanosleep(&ts, NULL); /* a signal ends it early, which is what the loop wants */
}

/* ---- the engine's own CPU: its threads' CPU clocks, never the whole process's ---- */

/* CPU time (ms) of thread tid of this process, from its thread CPU clock (the clock id that
 * pthread_getcpuclockid gives: ~tid << 3 | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED); < 0 when the
 * thread is gone. */
static double tid_cpu_ms(int tid)
{
	clockid_t clk = (clockid_t)((~(unsigned)tid) << 3) | 6;
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return -1;
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The tids of this process, up to max. */
static int list_tids(int *out, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max)
		if (de->d_name[0] != '.')
			out[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

/* The threads that appeared since before[] was listed: the modules' (recorder_open runs while no
 * other thread of the caller starts one). */
static void note_own_threads(struct recorder *r, const int *before, int nb)
{
	int now[256], n = list_tids(now, 256);

	for (int i = 0; i < n && r->n_own < MAX_OWN_THREADS; i++) {
		bool old = false;

		for (int j = 0; j < nb && !old; j++)
			old = before[j] == now[i];
		if (!old)
			r->own_tids[r->n_own++] = now[i];
	}
}

/* Sum of the modules' threads' CPU (ms); a thread that ended counts with its last reading. */
static double own_threads_cpu_ms(struct recorder *r)
{
	double sum = 0;

	for (int i = 0; i < r->n_own; i++) {
		double v = tid_cpu_ms(r->own_tids[i]);

		if (v >= 0)
			r->own_last_ms[i] = v;
		sum += r->own_last_ms[i];
	}
	return sum;
}

/* ---- the target ---- */

/* Whether exe is bindprof's own image: a spawned command read between its fork and its exec.
 * Its exe, command line and runtime are not the target's yet (on a loaded host a tick landed
 * there, and a Python command was reported as runtime "native" with no version). */
static bool own_image(const char *exe)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = '\0';
	return !strcmp(self, exe);
}

static void fill_target_info(struct target_info *t)
{
	if (procfs_read_exe("/proc", t->pid, t->exe, sizeof(t->exe)))
		t->exe[0] = '\0';
	if (own_image(t->exe)) { /* not exec'd yet: read again at the next tick */
		t->exe[0] = '\0';
		return;
	}
	if (procfs_read_cmdline("/proc", t->pid, t->cmdline, sizeof(t->cmdline)))
		t->cmdline[0] = '\0';
	if (!runtime_detect_pid("/proc", t->pid, &t->rt))
		t->have_rt = 1;
}

/* Exit status as a shell reports it: the code, or 128 + the signal. */
static int shell_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return -1;
}

static void sample_resources(struct recorder *r, bool with_uss)
{
	int pids[MAX_TARGETS], n = session__targets(r->sess, pids, MAX_TARGETS);

	resources__sample(r->res, pids, n, with_uss);
	if (r->py)
		pytrack__poll(r->py, pids, n);
	stacks__poll(r->stk, pids, n);
	ffi__poll(r->ffi, pids, n);
	reqtrack__poll(r->req);
	net__poll(r->net, pids, n);
}

/* Remove from the target set the processes that are gone (and not our unreaped child). */
static void prune_targets(struct recorder *r)
{
	int pids[MAX_TARGETS], n = session__targets(r->sess, pids, MAX_TARGETS);

	for (int i = 0; i < n; i++)
		if (pids[i] != r->tgt.pid && !procfs_alive("/proc", pids[i]))
			session__remove_target(r->sess, pids[i]);
}

static void reap_child(struct recorder *r, int wstatus, const struct rusage *ru)
{
	r->tgt.exited = 1;
	r->tgt.exit_status = shell_status(wstatus);
	r->child_cpu_ms = (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
			  (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
	if (r->res)
		resources__cpu_at_least(r->res, r->child_cpu_ms);
}

/* Stop a child we started that outlived the run: SIGTERM, then SIGKILL after a grace period. */
static void stop_child(struct recorder *r, int sig)
{
	struct rusage ru;
	int wstatus;

	kill(r->hc.own_group ? -r->hc.pid : r->hc.pid, sig);
	for (int waited = 0; waited < KILL_GRACE_MS; waited += 50) {
		if (wait4(r->hc.pid, &wstatus, WNOHANG, &ru) == r->hc.pid) {
			reap_child(r, wstatus, &ru);
			return;
		}
		sleep_ms(50);
	}
	kill(r->hc.own_group ? -r->hc.pid : r->hc.pid, SIGKILL);
	if (wait4(r->hc.pid, &wstatus, 0, &ru) == r->hc.pid)
		reap_child(r, wstatus, &ru);
}

/* Sleep ms (one tick at most), draining the requests' ring buffer every REQ_POLL_MS. */
static void tick_sleep(struct recorder *r, double ms, volatile sig_atomic_t *stop)
{
	for (bool first = true; ms > 0; first = false) {
		double slice = ms < REQ_POLL_MS ? ms : REQ_POLL_MS;

		if (first)
			follow__sleep(r->fol, slice); /* the target-set scans once a tick */
		else
			follow__wait(r->fol, slice);
		ms -= slice;
		if (ms <= 0 || signals_pending() || (stop && *stop))
			return;
		reqtrack__drain(r->req);
	}
}

void recorder_run(struct recorder *r, volatile sig_atomic_t *stop)
{
	uint64_t t0 = now_ns();
	double cpu0 = thread_cpu_ns() / 1e6 + own_threads_cpu_ms(r);
	int tick = 0;

	/* Loading the BPF objects parsed the kernel's BTF once per object (~5.5 MB each, freed):
	 * give the freed heap back before the run, so that it does not stay in the RSS. */
	malloc_trim(0);

	for (;;) {
		double left = r->o.duration ? r->o.duration * 1e3 - (now_ns() - t0) / 1e6 : TICK_MS;
		struct rusage ru;
		int wstatus;

		if (left <= 0)
			break;
		tick_sleep(r, left < TICK_MS ? left : TICK_MS, stop);
		tick++;
		if (stop && *stop) {
			follow__set_ended_by(r->fol, "stopped");
			break;
		}
		if (signals_pending()) {
			r->partial = "interrupted";
			follow__set_ended_by(r->fol, "interrupted");
			break;
		}
		if (r->spawned && !r->tgt.exited && wait4(r->hc.pid, &wstatus, WNOHANG, &ru) == r->hc.pid)
			reap_child(r, wstatus, &ru);
		/* the run ends with the last followed process, not with the root */
		if ((r->spawned ? r->tgt.exited : !procfs_alive("/proc", r->tgt.pid)) &&
		    (!r->o.follow_children || !follow__alive(r->sess, r->tgt.pid))) {
			if (!r->spawned)
				r->partial = "target_exited";
			follow__set_ended_by(r->fol, "processes_exited");
			break;
		}
		if (!r->tgt.have_rt)
			fill_target_info(&r->tgt);
		/* USS every second, and twice in the first one for short runs */
		sample_resources(r, tick % USS_EVERY_TICKS == 0 || tick == 2 || tick == 5);
		if (tick % 10 == 0)
			prune_targets(r);
		if (tick % TRIM_EVERY_TICKS == 0)
			malloc_trim(0); /* what the probes' modules freed (folded requests, parsed ELF files) */
	}
	if (!follow__ended_by(r->fol))
		follow__set_ended_by(r->fol, "duration");
	follow__sleep(r->fol, 0); /* continue what is held */
	sample_resources(r, true); /* USS too: a run shorter than a second has no other reading */
	r->elapsed = (now_ns() - t0) / 1e9;
	r->own_cpu_ms = thread_cpu_ns() / 1e6 + own_threads_cpu_ms(r) - cpu0;
	r->links_attached = session__nr_links(r->sess);
}

/* Costed by their measured BPF run time, not by a per-hit rate. */
static bool is_stack_hit(int h)
{
	return h == HIT_STACK_SAMPLE || h == HIT_GIL_STACK;
}

/* Costed by their programs' measured run time when BPF statistics are on. */
static bool is_measured_tp_hit(int h)
{
	return h == HIT_SCHED_SWITCH || h == HIT_FORK || h == HIT_EXIT || h == HIT_REQ_SOCK || h == HIT_REQ_STATE;
}

/* Costed by the ffi object, each by its kind. */
static bool is_ffi_hit(int h)
{
	return h == HIT_FFI_ENTER || h == HIT_FFI_EXIT || h == HIT_FFI_GIL;
}

static bool is_uprobe_hit(int h)
{
	return h == HIT_GIL_TAKE || h == HIT_GIL_TAKE_RET || h == HIT_GIL_DROP || h == HIT_GIL_DROP_RET ||
	       h == HIT_GC_START || h == HIT_GC_DONE || h == HIT_GC_CHOICE || h == HIT_FFI_ENTER ||
	       h == HIT_FFI_EXIT || h == HIT_FFI_GIL;
}

static cJSON *overhead_json(struct recorder *r, const uint64_t *hits, double target_cpu_ms)
{
	cJSON *o = cJSON_CreateObject(), *ph = cJSON_AddObjectToObject(o, "probe_hits"), *per;
	uint64_t tp = 0, up = 0, tr_runs = 0, rq_runs = 0;
	double stk_ms = stacks__bpf_cpu_ms(r->stk), tr_ms = 0;
	bool measured = false;

	/* With BPF statistics on, the tracepoint programs' own run time is measured, on every
	 * switch and socket operation of the machine they run on, rather than estimated from the
	 * target's hits at the syscall programs' rate. */
	if (session__bpf_stats(r->sess)) {
		uint64_t net_runs = 0;

		tr_ms = session__tracing_run_ms(r->sess, &tr_runs) + reqtrack__run_ms(r->req, &rq_runs) +
			net__run_ms(r->net, &net_runs);
		rq_runs += net_runs;
		measured = tr_runs + rq_runs > 0;
	}
	for (int h = 0; h < HIT_MAX; h++) {
		cJSON_AddNumberToObject(ph, hit_name(h), hits[h]);
		if (is_stack_hit(h) || (r->ffi && is_ffi_hit(h)) || (measured && is_measured_tp_hit(h)))
			continue;
		if (is_uprobe_hit(h))
			up += hits[h];
		else
			tp += hits[h];
	}
	per = cJSON_AddObjectToObject(o, "per_hit_ns");
	if (r->sys_hit_ns >= 0 && (r->uprobe_hit_ns >= 0 || !up)) {
		double ms = (tp * r->sys_hit_ns + up * (r->uprobe_hit_ns > 0 ? r->uprobe_hit_ns : 0)) / 1e6;

		if (measured) {
			ms += tr_ms;
			cJSON_AddNumberToObject(o, "tracepoints_bpf_cpu_ms", tr_ms);
		}
		if (stk_ms > 0) {
			ms += stk_ms;
			cJSON_AddNumberToObject(o, "stacks_bpf_cpu_ms", stk_ms);
		}
		if (r->ffi) {
			double ffi_ms = ffi__estimated_ms(r->ffi);

			ms += ffi_ms;
			cJSON_AddNumberToObject(o, "ffi_cpu_ms", ffi_ms);
		}
		cJSON_AddNumberToObject(o, "probes_cpu_ms", ms);
		/* bindprof's own CPU (unwinding, symbolizing, aggregation) competes with the target
		 * for the cores when they are busy: counted in, an upper bound on an idle machine */
		if (r->own_cpu_ms >= 0) {
			cJSON_AddNumberToObject(o, "bindprof_cpu_ms", r->own_cpu_ms);
			ms += r->own_cpu_ms;
		} else {
			cJSON_AddNullToObject(o, "bindprof_cpu_ms");
		}

		cJSON_AddNumberToObject(per, "tp_btf", r->sys_hit_ns);
		if (r->uprobe_hit_ns >= 0)
			cJSON_AddNumberToObject(per, "uprobe", r->uprobe_hit_ns);
		cJSON_AddStringToObject(o, "calibration",
					"tp_btf: getppid() loop with and without the syscall probes; "
					"uprobe: a function of bindprof's own with and without a "
					"uprobe+uretprobe; thread CPU time, at start-up; --ffi: each probed "
					"call's pair at the cost of its kind (emulated or single-stepped first "
					"instruction); stacks, sched_switch, fork, exit and socket tracepoint "
					"programs: their measured BPF run time (kernel BPF statistics); plus "
					"bindprof's own CPU during the run");
		cJSON_AddNumberToObject(o, "estimated_cpu_ms", ms);
		if (target_cpu_ms > 0)
			cJSON_AddNumberToObject(o, "estimated_percent", 100.0 * ms / target_cpu_ms);
		else
			cJSON_AddNullToObject(o, "estimated_percent");
	} else {
		/* Without the syscall probes the only hits are fork/exit of targets: too rare to
		 * calibrate against, and their cost is not estimated. */
		cJSON_AddNullToObject(o, "calibration");
		cJSON_AddNullToObject(o, "estimated_cpu_ms");
		cJSON_AddNullToObject(o, "estimated_percent");
	}
	cJSON_AddNumberToObject(o, "probes_attached", r->links_attached);
	return o;
}

cJSON *recorder_document(struct recorder *r)
{
	uint64_t hits[HIT_MAX] = {}, drops[DROP_MAX] = {}, lost = 0;
	cJSON *doc = profile_new("record"), *cfg, *res, *prof, *arr, *dr;
	double target_cpu_ms;

	if (r->partial)
		profile_set_partial(doc, r->partial);
	cJSON_AddItemToObject(doc, "metadata", metadata_to_json(&r->tgt, NULL));

	cfg = cJSON_AddObjectToObject(doc, "configuration");
	if (r->o.duration)
		cJSON_AddNumberToObject(cfg, "duration_secs", r->o.duration);
	else
		cJSON_AddNullToObject(cfg, "duration_secs");
	cJSON_AddNumberToObject(cfg, "measured_secs", r->elapsed);
	cJSON_AddNullToObject(cfg, "warmup_secs");
	cJSON_AddNullToObject(cfg, "concurrency");
	cJSON_AddBoolToObject(cfg, "follow_children", r->o.follow_children);
	arr = cJSON_AddArrayToObject(cfg, "probes");
	for (int p = 0; p < PROBE_COUNT; p++)
		if (r->o.probes & PROBE_BIT(p))
			cJSON_AddItemToArray(arr, cJSON_CreateString(probe_name(p)));

	res = cJSON_AddObjectToObject(doc, "results");
	cJSON_AddItemToObject(res, "resources", resources__to_json(r->res));
	prof = cJSON_AddObjectToObject(res, "profiling");
	if (r->py)
		pytrack__report(r->py, doc, prof);
	else
		cJSON_AddNullToObject(prof, "python");
	if (r->stk)
		stacks__report(r->stk, doc, prof);
	if (r->req)
		reqtrack__report(r->req, doc, prof, r->ffi);
	if (r->net)
		net__report(r->net, doc, prof);
	if (r->ffi) {
		ffi__report(r->ffi, doc, prof);
	} else if (r->o.probes & PROBE_BIT(PROBE_FFI)) {
		if (r->stk)
			stacks__ffi_sampled(r->stk, prof);
		else
			cJSON_AddNullToObject(prof, "ffi");
	}
	for (int p = 0; p < PROBE_COUNT; p++) /* not selected: null */
		if (!cJSON_GetObjectItem(prof, probe_name(p)) && p != PROBE_SYSCALLS && p != PROBE_GIL && p != PROBE_GC)
			cJSON_AddNullToObject(prof, probe_name(p));
	session__read_hits(r->sess, hits);
	session__read_drops(r->sess, drops);
	if (!r->py) {
		if (!cJSON_GetObjectItem(prof, "gil"))
			cJSON_AddNullToObject(prof, "gil");
		if (!cJSON_GetObjectItem(prof, "gc"))
			cJSON_AddNullToObject(prof, "gc");
	}
	if (r->o.probes & PROBE_BIT(PROBE_SYSCALLS)) {
		cJSON *sys = syscalls_to_json(r->sess);

		if (sys) {
			cJSON_AddNumberToObject(sys, "in_flight_at_start", drops[DROP_UNPAIRED_EXIT]);
			cJSON_AddItemToObject(prof, "syscalls", sys);
		} else {
			cJSON_AddNullToObject(prof, "syscalls");
			profile_warn(doc, "syscalls", "reading the syscall maps failed: %s", strerror(errno));
		}
		if (drops[DROP_UNPAIRED_EXIT])
			profile_warn(doc, "syscalls",
				     "%llu syscalls were already in progress when the probes attached; "
				     "they are not counted",
				     (unsigned long long)drops[DROP_UNPAIRED_EXIT]);
	} else {
		cJSON_AddNullToObject(prof, "syscalls");
	}

	target_cpu_ms = r->child_cpu_ms >= 0 ? r->child_cpu_ms : resources__cpu_ms(r->res);
	cJSON_AddItemToObject(res, "overhead", overhead_json(r, hits, target_cpu_ms));
	dr = cJSON_CreateObject();
	for (int d = 0; d < DROP_MAX; d++) {
		cJSON_AddNumberToObject(dr, drop_name(d), drops[d]);
		if (d != DROP_UNPAIRED_EXIT)
			lost += drops[d];
	}
	lost += profile_sum_probe_losses(prof, dr); /* harden: the probes' own losses count too */
	cJSON_AddNumberToObject(res, "lost_events", lost);
	cJSON_AddItemToObject(res, "lost_by_reason", dr);
	if (lost)
		profile_warn(doc, "lost_events", "%llu events were dropped (see lost_by_reason)",
			     (unsigned long long)lost);
	follow__report(r->fol, r->sess, doc, res);
	return doc;
}


/* ---- open: environment, calibration, the probe objects ---- */

static int check_env(char *err, size_t errlen)
{
	if (env_check_privileges(err, errlen))
		return EXIT_ENV;
	if (!env_has_btf()) {
		snprintf(err, errlen, "this kernel has no BTF (%s is missing): CO-RE probes need a kernel built "
			 "with CONFIG_DEBUG_INFO_BTF=y", BTF_PATH);
		return EXIT_ENV;
	}
	env_raise_nofile();
	return EXIT_OK;
}

/* The per-hit cost of a tp_btf program: a getppid() loop with and without the syscall programs.
 * Without the syscalls probe they are attached for the calibration only (the GIL's sched_switch
 * hits are costed at that rate). base_ns: the loop's cost with no probe attached. */
static void calibrate_syscalls(struct recorder *r, double base_ns)
{
	struct session_opts co = { .probes = PROBE_BIT(PROBE_SYSCALLS) };
	struct session *cs = NULL, *s = r->sess;

	if (!(r->o.probes & PROBE_BIT(PROBE_SYSCALLS))) {
		if (session__open(&co, &cs))
			return;
		s = cs;
	}
	session__add_target(s, getpid());
	r->sys_hit_ns = (calib_syscall_ns() - base_ns) / 2; /* an enter and an exit per call */
	if (r->sys_hit_ns < 0)
		r->sys_hit_ns = 0;
	session__remove_target(s, getpid());
	session__free(cs);
	log_debug("calibrated tp_btf hit cost: %.0f ns", r->sys_hit_ns);
}

static int open_python(struct recorder *r)
{
	struct pytrack_opts po = {
		.gil = r->o.probes & PROBE_BIT(PROBE_GIL),
		.gc = r->o.probes & PROBE_BIT(PROBE_GC),
		.gil_exact = r->o.gil_exact,
		.follow_children = r->o.follow_children,
	};

	r->uprobe_hit_ns = pytrack__calibrate_uprobe(r->sess);
	log_debug("calibrated uprobe hit cost: %.0f ns", r->uprobe_hit_ns);
	r->py = pytrack__new(r->sess, &po);
	return EXIT_OK;
}

static int open_stacks(struct recorder *r, char *err, size_t errlen)
{
	struct stacks_opts sto = {
		.freq = r->o.freq,
		.gil_wait = (r->o.probes & PROBE_BIT(PROBE_GIL)) && !r->o.no_gil_stacks,
		.folded = r->o.folded,
		.svg = r->o.svg,
		.page_faults = r->o.page_faults,
		.kernel_unwind = r->o.kernel_unwind,
		.malloc_every = r->o.malloc_every,
	};

	r->stk = stacks__new(r->sess, &sto);
	if (!r->stk) {
		snprintf(err, errlen, "could not start the stack sampler: %s", strerror(errno));
		return EXIT_ENV;
	}
	return EXIT_OK;
}

static int open_requests(struct recorder *r, char *err, size_t errlen)
{
	struct reqtrack_opts ro = {
		.gil = r->o.probes & PROBE_BIT(PROBE_GIL),
		.gil_exact = r->o.gil_exact,
		.gc = r->o.probes & PROBE_BIT(PROBE_GC),
		.syscalls = r->o.probes & PROBE_BIT(PROBE_SYSCALLS),
		.stacks = r->o.probes & PROBE_BIT(PROBE_STACKS),
		.ffi = r->ffi != NULL,
		.stacks_hz = r->o.freq,
		.exemplars = r->o.exemplars,
		.no_tasks = r->o.no_tasks,
		.keep_records = r->o.keep_requests,
		.requests_log = r->o.requests_log,
	};

	r->req = reqtrack__new(r->sess, &ro);
	if (!r->req) {
		snprintf(err, errlen, "could not attach the requests probe: %s", strerror(errno));
		return EXIT_ENV;
	}
	stacks__set_request_names(r->stk, reqtrack__request_endpoint, r->req); /* NULL stk: nothing */
	/* the net probe goes with it: its hooks fire on passive opens and retransmissions only */
	r->net = net__new(r->sess, r->o.pid > 0 ? r->o.pid : 0);
	if (!r->net) {
		snprintf(err, errlen, "could not attach the net probe: %s", strerror(errno));
		return EXIT_ENV;
	}
	return EXIT_OK;
}

/* The probe objects, in their order of dependence (requests reads which others are on). */
static int open_modules(struct recorder *r, char *err, size_t errlen)
{
	int ret = EXIT_OK;

	if (r->o.probes & (PROBE_BIT(PROBE_GIL) | PROBE_BIT(PROBE_GC)))
		ret = open_python(r);
	if (!ret && r->o.nffi) {
		char ferr[512];
		int status;

		r->ffi = ffi__new(r->sess, r->o.ffi, r->o.nffi, &status, ferr, sizeof(ferr));
		if (!r->ffi) {
			snprintf(err, errlen, "%s", ferr);
			return status;
		}
		if (r->uprobe_hit_ns < 0)
			r->uprobe_hit_ns = ffi__hit_ns(r->ffi);
	}
	if (!ret && (r->o.probes & PROBE_BIT(PROBE_STACKS)))
		ret = open_stacks(r, err, errlen);
	if (!ret && (r->o.probes & PROBE_BIT(PROBE_REQUESTS)))
		ret = open_requests(r, err, errlen);
	return ret;
}

static int open_session(struct recorder *r, char *err, size_t errlen)
{
	struct session_opts so = { 0 };
	int before[256], nb = list_tids(before, 256), ret, e;
	double base_ns = 0;

	if (r->o.probes) /* every probe's tracepoint hits are costed at this rate */
		base_ns = calib_syscall_ns(); /* before any probe is attached */
	so.probes = r->o.probes;
	so.follow_children = r->o.follow_children;
	so.gil_exact = r->o.gil_exact;
	so.gil_stacks = (r->o.probes & PROBE_BIT(PROBE_STACKS)) && !r->o.no_gil_stacks;
	so.stacks_hz = r->o.freq;
	if ((e = session__open(&so, &r->sess))) {
		snprintf(err, errlen, "could not load and attach the probes: %s%s", strerror(-e),
			 log_verbosity ? "" : " (run with -v for libbpf's log)");
		return EXIT_ENV;
	}
	if (r->o.probes)
		calibrate_syscalls(r, base_ns);
	if ((ret = open_modules(r, err, errlen)))
		return ret;
	r->fol = follow__new(r->sess, &(struct follow_opts){ .hold_execs = r->py && r->o.follow_children,
							      .on_exec = follow_hook_pytrack, .ctx = r->py });
	if (!r->fol) {
		snprintf(err, errlen, "could not attach the exec probe: %s", strerror(errno));
		return EXIT_ENV;
	}
	note_own_threads(r, before, nb);
	session__reset(r->sess);
	r->res = resources__new("/proc");
	return EXIT_OK;
}

int recorder_open(const struct record_opts *o, struct recorder **out, char *err, size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	int ret = EXIT_BADINPUT, e;

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return EXIT_ENV;
	}
	r->o = *o;
	r->sys_hit_ns = r->uprobe_hit_ns = r->child_cpu_ms = r->own_cpu_ms = -1;
	r->hc.go_fd = r->hc.err_fd = -1;
	if (o->cmd && (e = target_check_cmd(o->cmd[0], r->cmd_path, sizeof(r->cmd_path))))
		snprintf(err, errlen, "cannot execute '%s': %s", o->cmd[0], strerror(-e));
	else if (!(ret = check_env(err, errlen)))
		ret = open_session(r, err, errlen);
	if (ret) {
		recorder_free(r);
		return ret;
	}
	*out = r;
	return EXIT_OK;
}

/* ---- start: the target ---- */

static int start_command(struct recorder *r, char *err, size_t errlen)
{
	int e;

	if ((e = target_spawn_held(r->o.cmd, &r->hc))) {
		snprintf(err, errlen, "fork: %s", strerror(-e));
		return EXIT_ENV;
	}
	r->spawned = true;
	if (r->hc.own_group)
		guardian_kill_group_on_exit(r->hc.pid);
	r->tgt.pid = r->hc.pid;
	session__add_target(r->sess, r->hc.pid);
	/* An interpreter run directly (not through a script such as a pyenv shim) is probed
	 * before its first instruction; otherwise at the first poll after it starts. */
	if (r->py)
		pytrack__preattach(r->py, r->cmd_path, r->hc.pid);
	ffi__preattach(r->ffi, r->cmd_path);
	if ((e = target_release(&r->hc))) {
		int ws;

		waitpid(r->hc.pid, &ws, 0);
		r->tgt.exited = 1;
		snprintf(err, errlen, "cannot execute '%s': %s", r->o.cmd[0], strerror(-e));
		return EXIT_BADINPUT;
	}
	/* exe and cmdline now; the runtime at the first tick, once the loader has mapped
	 * the interpreter's libraries */
	procfs_read_exe("/proc", r->hc.pid, r->tgt.exe, sizeof(r->tgt.exe));
	procfs_read_cmdline("/proc", r->hc.pid, r->tgt.cmdline, sizeof(r->tgt.cmdline));
	if (own_image(r->tgt.exe)) /* released, not exec'd yet: the first tick reads them */
		r->tgt.exe[0] = r->tgt.cmdline[0] = '\0';
	log_debug("started pid %d: %s", r->hc.pid, r->o.cmd[0]);
	return EXIT_OK;
}

static int start_pid(struct recorder *r, char *err, size_t errlen)
{
	int kids[MAX_TARGETS], n = 0;

	r->tgt.pid = r->o.pid;
	session__add_target(r->sess, r->o.pid);
	if (r->o.follow_children)
		n = target_descendants("/proc", r->o.pid, kids, MAX_TARGETS - 1);
	for (int i = 0; i < n; i++)
		session__add_target(r->sess, kids[i]);
	/* harden: a target that exits while the probes attach is a partial profile marked
	 * target_exited (the run loop sees it at its first tick), as when it exits later */
	if (!procfs_alive("/proc", r->o.pid))
		log_warn("record: -p: process %d exited as the probes attached: the profile is partial", r->o.pid);
	fill_target_info(&r->tgt);
	log_debug("attached to pid %d and %d descendants", r->o.pid, n);
	return EXIT_OK;
}

int recorder_start(struct recorder *r, char *err, size_t errlen)
{
	int ret;

	/* harden: -p was checked before the probes were opened (validate_pid_target); a target gone
	 * since is handled by start_pid as a partial profile */
	ret = r->o.cmd ? start_command(r, err, errlen) : start_pid(r, err, errlen);
	if (ret)
		return ret;
	/* the first poll attaches the per-binary probes: when this returns, they are attached. A
	 * command has only just exec'd: its USS would be a few kB, not its own; it is read from the
	 * first whole second on, and at the end */
	sample_resources(r, !r->o.cmd);
	return EXIT_OK;
}

void recorder_stop(struct recorder *r, int sig)
{
	if (!r || r->stopped)
		return;
	r->stopped = true;
	stacks__stop(r->stk); /* sampling ends; what is queued is unwound while the target may live */
	if (!r->tgt.exe[0] && r->cmd_path[0]) /* it exited before its exe could be read */
		snprintf(r->tgt.exe, sizeof(r->tgt.exe), "%s", r->cmd_path);
	if (!r->tgt.have_rt && r->tgt.exe[0] && !runtime_detect_elf(r->tgt.exe, &r->tgt.rt))
		r->tgt.have_rt = 1; /* the target exited before its first tick */
	reqtrack__stop(r->req);
	net__stop(r->net);
	session__detach(r->sess); /* counts freeze here; the maps stay readable */
	if (r->spawned && !r->tgt.exited && r->hc.go_fd < 0)
		stop_child(r, sig ? sig : SIGTERM);
}

const struct recorder_result *recorder_result(const struct recorder *rc)
{
	struct recorder *r = (struct recorder *)rc;

	r->result.pid = r->tgt.pid;
	r->result.runtime = r->tgt.have_rt ? r->tgt.rt.name : NULL;
	r->result.version = r->tgt.rt.version;
	r->result.elapsed = r->elapsed;
	r->result.partial = r->partial;
	r->result.exited = r->tgt.exited;
	r->result.exit_status = r->tgt.exit_status;
	r->result.own_cpu_ms = r->own_cpu_ms;
	return &r->result;
}

void recorder_free(struct recorder *r)
{
	if (!r)
		return;
	if (r->spawned && !r->tgt.exited && r->hc.go_fd >= 0) {
		close(r->hc.go_fd); /* never released: it exits on EOF */
		waitpid(r->hc.pid, NULL, 0);
	} else if (r->spawned && !r->tgt.exited) {
		stop_child(r, SIGTERM);
	}
	if (r->spawned && r->hc.own_group)
		guardian_forget(r->hc.pid);
	if (r->hc.err_fd >= 0)
		close(r->hc.err_fd);
	resources__free(r->res);
	follow__free(r->fol); /* before the hook's pytrack */
	pytrack__free(r->py);
	stacks__free(r->stk);
	ffi__free(r->ffi);
	reqtrack__free(r->req);
	net__free(r->net);
	session__free(r->sess);
	free(r);
}

struct reqtrack *recorder_requests(struct recorder *r)
{
	return r ? r->req : NULL;
}
