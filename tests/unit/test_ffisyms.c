/* SPDX-License-Identifier: GPL-2.0-only */
/* Where --ffi puts a function's entry probe (inspect/ffisyms.c: ffi_plan_places), on machine code
 * whose decoding is known: an emulated instruction before any branch is preferred; a lock prefix
 * is refused; a stack write, a branch, or a branch landing in between stops the move. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "inspect/ffisyms.h"

static struct ffi_fn plan(const uint8_t *code, size_t len)
{
	struct ffi_fn fn;

	memset(&fn, 0, sizeof(fn));
	fn.size = len;
	ffi_plan_places(&fn, code, len, 0x1000, 0x1000);
	return fn;
}

/* endbr64; push %rbp; mov %rsp,%rbp; pop %rbp; ret: the push, 4 bytes in, then the entry */
static void test_endbr_then_push(void **state)
{
	static const uint8_t c[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3 };
	struct ffi_fn fn = plan(c, sizeof(c));

	(void)state;
	assert_int_equal(fn.nplaces, 2);
	assert_int_equal(fn.places[0].delta, 4);
	assert_int_equal(fn.places[0].kind, FFI_PROBE_EMULATED);
	assert_int_equal(fn.places[0].offset, 0x1004);
	assert_int_equal(fn.places[1].delta, 0);
	assert_int_equal(fn.places[1].kind, FFI_PROBE_STEPPED);
	assert_string_equal(fn.entry_insn, "endbr64");
}

/* mov %edx,%edx; jmp rel32 (libz's crc32): the jmp, +2 */
static void test_mov_then_jmp(void **state)
{
	static const uint8_t c[] = { 0x89, 0xd2, 0xe9, 0x10, 0x00, 0x00, 0x00, 0x90 };
	struct ffi_fn fn = plan(c, sizeof(c));

	(void)state;
	assert_int_equal(fn.places[0].delta, 2);
	assert_int_equal(fn.places[0].kind, FFI_PROBE_EMULATED);
}

/* lock addl $1,0x10(%rip); ret: the lock is refused, the ret is the next safe place */
static void test_lock_then_ret(void **state)
{
	static const uint8_t c[] = { 0xf0, 0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0xc3 };
	struct ffi_fn fn = plan(c, sizeof(c));

	(void)state;
	assert_int_equal(fn.nplaces, 2);
	assert_int_equal(fn.places[0].delta, 0);
	assert_int_equal(fn.places[0].kind, FFI_PROBE_REFUSED);
	assert_int_equal(fn.places[1].delta, 8);
	assert_int_equal(fn.places[1].kind, FFI_PROBE_STEPPED);
	assert_string_equal(fn.places[1].insn, "ret");
}

/* lock addl; 1: dec %edi; jg 1b; ret: the loop lands at +8, so no place after the lock is safe */
static void test_lock_then_loop(void **state)
{
	static const uint8_t c[] = { 0xf0, 0x83, 0x05, 0x10, 0x00, 0x00, 0x00, 0x01, 0xff, 0xcf, 0x7f, 0xfc, 0xc3 };
	struct ffi_fn fn = plan(c, sizeof(c));

	(void)state;
	assert_int_equal(fn.nplaces, 1);
	assert_int_equal(fn.places[0].kind, FFI_PROBE_REFUSED);
	assert_non_null(strstr(fn.place_note, "a branch of the function lands at +8"));
}

/* sub $8,%rsp; call rel32; ...: the stack write stops the move: the entry, single-stepped */
static void test_stack_write_stops(void **state)
{
	static const uint8_t c[] = { 0x48, 0x83, 0xec, 0x08, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x48, 0x83, 0xc4, 0x08, 0xc3 };
	struct ffi_fn fn = plan(c, sizeof(c));

	(void)state;
	assert_int_equal(fn.nplaces, 1);
	assert_int_equal(fn.places[0].delta, 0);
	assert_int_equal(fn.places[0].kind, FFI_PROBE_STEPPED);
}

/* test %rdi,%rdi; je rel8; push %r15: the je is emulated and comes first (before any branch:
 * it is the first branch itself) */
static void test_branch_is_a_place(void **state)
{
	static const uint8_t c[] = { 0x48, 0x85, 0xff, 0x74, 0x02, 0x41, 0x57, 0xc3, 0xc3 };
	struct ffi_fn fn = plan(c, sizeof(c));

	(void)state;
	assert_int_equal(fn.places[0].delta, 3);
	assert_int_equal(fn.places[0].kind, FFI_PROBE_EMULATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endbr_then_push), cmocka_unit_test(test_mov_then_jmp),
		cmocka_unit_test(test_lock_then_ret),   cmocka_unit_test(test_lock_then_loop),
		cmocka_unit_test(test_stack_write_stops), cmocka_unit_test(test_branch_is_a_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
