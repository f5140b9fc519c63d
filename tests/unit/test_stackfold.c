/* SPDX-License-Identifier: GPL-2.0-only */
/* Folding one sample: the folded conventions (process first, root to leaf) and the interleaving of Python frames at the
 * interpreter's eval frames, checked against exact expected lines (golden strings). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "output/folded.h"

#define N(name, mod) { name, mod, FK_NATIVE }
#define I(name) { name, "libpython3.11.so.1.0", FK_INTERP }
#define E { "_PyEval_EvalFrameDefault", "libpython3.11.so.1.0", FK_EVAL }

static char out[4096];

static void test_native_only(void **state)
{
	/* leaf first, as unwound */
	struct nframe nat[] = { N("b", "calltree"), N("a", "calltree"), N("main", "calltree"),
				N("__libc_start_call_main", "libc.so.6") };
	const char *k[] = { "asm_sysvec_apic_timer_interrupt" };
	struct stack_input in = { .process = "calltree", .native = nat, .nnative = 4 };

	assert_int_equal(stack_fold(&in, out, sizeof(out)), CAT_NATIVE);
	assert_string_equal(out, "calltree;__libc_start_call_main;main;a;b");
	in.kernel = k;
	in.nkernel = 1;
	assert_int_equal(stack_fold(&in, out, sizeof(out)), CAT_KERNEL);
	assert_string_equal(out, "calltree;__libc_start_call_main;main;a;b;asm_sysvec_apic_timer_interrupt_[k]");
}

static void test_unknown_and_separators(void **state)
{
	struct nframe nat[] = { { NULL, NULL, FK_NATIVE }, N("ns::f(int;long)", "x"), N("main", "x") };
	struct stack_input in = { .process = "my;proc", .native = nat, .nnative = 3 };

	stack_fold(&in, out, sizeof(out));
	assert_string_equal(out, "my:proc;main;ns::f(int:long);[unknown]");
	in.nnative = 0;
	stack_fold(&in, out, sizeof(out));
	assert_string_equal(out, "my:proc;[unknown]");
}

static void test_python_311_into_native(void **state)
{
	/* handler -> encode (one eval call), then ctypes into libz's crc32 */
	struct nframe nat[] = { N("crc32_z", "libz.so.1"),   N("ffi_call_unix64", "libffi.so.8"),
				N("ffi_call", "libffi.so.8"), N("PyCFuncPtr_call", "_ctypes.so"),
				I("_PyObject_MakeTpCall"),    E,
				I("PyEval_EvalCode"),         I("Py_RunMain"),
				N("main", "python3.11") };
	const char *py[] = { "encode (app.py:3)", "handler (app.py:7)", "<module> (app.py:1)" };
	bool entry[] = { false, false, true };
	struct stack_input in = { .process = "python3", .native = nat, .nnative = 9, .py = py, .py_entry = entry,
				  .npy = 3, .py_minor = 11 };

	nat[8].kind = FK_INTERP;
	assert_int_equal(stack_fold(&in, out, sizeof(out)), CAT_NATIVE);
	assert_string_equal(out, "python3;main;Py_RunMain;PyEval_EvalCode;<module> (app.py:1);handler (app.py:7);"
				 "encode (app.py:3);PyCFuncPtr_call [_ctypes.so];ffi_call;ffi_call_unix64;crc32_z");
}

static void test_python_310_one_eval_per_frame(void **state)
{
	/* 3.10: each Python frame is its own eval call; the interpreter at work at the leaf stays */
	struct nframe nat[] = { I("dict_ass_sub"), E, I("function_code_fastcall"), E, I("PyEval_EvalCode") };
	const char *py[] = { "hot_inner (t.py:5)", "outer (t.py:9)" };
	struct stack_input in = { .process = "python3", .native = nat, .nnative = 5, .py = py, .npy = 2, .py_minor = 10 };

	assert_int_equal(stack_fold(&in, out, sizeof(out)), CAT_PYTHON);
	assert_string_equal(out, "python3;PyEval_EvalCode;outer (t.py:9);hot_inner (t.py:5);dict_ass_sub");
}

static void test_python_mismatch(void **state)
{
	/* an eval call that has not pushed its frame yet: the extra eval frame is at the leaf */
	struct nframe nat[] = { E, I("call"), E, I("PyEval_EvalCode") };
	const char *py[] = { "f (t.py:1)" };
	struct stack_input in = { .process = "p", .native = nat, .nnative = 4, .py = py, .npy = 1, .py_minor = 10 };

	stack_fold(&in, out, sizeof(out));
	assert_string_equal(out, "p;PyEval_EvalCode;f (t.py:1);call;_PyEval_EvalFrameDefault");
	/* the native unwind failed: the Python frames still show, root first */
	in.nnative = 0;
	const char *py2[] = { "leaf (t.py:2)", "root (t.py:1)" };
	in.py = py2;
	in.npy = 2;
	assert_int_equal(stack_fold(&in, out, sizeof(out)), CAT_PYTHON);
	assert_string_equal(out, "p;root (t.py:1);leaf (t.py:2)");
}

static void test_system_libraries(void **state)
{
	/* libc under the interpreter is the interpreter's work; in a native program it is native */
	struct nframe nat[] = { { "malloc", "libc.so.6", FK_SYSTEM }, I("PyList_Append"), E, I("PyEval_EvalCode") };
	const char *py[] = { "f (t.py:1)" };
	struct stack_input in = { .process = "p", .native = nat, .nnative = 4, .py = py, .npy = 1, .py_minor = 12 };
	struct nframe nat2[] = { { "memcpy", "libc.so.6", FK_SYSTEM }, N("main", "prog") };
	struct stack_input in2 = { .process = "prog", .native = nat2, .nnative = 2 };

	assert_int_equal(stack_fold(&in, out, sizeof(out)), CAT_PYTHON);
	assert_string_equal(out, "p;PyEval_EvalCode;f (t.py:1);PyList_Append;malloc");
	assert_int_equal(stack_fold(&in2, out, sizeof(out)), CAT_NATIVE);
	assert_string_equal(out, "prog;main;memcpy");
}

static void test_truncation(void **state)
{
	char small[12];
	struct nframe nat[] = { N("bbbbbbbb", "x"), N("aaaaaaaa", "x") };
	struct stack_input in = { .process = "p", .native = nat, .nnative = 2 };

	stack_fold(&in, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/* A deep stack's slots: leaf-most 4 in order, root-most 4 in a ring over slots 4..7. */
static void test_py_order_deep(void **state)
{
	int order[9], n;

	/* shallow: in order */
	n = stack_py_order(5, 5, 4, order);
	assert_int_equal(n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order[i], i);
	/* 10 frames in 8 slots: 0..3, marker, then frames 6..9 in slots 4 + (k - 4) % 4 */
	n = stack_py_order(10, 8, 4, order);
	assert_int_equal(n, 9);
	for (int i = 0; i < 4; i++)
		assert_int_equal(order[i], i);
	assert_int_equal(order[4], -1);
	assert_int_equal(order[5], 6); /* frame 6 */
	assert_int_equal(order[6], 7); /* frame 7 */
	assert_int_equal(order[7], 4); /* frame 8 */
	assert_int_equal(order[8], 5); /* frame 9: the root */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native_only),	       cmocka_unit_test(test_unknown_and_separators),
		cmocka_unit_test(test_python_311_into_native), cmocka_unit_test(test_python_310_one_eval_per_frame),
		cmocka_unit_test(test_python_mismatch),	       cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_system_libraries),       cmocka_unit_test(test_py_order_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
