/* SPDX-License-Identifier: GPL-2.0-only */
/* One sample's frames into one folded-stack line: native frames (unwound and symbolized), the
 * Python frames of the thread interleaved at the interpreter's evaluation frames, and kernel
 * frames, root to leaf, in the folded conventions of flamegraph.pl and perf script: process name first, ';' between
 * frames, ';' inside a name replaced by ':', "[unknown]" for unresolved frames, "_[k]" after
 * kernel frames. Pure: unit-tested. */
#ifndef BINDPROF_STACKFOLD_H
#define BINDPROF_STACKFOLD_H

#include <stdbool.h>
#include <stddef.h>

enum frame_kind {
	FK_NATIVE = 0, /* native code outside the interpreter (a program, a library, an extension) */
	FK_INTERP,     /* the interpreter's own native code (python3.X, libpython3.X.so) */
	FK_EVAL,       /* the interpreter's evaluation loop (_PyEval_EvalFrameDefault) */
	FK_SYSTEM,     /* libc, the loader, the vdso: the interpreter's when Python calls them */
};

enum stack_category { CAT_NATIVE = 0, CAT_PYTHON, CAT_KERNEL, CAT_MAX };

struct nframe {
	const char *name;   /* NULL: "[unknown]" */
	const char *module; /* basename of its file; NULL when unknown */
	int kind;
};

struct stack_input {
	const char *process;
	const struct nframe *native; /* leaf first */
	int nnative;
	const char *const *py;       /* Python frames, leaf first ("func (file.py:line)") */
	const bool *py_entry;        /* py_entry[i]: frame i began an eval-loop call (3.11+) */
	int npy;
	int py_minor;                /* 3.minor; <= 10: one eval-loop call per Python frame */
	const char *const *kernel;   /* leaf first */
	int nkernel;
};

/* Fold one sample into out. Returns its category: where its leaf frame runs (kernel; Python
 * frames or the interpreter; other native code). A native frame that Python calls into (the
 * crossing into a binding) is written "name [module]". Interpreter frames between Python
 * frames are left out; the ones at the leaf (the interpreter at work) are kept. */
int stack_fold(const struct stack_input *in, char *out, size_t outlen);
const char *stack_category_name(int cat);

/* The frame that stands for the Python frames dropped from the middle of a deep stack. */
#define PY_TRUNCATED_FRAME "[truncated]"
/* The Python frames of a sample in leaf-first order, as slots of the BPF record (bpf/stacks.h:
 * the leaf-most `leaf_keep` in order, the root-most in a ring over slots [leaf_keep, nslots)),
 * with -1 where the dropped frames were. depth: frames walked; nslots: slots filled
 * (min(depth, capacity)). order must hold nslots + 1 entries. Returns the entries written. */
int stack_py_order(unsigned depth, unsigned nslots, unsigned leaf_keep, int *order);

#endif
