/* probe_floor -- CMD ARGS...: run CMD with empty tp_btf sys_enter/sys_exit programs attached for
 * it, the irreducible cost of the kernel's tracepoint machinery for the syscall probe's hits.
 * A benchmark helper (scripts/bench/syscalls.sh); exits with CMD's status. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "target.h"

int main(int argc, char **argv)
{
	struct held_child hc;
	struct floor_bpf *skel;
	int status = 0;

	if (argc < 3 || strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: probe_floor -- CMD ARGS...\n");
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
