/* SPDX-License-Identifier: GPL-2.0-only */
/* heapext: a C extension module shaped like a recent PyO3 module, for the FFI tests
 * (tests/integration/test_ffi.py builds it against each interpreter's headers and strips it).
 * Its module definition has no method table: the PyMethodDef array is malloc'd at import and
 * given to PyModule_AddFunctions, so the functions' Python names exist only in that heap array
 * (no R_X86_64_RELATIVE-relocated table in the file), and, stripped, the functions have no symbol.
 *   add(a, b)   trivial, holds the GIL
 *   spin()      a 20 us busy loop, holds the GIL */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <time.h>

static PyObject *heap_add(PyObject *self, PyObject *args)
{
	long a, b;

	if (!PyArg_ParseTuple(args, "ll", &a, &b))
		return NULL;
	return PyLong_FromLong(a + b);
}

static PyObject *heap_spin(PyObject *self, PyObject *unused)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 20000);
	Py_RETURN_NONE;
}

static struct PyModuleDef heap_def = { PyModuleDef_HEAD_INIT, "heapext", NULL, -1, NULL };

PyMODINIT_FUNC PyInit_heapext(void)
{
	PyObject *m = PyModule_Create(&heap_def);
	PyMethodDef *t = calloc(3, sizeof(*t)); /* never freed: the functions point at it */

	if (!m || !t)
		return NULL;
	t[0].ml_name = "add";
	t[0].ml_meth = heap_add;
	t[0].ml_flags = METH_VARARGS;
	t[1].ml_name = "spin";
	t[1].ml_meth = heap_spin;
	t[1].ml_flags = METH_NOARGS;
	if (PyModule_AddFunctions(m, t)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
