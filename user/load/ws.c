/* SPDX-License-Identifier: GPL-2.0-only */
/* A WebSocket load: see ws.h. One thread per connection with a non-blocking socket and poll (a
 * 50 ms wait to watch the clock); libwslay frames the messages, libhttp-parser reads the 101. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <http_parser.h>
#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wslay/wslay.h>
#include "lib/log.h"
#include "lib/util.h"
#include "load/loadgen.h"
#include "load/ws.h"
#include "stats/histogram.h"

#define WS_MAX_MSG (16u << 20) /* bytes: a longer message received is a protocol error */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* RFC 6455, 1.3 */

void ws_accept_of(const char *key, char *out)
{
	struct sha1_ctx c;
	uint8_t d[SHA1_DIGEST_SIZE];

	sha1_init(&c);
	sha1_update(&c, strlen(key), (const uint8_t *)key);
	sha1_update(&c, strlen(WS_GUID), (const uint8_t *)WS_GUID);
	sha1_digest(&c, sizeof(d), d);
	base64_encode_raw((char *)out, sizeof(d), d);
	out[BASE64_ENCODE_RAW_LENGTH(sizeof(d))] = '\0';
}

struct ws_shared {
	const struct ws_opts *o;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct url u;
	uint64_t t0, t_end;
	int niv;
	volatile sig_atomic_t *stop;
};

struct ws_conn {
	pthread_t th;
	struct ws_shared *sh;
	struct lathist hs, first, rtt;
	struct load_interval *iv;  /* echo with intervals: this connection's (ws_result.iv's layout) */
	uint64_t upgraded, with_msg, sent, received, unanswered, mismatched, errors, conn_errors, bytes;
	/* the session */
	int fd;
	char pend[8192];      /* bytes read after the 101's headers: the first frames (all of them: the
			       * read buffer is no larger) */
	size_t npend, opend;
	char *msg;            /* echo: the message in flight */
	size_t msglen;
	uint64_t up_ns, sent_ns, seq;
	long done;            /* messages answered (echo) or received (receive) this session */
	bool got_msg, outstanding, failed;
	/* the 101 */
	char field[64], accept[64];
	bool in_accept;
};

static bool over(const struct ws_conn *c)
{
	return *c->sh->stop || now_ns() >= c->sh->t_end;
}

/* The connection's interval at now (before the run's end), or NULL. */
static struct load_interval *iv_of(struct ws_conn *c, uint64_t now)
{
	const struct ws_shared *sh = c->sh;
	long i;

	if (!c->iv || now < sh->t0 || now >= sh->t_end)
		return NULL;
	i = (long)((now - sh->t0) / (sh->o->interval_s * 1e9));
	return i < sh->niv ? &c->iv[i] : NULL;
}

