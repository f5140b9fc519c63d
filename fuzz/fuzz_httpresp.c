/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the HTTP/1.1 response parser (load/httpresp.c) as the load generator drives
 * it: the bytes arrive in pieces (the first input byte picks the piece size), every complete
 * response is taken and the parser reset for the next one on the connection, and the peer's
 * close (a 0-byte feed) ends the stream. A feed never reports more bytes than it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "load/httpresp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpresp r;
	size_t chunk, off = 0;
	char *buf;
	int responses = 0;

	if (size < 1)
		return 0;
	chunk = data[0] % 64 + 1;
	data++;
	size--;
	buf = malloc(size ? size : 1); /* exact size: ASan sees any read past the end */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	httpresp_init(&r);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		long used = httpresp_feed(&r, buf + off, n);

		if (used < 0)
			goto out;
		if ((size_t)used > n)
			abort();
		off += (size_t)used;
		if (r.complete) {
			if (r.status < 100 || r.status > 599)
				abort();
			responses++;
			httpresp_next(&r);
		} else if ((size_t)used < n) {
			abort(); /* stopped short without a response or an error */
		}
	}
	if (httpresp_feed(&r, buf + off, 0) >= 0 && r.complete && (r.status < 100 || r.status > 599))
		abort();
out:
	free(buf);
	(void)responses;
	return 0;
}
