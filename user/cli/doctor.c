/* SPDX-License-Identifier: GPL-2.0-only */
/* `bindprof doctor [-p PID]`: what this kernel offers, and how a target would be probed. */
#include <errno.h>
#include <getopt.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "cli/commands.h"
#include "inspect/cpython.h"
#include "core/env.h"
#include "lib/log.h"
#include "inspect/metadata.h"
#include "core/probes.h"
#include "inspect/procfs.h"
#include "core/session.h"
#include "lib/util.h"

static const char doctor_usage[] =
	"usage: bindprof doctor [-p PID] [-v]\n"
	"\n"
	"Print what this kernel supports (BTF, tracepoints, uprobes, perf events), the privileges\n"
	"held and, for a target, its runtime and the probe method each metric would use.\n";

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

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct env_caps caps;
	struct utsname u;
	char msg[512], buf[256];
	bool can_bpf;
	int pid = 0;
	int c, e;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, &pid, msg, sizeof(msg))) {
				log_err("doctor: %s", msg);
				return EXIT_BADINPUT;
			}
			break;
		case 'v':
			log_verbosity++;
			break;
		case 'h':
			fputs(doctor_usage, stdout);
			return EXIT_OK;
		case ':':
			log_err("doctor: option '%s' needs a value", argv[optind - 1]);
			return EXIT_BADINPUT;
		default:
			log_err("doctor: unknown option '%s'", argv[optind - 1]);
			return EXIT_BADINPUT;
		}
	}
	if (optind < argc) {
		log_err("doctor: unexpected argument '%s'", argv[optind]);
		return EXIT_BADINPUT;
	}
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

	if (pid) {
		struct target_info t = { .pid = pid };
		int usdt = 0;

		procfs_read_exe("/proc", t.pid, t.exe, sizeof(t.exe));
		procfs_read_cmdline("/proc", t.pid, t.cmdline, sizeof(t.cmdline));
		t.have_rt = !runtime_detect_pid("/proc", t.pid, &t.rt);
		printf("\nTarget pid %d: %s\n", pid, t.cmdline);
		printf("  %-14s %s\n", "exe", t.exe);
		printf("  %-14s %s %s\n", "runtime", t.have_rt ? t.rt.name : "unknown",
		       t.rt.version[0] ? t.rt.version : "");
		if (t.have_rt && !strcmp(t.rt.name, "cpython")) {
			usdt = elf_has_section(t.rt.elf, ".note.stapsdt") == 1;
			printf("  %-14s %s (%s)\n", "USDT notes", usdt ? "yes" : "no", t.rt.elf);
		}
		printf("\nProbe methods for this target:\n");
		printf("  %-10s %s\n", "syscalls",
		       "tp_btf/sys_enter + tp_btf/sys_exit, filtered on the target's tgids (opt-in: slows "
		       "every syscall on the machine)");
		{
			struct cpython_target ct;

			if (cpython_inspect("/proc", t.pid, &ct) || !ct.minor) {
				printf("  %-10s none: not a CPython process\n", "gil");
				printf("  %-10s none: not a CPython process\n", "gc");
			} else {
				int g = cpython_supported(ct.minor) ? cpython_resolve_gil(&ct) : -ENOTSUP;

				if (!g)
					printf("  %-10s sched_switch+futex (GIL struct at %#llx in %s)\n", "gil",
					       (unsigned long long)ct.gil_addr, ct.elf);
				else
					printf("  %-10s none yet: GIL not located (%s)\n", "gil",
					       g == -ENOTSUP ? "no layout for this version" : strerror(-g));
				printf("  %-10s %s\n", "", ct.has_take_gil
					       ? "--gil-method exact: uprobe:take_gil available (waits and holds)"
					       : "--gil-method exact unavailable: no take_gil symbol (stripped build)");
				if (ct.usdt_gc)
					printf("  %-10s usdt:gc__start/gc__done (%s)\n", "gc", ct.elf);
				else if (ct.gc_nfuncs)
					printf("  %-10s uprobe:%s (%s)\n", "gc", ct.gc_funcs[0].name, ct.elf);
				else
					printf("  %-10s none: no USDT notes and no collector symbol\n", "gc");
			}
		}
	}
	return EXIT_OK;
}
