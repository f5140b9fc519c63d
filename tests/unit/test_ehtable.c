/* SPDX-License-Identifier: GPL-2.0-only */
/* The .eh_frame table builder (user/inspect/ehtable.c) against binutils' own reading of the same
 * files: `readelf --debug-dump=frames-interp` prints every FDE's rows (CFA rule, rbp's and the
 * return address's), an implementation independent of libdw. Every row readelf prints must be
 * the one ehtable_find gives at its address, and every FDE's end must fall in a gap row unless
 * another FDE starts there. Also the look-up's edges on a hand-made table and the load bias. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "inspect/ehtable.h"

struct want {
	uint64_t loc;
	int cfa, off, rbp, rbp_off;
};

/* The expected row from readelf's columns: cfa ("rsp+8", "rbp+16", "exp", ...), rbp ("c-16",
 * "u", "s" or NULL: no column) and ra ("c-8", "u", ...); signal: the CIE's augmentation has 'S'. */
static struct want expect(uint64_t loc, const char *cfa, const char *rbp, const char *ra, int signal)
{
	struct want w = { .loc = loc };

	if (signal) {
		w.cfa = EH_CFA_SIGNAL;
		return w;
	}
	if (!ra || !strcmp(ra, "u")) {
		w.cfa = EH_CFA_END;
		return w;
	}
	if (strcmp(ra, "c-8")) {
		w.cfa = EH_CFA_RA;
		return w;
	}
	if (!strncmp(cfa, "rsp+", 4)) {
		w.cfa = EH_CFA_RSP;
		w.off = atoi(cfa + 4);
	} else if (!strncmp(cfa, "rbp+", 4)) {
		w.cfa = EH_CFA_RBP;
		w.off = atoi(cfa + 4);
	} else if (!strcmp(cfa, "exp")) {
		w.cfa = EH_CFA_EXPR; /* or EH_CFA_PLT: the caller accepts both */
		return w;
	} else {
		w.cfa = EH_CFA_REG;
		return w;
	}
	if (!rbp || !strcmp(rbp, "u") || !strcmp(rbp, "s")) {
		w.rbp = EH_RBP_SAME;
	} else if (rbp[0] == 'c') {
		w.rbp = EH_RBP_AT;
		w.rbp_off = atoi(rbp + 1);
	} else {
		w.cfa = EH_CFA_RBP_RULE;
	}
	return w;
}

static void check_row(const struct ehtable *t, const struct want *w, const char *file, size_t *checked)
{
	const struct eh_row *r = ehtable_find(t, w->loc);

	if (!r)
		fail_msg("%s: no row at %#llx", file, (unsigned long long)w->loc);
	if (w->cfa == EH_CFA_EXPR && (r->cfa == EH_CFA_EXPR || r->cfa == EH_CFA_PLT)) {
		(*checked)++;
		return;
	}
	if (r->cfa != w->cfa)
		fail_msg("%s: at %#llx rule %d, readelf says %d", file, (unsigned long long)w->loc, r->cfa, w->cfa);
	if (w->cfa == EH_CFA_RSP || w->cfa == EH_CFA_RBP) {
		if (r->cfa_off != w->off || r->rbp != w->rbp || (w->rbp == EH_RBP_AT && r->rbp_off != w->rbp_off))
			fail_msg("%s: at %#llx cfa+%d rbp %d@%d, readelf says cfa+%d rbp %d@%d", file,
				 (unsigned long long)w->loc, r->cfa_off, r->rbp, r->rbp_off, w->off, w->rbp, w->rbp_off);
	}
	(*checked)++;
}

