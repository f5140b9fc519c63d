/* SPDX-License-Identifier: GPL-2.0-only */
/* The net probe, user side (probes/net.h, docs/network.md). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/log.h"
#include "output/document.h"
#include "probes/net.h"
#include "stats/histogram.h"
#include "bpf/net.h"
#include "net.skel.h"

#define MAX_LISTENERS NET_MAX_PORTS
#define FD_SCAN_TICKS 10 /* the targets' descriptors are looked at once a second */
#define TCP_LISTEN_STATE 10

/* Thresholds of the diagnoses (docs/network.md states them). */
#define NAGLE_MIN_HOLDS 5        /* measured Nagle holds */
#define NAGLE_MIN_SHARE 0.05     /* of the answered requests (or of the holds, without requests) */
#define NAGLE_MIN_P50_MS 20.0    /* the median hold: a delayed ACK, not autocorking (microseconds) */
#define RETRANS_MIN 3            /* data retransmissions on the target's connections */
#define WAIT_SLOW_MS 10.0        /* an accept-queue wait this long counts as slow */
#define WAIT_MIN_SLOW 5          /* connections that waited that long */
#define WAIT_MIN_SHARE 0.01      /* of the connections measured: a p99 matter */
#define MIN_RTO_MS 200.0         /* Linux's minimum retransmission timeout */
#define SLOW_CLIENT_MIN 5        /* requests read slowly, or responses stalled on the client's window */
#define SLOW_CLIENT_SHARE 0.01   /* of the answered requests */

struct listener {
	unsigned long inode;
	uint16_t port;
	int family;
	uint32_t backlog;     /* sk_max_ack_backlog (inet_diag's wqueue of a listener) */
	uint32_t queue_max;   /* the longest accept queue seen at a tick (rqueue) */
	uint64_t drops_first; /* sk_drops when first seen (SK_MEMINFO_DROPS) */
	uint64_t drops_last;
	bool ours;            /* one of the targets holds it */
	bool have_drops;
};

struct netdiag {
	struct net_bpf *skel;
	char netstat_path[64];
	long long ovf0, drops0, ovf1, drops1; /* TcpExt ListenOverflows/ListenDrops, start and end; < 0 unread */
	struct listener ls[MAX_LISTENERS];
	int nls;
	int ticks;
	bool stopped;
};

/* ---- /proc/PID/net/netstat ---- */

/* TcpExt's ListenOverflows and ListenDrops of the namespace path names; 0, or -1 (both -1). */
static int read_listen_counters(const char *path, long long *ovf, long long *drops)
{
	char hdr[8192], val[8192];
	FILE *f = fopen(path, "r");
	int ret = -1;

	*ovf = *drops = -1;
	if (!f)
		return -1;
	while (fgets(hdr, sizeof(hdr), f) && fgets(val, sizeof(val), f)) {
		char *hs, *vs, *h, *v;
		if (strncmp(hdr, "TcpExt:", 7) || strncmp(val, "TcpExt:", 7))
			continue;
		h = strtok_r(hdr + 7, " \n", &hs);
		v = strtok_r(val + 7, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, "ListenOverflows"))
				*ovf = atoll(v);
			else if (!strcmp(h, "ListenDrops"))
				*drops = atoll(v);
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		ret = *ovf >= 0 && *drops >= 0 ? 0 : -1;
		break;
	}
	fclose(f);
	return ret;
}

/* ---- listening sockets through sock_diag ---- */

static struct listener *find_listener(struct netdiag *n, unsigned long inode)
{
	for (int i = 0; i < n->nls; i++)
		if (n->ls[i].inode == inode)
			return &n->ls[i];
	return NULL;
}

/* One dump of family's TCP listeners with their memory info: update the listeners already known
 * (queue, drops) and, when `add` holds inodes of the targets' sockets, add those. */
