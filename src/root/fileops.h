/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* File utilities on directory fds (fileops.c): each takes one name in a
 * directory already opened, and follows no symlink. */

#include <stdbool.h>
#include <stddef.h>

/* Reads dir_fd/name, a regular file (-ENOTREG otherwise), of at most max bytes. */
int read_regular_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len);
/* Removes dir_fd/name and, when it is a directory, what it holds. 0 if it was not there. */
int rm_rf_at(int dir_fd, const char *name);
/* Removes ".#BASE.XXXXXXXX" in dir: the temporary file of a write that was killed. */
void remove_temporaries(int dir, const char *base);
/* The same bytes and mode in two regular files? */
bool same_content(int a, int b);
