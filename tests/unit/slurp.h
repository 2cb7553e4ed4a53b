/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* The test helpers' own file reading (stdio), so that they link the pure
 * folders only: the whole of path in *ret (NUL-terminated), 0 or -errno. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline int slurp(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;
	int r = 0;

	if (!f)
		return -errno;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		r = -EIO;
	else if (n > max)
		r = -EFBIG;
	len = n;
	fclose(f);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}