/* The FDE just read had no rows of its own: its CIE's initial row holds from its start. */
struct cie {
	unsigned long off;
	char cfa[32], rbp[32], ra[32];
	int has_rbp, signal;
};

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Walk readelf's interpretation of path's .eh_frame; returns the rows checked. */
static size_t against_readelf(const char *path)
{
	char cmd[512], line[1024], cols[24][32];
	struct ehtable t;
	FILE *p;
	int ncols = 0, in_cie = 0, e;
	size_t checked = 0, nfde = 0, nends = 0;
	static struct cie cies[256];
	int ncies = 0, cur_cie = -1, fde_cie = -1, fde_rows = 0, fde_open = 0;
	uint64_t fde_lo = 0, fde_hi = 0;
	static uint64_t ends[1 << 16], starts[1 << 16];

	e = ehtable_build_file(path, &t);
	assert_int_equal(e, 0);
	snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames-interp %s 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		unsigned long off, len, id, cid;
		unsigned long long lo, hi, loc;
		char aug[32], *got = fgets(line, sizeof(line), p);
		int is_cie = 0, is_fde = 0;

		if (got) {
			is_cie = sscanf(line, "%lx %lx %lx CIE \"%31[^\"]\"", &off, &len, &id, aug) == 4;
			is_fde = !is_cie && sscanf(line, "%lx %lx %lx FDE cie=%lx pc=%llx..%llx", &off, &len, &id, &cid, &lo, &hi) == 6;
		}
		if ((!got || is_cie || is_fde) && fde_open && !fde_rows) {
			struct cie *c = &cies[fde_cie];
			struct want w = expect(fde_lo, c->cfa, c->has_rbp ? c->rbp : NULL, c->ra, c->signal);

			check_row(&t, &w, path, &checked);
		}
		if (!got)
			break;
		if (is_cie) {
			assert_true(ncies < 256);
			cur_cie = ncies++;
			memset(&cies[cur_cie], 0, sizeof(cies[0]));
			cies[cur_cie].off = off;
			cies[cur_cie].signal = strchr(aug, 'S') != NULL;
			snprintf(cies[cur_cie].cfa, 32, "?");
			snprintf(cies[cur_cie].ra, 32, "u");
			in_cie = 1;
			fde_open = 0;
			continue;
		}
		if (is_fde) {
			fde_cie = -1;
			for (int i = 0; i < ncies; i++)
				if (cies[i].off == cid)
					fde_cie = i;
			assert_true(fde_cie >= 0);
			in_cie = 0;
			fde_open = 1;
			fde_rows = 0;
			fde_lo = lo;
			fde_hi = hi;
			if (nends < (1 << 16)) {
				starts[nends] = lo;
				ends[nends++] = hi;
			}
			nfde++;
			continue;
		}
		{
			char *tok, *save, vals[24][32];
			int n = 0;

			for (tok = strtok_r(line, " \n", &save); tok && n < 24; tok = strtok_r(NULL, " \n", &save))
				snprintf(vals[n++], sizeof(vals[0]), "%s", tok);
			if (n >= 2 && !strcmp(vals[0], "LOC") && !strcmp(vals[1], "CFA")) {
				memcpy(cols, vals, sizeof(cols));
				ncols = n;
				continue;
			}
			if (n < 3 || n != ncols || sscanf(vals[0], "%llx", &loc) != 1)
				continue;
			{
				const char *rbp = NULL, *ra = NULL;

				for (int i = 2; i < ncols; i++) {
					if (!strcmp(cols[i], "rbp"))
						rbp = vals[i];
					if (!strcmp(cols[i], "ra"))
						ra = vals[i];
				}
				if (in_cie && cur_cie >= 0) {
					snprintf(cies[cur_cie].cfa, 32, "%s", vals[1]);
					snprintf(cies[cur_cie].rbp, 32, "%s", rbp ? rbp : "u");
					cies[cur_cie].has_rbp = rbp != NULL;
					snprintf(cies[cur_cie].ra, 32, "%s", ra ? ra : "u");
				} else if (fde_open && loc >= fde_lo && loc < fde_hi) {
					struct want w = expect(loc, vals[1], rbp, ra, cies[fde_cie].signal);

					check_row(&t, &w, path, &checked);
					fde_rows++;
				}
			}
		}
	}
	pclose(p);
	/* each FDE's end: a gap row, unless an FDE starts there (whose first row, checked above,
	 * may go on from the previous one when their rules are the same) */
	qsort(starts, nends, sizeof(starts[0]), by_u64);
	for (size_t i = 0; i < nends; i++) {
		const struct eh_row *r = ehtable_find(&t, ends[i]);

		assert_non_null(r);
		if (bsearch(&ends[i], starts, nends, sizeof(starts[0]), by_u64))
			continue;
		if (r->cfa != EH_CFA_NONE)
			fail_msg("%s: the FDE ending at %#llx runs on (rule %d from %#x)", path, (unsigned long long)ends[i],
				 r->cfa, r->pc);
	}
	assert_true(nfde > 0);
	assert_int_equal(nfde, t.fdes);
	ehtable_free(&t);
	return checked;
}

