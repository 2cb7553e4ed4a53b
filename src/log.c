/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static enum log_level max_level = LOG_LEVEL_WARNING;

void log_set_max_level(enum log_level l)
{
	max_level = l;
}

enum log_level log_get_max_level(void)
{
	return max_level;
}

int log_full_errno(enum log_level level, int error, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_LEVEL_ERROR] = "",
		[LOG_LEVEL_WARNING] = "warning: ",
		[LOG_LEVEL_INFO] = "",
		[LOG_LEVEL_DEBUG] = "debug: ",
	};
	va_list ap;

	error = abs(error);
	if (level <= max_level) {
		fprintf(stderr, "iommu-setup: %s", prefix[level]);
		/* make %m print the error we were given, not whatever errno holds */
		errno = error;
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return -error;
}
