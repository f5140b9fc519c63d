/* SPDX-License-Identifier: GPL-2.0-only */
/* The one significance procedure of bindprof's gates (diff and compare): a metric's repeats on
 * the base side against its repeats on the new side, with a noise band estimated from the runs'
 * own spread, a minimum effect size, a rank test and a bootstrap CI, and confidence intervals on
 * each median. The procedure, step by step, is in verdict.c and docs/CI.md. */
#ifndef BINDPROF_VERDICT_H
#define BINDPROF_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

enum vd_verdict {
	VD_IMPROVED,
	VD_UNCHANGED,
	VD_REGRESSED,
	VD_REGRESSED_CRITICAL,
	VD_NOT_GATED, /* reported, not gated (too few samples, a zero base) */
	VD_MISSING,   /* on the base side only */
	VD_NEW,       /* on the new side only */
};

/* "improved", "unchanged", "regressed", "regressed-critical", "not-gated", "missing", "new" */
const char *vd_name(enum vd_verdict v);
/* true for the verdicts that fail a gate by default (regressed, regressed-critical) */
bool vd_is_regression(enum vd_verdict v);

struct vd_rule {
	const char *name;      /* "requests_per_sec", "p99_ms", ... */
	bool higher_better;
	double min_effect_pct; /* a change smaller than this is never a regression (percent, >= 0) */
	double crit_pct;       /* a significant change at least this large is regressed-critical */
	bool gate_explicit;    /* gate even with fewer than VD_MIN_SAMPLES a side (the user asked) */
};

/* Fewer repeats than this on either side: reported, not gated (unless gate_explicit). */
#define VD_MIN_SAMPLES 3

struct vd_opts {
	double alpha;      /* rank test's two-sided level; 0: 0.05 */
	double confidence; /* of the bootstrap CI and of the median CIs; 0: 0.95 */
	double noise_k;    /* noise band = noise_k x sqrt(2) x pooled robust CV; 0: 1 */
	int band_rule;     /* what must clear the noise band: VD_BAND_ESTIMATE (0, the default) or VD_BAND_INTERVAL */
};

/* VD_BAND_ESTIMATE: the median change must lie beyond the band, and the CI exclude 1 (the one-sided
 * test rejects). VD_BAND_INTERVAL: the CI's near end itself must lie beyond the band (stricter: a
 * change is then caught only when it exceeds the band by the CI's half-width too). */
enum { VD_BAND_ESTIMATE = 0, VD_BAND_INTERVAL = 1 };

struct vd_result {
	enum vd_verdict verdict;
	int nb, nn;                  /* samples a side */
	double base_median, new_median;
	double base_ci[2], new_ci[2]; /* order-statistic CI of each median (NAN when n < 2) */
	double base_ci_level, new_ci_level; /* the CIs' exact coverage (0..1) */
	double change_pct;           /* 100 (new/base - 1) of the medians; NAN when base is 0 */
	double ratio_ci[2];          /* CI of the ratio new/base (step 5); NAN when not computed */
	double ratio_ci_level;       /* its exact coverage (0..1) */
	double p_value;              /* Mann-Whitney two-sided; NAN when not computed */
	double min_p;                /* the smallest p the exact test can give at these sizes */
	double base_cv, new_cv;      /* robust relative spread: 1.4826 MAD / median */
	double noise_pct;            /* the noise band the ratio CI had to clear (percent) */
	char reason[200];
};