static void dump_listeners(struct netdiag *n, int family, const unsigned long *add, int nadd)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1), .idiag_states = 1u << TCP_LISTEN_STATE },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[32768];
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	bool done = false;

	if (fd < 0)
		return;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	for (int rounds = 0; !done && rounds < 64; rounds++) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len <= 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct inet_diag_msg *m;
			struct listener *l;
			struct rtattr *a;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			m = NLMSG_DATA(h);
			l = find_listener(n, m->idiag_inode);
			if (!l) {
				bool ours = false;

				for (int i = 0; i < nadd && !ours; i++)
					ours = add[i] == m->idiag_inode;
				if (!ours || n->nls >= MAX_LISTENERS)
					continue;
				l = &n->ls[n->nls++];
				memset(l, 0, sizeof(*l));
				l->inode = m->idiag_inode;
				l->port = ntohs(m->id.idiag_sport);
				l->family = family;
				l->ours = true;
				if (n->skel) {
					uint16_t port = l->port;
					uint32_t one = 1;

					bpf_map_update_elem(bpf_map__fd(n->skel->maps.net_ports), &port, &one, BPF_ANY);
				}
				log_debug("net: watching the target's listener on port %u (backlog %u)", l->port,
					  m->idiag_wqueue);
			}
			l->backlog = m->idiag_wqueue;
			if (m->idiag_rqueue > l->queue_max)
				l->queue_max = m->idiag_rqueue;
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == INET_DIAG_SKMEMINFO &&
				    (size_t)RTA_PAYLOAD(a) >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) {
					uint32_t d = ((uint32_t *)RTA_DATA(a))[SK_MEMINFO_DROPS];

					if (!l->have_drops)
						l->drops_first = d;
					l->drops_last = d;
					l->have_drops = true;
				}
			}
		}
	}
	close(fd);
}

/* The socket inodes the targets hold (up to max). */
static int target_socket_inodes(const int *pids, int npids, unsigned long *out, int max)
{
	int n = 0;

	for (int p = 0; p < npids && n < max; p++) {
		char dir[64], path[320], link[64];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "/proc/%d/fd", pids[p]);
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d)) && n < max) {
			ssize_t l;

			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			l = readlink(path, link, sizeof(link) - 1);
			if (l <= 8)
				continue;
			link[l] = '\0';
			if (!strncmp(link, "socket:[", 8))
				out[n++] = strtoul(link + 8, NULL, 10);
		}
		closedir(d);
	}
	return n;
}

/* ---- life cycle ---- */

struct netdiag *net__new(struct session *s, int pid)
{
	struct netdiag *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return NULL;
	if (pid > 0)
		snprintf(n->netstat_path, sizeof(n->netstat_path), "/proc/%d/net/netstat", pid);
	else
		snprintf(n->netstat_path, sizeof(n->netstat_path), "/proc/self/net/netstat");
	n->ovf1 = n->drops1 = -1;
	if (read_listen_counters(n->netstat_path, &n->ovf0, &n->drops0))
		log_debug("net: %s has no TcpExt listen counters", n->netstat_path);
	n->skel = net_bpf__open();
	if (!n->skel) {
		err = -errno;
		goto fail;
	}
	if ((err = session__share_maps(s, n->skel->obj)))
		goto fail;
	if ((err = net_bpf__load(n->skel))) {
		log_err("loading the net probe: %s", strerror(-err));
		goto fail;
	}
	if ((err = net_bpf__attach(n->skel))) {
		log_err("attaching inet_sock_set_state/tcp_retransmit_skb/tcp_retransmit_synack: %s",
			strerror(-err));
		goto fail;
	}
	log_debug("attached net: tp_btf/inet_sock_set_state, tp_btf/tcp_retransmit_skb, "
		  "tp_btf/tcp_retransmit_synack");
	return n;
fail:
	net_bpf__destroy(n->skel);
	free(n);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

void net__poll(struct netdiag *n, const int *pids, int npids)
{
	static unsigned long inodes[8192];
	int ni = 0;

	if (!n || n->stopped)
		return;
	if (n->ticks++ % FD_SCAN_TICKS == 0 || !n->nls)
		ni = target_socket_inodes(pids, npids, inodes, 8192);
	if (ni || n->nls) {
		dump_listeners(n, AF_INET, inodes, ni);
		dump_listeners(n, AF_INET6, inodes, ni);
	}
}

void net__stop(struct netdiag *n)
{
	if (!n || n->stopped)
		return;
	dump_listeners(n, AF_INET, NULL, 0);
	dump_listeners(n, AF_INET6, NULL, 0);
	read_listen_counters(n->netstat_path, &n->ovf1, &n->drops1);
	net_bpf__detach(n->skel);
	n->stopped = true;
}

void net__free(struct netdiag *n)
{
	if (!n)
		return;
	net_bpf__destroy(n->skel);
	free(n);
}

double net__run_ms(struct netdiag *n, uint64_t *runs)
{
	*runs = 0;
	return n ? bpf_object_run_ms(n->skel->obj, BPF_PROG_TYPE_TRACING, runs) : 0;
}

/* ---- report ---- */

static void read_stats(struct netdiag *n, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v));

	memset(out, 0, NET_STAT_MAX * sizeof(*out));
	if (!v)
		return;
	for (uint32_t k = 0; k < NET_STAT_MAX; k++)
		if (!bpf_map_lookup_elem(bpf_map__fd(n->skel->maps.net_stats), &k, v))
			for (int c = 0; c < ncpu; c++)
				out[k] += v[c];
	free(v);
}

