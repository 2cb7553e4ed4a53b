/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <string.h>

#include "base/path-util.h"

bool path_valid_below_root(const char *path)
{
	size_t len = strlen(path);

	if (!len || len >= PATH_MAX || path[0] == '/')
		return false;
	for (const char *p = path; *p;) {
		size_t k = strcspn(p, "/");

		if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < k; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return false;
		p += k;
		if (*p == '/' && !*++p)
			return false; /* a trailing slash */
	}
	return true;
}
