/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Paths that come from files below the root (the journal, the record). Pure. */

#include <stdbool.h>

/*
 * Is path a plain relative path below the root: not empty, not absolute, no
 * ".", ".." or empty component, no trailing slash, no control character, at
 * most PATH_MAX? Anything else named by a file of the root is refused
 * before it is used.
 */
bool path_valid_below_root(const char *path);
