/* SPDX-License-Identifier: GPL-2.0-only */
/* The latency decomposition's matching (load/latsplit.c): client requests against server records
 * built by hand, with every case of the rule (ports + order on the connection, confirmed by the
 * first read's time) and the exact split a + b + c = the client's latency. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "load/latsplit.h"

#define MS 1000000ull
#define NEAR(x, want) assert_true(fabs((x) - (want)) < 1e-9)

static const char *epname(const void *ctx, int ep)
{
	(void)ctx;
	return ep == 0 ? "GET /x" : ep == 1 ? "GET /y" : "?";
}

static struct req_record srv(uint16_t rport, uint32_t seq, uint64_t start, uint64_t end, int ep)
{
	struct req_record r;

	memset(&r, 0, sizeof(r));
	r.start_ns = start;
	r.end_ns = end;
	r.oncpu_ns = (end - start) / 4;
	r.gil_wait_ns = (end - start) / 4;
	r.ep = ep;
	r.lport = 8000;
	r.rport = rport;
	r.seq = seq;
	r.raddr[10] = r.raddr[11] = 0xff;
	r.raddr[12] = 127;
	r.raddr[15] = 1;
	return r;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(o, a);

	if (b)
		v = cJSON_GetObjectItem(v, b);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void test_match_and_split(void **state)
{
	struct load_rec c[] = {
		/* port 40000: two requests in order */
		{ .sent_ns = 100 * MS, .done_ns = 150 * MS, .seq = 1, .lport = 40000, .status = 200 },
		{ .sent_ns = 150 * MS, .done_ns = 160 * MS, .seq = 2, .lport = 40000, .status = 200 },
		/* port 40001 reused by a later connection: order 1 twice, told apart by time */
		{ .sent_ns = 200 * MS, .done_ns = 210 * MS, .seq = 1, .lport = 40001, .status = 200 },
		{ .sent_ns = 300 * MS, .done_ns = 305 * MS, .seq = 1, .lport = 40001, .status = 200 },
		/* no server request */
		{ .sent_ns = 400 * MS, .done_ns = 401 * MS, .seq = 1, .lport = 40002, .status = 200 },
		/* failed: nothing to split */
		{ .sent_ns = 500 * MS, .done_ns = 600 * MS, .seq = 1, .lport = 40003, .status = 0 },
		/* two server candidates inside its window: ambiguous */
		{ .sent_ns = 700 * MS, .done_ns = 800 * MS, .seq = 1, .lport = 40004, .status = 200 },
		/* the server's write seen after the client's answer: taken at the answer */
		{ .sent_ns = 900 * MS, .done_ns = 910 * MS, .seq = 1, .lport = 40005, .status = 200 },
	};
	struct req_record s[] = {
		srv(40000, 2, 151 * MS, 155 * MS, 1),
		srv(40000, 1, 110 * MS, 111 * MS, 0), /* a = 10, b = 1, c = 39 */
		srv(40001, 1, 201 * MS, 202 * MS, 0),
		srv(40001, 1, 301 * MS, 303 * MS, 0),
		srv(40004, 1, 710 * MS, 720 * MS, 0),
		srv(40004, 1, 730 * MS, 740 * MS, 0),
		srv(40005, 1, 901 * MS, 911 * MS, 0),
		srv(40000, 1, 110 * MS, 111 * MS, 0),
	};
	struct latsplit_in in = { .client = c, .nclient = 8, .server = s, .nserver = 8, .epname = epname,
				  .server_port = 8000, .exemplars = 10 };
	const cJSON *e, *x, *ex;
	cJSON *o;
	int n = 0;

	s[7].lport = 9000; /* another listener's request: not a candidate */
	o = latsplit_json(&in);
	assert_non_null(o);
	NEAR(num(o, "client_requests", NULL), 8);
	NEAR(num(o, "matched", NULL), 5);
	NEAR(num(o, "unmatched", NULL), 3);
	NEAR(num(o, "unmatched_by_reason", "no_server_request"), 1);
	NEAR(num(o, "unmatched_by_reason", "no_whole_response"), 1);
	NEAR(num(o, "unmatched_by_reason", "ambiguous"), 1);
	NEAR(num(o, "server_requests_other_listeners", NULL), 1);
	NEAR(num(o, "server_write_seen_after_answer", NULL), 1);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "endpoints")) {
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "endpoint"));

		if (!strcmp(name, "GET /y")) {
			/* sent 150, read 151, written 155, answered 160 */
			NEAR(num(e, "before_first_read_ms", "p50"), 1);
			NEAR(num(e, "server_ms", "p50"), 4);
			NEAR(num(e, "after_last_write_ms", "p50"), 5);
			NEAR(num(e, "server_on_cpu_ms", "p50"), 1);
			NEAR(num(e, "server_off_cpu_not_gil_ms", "p50"), 2); /* 4 - 1 on CPU - 1 GIL wait */
		} else {
			assert_string_equal(name, "GET /x");
			NEAR(num(e, "count", NULL), 4);
			NEAR(num(e, "before_first_read_ms", "max"), 10);
		}
		n++;
	}
	assert_int_equal(n, 2);
	ex = cJSON_GetObjectItem(o, "exemplars");
	assert_int_equal(cJSON_GetArraySize(ex), 5);
	x = cJSON_GetArrayItem(ex, 0); /* the slowest: 50 ms */
	NEAR(num(x, "client_ms", NULL), 50);
	cJSON_ArrayForEach(x, ex) {
		double sum = num(x, "before_first_read_ms", NULL) + num(x, "server_ms", NULL) +
			     num(x, "after_last_write_ms", NULL);

		assert_true(fabs(sum - num(x, "client_ms", NULL)) < 1e-6);
		assert_true(num(x, "after_last_write_ms", NULL) >= 0);
	}
	cJSON_Delete(o);
}

