/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/duration.h"

int parse_duration(const char *s, double max, double *secs)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1 }, { "s", 1 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "m", 60 }, { "h", 3600 },
	};
	char *end;
	double v;

	if (!s || !*s || *s == ' ' || *s == '+' || *s == '-')
		return *s == '-' ? -ERANGE : -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return -EINVAL;
	/* strtod takes hex and exponents; a duration is digits and a dot only */
	for (const char *p = s; p < end; p++)
		if (!(*p >= '0' && *p <= '9') && *p != '.')
			return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].unit)) {
			v *= units[i].mult;
			if (v <= 0 || v > max)
				return -ERANGE;
			*secs = v;
			return 0;
		}
	}
	return -EINVAL;
}

const char *duration_format(double secs, char *buf, size_t len)
{
	if (secs < 1)
		snprintf(buf, len, "%.6gms", secs * 1e3);
	else if (secs >= 60 && fmod(secs, 60) == 0 && secs < 3600)
		snprintf(buf, len, "%.0fm", secs / 60);
	else if (secs >= 3600 && fmod(secs, 3600) == 0)
		snprintf(buf, len, "%.0fh", secs / 3600);
	else
		snprintf(buf, len, "%.6gs", secs);
	return buf;
}
