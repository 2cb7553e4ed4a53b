/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Appending to a fixed buffer. Pure. */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"

/* printf at the end of buf's string; what does not fit is left out (for
 * reasons shown to people, never for data) */
_printf_(3, 4) static inline void appendf(char *buf, size_t n, const char *fmt, ...)
{
	size_t used = strnlen(buf, n);
	va_list ap;

	if (used + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, n - used, fmt, ap);
	va_end(ap);
}
