/* SPDX-License-Identifier: GPL-2.0-only */
/* The load engine's pure parts: the latency histogram against exact sorted-array percentiles,
 * merging, the rate scheduler's send times, HTTP response parsing, URLs and loopback checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <cmocka.h>
#include "load/httpresp.h"
#include "stats/lathist.h"
#include "cli/load.h"
#include "load/loadgen.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void test_lathist_error_bound(void **state)
{
	/* every value from 1 us to 60 s lands in a slot at most 0.1% of its value wide */
	for (uint64_t v = 1000; v < 60000000000ull; v += v / 97 + 1) {
		uint64_t low, width;

		lh_slot_bounds(lh_slot(v), &low, &width);
		assert_true(v >= low && v < low + width);
		assert_true(width * 1000 <= low); /* <= 0.1% of the value */
	}
}

static void test_lathist_quantiles_and_merge(void **state)
{
	static const double qs[] = { 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0 };
	int n = 200000;
	uint64_t *raw = malloc(n * sizeof(*raw));
	struct lathist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	double sum = 0, sumsq = 0, mean, sd;

	lh_init(a);
	lh_init(b);
	srand(7);
	for (int i = 0; i < n; i++) {
		raw[i] = (uint64_t)(1000.0 * pow(60e6, rand() / (double)RAND_MAX)); /* 1 us .. 60 s */
		lh_record(i % 2 ? a : b, raw[i]);                                  /* two threads */
		sum += raw[i];
	}
	lh_merge(a, b);
	assert_int_equal(a->count, n);
	qsort(raw, n, sizeof(*raw), cmp_u64);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		long rank = (long)ceil(qs[i] * n);
		double exact = raw[rank - 1], got = lh_quantile(a, qs[i]);

		assert_true(fabs(got - exact) <= exact * 0.001); /* <= 0.1% */
	}
	assert_int_equal(a->min_ns, raw[0]);
	assert_int_equal(a->max_ns, raw[n - 1]);
	mean = sum / n;
	for (int i = 0; i < n; i++)
		sumsq += (raw[i] - mean) * (raw[i] - mean);
	sd = sqrt(sumsq / (n - 1));
	assert_true(fabs(lh_mean(a) - mean) <= mean * 1e-9);
	assert_true(fabs(lh_stddev(a) - sd) <= sd * 1e-6);
	free(raw);
	free(a);
	free(b);
}

static void test_rate_schedule(void **state)
{
	/* 1000 rps over 3 threads: the union of the threads' slots is every millisecond, once */
	uint64_t seen[30] = {};

	for (int i = 0; i < 3; i++)
		for (uint64_t k = 0; k < 10; k++) {
			uint64_t t = rate_slot_ns(5000, 1000, i, 3, k);

			assert_int_equal((t - 5000) % 1000000, 0);
			seen[(t - 5000) / 1000000]++;
		}
	for (int j = 0; j < 30; j++)
		assert_int_equal(seen[j], 1);
	/* a rate below the thread count still means what it says: 1 rps over 4 threads */
	assert_int_equal(rate_slot_ns(0, 1, 0, 4, 0), 0);
	assert_int_equal(rate_slot_ns(0, 1, 1, 4, 0), 1000000000ull);
	assert_int_equal(rate_slot_ns(0, 1, 3, 4, 1), 7000000000ull);
	/* fractional rates: 3 rps -> 333.33 ms apart, rounded to the ns */
	assert_int_equal(rate_slot_ns(0, 3, 0, 1, 2), 666666667ull);
}

static void feed_all(struct httpresp *r, const char *s, int *statuses, int *n)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		long used = httpresp_feed(r, s + off, len - off);

		assert_true(used >= 0);
		off += used;
		if (r->complete) {
			statuses[(*n)++] = r->status;
			httpresp_next(r);
		}
	}
}