/* The verdict for one metric: base[0..nb) against new[0..nn) (a sample per repeat, NaNs already
 * dropped; either count may be 0: then missing or new). Never fails: the reason says why a
 * metric is not gated. Procedure:
 *  1. nb == 0: new; nn == 0: missing.
 *  2. the medians, their distribution-free CIs (vd_median_ci), change_pct.
 *  3. fewer than VD_MIN_SAMPLES a side and not gate_explicit: not-gated ("not-gated: one sample").
 *  4. noise band from the repeats' own spread: when every value is > 0, s = 1.4826 x the MAD
 *     of both sides' log values about their own log medians and the band is the ratio
 *     exp(noise_k * sqrt(2) * s) (noise_pct = 100 (that - 1)): the same whichever side is the
 *     base; otherwise cv = 1.4826 x the MAD of the residuals over the base median and the band
 *     is 1 +- noise_k * sqrt(2) * cv. Either way: a change smaller than two single passes'
 *     typical difference is noise, however many repeats there are.
 *  5. the Mann-Whitney U test's own confidence interval of the shift new - base (vd_shift_ci:
 *     Hodges-Lehmann estimate, Moses' distribution-free CI from the pairwise differences), as a
 *     ratio: of the logs' shift, exp(CI), when every value is > 0 (a change of scale); else
 *     1 + shift / median(base). The interval is two-sided at 1 - 2 alpha (90%): each end is a
 *     one-sided 1 - alpha (95%) bound, and a gate asks a one-sided question (is new worse?).
 *     Its end excludes 1 exactly when the one-sided exact rank test rejects at alpha; with 3
 *     against 3 it is the widest one, [min(new) / max(base), max(new) / min(base)] (coverage 90%).
 *  6. regressed = the ratio CI's near end beyond 1 on the worse side (the one-sided exact test
 *     rejects at alpha), the median change beyond the noise band (o->band_rule VD_BAND_INTERVAL:
 *     the CI's near end beyond the band instead) and at least min_effect_pct (the guard against
 *     drift between runs, which no spread within a run shows); regressed-critical when that change is at least crit_pct; the same
 *     on the better side: improved; else unchanged, with the reason (below the minimum effect,
 *     not significant, or within the noise band).
 * The CI narrows as repeats grow, and the band does not shrink with n: more repeats never make
 * the rule more permissive (a min..max overlap rule does). p_value is reported alongside. */
void vd_compare(const struct vd_rule *r, const double *base, int nb, const double *new_, int nn,
		const struct vd_opts *o, struct vd_result *out);

/* The largest U with two-sided exact P(U <= crit) * 2 <= alpha for sizes na, nb (the published
 * critical value of U; -1 when even U = 0 is above alpha: 3 against 3 at 5%); the normal
 * approximation when na * nb > 400. *coverage: the coverage of the Moses CI built on it. */
int vd_mw_critical(int na, int nb, double alpha, double *coverage);
/* Hodges-Lehmann estimate (median of the nn * nb differences new_i - base_j) and Moses' CI,
 * [d(C+1), d(m-C)] with C = max(vd_mw_critical(nn, nb, alpha), 0): the distribution-free CI of a
 * location shift that goes with the Mann-Whitney test (Hollander and Wolfe, Nonparametric
 * Statistical Methods, section 4.3). Units: those of the data. NAN when a side is empty. */
void vd_shift_ci(const double *base, int nb, const double *new_, int nn, double alpha, double *est,
		 double *lo, double *hi, double *coverage);
/* Distribution-free CI of the median from order statistics (binomial, Bin(n, 1/2)): the
 * narrowest [x(k), x(n-k+1)] (1-based, sorted) whose coverage 1 - 2 P(Bin <= k-1) is at least
 * conf; when even [x(1), x(n)] falls short (n < 6 at 95%), that one, with its lower coverage.
 * Returns k (0 when n < 2: no interval) and sets *coverage. */
int vd_median_ci_rank(int n, double conf, double *coverage);
/* The same on data (v is not modified): lo, hi, and the coverage; NAN when n < 2. */
void vd_median_ci(const double *v, int n, double conf, double *lo, double *hi, double *coverage);
/* 1.4826 MAD / |median|: the robust coefficient of variation (0 when n < 2 or median 0). */
double vd_robust_cv(const double *v, int n);

/* {verdict, reason, base: {median, ci, ci_level, n}, new: {...}, change_percent, ratio_ci,
 * ratio_ci_level, p_value, noise_band_percent}: the result as diff -o writes it (NAN as null). */
cJSON *vd_result_json(const struct vd_result *r);

#endif
