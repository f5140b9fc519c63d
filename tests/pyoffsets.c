/* SPDX-License-Identifier: GPL-2.0-only */
/* Prints one row of user/inspect/cpython.c's frames_layouts table from an interpreter's own headers:
 * tests/integration/test_stacks.py compiles it against every interpreter present
 * (cc -I INCLUDE -I INCLUDE/internal) and compares. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_MINOR_VERSION >= 11
#include "internal/pycore_frame.h"
#endif
#if PY_MINOR_VERSION >= 9
#include "internal/pycore_runtime.h"
#else
#include "internal/pycore_pystate.h"
#endif
#if PY_MINOR_VERSION <= 10
#include <frameobject.h>
#endif
#if PY_MINOR_VERSION >= 9
#include "internal/pycore_interp.h"
#endif
#if PY_MINOR_VERSION >= 11
#define FRAME_T _PyInterpreterFrame
#else
#define FRAME_T PyFrameObject
#endif
int main(void)
{
	printf("{ %d, %zu, %zu, ", PY_MINOR_VERSION, offsetof(_PyRuntimeState, interpreters.main),
#if PY_MINOR_VERSION >= 11
	       offsetof(PyInterpreterState, threads.head)
#else
	       offsetof(PyInterpreterState, tstate_head)
#endif
	);
	printf("%zu, %zu, %zu, ", offsetof(PyThreadState, next), offsetof(PyThreadState, thread_id),
#if PY_MINOR_VERSION >= 13
	       offsetof(PyThreadState, current_frame)
#elif PY_MINOR_VERSION >= 11
	       offsetof(PyThreadState, cframe)
#else
	       offsetof(PyThreadState, frame)
#endif
	);
#if PY_MINOR_VERSION >= 11 && PY_MINOR_VERSION <= 12
	printf("%zu, ", offsetof(_PyCFrame, current_frame));
#else
	printf("-1, ");
#endif
#if PY_MINOR_VERSION >= 13
	printf("%zu, %zu, ", offsetof(FRAME_T, f_executable), offsetof(FRAME_T, previous));
#elif PY_MINOR_VERSION >= 11
	printf("%zu, %zu, ", offsetof(FRAME_T, f_code), offsetof(FRAME_T, previous));
#else
	printf("%zu, %zu, ", offsetof(FRAME_T, f_code), offsetof(FRAME_T, f_back));
#endif
#if PY_MINOR_VERSION == 11
	printf("%zu, -1, ", offsetof(FRAME_T, is_entry));
#elif PY_MINOR_VERSION >= 12
	printf("-1, %zu, ", offsetof(FRAME_T, owner));
#else
	printf("-1, -1, ");
#endif
	printf("%zu, %zu, %zu, %zu },\n", offsetof(PyCodeObject, co_name), offsetof(PyCodeObject, co_filename),
	       offsetof(PyCodeObject, co_firstlineno), sizeof(PyASCIIObject));
	return 0;
}
