/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof record`: attach, measure until the duration ends, Ctrl-C or the target's exit, write
 * the profile whole, print a summary. Probes are detached on every exit path (session__free). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "core/calib.h"
#include "cli/commands.h"
#include "core/env.h"
#include "lib/log.h"
#include "inspect/metadata.h"
#include "core/probes.h"
#include "inspect/procfs.h"
#include "output/document.h"
#include "cli/record_opts.h"
#include "probes/requests.h"
#include "probes/python.h"
#include "core/resources.h"
#include "core/session.h"
#include "probes/syscalls.h"
#include "probes/stacks.h"
#include "probes/ffi.h"
#include "core/target.h"
#include "lib/util.h"

#define TICK_MS 100
#define USS_EVERY_TICKS 10
#define KILL_GRACE_MS 2000

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* One signal-handling pattern for the program: SIGINT/SIGTERM/SIGHUP set a flag the run loop
 * reads; nothing else happens in the handler. */
void signals_install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int signals_pending(void)
{
	return stop_signal;
}

volatile sig_atomic_t *signals_pending_flag(void)
{
	return &stop_signal;
}

static void sleep_ms(double ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)((ms - (long)(ms / 1000) * 1000) * 1e6) };

	nanosleep(&ts, NULL); /* a signal ends it early, which is what the loop wants */
}

static int output_dir_writable(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	return access(dirname(buf), W_OK) ? -errno : 0;
}

static void fill_target_info(struct target_info *t)
{
	if (procfs_read_exe("/proc", t->pid, t->exe, sizeof(t->exe)))
		t->exe[0] = '\0';
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

struct run {
	struct record_opts o;
	struct session *sess;
	struct resources *res;
	struct target_info tgt;
	struct held_child hc;
	bool spawned;
	struct pytrack *py;     /* CPython processes; NULL without gil/gc */
	struct stacks *stk;     /* stack samples; NULL without stacks */
	struct ffi *ffi;        /* --ffi: timed native calls; NULL without */
	struct reqtrack *req;   /* server-side requests; NULL without */
	double sys_hit_ns;      /* calibrated per-hit cost of a tp_btf program; < 0 when not calibrated */
	double uprobe_hit_ns;   /* of a uprobe (mean of uprobe and uretprobe); < 0 when not calibrated */
	double elapsed;
	double own_cpu_ms;      /* bindprof's CPU during the run loop (all threads); < 0 unknown */
	int links_attached;     /* BPF links attached at the end of the run */
	double child_cpu_ms;    /* from wait4 when the spawned child exited; < 0 otherwise */
	const char *partial;    /* NULL, "interrupted" or "target_exited" */
};

static void sample_resources(struct run *r, bool with_uss)
{
	int pids[MAX_TARGETS], n = session__targets(r->sess, pids, MAX_TARGETS);

	resources__sample(r->res, pids, n, with_uss);
	if (r->py)
		pytrack__poll(r->py, pids, n);
	stacks__poll(r->stk, pids, n);
	ffi__poll(r->ffi, pids, n);
	reqtrack__poll(r->req);
}

/* Remove from the target set the processes that are gone (and not our unreaped child). */
static void prune_targets(struct run *r)
{
	int pids[MAX_TARGETS], n = session__targets(r->sess, pids, MAX_TARGETS);

	for (int i = 0; i < n; i++)
		if (pids[i] != r->tgt.pid && !procfs_alive("/proc", pids[i]))
			session__remove_target(r->sess, pids[i]);
}

static void reap_child(struct run *r, int wstatus, const struct rusage *ru)
{
	r->tgt.exited = 1;
	r->tgt.exit_status = shell_status(wstatus);
	r->child_cpu_ms = (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
			  (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

/* Stop a child we started that outlived the run: SIGTERM, then SIGKILL after a grace period. */
static void stop_child(struct run *r, int sig)
{
	struct rusage ru;
	int wstatus;

	kill(r->hc.pid, sig);
	for (int waited = 0; waited < KILL_GRACE_MS; waited += 50) {
		if (wait4(r->hc.pid, &wstatus, WNOHANG, &ru) == r->hc.pid) {
			reap_child(r, wstatus, &ru);
			return;
		}
		sleep_ms(50);
	}
	kill(r->hc.pid, SIGKILL);
	if (wait4(r->hc.pid, &wstatus, 0, &ru) == r->hc.pid)
		reap_child(r, wstatus, &ru);
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 +
	       ru.ru_stime.tv_usec / 1e3;
}

static void run_loop(struct run *r)
{
	uint64_t t0 = now_ns();
	double cpu0 = self_cpu_ms();
	int tick = 0;

	sample_resources(r, true);
	for (;;) {
		double left = r->o.duration ? r->o.duration * 1e3 - (now_ns() - t0) / 1e6 : TICK_MS;
		struct rusage ru;
		int wstatus;

		if (left <= 0)
			break;
		sleep_ms(left < TICK_MS ? left : TICK_MS);
		tick++;
		if (signals_pending()) {
			r->partial = "interrupted";
			break;
		}
		if (r->spawned) {
			if (wait4(r->hc.pid, &wstatus, WNOHANG, &ru) == r->hc.pid) {
				reap_child(r, wstatus, &ru);
				break; /* the command's end is the natural end of the run */
			}
		} else if (!procfs_alive("/proc", r->tgt.pid)) {
			r->partial = "target_exited";
			break;
		}
		if (!r->tgt.have_rt)
			fill_target_info(&r->tgt);
		sample_resources(r, tick % USS_EVERY_TICKS == 0);
		if (tick % 10 == 0)
			prune_targets(r);
	}
	sample_resources(r, false);
	r->elapsed = (now_ns() - t0) / 1e9;
	r->own_cpu_ms = cpu0 >= 0 ? self_cpu_ms() - cpu0 : -1;
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
	return h == HIT_GIL_TAKE || h == HIT_GIL_TAKE_RET || h == HIT_GIL_DROP || h == HIT_GIL_DROP_RET || h == HIT_GC_START ||
	       h == HIT_GC_DONE || h == HIT_GC_CHOICE || h == HIT_FFI_ENTER || h == HIT_FFI_EXIT || h == HIT_FFI_GIL;
}

static cJSON *overhead_json(struct run *r, const uint64_t *hits, double target_cpu_ms)
{
	cJSON *o = cJSON_CreateObject(), *ph = cJSON_AddObjectToObject(o, "probe_hits"), *per;
	uint64_t tp = 0, up = 0, tr_runs = 0, rq_runs = 0;
	double stk_ms = stacks__bpf_cpu_ms(r->stk), tr_ms = 0;
	bool measured = false;

	/* With BPF statistics on, the tracepoint programs' own run time is measured, on every
	 * switch and socket operation of the machine they run on, rather than estimated from the
	 * target's hits at the syscall programs' rate. */
	if (session__bpf_stats(r->sess)) {
		tr_ms = session__tracing_run_ms(r->sess, &tr_runs) + reqtrack__run_ms(r->req, &rq_runs);
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

static cJSON *build_profile(struct run *r)
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
	cJSON_AddNumberToObject(res, "lost_events", lost);
	cJSON_AddItemToObject(res, "lost_by_reason", dr);
	if (lost)
		profile_warn(doc, "lost_events", "%llu events were dropped (see lost_by_reason)",
			     (unsigned long long)lost);
	if (r->o.follow_children)
		profile_warn(doc, "target",
			     "processes in other PID namespaces or containers are not followed");
	return doc;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_summary(const cJSON *doc, const struct run *r)
{
	const cJSON *res = cJSON_GetObjectItem(doc, "results");
	const cJSON *sys = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "syscalls");
	const cJSON *rs = cJSON_GetObjectItem(res, "resources"), *ov = cJSON_GetObjectItem(res, "overhead");
	const cJSON *cpu = cJSON_GetObjectItem(rs, "cpu"), *mem = cJSON_GetObjectItem(rs, "memory"), *e;
	int shown = 0;

	printf("bindprof: pid %d (%s%s%s), %.2f s%s; wrote %s\n", r->tgt.pid,
	       r->tgt.have_rt ? r->tgt.rt.name : "unknown runtime", r->tgt.rt.version[0] ? " " : "",
	       r->tgt.rt.version, r->elapsed, r->partial ? " [partial]" : "", r->o.output);
	if (cJSON_IsObject(sys)) {
		printf("  syscalls: %.0f calls, %.1f ms", num(sys, "total_count"), num(sys, "total_time_ms"));
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(sys, "by_syscall")) {
			if (shown++ == 5)
				break;
			printf("%s %s %.0f (p50 %.1f us, p99 %.1f us)", shown == 1 ? "; top:" : ",",
			       cJSON_GetObjectItem(e, "name")->valuestring, num(e, "count"), num(e, "p50_us"),
			       num(e, "p99_us"));
		}
		printf("\n");
	}
	{
		const cJSON *prof = cJSON_GetObjectItem(res, "profiling");
		const cJSON *gil = cJSON_GetObjectItem(prof, "gil"), *gc = cJSON_GetObjectItem(prof, "gc");

		if (cJSON_IsObject(gil))
			printf("  gil (%s): %.1f ms waited in %.0f waits, %.0f switches%s\n",
			       cJSON_GetObjectItem(gil, "method")->valuestring, num(gil, "wait_ms_total"),
			       num(gil, "waits"), num(gil, "switches"),
			       cJSON_IsNumber(cJSON_GetObjectItem(gil, "contention_percent")) ? "" : "; hold: exact method only");
		if (cJSON_IsNumber(cJSON_GetObjectItem(gil, "contention_percent")))
			printf("       held %.1f ms, contention %.1f%%\n", num(gil, "hold_ms_total"),
			       num(gil, "contention_percent"));
		if (cJSON_IsObject(gc))
			printf("  gc (%s): %.0f collections, %.2f ms paused, max %.2f ms\n",
			       cJSON_GetObjectItem(gc, "method")->valuestring, num(gc, "collections"),
			       num(gc, "pause_ms_total"), num(gc, "pause_max_ms"));
	}
	{
		const cJSON *stk = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "profiling"), "stacks");
		const cJSON *sh = cJSON_GetObjectItem(stk, "share_percent");
		const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(stk, "top_self"), 0);

		if (cJSON_IsObject(stk)) {
			printf("  stacks: %.0f samples at %.0f Hz (python %.1f%%, native %.1f%%, kernel %.1f%%)",
			       num(stk, "samples"), num(stk, "frequency_hz"), num(sh, "python"), num(sh, "native"),
			       num(sh, "kernel"));
			if (top)
				printf("; top self: %s %.1f%%", cJSON_GetObjectItem(top, "frame")->valuestring,
				       num(top, "percent"));
			printf("\n");
		}
	}
	if (cJSON_IsObject(cpu) && cJSON_IsObject(mem))
		printf("  resources: cpu avg %.1f%% peak %.1f%%, rss avg %.1f MB peak %.1f MB\n",
		       num(cpu, "avg_percent"), num(cpu, "peak_percent"), num(mem, "avg_mb"),
		       num(mem, "peak_mb"));
	if (cJSON_IsNumber(cJSON_GetObjectItem(ov, "estimated_cpu_ms")))
		printf("  overhead: est. %.1f ms of probe CPU (%.2f%% of the target's CPU)\n",
		       num(ov, "estimated_cpu_ms"), num(ov, "estimated_percent"));
	printf("  lost events: %.0f\n", num(res, "lost_events"));
}

int cmd_record(int argc, char **argv)
{
	struct run r = { .sys_hit_ns = -1, .uprobe_hit_ns = -1, .child_cpu_ms = -1,
			 .hc = { .go_fd = -1, .err_fd = -1 } };
	struct session_opts so;
	char err[512];
	char cmd_path[PATH_MAX] = "";
	double base_ns = 0;
	cJSON *doc = NULL;
	int e, ret;

	if (record_opts_parse(argc, argv, &r.o, err, sizeof(err))) {
		log_err("record: %s", err);
		return EXIT_BADINPUT;
	}
	if (r.o.help) {
		fputs(record_usage, stdout);
		return EXIT_OK;
	}
	log_verbosity = r.o.verbose;
	log_setup_libbpf();
	if ((e = output_dir_writable(r.o.output))) {
		log_err("record: -o: cannot write '%s': %s", r.o.output, strerror(-e));
		return EXIT_BADINPUT;
	}
	if (r.o.pid && !procfs_alive("/proc", r.o.pid)) {
		log_err("record: -p: no such process: %d", r.o.pid);
		return EXIT_BADINPUT;
	}
	if (r.o.cmd && (e = target_check_cmd(r.o.cmd[0], cmd_path, sizeof(cmd_path)))) {
		log_err("record: cannot execute '%s': %s", r.o.cmd[0], strerror(-e));
		return EXIT_BADINPUT;
	}
	if (env_check_privileges(err, sizeof(err))) {
		log_err("%s", err);
		return EXIT_ENV;
	}
	if (!env_has_btf()) {
		log_err("this kernel has no BTF (%s is missing): CO-RE probes need a kernel built with "
			"CONFIG_DEBUG_INFO_BTF=y",
			BTF_PATH);
		return EXIT_ENV;
	}
	env_raise_nofile();
	signals_install();

	if (r.o.probes) { /* every probe's tracepoint hits are costed at this rate */
		base_ns = calib_syscall_ns(); /* before any probe is attached */
		if (!(r.o.probes & PROBE_BIT(PROBE_SYSCALLS))) {
			/* The GIL's sched_switch hits are costed at the tp_btf rate measured with the
			 * syscall programs, attached for the calibration only. */
			struct session_opts co = { .probes = PROBE_BIT(PROBE_SYSCALLS) };
			struct session *cs = NULL;

			if (!session__open(&co, &cs)) {
				session__add_target(cs, getpid());
				r.sys_hit_ns = (calib_syscall_ns() - base_ns) / 2;
				if (r.sys_hit_ns < 0)
					r.sys_hit_ns = 0;
			}
			session__free(cs);
		}
	}
	so.probes = r.o.probes;
	so.follow_children = r.o.follow_children;
	so.gil_exact = r.o.gil_exact;
	so.gil_stacks = (r.o.probes & PROBE_BIT(PROBE_STACKS)) && !r.o.no_gil_stacks;
	so.stacks_hz = r.o.freq;
	if ((e = session__open(&so, &r.sess))) {
		ret = EXIT_ENV;
		log_err("record: could not load and attach the probes: %s%s", strerror(-e),
			log_verbosity ? "" : " (run with -v for libbpf's log)");
		return ret;
	}

	if (r.o.probes & PROBE_BIT(PROBE_SYSCALLS)) {
		session__add_target(r.sess, getpid());
		r.sys_hit_ns = (calib_syscall_ns() - base_ns) / 2; /* an enter and an exit per call */
		if (r.sys_hit_ns < 0)
			r.sys_hit_ns = 0;
		session__remove_target(r.sess, getpid());
		log_debug("calibrated tp_btf hit cost: %.0f ns", r.sys_hit_ns);
	}
	if (r.o.probes & (PROBE_BIT(PROBE_GIL) | PROBE_BIT(PROBE_GC))) {
		struct pytrack_opts po = {
			.gil = r.o.probes & PROBE_BIT(PROBE_GIL),
			.gc = r.o.probes & PROBE_BIT(PROBE_GC),
			.gil_exact = r.o.gil_exact,
			.follow_children = r.o.follow_children,
		};

		r.uprobe_hit_ns = pytrack__calibrate_uprobe(r.sess);
		log_debug("calibrated uprobe hit cost: %.0f ns", r.uprobe_hit_ns);
		r.py = pytrack__new(r.sess, &po);
	}
	if (r.o.nffi) {
		r.ffi = ffi__new(r.sess, r.o.ffi, r.o.nffi, err, sizeof(err));
		if (!r.ffi) {
			log_err("record: %s", err);
			ret = errno == EINVAL ? EXIT_BADINPUT : EXIT_ENV;
			goto cleanup;
		}
		if (r.uprobe_hit_ns < 0)
			r.uprobe_hit_ns = ffi__hit_ns(r.ffi);
	}
	if (r.o.probes & PROBE_BIT(PROBE_STACKS)) {
		struct stacks_opts sto = {
			.freq = r.o.freq,
			.gil_wait = (r.o.probes & PROBE_BIT(PROBE_GIL)) && !r.o.no_gil_stacks,
			.folded = r.o.folded,
			.svg = r.o.svg,
		};

		r.stk = stacks__new(r.sess, &sto);
		if (!r.stk) {
			log_err("record: could not start the stack sampler: %s", strerror(errno));
			ret = EXIT_ENV;
			goto cleanup;
		}
	}
	if (r.o.probes & PROBE_BIT(PROBE_REQUESTS)) {
		struct reqtrack_opts ro = {
			.gil = r.o.probes & PROBE_BIT(PROBE_GIL),
			.gil_exact = r.o.gil_exact,
			.gc = r.o.probes & PROBE_BIT(PROBE_GC),
			.syscalls = r.o.probes & PROBE_BIT(PROBE_SYSCALLS),
			.stacks = r.o.probes & PROBE_BIT(PROBE_STACKS),
			.ffi = r.ffi != NULL,
			.stacks_hz = r.o.freq,
			.exemplars = r.o.exemplars,
		};

		r.req = reqtrack__new(r.sess, &ro);
		if (!r.req) {
			log_err("record: could not attach the requests probe: %s", strerror(errno));
			ret = EXIT_ENV;
			goto cleanup;
		}
	}
	session__reset(r.sess);
	r.res = resources__new("/proc");

	if (r.o.cmd) {
		if ((e = target_spawn_held(r.o.cmd, &r.hc))) {
			log_err("record: fork: %s", strerror(-e));
			ret = EXIT_ENV;
			goto cleanup;
		}
		r.spawned = true;
		r.tgt.pid = r.hc.pid;
		session__add_target(r.sess, r.hc.pid);
		/* An interpreter run directly (not through a script such as a pyenv shim) is probed
		 * before its first instruction; otherwise at the first poll after it starts. */
		if (r.py)
			pytrack__preattach(r.py, cmd_path, r.hc.pid);
		ffi__preattach(r.ffi, cmd_path);
		if ((e = target_release(&r.hc))) {
			int ws;

			waitpid(r.hc.pid, &ws, 0);
			log_err("record: cannot execute '%s': %s", r.o.cmd[0], strerror(-e));
			ret = EXIT_BADINPUT;
			goto cleanup;
		}
		/* exe and cmdline now; the runtime at the first tick, once the loader has mapped
		 * the interpreter's libraries */
		procfs_read_exe("/proc", r.hc.pid, r.tgt.exe, sizeof(r.tgt.exe));
		procfs_read_cmdline("/proc", r.hc.pid, r.tgt.cmdline, sizeof(r.tgt.cmdline));
		log_debug("started pid %d: %s", r.hc.pid, r.o.cmd[0]);
	} else {
		int kids[MAX_TARGETS], n = 0;

		r.tgt.pid = r.o.pid;
		session__add_target(r.sess, r.o.pid);
		if (r.o.follow_children)
			n = target_descendants("/proc", r.o.pid, kids, MAX_TARGETS - 1);
		for (int i = 0; i < n; i++)
			session__add_target(r.sess, kids[i]);
		if (!procfs_alive("/proc", r.o.pid)) {
			log_err("record: -p: process %d exited as the probes attached", r.o.pid);
			ret = EXIT_BADINPUT;
			goto cleanup;
		}
		fill_target_info(&r.tgt);
		log_debug("attached to pid %d and %d descendants", r.o.pid, n);
	}
	if (!r.o.cmd)
		log_info("recording pid %d%s; Ctrl-C to stop", r.tgt.pid,
			 r.o.duration ? "" : " until it exits");

	run_loop(&r);
	stacks__stop(r.stk); /* sampling ends; what is queued is unwound while the target may live */
	if (!r.tgt.have_rt && r.tgt.exe[0] && !runtime_detect_elf(r.tgt.exe, &r.tgt.rt))
		r.tgt.have_rt = 1; /* the target exited before its first tick */
	reqtrack__stop(r.req);
	session__detach(r.sess); /* counts freeze here; the maps stay readable */
	if (r.spawned && !r.tgt.exited)
		stop_child(&r, stop_signal ? stop_signal : SIGTERM);

	doc = build_profile(&r);
	if ((e = profile_write(doc, r.o.output))) {
		log_err("record: writing '%s': %s", r.o.output, strerror(-e));
		ret = EXIT_BADINPUT;
		goto cleanup;
	}
	print_summary(doc, &r);
	ret = EXIT_OK;
cleanup:
	if (r.spawned && !r.tgt.exited && r.hc.go_fd >= 0) {
		close(r.hc.go_fd); /* never released: it exits on EOF */
		waitpid(r.hc.pid, NULL, 0);
	}
	cJSON_Delete(doc);
	resources__free(r.res);
	pytrack__free(r.py);
	stacks__free(r.stk);
	ffi__free(r.ffi);
	reqtrack__free(r.req);
	session__free(r.sess);
	return ret;
}