static void test_http_responses(void **state)
{
	struct httpresp r;
	int st[8], n = 0;

	httpresp_init(&r);
	/* Content-Length, then a chunked body, pipelined in one buffer, then a 500 */
	feed_all(&r,
		 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		 "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
		 "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
		 st, &n);
	assert_int_equal(n, 3);
	assert_int_equal(st[0], 200);
	assert_int_equal(st[1], 404);
	assert_int_equal(st[2], 500);
	assert_true(r.keep_alive);
	/* a response split across reads */
	feed_all(&r, "HTTP/1.1 201 Created\r\nContent-Le", st, &n);
	assert_int_equal(n, 3);
	feed_all(&r, "ngth: 2\r\n\r\nok", st, &n);
	assert_int_equal(n, 4);
	assert_int_equal(st[3], 201);
	/* a body that runs until the server closes */
	httpresp_init(&r);
	feed_all(&r, "HTTP/1.0 200 OK\r\n\r\nuntil close", st, &n);
	assert_int_equal(n, 4);
	assert_true(httpresp_feed(&r, NULL, 0) >= 0);
	assert_true(r.complete && !r.keep_alive);
	/* garbage */
	httpresp_init(&r);
	assert_int_equal(httpresp_feed(&r, "SMTP ready\r\n", 12), -1);
}

static void test_urls_and_loopback(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct url u;
	char err[256];

	assert_int_equal(url_parse("http://127.0.0.1:8080/a/b?x=1", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 8080);
	assert_string_equal(u.path, "/a/b?x=1");
	assert_int_equal(url_parse("http://localhost", &u, err, sizeof(err)), 0);
	assert_int_equal(u.port, 80);
	assert_string_equal(u.path, "/");
	assert_int_equal(url_parse("http://[::1]:9/x", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9);
	assert_int_equal(url_resolve_loopback(&u, &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(url_parse("https://127.0.0.1/", &u, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--url: https is not supported (TLS); give an http:// URL");
	assert_int_equal(url_parse("http://127.0.0.1:99999/", &u, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--url: invalid port '99999'");
	/* numeric, so nothing is looked up or sent: refused before any connection */
	assert_int_equal(url_parse("http://10.1.2.3:80/", &u, err, sizeof(err)), 0);
	assert_int_equal(url_resolve_loopback(&u, &ss, &len, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--url: '10.1.2.3' is not a loopback address: bindprof only loads "
				 "127.0.0.0/8 or ::1");
	assert_int_equal(url_parse("http://127.9.9.9/", &u, err, sizeof(err)), 0);
	assert_int_equal(url_resolve_loopback(&u, &ss, &len, err, sizeof(err)), 0);
}

static void test_load_options(void **state)
{
	struct load_cli c;
	char err[256];
	char *ok[] = { "load", "--url", "http://127.0.0.1/", "-c", "3", "-t", "8", "--rate", "2.5", "-H",
		       "X-A: 1", NULL };
	char *bad1[] = { "load", "-c", "5", NULL };
	char *bad2[] = { "load", "--url", "http://127.0.0.1/", "-d", "2", "-n", "5", NULL };
	char *bad3[] = { "load", "--url", "http://127.0.0.1/", "-H", "nocolon", NULL };

	assert_int_equal(load_opts_parse(11, ok, &c, err, sizeof(err)), 0);
	assert_int_equal(c.o.connections, 3);
	assert_int_equal(c.o.threads, 3); /* never more threads than connections */
	assert_true(c.o.rate == 2.5);
	assert_int_equal(c.o.nheaders, 1);
	assert_string_equal(c.o.method, "GET");
	assert_int_equal(load_opts_parse(3, bad1, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--url is required");
	assert_int_equal(load_opts_parse(7, bad2, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "-d and -n are exclusive");
	assert_int_equal(load_opts_parse(5, bad3, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "-H: 'nocolon' is not a header (Name: value)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lathist_error_bound),
		cmocka_unit_test(test_lathist_quantiles_and_merge),
		cmocka_unit_test(test_rate_schedule),
		cmocka_unit_test(test_http_responses),
		cmocka_unit_test(test_urls_and_loopback),
		cmocka_unit_test(test_load_options),
	};

	return cmocka_run_group_tests_name("loadgen", tests, NULL, NULL);
}