static void test_first_on_connection(void **state)
{
	/* three connections' first requests: two retransmitted (a >= 200 ms), one not */
	struct load_rec c[] = {
		{ .sent_ns = 0, .done_ns = 260 * MS, .seq = 1, .lport = 1, .status = 200 },
		{ .sent_ns = 0, .done_ns = 1100 * MS, .seq = 1, .lport = 2, .status = 200 },
		{ .sent_ns = 0, .done_ns = 2 * MS, .seq = 1, .lport = 3, .status = 200 },
		{ .sent_ns = 2 * MS, .done_ns = 3 * MS, .seq = 2, .lport = 3, .status = 200 },
	};
	struct req_record s[] = {
		srv(1, 1, 250 * MS, 251 * MS, 0),
		srv(2, 1, 1000 * MS, 1001 * MS, 0),
		srv(3, 1, MS / 2, MS, 0),
		srv(3, 2, 2 * MS + 1, 2 * MS + 2, 0),
	};
	struct latsplit_in in = { .client = c, .nclient = 4, .server = s, .nserver = 4, .epname = epname,
				  .server_port = 8000, .exemplars = 0 };
	cJSON *o = latsplit_json(&in);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "endpoints"), 0);
	const cJSON *f = cJSON_GetObjectItem(e, "first_on_connection");

	NEAR(num(o, "matched", NULL), 4);
	NEAR(num(cJSON_GetObjectItem(f, "before_first_read_counts"), "200ms_or_more", NULL), 2);
	NEAR(num(cJSON_GetObjectItem(f, "before_first_read_counts"), "under_1ms", NULL), 1);
	NEAR(num(f, "client_200ms_or_more", NULL), 2);
	NEAR(num(f, "client_and_before_first_read_200ms_or_more", NULL), 2);
	NEAR(num(e, "before_first_read_counts", "under_1ms"), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "exemplars")), 0);
	cJSON_Delete(o);
}

static void test_log_round_trip(void **state)
{
	struct req_record a = srv(40000, 3, 123456789, 987654321, 0), b = srv(40001, 1, 5, 6, 0), *r;
	struct latsplit_log lg;
	char path[] = "/tmp/bindprof-latsplit-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	b.oncpu_ns = UINT64_MAX;
	latsplit_log_write(f, &a, "GET /items/{id}");
	fputs("garbage line\n", f);
	/* an address that is not hex, and a line longer than any the recorder writes: one bad line
	 * each (the long one's rest is not read as more lines) */
	fputs("1 2 3 4 5 6 7 8000 40000 1 zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz GET /\n", f);
	fputs("1 2 3 4 5 6 7 8000 40000 1 00000000000000000000ffff7f000001 GET /", f);
	for (int i = 0; i < 300; i++)
		fputs("x 2 3 4 5 6 7 8000 40000 1 00000000000000000000ffff7f000001 ", f);
	fputs("\n", f);
	latsplit_log_write(f, &b, "POST /x y");
	latsplit_log_write(f, &a, "GET /items/{id}");
	fclose(f);
	assert_int_equal(latsplit_log_read(path, &lg), 0);
	unlink(path);
	assert_int_equal(lg.n, 3);
	assert_int_equal(lg.bad_lines, 3);
	assert_int_equal(lg.nnames, 2);
	r = &lg.recs[0];
	assert_true(r->start_ns == a.start_ns && r->end_ns == a.end_ns && r->oncpu_ns == a.oncpu_ns &&
		    r->gil_wait_ns == a.gil_wait_ns && r->lport == 8000 && r->rport == 40000 && r->seq == 3);
	assert_memory_equal(r->raddr, a.raddr, 16);
	assert_string_equal(latsplit_log_epname(&lg, r->ep), "GET /items/{id}");
	assert_true(lg.recs[1].oncpu_ns == UINT64_MAX);
	assert_string_equal(latsplit_log_epname(&lg, lg.recs[1].ep), "POST /x y");
	assert_int_equal(lg.recs[2].ep, lg.recs[0].ep);
	latsplit_log_free(&lg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_split),
		cmocka_unit_test(test_first_on_connection),
		cmocka_unit_test(test_log_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