/* ---- libwslay's callbacks ---- */

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
	struct ws_conn *c = ud;
	ssize_t n;

	(void)flags;
	if (over(c) || (c->sh->o->mode == WS_RECEIVE && c->sh->o->messages > 0 && c->done >= c->sh->o->messages)) {
		/* a server that never stops sending (a flood) would keep wslay_event_recv reading past
		 * the run's end or the count */
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (c->opend < c->npend) { /* what came with the 101 first */
		n = c->npend - c->opend < len ? c->npend - c->opend : len;
		memcpy(buf, c->pend + c->opend, n);
		c->opend += n;
		return n;
	}
	n = recv(c->fd, buf, len, MSG_DONTWAIT);
	if (n > 0)
		return n;
	wslay_event_set_error(ctx, n < 0 && (errno == EAGAIN || errno == EINTR) ? WSLAY_ERR_WOULDBLOCK
										  : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
	struct ws_conn *c = ud;
	ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	(void)flags;
	if (n >= 0)
		return n;
	wslay_event_set_error(ctx, errno == EAGAIN || errno == EINTR ? WSLAY_ERR_WOULDBLOCK : WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static int genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *ud)
{
	(void)ud;
	if (getrandom(buf, len, 0) != (ssize_t)len) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return 0;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a, void *ud)
{
	struct ws_conn *c = ud;
	uint64_t now = now_ns();
	bool in_run = now < c->sh->t_end;

	(void)ctx;
	if (a->opcode != WSLAY_TEXT_FRAME && a->opcode != WSLAY_BINARY_FRAME)
		return; /* ping (answered by wslay), pong, close */
	if (!in_run)
		return;
	if (c->sh->o->mode == WS_RECEIVE && c->sh->o->messages > 0 && c->done >= c->sh->o->messages)
		return; /* past its count in the same read (a server catching up sends several at once) */
	c->received++;
	c->bytes += a->msg_length;
	if (!c->got_msg) {
		c->got_msg = true;
		c->with_msg++;
		lh_record(&c->first, now - c->up_ns);
	}
	if (c->sh->o->mode == WS_ECHO) {
		if (!c->outstanding || a->msg_length != c->msglen || memcmp(a->msg, c->msg, c->msglen)) {
			c->mismatched++;
			c->errors++;
		} else {
			struct load_interval *iv = iv_of(c, now);

			lh_record(&c->rtt, now - c->sent_ns);
			if (iv) {
				iv->requests++;
				iv->slots[loglin_slot(now - c->sent_ns, LOAD_IV_SUB_BITS, LOAD_IV_MAX_EXP)]++;
			}
		}
		c->outstanding = false;
	}
	c->done++;
}

/* ---- the upgrade ---- */

static int on_field(http_parser *hp, const char *at, size_t len)
{
	struct ws_conn *c = hp->data;

	c->in_accept = len == 20 && !strncasecmp(at, "Sec-WebSocket-Accept", 20);
	return 0;
}

static int on_value(http_parser *hp, const char *at, size_t len)
{
	struct ws_conn *c = hp->data;

	if (c->in_accept)
		snprintf(c->accept, sizeof(c->accept), "%.*s", (int)len, at);
	return 0;
}

/* Connect c->fd (non-blocking) to the target, waiting in 50 ms steps until the run ends or stops (a
 * listener whose backlog is full drops the SYNs: a blocking connect would wait the kernel's ~2 min
 * of retries past the run and through Ctrl-C); then back to blocking (reads and writes say
 * MSG_DONTWAIT where they must not wait). True when connected. */
static bool connect_until(struct ws_conn *c)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (connect(c->fd, (struct sockaddr *)&c->sh->addr, c->sh->addrlen)) {
		if (errno != EINPROGRESS)
			return false;
		for (;;) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };

			if (over(c))
				return false;
			if (poll(&p, 1, 50) > 0)
				break;
		}
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
			return false;
	}
	return fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK) == 0;
}

/* Connect and upgrade: true with c->fd open (non-blocking reads) and the first frames in pend. */
static bool upgrade(struct ws_conn *c)
{
	struct ws_shared *sh = c->sh;
	const struct ws_opts *o = sh->o;
	uint8_t raw[16];
	char key[32], want[32], req[8192], buf[8192];
	size_t have = 0, len;
	uint64_t t = now_ns();
	int one = 1;
	http_parser hp;
	http_parser_settings hs = { .on_header_field = on_field, .on_header_value = on_value };

	c->fd = socket(sh->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return false;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!connect_until(c)) {
		c->conn_errors++;
		return false;
	}
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return false;
	base64_encode_raw(key, sizeof(raw), raw);
	key[BASE64_ENCODE_RAW_LENGTH(sizeof(raw))] = '\0';
	ws_accept_of(key, want);
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		       "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", sh->u.path, sh->u.host, sh->u.port, key);
	for (int i = 0; i < o->nheaders && len < sizeof(req); i++)
		len += snprintf(req + len, sizeof(req) - len, "%s\r\n", o->headers[i]);
	if (len + 3 > sizeof(req))
		return false;
	len += snprintf(req + len, sizeof(req) - len, "\r\n");
	if (send(c->fd, req, len, MSG_NOSIGNAL) != (ssize_t)len)
		return false;
	for (;;) { /* the answer's headers: up to the blank line */
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		char *end;
		ssize_t n;

		if (over(c) || have == sizeof(buf) - 1)
			return false;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(c->fd, buf + have, sizeof(buf) - 1 - have, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return false;
		have += n;
		buf[have] = '\0';
		if (!(end = strstr(buf, "\r\n\r\n")))
			continue;
		len = end + 4 - buf;
		http_parser_init(&hp, HTTP_RESPONSE);
		hp.data = c;
		c->accept[0] = '\0';
		c->in_accept = false;
		http_parser_execute(&hp, &hs, buf, len);
		if (hp.status_code != 101 || strcmp(c->accept, want)) {
			log_debug("websocket: no upgrade: status %d, accept '%s' (want '%s')", hp.status_code, c->accept, want);
			return false;
		}
		c->npend = have - len < sizeof(c->pend) ? have - len : sizeof(c->pend);
		memcpy(c->pend, buf + len, c->npend);
		c->opend = 0;
		c->up_ns = now_ns();
		lh_record(&c->hs, c->up_ns - t);
		c->upgraded++;
		return true;
	}
}

