/* SPDX-License-Identifier: GPL-2.0-only */
/* The net probe's shared maps, and the two calls the requests probe makes at the socket
 * operations it already handles (so the net probe adds no program on reads or writes):
 *
 * - net_on_send(sk, tp, now), at a write of a served connection: a write that leaves a tail shorter
 *   than one segment unsent while earlier data is still unacknowledged, on a socket without
 *   TCP_NODELAY or cork, is held by Nagle's algorithm until the peer's ACK (which a delayed-ACK
 *   peer sends up to ~40 ms later). Four loads of the tcp_sock; storage only on such a write.
 * - net_on_request(sk, now), at the read that begins a request: the connection's first request
 *   closes its accept-queue wait (ESTABLISHED, stored by net.bpf.c, or the request's arrival when
 *   later, to this read); a held tail is
 *   closed by its send time, the socket's lsndtime (jiffies), relative to the hold.
 *
 * Every object that includes this declares the same maps; the loader creates them once (core
 * object) and shares them (session.c). */
#ifndef BINDPROF_NET_BPF_H
#define BINDPROF_NET_BPF_H

#include <bpf/bpf_core_read.h>
#include "net.h"
#include "hist.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct net_sk);
} net_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NET_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} net_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NET_HIST_MAX);
	__type(key, __u32);
	__type(value, struct net_hist);
} net_hists SEC(".maps");

extern unsigned int CONFIG_HZ __kconfig __weak;

static __always_inline void net_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&net_stats, &idx);

	if (p)
		*p += v; /* per-CPU */
}

static __always_inline void net_hist_add(__u32 id, __u64 v)
{
	struct net_hist *h = bpf_map_lookup_elem(&net_hists, &id);

	if (h)
		hist_add(h->slots, v);
}

#define NET_IPPROTO_TCP 6

/* The socket's tcp_sock, NULL when it is not TCP: one helper call per write, shared by the checks
 * below. */
static __always_inline struct tcp_sock *net_tcp(struct sock *sk)
{
	return sk->sk_protocol == NET_IPPROTO_TCP ? bpf_skc_to_tcp_sock(sk) : NULL;
}

static __always_inline void net_on_send(struct sock *sk, struct tcp_sock *tp, __u64 now)
{
	struct net_sk *ns;
	__u32 unsent;

	if (!tp)
		return;
	if (BPF_CORE_READ_BITFIELD_PROBED(tp, nonagle) || !tp->packets_out)
		return;
	unsent = tp->write_seq - tp->snd_nxt;
	if (!unsent || unsent >= tp->mss_cache)
		return;
	ns = bpf_sk_storage_get(&net_sk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!ns) {
		net_add(NET_STAT_NO_STORAGE, 1);
		return;
	}
	net_add(NET_STAT_HELD_WRITES, 1);
	if (!ns->hold_ns) {
		ns->hold_ns = now;
		ns->hold_j = bpf_jiffies64();
	}
}

/* At a write of a served connection: does it leave bytes unsent because the peer's receive window
 * has no room for them, the client not reading what it was sent? (Counted: a stalled write; the
 * slow-client diagnosis reads them.) Two loads of the tcp_sock beyond net_on_send's, three more
 * when bytes are unsent. */
static __always_inline bool net_window_stalled(struct tcp_sock *tp)
{
	__u32 unsent, room;

	if (!tp)
		return false;
	unsent = tp->write_seq - tp->snd_nxt;
	if (!unsent)
		return false;
	/* the peer's window has no room for what waits: window-limited, not Nagle (whose tail is
	 * short and the window open) */
	room = tp->snd_una + tp->snd_wnd - tp->snd_nxt;
	if ((__s32)room >= (__s32)unsent)
		return false;
	net_add(NET_STAT_STALLED_WRITES, 1);
	return true;
}

/* Was a write of len bytes shorter than one segment of sk (rare: only asked after a long pause)? */
static __always_inline bool net_short_write(struct tcp_sock *tp, __u32 len)
{
	return tp && len < tp->mss_cache;
}

static __always_inline void net_on_request(struct sock *sk, __u64 now)
{
	struct net_sk *ns = bpf_sk_storage_get(&net_sk, sk, 0, 0);
	struct tcp_sock *tp;
	__u32 dj;

	if (!ns)
		return;
	if (ns->estab_ns && !ns->first_read) {
		/* the wait ends at this read and starts at ESTABLISHED, or at the request's arrival when
		 * the client sent nothing for a while (an idle connection of a pool is no accept-queue
		 * wait): the socket's last data segment's time, icsk_ack.lrcvtime (jiffies; set to
		 * ESTABLISHED's at the child socket's creation) */
		__u64 start = ns->estab_ns;

		ns->first_read = 1;
		if ((tp = bpf_skc_to_tcp_sock(sk)) && CONFIG_HZ) {
			dj = (__u32)bpf_jiffies64() - BPF_CORE_READ(tp, inet_conn.icsk_ack.lrcvtime);
			if (dj < (1u << 30)) { /* dj - 1 jiffies at least since it arrived */
				__u64 ago = (__u64)(dj ? dj - 1 : 0) * (1000000000ull / CONFIG_HZ);

				if (ago < now && now - ago > start)
					start = now - ago;
			}
		}
		if (now >= start) {
			net_add(NET_STAT_WAITS, 1);
			net_add(NET_STAT_WAIT_NS, now - start);
			net_hist_add(NET_HIST_WAIT, now - start);
		}
	}
	if (ns->hold_ns && (tp = bpf_skc_to_tcp_sock(sk))) {
		dj = tp->lsndtime - (__u32)ns->hold_j;
		ns->hold_ns = 0;
		if (dj < (1u << 30) && CONFIG_HZ) {
			__u64 ns_held = (__u64)dj * (1000000000ull / CONFIG_HZ);

			net_add(NET_STAT_HOLDS, 1);
			net_add(NET_STAT_HOLD_NS, ns_held);
			net_hist_add(NET_HIST_HOLD, ns_held);
		}
	}
}

#endif
