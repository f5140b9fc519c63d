/* SPDX-License-Identifier: GPL-2.0-only */
/* The net probe (bpf/net.bpf.c, user/probes/net.c) and the two calls the requests probe makes into
 * it (bpf/net.bpf.h): what the BPF side and the loader share.
 *
 * Fixed-width types only: include after vmlinux.h (BPF) or <linux/types.h> (user space). */
#ifndef BINDPROF_NET_H
#define BINDPROF_NET_H

#include "hist.h"

#define NET_MAX_PORTS 64    /* listening ports of the target watched */
#define NET_MAX_RETRANS 4096 /* connections with retransmits kept (LRU) */

/* Per served socket (socket-local storage: freed with the socket). */
struct net_sk {
	__u64 estab_ns;  /* SYN_RECV -> ESTABLISHED (the connection entered the accept queue) */
	__u64 hold_ns;   /* a write left a sub-MSS tail unsent behind unacknowledged data (Nagle) */
	__u64 hold_j;    /* jiffies at that write */
	__u32 first_read; /* the accept-queue wait was taken */
	__u32 pad;
};

enum net_stat {
	NET_STAT_ESTABLISHED = 0, /* passive opens on a watched port */
	NET_STAT_WAITS,           /* of them, first read by the server seen */
	NET_STAT_WAIT_NS,         /* sum of ESTABLISHED -> first read */
	NET_STAT_HELD_WRITES,     /* writes whose tail Nagle's algorithm held */
	NET_STAT_HOLDS,           /* held tails whose send time was measured at the next request */
	NET_STAT_HOLD_NS,         /* sum of those hold times (jiffies resolution) */
	NET_STAT_RETRANS,         /* tcp_retransmit_skb on a watched port's connections */
	NET_STAT_SYNACK_RETRANS,  /* tcp_retransmit_synack on a watched listener */
	NET_STAT_NO_STORAGE,      /* socket storage could not be created */
	NET_STAT_RETRANS_FAILED,  /* tcp_retransmit_skb with err != 0: nothing was sent */
	NET_STAT_RETRANS_RTO,     /* of NET_STAT_RETRANS: in the Loss state (a retransmission timeout) */
	NET_STAT_RETRANS_FAST,    /* in Recovery (fast retransmit: duplicate ACKs or SACK) */
	NET_STAT_RETRANS_PROBE,   /* otherwise: tail-loss probes */
	NET_STAT_STALLED_WRITES,  /* writes leaving a segment unsent behind the peer's closed window */
	NET_STAT_MAX,
};

enum net_hist_id {
	NET_HIST_WAIT = 0, /* accept-queue wait, ns */
	NET_HIST_HOLD,     /* Nagle hold, ns */
	NET_HIST_MAX,
};

/* One log-linear histogram (bpf/hist.h's geometry). */
struct net_hist {
	__u64 slots[HIST_SLOTS];
};

struct net_conn_key {
	__u8 daddr[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u16 sport;    /* host order */
	__u16 dport;    /* host order */
	__u32 pad;
};

struct net_conn_val {
	__u64 count;
	__u64 first_ns;
	__u64 last_ns;
};

#endif
