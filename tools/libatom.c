/* SPDX-License-Identifier: GPL-2.0-only */
/* libatom: functions whose first instruction the kernel refuses to uprobe (a lock prefix: error
 * 524), for the FFI tests (tests/integration/test_ffi.py). Built with -O2, so that
 *   atom_inc       starts with `lock addl $1, counter(%rip)` (what gcc makes of
 *                  __atomic_fetch_add(&counter, 1, 0) when the result is unused), then `ret`:
 *                  the next instruction boundary is a safe place for the probe
 *   atom_get       a plain function (mov, ret): probed at its entry
 *   atom_value     an alias of atom_get (one address, two exported names)
 *   atom_loop(n)   `lock addl` then a loop whose branch lands right after it (assembly): no
 *                  place is safe, so it is listed as not probed, with the reason */
#define API __attribute__((visibility("default"), noinline))

__attribute__((visibility("hidden"))) int counter;

API void atom_inc(void)
{
	__atomic_fetch_add(&counter, 1, 0);
}

API int atom_get(void)
{
	return __atomic_load_n(&counter, 0);
}

extern int atom_value(void) __attribute__((alias("atom_get"), visibility("default")));

__asm__(".text\n.globl atom_loop\n.type atom_loop,@function\n"
	"atom_loop:\n\tlock addl $1, counter(%rip)\n"
	"1:\n\tdec %edi\n\tjg 1b\n\tret\n"
	".size atom_loop, .-atom_loop\n");
