/* SPDX-License-Identifier: GPL-2.0-only */
/* probe_floor: the irreducible cost of the kernel's hooks that bindprof's probes use, with BPF
 * programs that only compare the target's tgid and return. Benchmark helper (scripts/bench/).
 *   probe_floor -- CMD ARGS...                  tp_btf sys_enter/sys_exit, for CMD's whole run
 *   probe_floor --sys -p PID -d SECS            the same, on a running process
 *   probe_floor --switch -p PID -d SECS         tp_btf/sched_switch (the gil probe's hook)
 *   probe_floor --sock -p PID -d SECS           tp_btf sock_recv_length, sock_send_length,
 *                                               inet_sock_set_state (the requests probe's hooks)
 *   probe_floor --sample HZ -p PID -d SECS      perf_event cpu-clock at HZ on every CPU (stacks)
 *   probe_floor --uprobe PATH:FUNC... -p PID -d SECS   a uprobe and a uretprobe on each (ffi)
 * The modes combine (--switch --sock --sample 99: the default set's hooks).
 * Prints "probe_floor: recording pid PID" once attached; exits with CMD's status, or 0. */
#include <errno.h>
#include <stdbool.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "core/target.h"

static int usage(void)
{
	fprintf(stderr, "usage: probe_floor -- CMD ARGS... | probe_floor (--sys | --switch | --sock | --sample HZ | "
			"--uprobe PATH:FUNC...) -p PID -d SECS\n");
	return 2;
}

enum { M_SYS = 1, M_SWITCH = 2, M_SOCK = 4, M_SAMPLE = 8, M_UPROBE = 16 };

/* The programs of the hooks asked for (modes combine: the floor of a probe set). */
static bool wanted(struct floor_bpf *skel, struct bpf_program *p, int modes)
{
	return ((modes & M_SYS) && (p == skel->progs.floor_enter || p == skel->progs.floor_exit)) ||
	       ((modes & M_SWITCH) && p == skel->progs.floor_switch) ||
	       ((modes & M_SOCK) &&
		(p == skel->progs.floor_recv || p == skel->progs.floor_send || p == skel->progs.floor_state)) ||
	       ((modes & M_SAMPLE) && p == skel->progs.floor_sample) ||
	       ((modes & M_UPROBE) && (p == skel->progs.floor_uprobe || p == skel->progs.floor_uretprobe));
}

int main(int argc, char **argv)
{
	struct held_child hc;
	struct floor_bpf *skel;
	int status = 0, pid = 0, secs = 0, hz = 0, nup = 0;
	const char *ups[64];
	struct bpf_program *p;
	int modes = 0;
	struct bpf_link *links[256];
	int nlinks = 0;

	if (argc >= 3 && !strcmp(argv[1], "--")) {
		if (target_spawn_held(argv + 2, &hc)) {
			perror("probe_floor: fork");
			return 2;
		}
		skel = floor_bpf__open();
		if (!skel)
			return 3;
		skel->rodata->targ_tgid = hc.pid;
		bpf_object__for_each_program(p, skel->obj)
			bpf_program__set_autoload(p, wanted(skel, p, M_SYS));
		if (floor_bpf__load(skel) || floor_bpf__attach(skel)) {
			fprintf(stderr, "probe_floor: cannot load or attach (root?)\n");
			floor_bpf__destroy(skel);
			return 3;
		}
		if (target_release(&hc)) {
			fprintf(stderr, "probe_floor: cannot execute %s\n", argv[2]);
			floor_bpf__destroy(skel);
			return 2;
		}
		waitpid(hc.pid, &status, 0);
		floor_bpf__destroy(skel);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sys"))
			modes |= M_SYS;
		else if (!strcmp(argv[i], "--switch"))
			modes |= M_SWITCH;
		else if (!strcmp(argv[i], "--sock"))
			modes |= M_SOCK;
		else if (!strcmp(argv[i], "--sample") && i + 1 < argc)
			modes |= M_SAMPLE, hz = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--uprobe") && i + 1 < argc && nup < 64)
			modes |= M_UPROBE, ups[nup++] = argv[++i];
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			pid = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			secs = atoi(argv[++i]);
		else
			return usage();
	}
	if (!modes || pid <= 0 || secs <= 0)
		return usage();
	skel = floor_bpf__open();
	if (!skel)
		return 3;
	skel->rodata->targ_tgid = pid;
	/* hold the kernel's BPF run-time statistics on while attached, as bindprof does, whatever
	 * another process writes to kernel.bpf_stats_enabled meanwhile (-1 on failure: ignored) */
	(void)bpf_enable_stats(BPF_STATS_RUN_TIME);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, wanted(skel, p, modes));
	if (floor_bpf__load(skel)) {
		fprintf(stderr, "probe_floor: cannot load (root?)\n");
		floor_bpf__destroy(skel);
		return 3;
	}
	bpf_object__for_each_program(p, skel->obj) { /* the tracepoints */
		if (!wanted(skel, p, modes & (M_SYS | M_SWITCH | M_SOCK)))
			continue;
		if (nlinks == 256 || !(links[nlinks++] = bpf_program__attach(p)))
			goto fail;
	}
	if (modes & M_SAMPLE) {
		for (int cpu = 0; cpu < libbpf_num_possible_cpus() && nlinks < 256; cpu++) {
			struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_CPU_CLOCK,
						     .size = sizeof(a), .freq = 1, .sample_freq = hz };
			int fd = syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

			if (fd >= 0 && (links[nlinks] = bpf_program__attach_perf_event(skel->progs.floor_sample, fd)))
				nlinks++;
		}
	}
	if (modes & M_UPROBE) {
		for (int i = 0; i < nup && nlinks + 2 <= 256; i++) {
			char path[4096], *colon;
			LIBBPF_OPTS(bpf_uprobe_opts, o);

			snprintf(path, sizeof(path), "%s", ups[i]);
			colon = strrchr(path, ':');
			if (!colon)
				return usage();
			*colon = '\0';
			o.func_name = colon + 1;
			if (!(links[nlinks++] = bpf_program__attach_uprobe_opts(skel->progs.floor_uprobe, -1, path, 0, &o)))
				goto fail;
			o.retprobe = true;
			if (!(links[nlinks++] = bpf_program__attach_uprobe_opts(skel->progs.floor_uretprobe, -1, path, 0, &o)))
				goto fail;
		}
	}
	fprintf(stderr, "probe_floor: recording pid %d\n", pid);
	sleep(secs);
	for (int i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	floor_bpf__destroy(skel);
	return 0;
fail:
	fprintf(stderr, "probe_floor: cannot attach: %s\n", strerror(errno));
	floor_bpf__destroy(skel);
	return 3;
}
