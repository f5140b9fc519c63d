// SPDX-License-Identifier: GPL-2.0-only
/* Net: what the kernel's TCP stack does to a server's connections, from tracepoints that fire only
 * on rare events (a passive open completing, a retransmission), never on a read or a write:
 *
 * - sock:inet_sock_set_state SYN_RECV -> ESTABLISHED on a watched listening port (the target's,
 *   written by the loader into net_ports): the connection enters the accept queue; its time goes
 *   into the socket's storage, and the requests probe's first read of it closes the wait
 *   (bpf/net.bpf.h);
 * - tcp:tcp_retransmit_skb on a watched port's connection: counted per connection when it was
 *   sent (err 0; since Linux 6.10 the tracepoint also fires for attempts that failed);
 * - tcp:tcp_retransmit_synack on a watched listener: the handshake's ACK was dropped (accept
 *   queue full) or lost. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "net.bpf.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_RECV 3
#define AF_INET 2
#define TCP_CA_RECOVERY 3
#define TCP_CA_LOSS 4
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_PORTS);
	__type(key, __u16);
	__type(value, __u32);
} net_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_MAX_RETRANS);
	__type(key, struct net_conn_key);
	__type(value, struct net_conn_val);
} net_retrans SEC(".maps");

static __always_inline bool watched(const struct sock *sk)
{
	__u16 port = sk->__sk_common.skc_num;

	return bpf_map_lookup_elem(&net_ports, &port) != NULL;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct net_sk *ns;

	if (newstate != TCP_ESTABLISHED || oldstate != TCP_SYN_RECV || !watched(sk))
		return 0;
	net_add(NET_STAT_ESTABLISHED, 1);
	ns = bpf_sk_storage_get(&net_sk, (struct sock *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!ns) {
		net_add(NET_STAT_NO_STORAGE, 1);
		return 0;
	}
	ns->estab_ns = bpf_ktime_get_ns();
	ns->first_read = 0;
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(net_retransmit, const struct sock *sk, const struct sk_buff *skb, int err)
{
	struct net_conn_key k = {};
	struct net_conn_val *v, nv = {};
	__u64 now;
	__u8 ca;

	if (!watched(sk))
		return 0;
	if (err) { /* not sent (the original still in a host queue, no memory...): no retransmission */
		net_add(NET_STAT_RETRANS_FAILED, 1);
		return 0;
	}
	now = bpf_ktime_get_ns();
	net_add(NET_STAT_RETRANS, 1);
	/* by the congestion state it happens in: an RTO has put the connection in Loss first, a
	 * fast retransmit in Recovery; otherwise a tail-loss probe (no cost of its own when the
	 * original was only late to be acknowledged) */
	ca = BPF_CORE_READ_BITFIELD_PROBED((struct inet_connection_sock *)sk, icsk_ca_state);
	net_add(ca == TCP_CA_LOSS ? NET_STAT_RETRANS_RTO : ca == TCP_CA_RECOVERY ? NET_STAT_RETRANS_FAST :
				    NET_STAT_RETRANS_PROBE, 1);
	k.sport = sk->__sk_common.skc_num;
	k.dport = __builtin_bswap16(sk->__sk_common.skc_dport);
	if (sk->__sk_common.skc_family == AF_INET6) {
		BPF_CORE_READ_INTO(&k.daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		__u32 a = sk->__sk_common.skc_daddr;

		k.daddr[10] = 0xff;
		k.daddr[11] = 0xff;
		__builtin_memcpy(&k.daddr[12], &a, 4);
	}
	v = bpf_map_lookup_elem(&net_retrans, &k);
	if (v) {
		__sync_fetch_and_add(&v->count, 1);
		v->last_ns = now;
		return 0;
	}
	nv.count = 1;
	nv.first_ns = now;
	nv.last_ns = now;
	bpf_map_update_elem(&net_retrans, &k, &nv, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(net_synack, const struct sock *sk, const struct request_sock *req)
{
	if (watched(sk))
		net_add(NET_STAT_SYNACK_RETRANS, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
