/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/log.h"
#include "root/root.h"

static enum log_level max_level = LOG_LEVEL_WARNING;

void log_set_max_level(enum log_level l)
{
	max_level = l;
}

enum log_level log_get_max_level(void)
{
	return max_level;
}

static char *last_error;

const char *log_last_error(void)
{
	return last_error;
}

int log_full_errno(enum log_level level, int error, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_LEVEL_ERROR] = "",
		[LOG_LEVEL_WARNING] = "warning: ",
		[LOG_LEVEL_INFO] = "",
		[LOG_LEVEL_DEBUG] = "debug: ",
	};
	char f[1024];
	const char *m = strstr(fmt, "%m");
	char *msg = NULL;
	va_list ap;

	error = abs(error);
	if (level > max_level && level != LOG_LEVEL_ERROR)
		return -error;
	/* %m is the error we were given (root_strerror() names ENOTREG), not
	 * whatever errno holds */
	if (m && strlen(fmt) + strlen(root_strerror(error)) < sizeof(f)) {
		size_t used = (size_t)(m - fmt);

		memcpy(f, fmt, used);
		for (const char *e = root_strerror(error); *e; e++)
			used += (size_t)snprintf(f + used, sizeof(f) - used, "%s",
						 *e == '%' ? "%%" : (char[]){ *e, 0 });
		snprintf(f + used, sizeof(f) - used, "%s", m + 2);
		fmt = f;
	}
	errno = error;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (level <= max_level)
		fprintf(stderr, "iommu-setup: %s%s\n", prefix[level], msg ? msg : fmt);
	/* the last error, for the failure document of --json */
	if (level == LOG_LEVEL_ERROR && msg) {
		free(last_error);
		last_error = msg;
	} else
		free(msg);
	return -error;
}

int log_root_error(const struct root *root, int error, const char *what)
{
	const char *path = root ? root_failed_path(root, -abs(error)) : NULL;

	if (path)
		return log_error_errno(error, "%s: /%s: %m", what, path);
	return log_error_errno(error, "%s: %m", what);
}
