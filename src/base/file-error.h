/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Why a file cannot be used, and where: "file:line: message". Pure. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "base/macro.h"

struct file_error {
	char file[512];
	unsigned line;
	char message[384];
	/* the finding, for machines: "HOST_CRITICAL", "GROUP_NOT_VIABLE"; NULL
	 * for an error that is not a refusal */
	const char *code;
};

/* Fills err and returns -EINVAL. */
_printf_(4, 5) static inline int file_error_set(struct file_error *err, const char *file,
						unsigned line, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	err->code = NULL;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}
