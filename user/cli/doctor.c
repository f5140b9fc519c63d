/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof doctor [-p PID]`: what this kernel offers, and how a target would be probed. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cli/commands.h"
#include "cli/doctor.h"
#include "cli/options.h"
#include "inspect/cpython.h"
#include "core/env.h"
#include "lib/log.h"
#include "inspect/metadata.h"
#include "core/probes.h"
#include "inspect/procfs.h"
#include "core/session.h"
#include "lib/util.h"

enum { O_PID = 1, O_VERBOSE, O_HELP };

static const struct cli_option doctor_options[] = {
	{ "pid", 'p', O_PID, "PID", "also inspect this process: its runtime and the probe method each metric "
				    "would use", 0 },
	{ "verbose", 'v', O_VERBOSE, NULL, "libbpf's logging on stderr (repeat for more)", CLI_OPT_REPEAT },
	{ "help", 'h', O_HELP, NULL, "this help", 0 },
	{},
};

static const char doctor_about[] =
	"Print what this kernel supports (BTF, tracepoints, uprobes, perf events), the privileges held and, for a "
	"target, its runtime and the probe method each metric would use. Exits 3 when this environment cannot "
	"probe (no privileges, no BTF, or the tracepoint programs do not load).";

static int doctor_option(void *ctx, int id, const char *arg, char *err, int errlen)
{
	struct doctor_opts *o = ctx;

	switch (id) {
	case O_PID:
		return cli_parse_pid(arg, &o->pid, err, errlen);
	case O_VERBOSE:
		o->verbose++;
		return 0;
	default: /* O_HELP */
		o->help = true;
		return CLI_STOP;
	}
}

int doctor_parse_opts(int argc, char **argv, struct doctor_opts *o, char *err, int errlen)
{
	int first;

	memset(o, 0, sizeof(*o));
	first = cli_parse(doctor_options, 0, argc, argv, doctor_option, o, err, errlen);
	if (first <= 0)
		return first;
	if (first < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[first]);
		return -EINVAL;
	}
	return 0;
}

void doctor_usage(FILE *f)
{
	cli_options_usage(f, "bindprof doctor", NULL, doctor_options, doctor_about, NULL);
}

static int perf_cpu_clock_ok(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_freq = 99,
		.freq = 1,
		.disabled = 1,
	};
	int fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void line(const char *what, bool ok, const char *detail)
{
	printf("  %-14s %s%s%s\n", what, ok ? "yes" : "NO", detail[0] ? "  " : "", detail);
}

/* The target's runtime and, for CPython, the method each probe would use. */
static void print_target(int pid)
{
	struct target_info t = { .pid = pid };
	struct cpython_target ct;
	int usdt = 0, g;

	procfs_read_exe("/proc", t.pid, t.exe, sizeof(t.exe));
	procfs_read_cmdline("/proc", t.pid, t.cmdline, sizeof(t.cmdline));
	t.have_rt = !runtime_detect_pid("/proc", t.pid, &t.rt);
	printf("\nTarget pid %d: %s\n", pid, t.cmdline);
	printf("  %-14s %s\n", "exe", t.exe);
	printf("  %-14s %s %s\n", "runtime", t.have_rt ? t.rt.name : "unknown", t.rt.version[0] ? t.rt.version : "");
	if (t.have_rt && !strcmp(t.rt.name, "cpython")) {
		usdt = elf_has_section(t.rt.elf, ".note.stapsdt") == 1;
		printf("  %-14s %s (%s)\n", "USDT notes", usdt ? "yes" : "no", t.rt.elf);
	}
	printf("\nProbe methods for this target:\n");
	printf("  %-10s %s\n", "syscalls", "tp_btf/sys_enter + tp_btf/sys_exit, filtered on the target's tgids");
	printf("  %-10s %s\n", "", "(opt-in: slows every syscall on the machine)");
	printf("  %-10s %s\n", "stacks", "perf_event cpu-clock per CPU; user stacks unwound from DWARF CFI");
	printf("  %-10s %s\n", "requests", "tp_btf sock_recv_length/sock_send_length: HTTP/1.x request boundaries");
	printf("  %-10s %s\n", "ffi", "uprobe+uretprobe per function of --ffi LIB[:GLOB]; without it, each");
	printf("  %-10s %s\n", "", "native library's share of the stack samples");
	if (cpython_inspect("/proc", t.pid, &ct) || !ct.minor) {
		printf("  %-10s none: not a CPython process\n", "gil");
		printf("  %-10s none: not a CPython process\n", "gc");
		printf("  %-10s stacks: native frames only (no CPython interpreter)\n", "");
		return;
	}
	printf("  %-10s %s\n", "", "stacks: Python frames read from the sampled thread's PyThreadState");
	g = cpython_supported(ct.minor) ? cpython_resolve_gil(&ct) : -ENOTSUP;
	if (!g)
		printf("  %-10s sched_switch+futex (GIL struct at %#llx in %s)\n", "gil",
		       (unsigned long long)ct.gil_addr, ct.elf);
	else
		printf("  %-10s none yet: GIL not located (%s)\n", "gil",
		       g == -ENOTSUP ? "no layout for this version" : strerror(-g));
	printf("  %-10s %s\n", "", ct.has_take_gil ? "--gil-method exact: uprobe:take_gil available (waits and holds)"
						 : "--gil-method exact unavailable: no take_gil symbol (stripped build)");
	if (ct.usdt_gc)
		printf("  %-10s usdt:gc__start/gc__done (%s)\n", "gc", ct.elf);
	else if (ct.gc_nfuncs)
		printf("  %-10s uprobe:%s (%s)\n", "gc", ct.gc_funcs[0].name, ct.elf);
	else
		printf("  %-10s none: no USDT notes and no collector symbol\n", "gc");
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_opts o;
	struct env_caps caps;
	struct utsname u;
	char msg[512], buf[256];
	bool can_bpf, probes_ok = false;
	int pid, e;

	if (doctor_parse_opts(argc, argv, &o, msg, sizeof(msg))) {
		log_err("doctor: %s", msg);
		return EXIT_BADINPUT;
	}
	if (o.help) {
		doctor_usage(stdout);
		return EXIT_OK;
	}
	pid = o.pid;
	log_verbosity += o.verbose;
	if (pid && !procfs_alive("/proc", pid)) {
		log_err("doctor: -p: no such process: %d", pid);
		return EXIT_BADINPUT;
	}
	log_setup_libbpf();
	uname(&u);
	printf("Kernel %s (%s)\n", u.release, u.machine);
	line("BTF", env_has_btf(), env_has_btf() ? BTF_PATH : "CO-RE needs CONFIG_DEBUG_INFO_BTF=y");

	env_read_caps(&caps);
	snprintf(msg, sizeof(msg), "%s%s%s%s", caps.root ? "root " : "", caps.cap_sys_admin ? "CAP_SYS_ADMIN " : "",
		 caps.cap_bpf ? "CAP_BPF " : "", caps.cap_perfmon ? "CAP_PERFMON" : "");
	can_bpf = !env_check_privileges(buf, sizeof(buf));
	line("privileges", can_bpf, can_bpf ? msg : buf);

	if (can_bpf && env_has_btf()) {
		struct session_opts so = { .probes = PROBE_BIT(PROBE_SYSCALLS), .follow_children = true };
		struct session *s = NULL;
		int old = log_verbosity;

		e = session__open(&so, &s);
		log_verbosity = old;
		probes_ok = !e;
		line("tracepoints", !e,
		     e ? strerror(-e) : "tp_btf sched_process_fork/exit and raw_syscalls load and attach");
		session__free(s);
	} else {
		line("tracepoints", false, "not tried: needs privileges and BTF");
	}
	e = access("/sys/bus/event_source/devices/uprobe/type", R_OK);
	line("uprobes", !e, e ? "no uprobe PMU in /sys/bus/event_source/devices" : "uprobe PMU present");
	e = perf_cpu_clock_ok();
	snprintf(msg, sizeof(msg), "%s", e ? strerror(-e) : "software cpu-clock sampling opens");
	line("perf events", !e, msg);

	if (pid)
		print_target(pid);
	/* a kernel or privileges that cannot probe is the environment's failure: exit 3, with why */
	if (!can_bpf || !env_has_btf() || !probes_ok) {
		fprintf(stderr, "bindprof: doctor: this environment cannot probe: %s\n",
			!can_bpf ? "missing privileges (run as root, or grant CAP_BPF and CAP_PERFMON)"
			: !env_has_btf() ? "the kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y)"
					 : "the tracepoint programs did not load and attach");
		return EXIT_ENV;
	}
	return EXIT_OK;
}
