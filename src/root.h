/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every file the tool reads or writes is reached through the root directory
 * (--root, default "/"), and resolved inside it: a symlink in a fixture tree
 * or a kickstart chroot can never lead out of the root.
 */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Opens DIR as a root: O_PATH|O_DIRECTORY|O_CLOEXEC. Returns an fd or -errno. */
int root_open(const char *dir);

/* Opens path (absolute or relative, always taken relative to the root) with
 * flags, resolving symlinks and ".." inside the root. Returns an fd or -errno. */
int root_openat(int root_fd, const char *path, int flags);

/* The same resolution done component by component, for kernels without
 * openat2(RESOLVE_IN_ROOT) (before 5.6). Exposed for tests. */
int root_openat_walk(int root_fd, const char *path, int flags);

/* The path relative to the root that path leads to, every symlink followed
 * inside the root ("" for the root itself); the last component may be
 * missing. *ret is malloc'ed. For writers: a symlink stays a symlink and its
 * target is replaced. */
int root_resolve(int root_fd, const char *path, char **ret);

/* Reads a whole file of at most max bytes; the result is NUL-terminated
 * (*ret_size excludes the NUL). -EFBIG when the file is larger. */
int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_size);

/* The same for an fd, and for a path named on the command line (not below the root). */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);
int read_file(const char *path, size_t max, char **ret, size_t *ret_size);

/* opendir() of path below the root; NULL with errno set on failure */
DIR *root_opendir(int root_fd, const char *path);

/* readlink() of path, its directories resolved inside the root; NUL-terminates buf.
 * Returns the length or -errno. */
ssize_t root_readlink(int root_fd, const char *path, char *buf, size_t n);

/* 1 if path exists (following symlinks inside the root), 0 if not, -errno on other errors. */
int root_exists(int root_fd, const char *path);

/*
 * Recording, for `snapshot`: every path opened successfully through
 * root_openat() from root_record_start() on, relative to the root, with
 * whether it was opened as a directory (its entries were listed).
 */
struct root_access {
	char *path;
	bool listed;
};

void root_record_start(void);
/* Ends recording and returns what was recorded, valid until root_record_stop(). */
size_t root_recorded(const struct root_access **ret);
void root_record_stop(void);
