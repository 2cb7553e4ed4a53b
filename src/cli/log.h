/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging for the command-line layer only: the pure modules never log. */

#include "base/macro.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_max_level(enum log_level l);
enum log_level log_get_max_level(void);

/* Prints "iommu-setup: message" to stderr; returns -abs(error) so callers can
 * write: return log_error_errno(r, "Failed to …: %m"); (%m is the error). */
int log_full_errno(enum log_level level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_error(...) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)

/* The text of the last error logged (for --json's failure document), or NULL. */
const char *log_last_error(void);

struct root;
/* "what: /the/file: the error" when the root knows which file failed with
 * error (root_failed_path()), else "what: the error". Returns -|error|. */
int log_root_error(const struct root *root, int error, const char *what);
