/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A minimal tar writer (ustar headers with GNU long-name records), enough
 * for `snapshot`: directories, regular files and symlinks, owned by root,
 * mtime 0, so the same tree always gives the same bytes.
 */

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct tar {
	FILE *f;
	int error; /* first write error, as -errno */
};

void tar_init(struct tar *t, FILE *f);
void tar_add_dir(struct tar *t, const char *path);
void tar_add_file(struct tar *t, const char *path, const void *data, size_t size, mode_t mode);
void tar_add_symlink(struct tar *t, const char *path, const char *target);
/* Writes the end-of-archive blocks; returns 0 or the first error. */
int tar_finish(struct tar *t);