/* A histogram's {count, p50_ms, p90_ms, p99_ms, max_ms}, and the count at or above at_ms. */
static cJSON *hist_json(const __u64 *slots, double at_ms, uint64_t *above)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t total = hist_total(slots, HIST_SLOTS), lo, w;

	*above = 0;
	for (uint32_t i = 0; i < HIST_SLOTS; i++) {
		hist_slot_bounds(i, &lo, &w);
		if (lo >= at_ms * 1e6)
			*above += slots[i];
	}
	cJSON_AddNumberToObject(o, "count", (double)total);
	if (!total) {
		cJSON_AddNullToObject(o, "p50_ms");
		cJSON_AddNullToObject(o, "p90_ms");
		cJSON_AddNullToObject(o, "p99_ms");
		cJSON_AddNullToObject(o, "max_ms");
		return o;
	}
	cJSON_AddNumberToObject(o, "p50_ms", hist_quantile(slots, HIST_SLOTS, 0.5, 0) / 1e6);
	cJSON_AddNumberToObject(o, "p90_ms", hist_quantile(slots, HIST_SLOTS, 0.9, 0) / 1e6);
	cJSON_AddNumberToObject(o, "p99_ms", hist_quantile(slots, HIST_SLOTS, 0.99, 0) / 1e6);
	cJSON_AddNumberToObject(o, "max_ms", hist_quantile(slots, HIST_SLOTS, 1.0, 0) / 1e6);
	return o;
}

static cJSON *diagnosis(cJSON *list, const char *name, const char *threshold, const char *fix)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "name", name);
	cJSON_AddItemToArray(list, d);
	cJSON_AddStringToObject(d, "threshold", threshold);
	cJSON_AddStringToObject(d, "fix", fix);
	return d;
}

static void set_summary(cJSON *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_summary(cJSON *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(d, "summary", buf);
}

static void addr_str(const uint8_t *a, char *out, size_t len)
{
	static const uint8_t v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(a, v4, 12))
		inet_ntop(AF_INET, a + 12, out, len);
	else
		inet_ntop(AF_INET6, a, out, len);
}

static void slow_client(cJSON *prof, cJSON *diags);