static int have_readelf(void)
{
	return system("readelf --version >/dev/null 2>&1") == 0;
}

static const char *tool(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "build/tools/%s", name);
	return access(buf, R_OK) ? NULL : buf;
}

static void test_calltree_against_readelf(void **state)
{
	(void)state;
	if (!have_readelf() || !tool("calltree") || !tool("calltree-nofp"))
		skip();
	/* with frame pointers: CFA = rbp+16 after the prologue, rbp saved at CFA-16 */
	assert_true(against_readelf(tool("calltree")) >= 10);
	assert_true(against_readelf(tool("calltree-nofp")) >= 10);
}

static void test_libc_against_readelf(void **state)
{
	const char *libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
	size_t n;

	(void)state;
	if (!have_readelf() || access(libc, R_OK))
		skip();
	n = against_readelf(libc);
	print_message("      libc.so.6: %zu rows checked against readelf\n", n);
	assert_true(n > 10000); /* 28,274 rows from 3,713 FDEs in Debian 12's */
}

static void test_find_edges(void **state)
{
	struct eh_row rows[] = {
		{ .pc = 0x1000, .cfa = EH_CFA_RSP, .cfa_off = 8 },
		{ .pc = 0x1001, .cfa = EH_CFA_RSP, .cfa_off = 16 },
		{ .pc = 0x1010, .cfa = EH_CFA_NONE },
		{ .pc = 0x2000, .cfa = EH_CFA_END },
	};
	struct ehtable t = { .rows = rows, .n = 4 };

	(void)state;
	assert_null(ehtable_find(&t, 0xfff));
	assert_ptr_equal(ehtable_find(&t, 0x1000), &rows[0]);
	assert_ptr_equal(ehtable_find(&t, 0x1001), &rows[1]);
	assert_ptr_equal(ehtable_find(&t, 0x100f), &rows[1]);
	assert_ptr_equal(ehtable_find(&t, 0x1fff), &rows[2]);
	assert_ptr_equal(ehtable_find(&t, 0x2000), &rows[3]);
	assert_ptr_equal(ehtable_find(&t, 0xffffffff), &rows[3]);
	t.n = 0;
	assert_null(ehtable_find(&t, 0x1000));
}

/* The on-disk cache gives back the rows it was given, by build-id, and refuses other names. */
static void test_cache_round_trip(void **state)
{
	char dir[] = "/tmp/bindprof-ehcache-XXXXXX", cmd[128];
	struct eh_row rows[] = {
		{ .pc = 0x1000, .cfa = EH_CFA_RSP, .cfa_off = 8 },
		{ .pc = 0x1004, .cfa = EH_CFA_RBP, .cfa_off = 16, .rbp = EH_RBP_AT, .rbp_off = -16 },
		{ .pc = 0x1100, .cfa = EH_CFA_NONE },
	};
	struct ehtable t = { .rows = rows, .n = 3, .fdes = 1 }, back;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("BINDPROF_CACHE_DIR", dir, 1);
	assert_false(ehtable_cached("00ff"));
	assert_int_equal(ehtable_cache_load("00ff", &back), -ENOENT);
	assert_int_equal(ehtable_cache_save("00ff", &t), 0);
	assert_true(ehtable_cached("00ff"));
	assert_int_equal(ehtable_cache_load("00ff", &back), 0);
	assert_int_equal(back.n, 3);
	assert_int_equal(back.fdes, 1);
	assert_memory_equal(back.rows, rows, sizeof(rows));
	ehtable_free(&back);
	assert_int_not_equal(ehtable_cache_save("../x", &t), 0); /* not a build-id */
	unsetenv("BINDPROF_CACHE_DIR");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_missing_file(void **state)
{
	struct ehtable t;

	(void)state;
	assert_int_not_equal(ehtable_build_file("/nonexistent/libx.so", &t), 0);
	assert_int_equal(ehtable_build_file("/etc/hostname", &t), -ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_edges),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_cache_round_trip),
		cmocka_unit_test(test_calltree_against_readelf),
		cmocka_unit_test(test_libc_against_readelf),
	};

	return cmocka_run_group_tests_name("ehtable", tests, NULL, NULL);
}
