/* probe_floor -- CMD ARGS...: run CMD with empty tp_btf sys_enter/sys_exit programs attached for
 * it, the irreducible cost of the kernel's tracepoint machinery for the syscall probe's hits.
 * probe_floor --switch -p PID -d SECS: an empty tp_btf/sched_switch program for SECS seconds, the
 * floor of the gil probe. Benchmark helpers (scripts/bench/); exit with CMD's status, or 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "target.h"

int main(int argc, char **argv)
{
	struct held_child hc;
	struct floor_bpf *skel;
	int status = 0;

	if (argc == 6 && !strcmp(argv[1], "--switch") && !strcmp(argv[2], "-p") && !strcmp(argv[4], "-d")) {
		skel = floor_bpf__open();
		if (!skel)
			return 3;
		skel->rodata->targ_tgid = atoi(argv[3]);
		bpf_program__set_autoload(skel->progs.floor_enter, false);
		bpf_program__set_autoload(skel->progs.floor_exit, false);
		if (floor_bpf__load(skel) || floor_bpf__attach(skel)) {
			floor_bpf__destroy(skel);
			return 3;
		}
		fprintf(stderr, "probe_floor: recording pid %s\n", argv[3]);
		sleep(atoi(argv[5]));
		floor_bpf__destroy(skel);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: probe_floor -- CMD ARGS... | probe_floor --switch -p PID -d SECS\n");
		return 2;
	}
	if (target_spawn_held(argv + 2, &hc)) {
		perror("probe_floor: fork");
		return 2;
	}
	skel = floor_bpf__open();
	if (!skel)
		return 3;
	skel->rodata->targ_tgid = hc.pid;
	bpf_program__set_autoload(skel->progs.floor_switch, false);
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