/* The next echo message: its sequence number, then 'x' up to message_bytes. */
static void next_msg(struct ws_conn *c)
{
	int n = snprintf(c->msg, c->msglen + 1, "%08llu", (unsigned long long)c->seq++);

	if (n < (int)c->msglen)
		memset(c->msg + n, 'x', c->msglen - n);
}

/* One session: upgrade, messages until the run, the count or the server ends it; close. */
static void session(struct ws_conn *c)
{
	const struct ws_opts *o = c->sh->o;
	struct wslay_event_callbacks cb = { .recv_callback = recv_cb, .send_callback = send_cb,
					    .genmask_callback = genmask_cb, .on_msg_recv_callback = on_msg };
	wslay_event_context_ptr ctx = NULL;
	bool ok = true;

	c->got_msg = c->outstanding = false;
	c->done = 0;
	c->npend = c->opend = 0;
	if (!upgrade(c) || wslay_event_context_client_init(&ctx, &cb, c)) {
		c->errors++;
		goto out;
	}
	/* wslay allocates a frame's announced length up front (up to 2 GiB by default): a bound */
	wslay_event_config_set_max_recv_msg_length(ctx, WS_MAX_MSG);
	while (ok && !over(c)) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		if (o->messages > 0 && c->done >= o->messages && !c->outstanding)
			break;
		if (wslay_event_get_close_received(ctx))
			break;
		if (o->mode == WS_ECHO && !c->outstanding) {
			struct wslay_event_msg m = { .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)c->msg,
						     .msg_length = c->msglen };

			next_msg(c);
			if (wslay_event_queue_msg(ctx, &m)) {
				ok = false;
				break;
			}
			c->sent_ns = now_ns();
			c->sent++;
			c->outstanding = true;
		}
		if (wslay_event_want_write(ctx) && wslay_event_send(ctx)) {
			ok = false;
			break;
		}
		if (wslay_event_want_write(ctx))
			p.events |= POLLOUT;
		if (c->opend < c->npend || poll(&p, 1, 50) > 0) {
			if (wslay_event_recv(ctx))
				ok = false;
			else if (!wslay_event_get_read_enabled(ctx) && !wslay_event_get_close_received(ctx)) {
				/* a protocol error (bad frame, bad UTF-8, a message over the limit): wslay
				 * queued its close and reads no more */
				wslay_event_send(ctx);
				ok = false;
			}
		}
	}
	if (!ok && !wslay_event_get_close_received(ctx))
		c->errors++; /* reset, or a protocol error */
	if (c->outstanding) {
		c->unanswered++;
		if ((ok || wslay_event_get_close_received(ctx)) && !over(c))
			c->errors++; /* the server closed with the message unanswered (not cut by the run's end) */
	}
	if (ok && !wslay_event_get_close_sent(ctx)) { /* our close frame, best effort */
		wslay_event_queue_close(ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
		wslay_event_send(ctx);
	}
out:
	if (ctx)
		wslay_event_context_free(ctx);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void *conn_main(void *arg)
{
	struct ws_conn *c = arg;

	do {
		uint64_t e = c->errors;

		session(c);
		if (c->errors > e) {
			struct load_interval *iv = iv_of(c, now_ns());

			if (iv)
				iv->errors += c->errors - e;
			if (!over(c))
				usleep(10000);
		}
	} while (!c->sh->o->messages && !over(c)); /* a count: one session per connection */
	return NULL;
}

int ws_run(const struct ws_opts *o, struct ws_result *r, volatile sig_atomic_t *stop)
{
	struct ws_shared sh = { .o = o, .stop = stop };
	struct ws_conn *cs;
	char err[512], url[4096];
	size_t mlen = o->message_bytes > 8 ? o->message_bytes : 8;
	uint64_t end;
	int e = 0, made = 0;

	memset(r, 0, sizeof(*r));
	/* ws://: the same host, port and path as http:// */
	snprintf(url, sizeof(url), "%s%s", strncmp(o->url, "ws://", 5) ? "" : "http://",
		 strncmp(o->url, "ws://", 5) ? o->url : o->url + 5);
	if ((e = url_parse(url, &sh.u, err, sizeof(err))) ||
	    (e = url_resolve_loopback(&sh.u, &sh.addr, &sh.addrlen, err, sizeof(err)))) {
		log_err("%s", err);
		return e;
	}
	if ((e = load_fd_room(o->connections, 0))) /* a socket per connection: not EMFILE on each */
		return e;
	cs = calloc(o->connections, sizeof(*cs));
	r->handshake = calloc(1, sizeof(*r->handshake));
	r->first_msg = calloc(1, sizeof(*r->first_msg));
	r->round_trip = calloc(1, sizeof(*r->round_trip));
	if (!cs || !r->handshake || !r->first_msg || !r->round_trip) {
		free(cs);
		ws_result_free(r);
		return -ENOMEM;
	}
	if (o->interval_s > 0 && o->mode == WS_ECHO && o->duration > 0) {
		sh.niv = (int)ceil(o->duration / o->interval_s - 1e-9);
		if (!(r->iv = calloc(sh.niv, sizeof(*r->iv))))
			sh.niv = 0;
		r->niv = sh.niv;
		r->interval_s = o->interval_s;
	}
	sh.t0 = now_ns();
	sh.t_end = sh.t0 + (uint64_t)(o->duration * 1e9);
	for (; made < o->connections; made++) {
		cs[made].sh = &sh;
		cs[made].fd = -1;
		cs[made].msglen = mlen;
		if (!(cs[made].msg = malloc(mlen + 1)) ||
		    (sh.niv && !(cs[made].iv = calloc(sh.niv, sizeof(*cs[made].iv))))) {
			free(cs[made].msg);
			e = -ENOMEM;
			break;
		}
		if ((e = -pthread_create(&cs[made].th, NULL, conn_main, &cs[made]))) {
			log_err("websocket: cannot start thread: %s", strerror(-e));
			free(cs[made].msg);
			free(cs[made].iv);
			break;
		}
	}
	for (int i = 0; i < made; i++) {
		struct ws_conn *c = &cs[i];

		pthread_join(c->th, NULL);
		lh_merge(r->handshake, &c->hs);
		lh_merge(r->first_msg, &c->first);
		lh_merge(r->round_trip, &c->rtt);
		r->upgraded += c->upgraded;
		r->with_message += c->with_msg;
		r->sent += c->sent;
		r->received += c->received;
		r->unanswered += c->unanswered;
		r->mismatched += c->mismatched;
		r->errors += c->errors;
		r->connect_errors += c->conn_errors;
		r->bytes += c->bytes;
		for (int k = 0; k < sh.niv; k++)
			load_interval_merge(&r->iv[k], &c->iv[k]);
		free(c->msg);
		free(c->iv);
	}
	/* the run: to its end, or to the last connection's when every one stopped at its count */
	end = now_ns();
	r->elapsed = ((end < sh.t_end ? end : sh.t_end) - sh.t0) / 1e9;
	r->messages_per_sec = r->elapsed > 0 ? r->received / r->elapsed : 0;
	r->connections = made;
	free(cs);
	return made ? 0 : e;
}

void ws_result_free(struct ws_result *r)
{
	free(r->handshake);
	free(r->first_msg);
	free(r->round_trip);
	free(r->iv);
	r->handshake = r->first_msg = r->round_trip = NULL;
	r->iv = NULL;
	r->niv = 0;
}
