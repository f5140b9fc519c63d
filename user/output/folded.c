/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>
#include <string.h>
#include "output/folded.h"

const char *stack_category_name(int cat)
{
	static const char *const names[] = { "native", "python", "kernel" };

	return cat >= 0 && cat < CAT_MAX ? names[cat] : "?";
}

int stack_py_order(unsigned depth, unsigned nslots, unsigned leaf_keep, int *order)
{
	unsigned ring = nslots - leaf_keep;
	int n = 0;

	if (depth <= nslots || nslots <= leaf_keep) {
		for (unsigned i = 0; i < nslots; i++)
			order[n++] = i;
		return n;
	}
	for (unsigned i = 0; i < leaf_keep; i++)
		order[n++] = i;
	order[n++] = -1;
	/* frames depth - ring .. depth - 1, leaf first; frame k sits in leaf_keep + (k - leaf_keep) % ring */
	for (unsigned k = depth - ring; k < depth; k++)
		order[n++] = leaf_keep + (k - leaf_keep) % ring;
	return n;
}

struct out {
	char *buf;
	size_t len, cap;
};

/* Append ";" (unless first) and the frame (the concatenation of up to four parts), with ';'
 * made ':' and control characters spaces. */
static void put4(struct out *o, const char *a, const char *b, const char *c, const char *d)
{
	const char *parts[4] = { a, b, c, d };

	if (o->len && o->len + 1 < o->cap)
		o->buf[o->len++] = ';';
	for (int p = 0; p < 4; p++)
		for (const char *s = parts[p]; s && *s && o->len + 1 < o->cap; s++)
			o->buf[o->len++] = *s == ';' ? ':' : (unsigned char)*s < 32 ? ' ' : *s;
	o->buf[o->len] = '\0';
}

static void put(struct out *o, const char *frame)
{
	put4(o, frame, NULL, NULL, NULL);
}

/* Python groups: one per eval-loop call, as [first, last] indexes into py (leaf first). */
static int py_groups(const struct stack_input *in, int (*g)[2], int max)
{
	int n = 0, start = 0;

	for (int i = 0; i < in->npy && n < max; i++) {
		bool end = in->py_minor <= 10 || (in->py_entry && in->py_entry[i]) || i == in->npy - 1;

		if (end) {
			g[n][0] = start;
			g[n][1] = i;
			n++;
			start = i + 1;
		}
	}
	return n;
}

int stack_fold(const struct stack_input *in, char *outbuf, size_t outlen)
{
	struct out o = { outbuf, 0, outlen };
	int groups[256][2], ng = py_groups(in, groups, 256), nev = 0;
	int ev_group[512]; /* native index -> group, or -1 */
	int unmatched_root = 0; /* root-most groups with no eval frame: written before the native frames */
	int nn = in->nnative, leaf_cat = CAT_NATIVE;
	bool prev_py = false, seen_py = false;

	if (outlen)
		outbuf[0] = '\0';
	put(&o, in->process && *in->process ? in->process : "[unknown]");
	if (nn > 512)
		nn = 512;
	for (int i = 0; i < nn; i++) {
		ev_group[i] = -1;
		nev += in->native[i].kind == FK_EVAL;
	}
	/* Match eval frames and groups, both leaf first: from the root when there are at least as
	 * many eval frames (an eval call that has not pushed its frame yet sits at the leaf), else
	 * from the leaf (the native unwind stopped short of the root). */
	if (nev >= ng) {
		int gi = ng - 1;

		for (int i = nn - 1; i >= 0 && gi >= 0; i--)
			if (in->native[i].kind == FK_EVAL)
				ev_group[i] = gi--;
	} else {
		int gi = 0;

		for (int i = 0; i < nn && gi < ng; i++)
			if (in->native[i].kind == FK_EVAL)
				ev_group[i] = gi++;
		unmatched_root = ng - gi;
	}
	/* root-most groups without an eval frame first */
	for (int gi = ng - 1; gi >= ng - unmatched_root; gi--)
		for (int k = groups[gi][1]; k >= groups[gi][0]; k--) {
			put(&o, in->py[k]);
			prev_py = seen_py = true;
		}
	for (int i = nn - 1; i >= 0; i--) {
		const struct nframe *f = &in->native[i];
		const char *name = f->name ? f->name : "[unknown]";
		int kind = f->kind == FK_SYSTEM ? (prev_py ? FK_INTERP : FK_NATIVE) : f->kind;

		if (ev_group[i] >= 0) {
			for (int k = groups[ev_group[i]][1]; k >= groups[ev_group[i]][0]; k--)
				put(&o, in->py[k]);
			prev_py = seen_py = true;
			continue;
		}
		if (kind != FK_NATIVE) {
			/* the interpreter between Python frames: left out, unless nothing but the
			 * interpreter follows (then it is the interpreter at work) */
			bool more = false;

			for (int j = i - 1; seen_py && j >= 0 && !more; j--)
				more = in->native[j].kind == FK_NATIVE || ev_group[j] >= 0;
			if (!more)
				put(&o, name);
			prev_py = seen_py; /* before the first Python frame: the interpreter starting up */
			leaf_cat = CAT_PYTHON;
			continue;
		}
		if (prev_py)
			put4(&o, name, " [", f->module ? f->module : "?", "]"); /* the crossing into native code */
		else
			put(&o, name);
		prev_py = false;
		leaf_cat = CAT_NATIVE;
	}
	if (ng && !nn)
		leaf_cat = CAT_PYTHON;
	if (!nn && !ng && !in->nkernel)
		put(&o, "[unknown]");
	for (int i = in->nkernel - 1; i >= 0; i--) {
		put4(&o, in->kernel[i] ? in->kernel[i] : "[unknown]", "_[k]", NULL, NULL);
		leaf_cat = CAT_KERNEL;
	}
	return leaf_cat;
}
