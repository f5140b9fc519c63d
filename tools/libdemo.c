/* SPDX-License-Identifier: GPL-2.0-only */
/* libdemo: the demo's bundled native library, called from tools/demo_server.py through ctypes,
 * so that requests cross from Python into native code as bindings do. */
#include <stddef.h>
#include <stdint.h>

/* FNV-1a over the bytes: a small native body whose cost grows with the payload. */
__attribute__((visibility("default"))) uint64_t demo_checksum(const unsigned char *buf, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= buf[i];
		h *= 1099511628211ull;
	}
	return h;
}
