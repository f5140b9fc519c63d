/* SPDX-License-Identifier: GPL-2.0-only */
/* Log-linear histograms (bpf/hist.h) from BPF programs. */
#ifndef BINDPROF_HIST_BPF_H
#define BINDPROF_HIST_BPF_H

#include "hist.h"

/* Count v in a histogram shared by every CPU. */
static __always_inline void hist_add(__u64 *hist, __u64 v)
{
	__u32 slot = hist_slot(v);

	barrier_var(slot);
	if (slot < HIST_SLOTS)
		__sync_fetch_and_add(&hist[slot], 1);
}

#endif /* BINDPROF_HIST_BPF_H */
