/* SPDX-License-Identifier: GPL-2.0-only */
/* ffiext: a C extension module for the FFI tests, built against each interpreter's headers by
 * the tests (tests/integration/test_ffi.py), and a stripped copy of it. Its functions call
 * libffitest's bodies inline (no shared library), so the probed function is the method itself:
 *   add(a, b)       trivial, holds the GIL
 *   busy()          50 us busy loop, holds the GIL
 *   busy_nogil()    50 us busy loop inside Py_BEGIN_ALLOW_THREADS */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <time.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void spin_50us(void)
{
	uint64_t end = mono_ns() + 50000;

	while (mono_ns() < end)
		asm volatile("");
}

static PyObject *ext_add(PyObject *self, PyObject *args)
{
	long a, b;

	if (!PyArg_ParseTuple(args, "ll", &a, &b))
		return NULL;
	return PyLong_FromLong(a + b);
}

static PyObject *ext_busy(PyObject *self, PyObject *unused)
{
	spin_50us();
	Py_RETURN_NONE;
}

static PyObject *ext_busy_nogil(PyObject *self, PyObject *unused)
{
	Py_BEGIN_ALLOW_THREADS
	spin_50us();
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
	{ "add", ext_add, METH_VARARGS, "a + b" },
	{ "busy", ext_busy, METH_NOARGS, "50 us, GIL held" },
	{ "busy_nogil", ext_busy_nogil, METH_NOARGS, "50 us, GIL released" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = { PyModuleDef_HEAD_INIT, "ffiext", "bindprof FFI test module", -1, methods };

PyMODINIT_FUNC PyInit_ffiext(void)
{
	return PyModule_Create(&module);
}
