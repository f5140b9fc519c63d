/* SPDX-License-Identifier: GPL-2.0-only */
/* Log-linear latency histogram: its geometry and the BPF side's verifier-friendly slot function.
 * The user side reads these histograms with the one log-linear implementation,
 * user/stats/histogram.h (which the unit tests hold to the same slot for every value).
 *
 * Values (nanoseconds) below 64 have a slot each. Above, every power of two [2^e, 2^(e+1)) is cut
 * into HIST_SUB equal sub-buckets, so a slot is at most 1/32 of its lower bound wide: reporting a
 * slot's midpoint is within 1.6% of any value in it. Plain log2 buckets (100% wide) cannot give
 * the p50 of a 2 ms sleep within 5%.
 *
 * Fixed-width types only: include after vmlinux.h (BPF) or <linux/types.h> (user space).
 */
#ifndef BINDPROF_HIST_H
#define BINDPROF_HIST_H

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 39 /* 2^40 ns ~ 18 minutes; larger values land in the last slot */
#define HIST_SLOTS ((HIST_MAX_EXP - HIST_SUB_BITS) * HIST_SUB + 2 * HIST_SUB)

/* floor(log2(v)) for v > 0, loop-free so the BPF verifier accepts it cheaply. */
static inline __u32 hist_log2(__u64 v)
{
	__u32 r, s;

	r = (v > 0xFFFFFFFFull) << 5; v >>= r;
	s = (v > 0xFFFF) << 4; v >>= s; r |= s;
	s = (v > 0xFF) << 3; v >>= s; r |= s;
	s = (v > 0xF) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

static inline __u32 hist_slot(__u64 v)
{
	__u32 e, slot;

	if (v < 2 * HIST_SUB)
		return (__u32)v;
	e = hist_log2(v);
	if (e > HIST_MAX_EXP)
		return HIST_SLOTS - 1;
	slot = (e - HIST_SUB_BITS) * HIST_SUB + (__u32)(v >> (e - HIST_SUB_BITS));
	return slot < HIST_SLOTS ? slot : HIST_SLOTS - 1;
}

#endif /* BINDPROF_HIST_H */