void net__report(struct netdiag *n, cJSON *doc, cJSON *prof)
{
	uint64_t st[NET_STAT_MAX], above_wait = 0, above_hold = 0;
	struct net_hist h[NET_HIST_MAX];
	cJSON *net, *ls, *diags, *rq, *conns, *wait, *hold, *d, *ev;
	double requests = -1;
	struct net_conn_key k, nk;
	int nconns = 0;
	uint64_t lst_drops = 0;

	if (!n)
		return;
	read_stats(n, st);
	memset(h, 0, sizeof(h));
	for (uint32_t i = 0; i < NET_HIST_MAX; i++)
		bpf_map_lookup_elem(bpf_map__fd(n->skel->maps.net_hists), &i, &h[i]);
	rq = cJSON_GetObjectItem(cJSON_GetObjectItem(prof, "requests"), "count");
	if (cJSON_IsNumber(rq))
		requests = rq->valuedouble;

	net = cJSON_AddObjectToObject(prof, "net");
	cJSON_AddStringToObject(net, "method",
				"tp_btf inet_sock_set_state (SYN_RECV->ESTABLISHED), tcp_retransmit_skb, "
				"tcp_retransmit_synack on the target's listening ports; the requests probe's "
				"reads and writes (Nagle holds, first reads); sock_diag of the listeners; "
				"TcpExt counters of the target's network namespace");
	ls = cJSON_AddArrayToObject(net, "listeners");
	for (int i = 0; i < n->nls; i++) {
		struct listener *l = &n->ls[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "port", l->port);
		cJSON_AddStringToObject(o, "family", l->family == AF_INET6 ? "ipv6" : "ipv4");
		cJSON_AddNumberToObject(o, "backlog", l->backlog);
		cJSON_AddNumberToObject(o, "accept_queue_max_seen", l->queue_max);
		if (l->have_drops) {
			cJSON_AddNumberToObject(o, "drops", (double)(l->drops_last - l->drops_first));
			lst_drops += l->drops_last - l->drops_first;
		} else {
			cJSON_AddNullToObject(o, "drops");
		}
		cJSON_AddItemToArray(ls, o);
	}
	if (!n->nls)
		profile_warn(doc, "net", "no listening TCP socket of the target was found (in bindprof's "
			     "network namespace): listen queue and per-connection figures are not measured");
	ev = cJSON_AddObjectToObject(net, "listen_counters");
	if (n->ovf0 >= 0 && n->ovf1 >= 0) {
		cJSON_AddNumberToObject(ev, "listen_overflows", (double)(n->ovf1 - n->ovf0));
		cJSON_AddNumberToObject(ev, "listen_drops", (double)(n->drops1 - n->drops0));
	} else {
		cJSON_AddNullToObject(ev, "listen_overflows");
		cJSON_AddNullToObject(ev, "listen_drops");
		profile_warn(doc, "net", "%s has no TcpExt ListenOverflows/ListenDrops", n->netstat_path);
	}
	cJSON_AddStringToObject(ev, "source", n->netstat_path);
	cJSON_AddNumberToObject(net, "connections_established", (double)st[NET_STAT_ESTABLISHED]);
	wait = hist_json(h[NET_HIST_WAIT].slots, WAIT_SLOW_MS, &above_wait);
	cJSON_AddItemToObject(net, "accept_queue_wait", wait);
	cJSON_AddNumberToObject(wait, "total_ms", st[NET_STAT_WAIT_NS] / 1e6);
	cJSON_AddNumberToObject(wait, "slow", (double)above_wait);
	cJSON_AddNumberToObject(net, "nagle_held_writes", (double)st[NET_STAT_HELD_WRITES]);
	hold = hist_json(h[NET_HIST_HOLD].slots, NAGLE_MIN_P50_MS, &above_hold);
	cJSON_AddItemToObject(net, "nagle_hold", hold);
	cJSON_AddNumberToObject(hold, "total_ms", st[NET_STAT_HOLD_NS] / 1e6);
	cJSON_AddNumberToObject(net, "retransmits", (double)st[NET_STAT_RETRANS]);
	cJSON_AddNumberToObject(net, "retransmits_timeout", (double)st[NET_STAT_RETRANS_RTO]);
	cJSON_AddNumberToObject(net, "retransmits_fast", (double)st[NET_STAT_RETRANS_FAST]);
	cJSON_AddNumberToObject(net, "retransmits_probe", (double)st[NET_STAT_RETRANS_PROBE]);
	cJSON_AddNumberToObject(net, "retransmit_attempts_failed", (double)st[NET_STAT_RETRANS_FAILED]);
	cJSON_AddNumberToObject(net, "synack_retransmits", (double)st[NET_STAT_SYNACK_RETRANS]);
	conns = cJSON_AddArrayToObject(net, "retransmits_by_connection");
	{
		int fd = bpf_map__fd(n->skel->maps.net_retrans);
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, &nk) && nconns < 4096) {
			struct net_conn_val v;
			char a[INET6_ADDRSTRLEN];

			k = nk;
			prev = &k;
			if (bpf_map_lookup_elem(fd, &k, &v))
				continue;
			nconns++;
			if (cJSON_GetArraySize(conns) < 20) {
				cJSON *o = cJSON_CreateObject();

				addr_str(k.daddr, a, sizeof(a));
				cJSON_AddNumberToObject(o, "local_port", k.sport);
				cJSON_AddStringToObject(o, "peer", a);
				cJSON_AddNumberToObject(o, "peer_port", k.dport);
				cJSON_AddNumberToObject(o, "retransmits", (double)v.count);
				cJSON_AddNumberToObject(o, "span_ms", (v.last_ns - v.first_ns) / 1e6);
				cJSON_AddItemToArray(conns, o);
			}
		}
	}
	cJSON_AddNumberToObject(net, "connections_with_retransmits", nconns);
	if (st[NET_STAT_NO_STORAGE])
		profile_warn(doc, "net", "%llu sockets got no storage for their net figures",
			     (unsigned long long)st[NET_STAT_NO_STORAGE]);

	/* ---- diagnoses ---- */
	diags = cJSON_AddArrayToObject(prof, "diagnoses");
	{
		uint64_t holds = st[NET_STAT_HOLDS];
		double base = requests > 0 ? requests : (double)holds;
		double p50 = holds ? hist_quantile(h[NET_HIST_HOLD].slots, HIST_SLOTS, 0.5, 0) / 1e6 : 0;

		if (holds >= NAGLE_MIN_HOLDS && base > 0 && holds >= NAGLE_MIN_SHARE * base && p50 >= NAGLE_MIN_P50_MS) {
			d = diagnosis(diags, "nagle-delayed-ack",
				      "at least 5 measured holds, at least 5% of the answered requests, median hold >= 20 ms",
				      "set TCP_NODELAY on accepted sockets (http.server: disable_nagle_algorithm = True), "
				      "or send each response in one write");
			set_summary(d, "%llu responses had their last segment held by Nagle's algorithm until the "
				    "client's delayed ACK: median %.0f ms each",
				    (unsigned long long)holds, p50);
			ev = cJSON_AddObjectToObject(d, "evidence");
			cJSON_AddNumberToObject(ev, "held_writes", (double)st[NET_STAT_HELD_WRITES]);
			cJSON_AddNumberToObject(ev, "holds_measured", (double)holds);
			if (requests >= 0)
				cJSON_AddNumberToObject(ev, "requests", requests);
			else
				cJSON_AddNullToObject(ev, "requests");
			cJSON_AddItemToObject(ev, "hold", cJSON_Duplicate(hold, 1));
			cJSON_AddNumberToObject(d, "estimated_cost_ms", st[NET_STAT_HOLD_NS] / 1e6);
			cJSON_AddStringToObject(d, "cost_method", "the sum of the measured holds (write to the held "
						"segment's send, the socket's lsndtime, jiffies resolution)");
		}
	}
	if (lst_drops > 0 && n->ovf0 >= 0 && n->ovf1 > n->ovf0) {
		uint64_t ovf = (uint64_t)(n->ovf1 - n->ovf0), cnt = ovf < lst_drops ? ovf : lst_drops;
		struct listener *w = NULL;

		for (int i = 0; i < n->nls; i++)
			if (n->ls[i].have_drops && n->ls[i].drops_last > n->ls[i].drops_first &&
			    (!w || n->ls[i].drops_last - n->ls[i].drops_first > w->drops_last - w->drops_first))
				w = &n->ls[i];
		d = diagnosis(diags, "listen-backlog-overflow",
			      "the target's listening socket dropped packets (its sk_drops) while the kernel counted "
			      "listen overflows (TcpExt ListenOverflows) in its network namespace",
			      "raise the listen backlog (socketserver: request_queue_size; gunicorn/uvicorn: --backlog) "
			      "and net.core.somaxconn, or accept faster");
		set_summary(d, "the accept queue of port %u (backlog %u) overflowed: %llu listen overflows, %llu "
			    "packets dropped by the listener, each costing the client a retransmission (>= 200 ms; "
			    "1 s for a SYN)",
			    w ? w->port : 0, w ? w->backlog : 0, (unsigned long long)ovf, (unsigned long long)lst_drops);
		ev = cJSON_AddObjectToObject(d, "evidence");
		cJSON_AddNumberToObject(ev, "listener_drops", (double)lst_drops);
		if (n->ovf0 >= 0 && n->ovf1 >= 0) {
			cJSON_AddNumberToObject(ev, "listen_overflows", (double)(n->ovf1 - n->ovf0));
			cJSON_AddNumberToObject(ev, "listen_drops", (double)(n->drops1 - n->drops0));
		}
		if (w) {
			cJSON_AddNumberToObject(ev, "port", w->port);
			cJSON_AddNumberToObject(ev, "backlog", w->backlog);
			cJSON_AddNumberToObject(ev, "accept_queue_max_seen", w->queue_max);
		}
		cJSON_AddNumberToObject(ev, "synack_retransmits", (double)st[NET_STAT_SYNACK_RETRANS]);
		cJSON_AddNumberToObject(d, "estimated_cost_ms", cnt * MIN_RTO_MS);
		cJSON_AddStringToObject(d, "cost_method", "a lower bound: 200 ms (the minimum RTO) per overflow (the "
					"fewer of the namespace's listen overflows and the listener's drops); a dropped "
					"SYN costs the client 1 s");
	}
	if (st[NET_STAT_RETRANS_RTO] + st[NET_STAT_RETRANS_FAST] >= RETRANS_MIN) {
		d = diagnosis(diags, "tcp-retransmits",
			      "at least 3 retransmissions by timeout or fast retransmit on the target's connections "
			      "(tail-loss probes are evidence only)",
			      "find the loss (a full queue, a NIC, the path) or the peer that stops reading");
		set_summary(d, "%llu segments retransmitted after a timeout and %llu by fast retransmit, on %d "
			    "connections of the target",
			    (unsigned long long)st[NET_STAT_RETRANS_RTO], (unsigned long long)st[NET_STAT_RETRANS_FAST],
			    nconns);
		ev = cJSON_AddObjectToObject(d, "evidence");
		cJSON_AddNumberToObject(ev, "retransmits", (double)st[NET_STAT_RETRANS]);
		cJSON_AddNumberToObject(ev, "timeout", (double)st[NET_STAT_RETRANS_RTO]);
		cJSON_AddNumberToObject(ev, "fast", (double)st[NET_STAT_RETRANS_FAST]);
		cJSON_AddNumberToObject(ev, "probe", (double)st[NET_STAT_RETRANS_PROBE]);
		cJSON_AddNumberToObject(ev, "connections", nconns);
		cJSON_AddItemToObject(ev, "by_connection", cJSON_Duplicate(conns, 1));
		cJSON_AddNumberToObject(d, "estimated_cost_ms", st[NET_STAT_RETRANS_RTO] * MIN_RTO_MS);
		cJSON_AddStringToObject(d, "cost_method", "a lower bound: 200 ms (the minimum RTO) per retransmission "
					"by timeout; fast retransmits (about one round trip each) are not costed");
	}
	slow_client(prof, diags);
	{
		uint64_t waits = st[NET_STAT_WAITS];

		if (above_wait >= WAIT_MIN_SLOW && waits && above_wait >= WAIT_MIN_SHARE * waits) {
			d = diagnosis(diags, "accept-queue-wait",
				      "at least 5 connections, and at least 1% of them, waited 10 ms or more from "
				      "ESTABLISHED to the server's first read",
				      "accept sooner: more workers or threads, or a loop that is not blocked while "
				      "connections wait");
			set_summary(d, "%llu of %llu connections waited at least 10 ms in the accept queue before "
				    "their first read (p90 %.1f ms)",
				    (unsigned long long)above_wait, (unsigned long long)waits,
				    hist_quantile(h[NET_HIST_WAIT].slots, HIST_SLOTS, 0.9, 0) / 1e6);
			ev = cJSON_AddObjectToObject(d, "evidence");
			cJSON_AddNumberToObject(ev, "connections", (double)waits);
			cJSON_AddNumberToObject(ev, "slow_connections", (double)above_wait);
			cJSON_AddItemToObject(ev, "wait", cJSON_Duplicate(wait, 1));
			cJSON_AddNumberToObject(d, "estimated_cost_ms", st[NET_STAT_WAIT_NS] / 1e6);
			cJSON_AddStringToObject(d, "cost_method", "the sum of every connection's wait from "
						"ESTABLISHED to its first read");
		}
	}
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* slow-client: from the requests probe's client_signals (profiling.requests.client_signals). */
static void slow_client(cJSON *prof, cJSON *diags)
{
	const cJSON *rq = cJSON_GetObjectItem(prof, "requests"), *cs = cJSON_GetObjectItem(rq, "client_signals");
	double n = jnum(rq, "count"), sends = jnum(cs, "slow_sends"), stalled = jnum(cs, "window_stalled_responses");
	bool by_send, by_read;
	cJSON *d, *ev;

	if (!cJSON_IsObject(cs) || n <= 0)
		return;
	by_send = sends >= SLOW_CLIENT_MIN && sends >= SLOW_CLIENT_SHARE * n;
	by_read = stalled >= SLOW_CLIENT_MIN && stalled >= SLOW_CLIENT_SHARE * n;
	if (!by_send && !by_read)
		return;
	d = diagnosis(diags, "slow-client",
		      "at least 5 requests, and at least 1% of the answered ones, read over 10 ms or more "
		      "(the client still sending), or answered with writes left waiting for the client's "
		      "closed receive window (the client not reading)",
		      "the client is the bottleneck: send each request at once, read responses as they come "
		      "(or put a buffering proxy, nginx, in front of the server)");
	if (by_send && by_read)
		set_summary(d, "%.0f of %.0f requests arrived over 10 ms or more (p99 %.1f ms) and %.0f responses "
			    "waited for the client to read", sends, n,
			    jnum(cJSON_GetObjectItem(cs, "read_span_ms"), "p99_ms"), stalled);
	else if (by_send)
		set_summary(d, "%.0f of %.0f requests arrived over 10 ms or more from their first bytes "
			    "(p99 %.1f ms): the client sent them slowly", sends, n,
			    jnum(cJSON_GetObjectItem(cs, "read_span_ms"), "p99_ms"));
	else
		set_summary(d, "%.0f of %.0f responses had writes wait for the client's closed receive window: "
			    "the client read them slowly", stalled, n);
	ev = cJSON_AddObjectToObject(d, "evidence");
	cJSON_AddNumberToObject(ev, "requests", n);
	cJSON_AddNumberToObject(ev, "slow_sends", sends);
	cJSON_AddItemToObject(ev, "read_span_ms", cJSON_Duplicate(cJSON_GetObjectItem(cs, "read_span_ms"), 1));
	cJSON_AddNumberToObject(ev, "window_stalled_responses", stalled);
	cJSON_AddNumberToObject(ev, "window_stalled_writes", jnum(cs, "window_stalled_writes"));
	if (by_send) {
		cJSON_AddNumberToObject(d, "estimated_cost_ms", jnum(cs, "slow_sends_total_ms"));
		cJSON_AddStringToObject(d, "cost_method", "the sum of the slow requests' read spans (first read to "
					"the last read before the response); a stalled response's wait is not measured");
	} else {
		cJSON_AddNullToObject(d, "estimated_cost_ms");
		cJSON_AddStringToObject(d, "cost_method", "not measured: the time a write waited for the window is "
					"not kept (only that it had to)");
	}
}

void net_print_diagnoses(FILE *f, const cJSON *prof, const char *title)
{
	const cJSON *list = cJSON_GetObjectItem(prof, "diagnoses"), *d;

	if (!cJSON_IsArray(list) || !cJSON_GetArraySize(list))
		return;
	fprintf(f, "%s\n", title);
	cJSON_ArrayForEach(d, list) {
		const cJSON *cost = cJSON_GetObjectItem(d, "estimated_cost_ms");

		fprintf(f, "  %s: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(d, "name")),
			cJSON_GetStringValue(cJSON_GetObjectItem(d, "summary")));
		if (cJSON_IsNumber(cost))
			fprintf(f, "    estimated cost: %.0f ms (%s)\n", cost->valuedouble,
				cJSON_GetStringValue(cJSON_GetObjectItem(d, "cost_method")));
		fprintf(f, "    fix: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(d, "fix")));
	}
}
