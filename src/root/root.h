/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The root (--root, default "/") and every access below it. Everything under
 * the root is hostile input: a disk image, a snapshot from a bug report, a
 * half-finished earlier run. Each path is resolved inside the root, component
 * by component (openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS), or a walk
 * that follows each symlink inside the root on kernels before 5.6), so that
 * no symlink and no ".." leads out of it; only regular files are read where
 * files are expected (a FIFO or a device is an error, never a hang); a size
 * limit is an error, never "absent". What reads or writes below the root
 * goes through this object: nothing else opens a path there.
 */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* a file that is not a regular one where one is expected (root_strerror says so) */
#define ENOTREG EBADFD

struct root_access {
	char *path;
	bool listed; /* a directory whose entries were read */
	bool read;   /* a file whose bytes were read (else: that it exists, a link's target) */
};

struct root {
	int fd;	    /* O_PATH|O_DIRECTORY */
	char *path; /* as given */
	/* snapshot: every path opened through the root, and whether it was listed */
	bool recording;
	struct root_access *recorded;
	size_t n_recorded;
	int record_error; /* -ENOMEM: something read was not recorded */
	/* a private directory for what libraries must open by path (libkmod's indexes) */
	char *scratch;
	/* the last file that could not be read, and why: for the message */
	char *failed_path;
	int failed_error;
};

/* Opens dir as a root. -errno. */
int root_new(const char *dir, struct root **ret);
/* Closes it and removes its scratch directory; returns NULL. */
struct root *root_free(struct root *r);
/* Is the root the running system's own "/"? */
bool root_is_host(const struct root *r);

/* Opens path (absolute or relative: always taken below the root) with flags,
 * every component resolved inside the root. Returns an fd or -errno. */
int root_openat(struct root *r, const char *path, int flags);
/* The same resolution done component by component (kernels before 5.6);
 * exposed for tests. */
int root_openat_walk(struct root *r, const char *path, int flags);

/* Opens a regular file for reading (O_NONBLOCK: a FIFO never blocks);
 * -ENOTREG when path is something else. */
int root_open_regular(struct root *r, const char *path);
/* Reads a whole regular file of at most max bytes (NUL-terminated; *ret_size
 * excludes the NUL). -ENOENT only when it does not exist; -EFBIG when larger
 * than max, -ENOTREG when not a regular file, other -errno: all errors. */
int root_read_file(struct root *r, const char *path, size_t max, char **ret, size_t *ret_size);
/* The file that failed last with error (root_read_file(), root_check_name()),
 * so that a message can name it; NULL when the last failure was another. */
const char *root_failed_path(const struct root *r, int error);
/* A name listed in dir that a reader takes as a file name (modprobe.d, grub.d,
 * BLS entries): one with control characters is refused, -EILSEQ, the name
 * escaped in root_failed_path(). */
int root_check_name(struct root *r, const char *dir, const char *name);
/* 1 if path exists (following symlinks inside the root), 0 if not, -errno. */
int root_exists(struct root *r, const char *path);
/* stat() of path, resolved inside the root (the last component followed). */
int root_stat(struct root *r, const char *path, struct stat *st);
/* opendir() of path below the root; NULL with errno set */
DIR *root_opendir(struct root *r, const char *path);
/* readlink() of path, its directories resolved inside the root; NUL-terminates
 * buf. The length, or -errno (-ENAMETOOLONG when it does not fit). */
ssize_t root_readlink(struct root *r, const char *path, char *buf, size_t n);

/* The path relative to the root that path leads to, every symlink followed
 * inside the root ("" for the root itself); the last component may be
 * missing. *ret is malloc'ed. For writers: a symlink stays a symlink and its
 * target is written. */
int root_resolve(struct root *r, const char *path, char **ret);

/* ---- writing (the transaction, txn.c, is the only caller) ---- */

/* Creates the directories of path below the root, each inside it (mode);
 * with last, path itself too. Each one created is passed to created(). */
int root_mkdir_parents(struct root *r, const char *path, bool last, mode_t mode,
		       int (*created)(void *userdata, const char *dir), void *userdata);
/* Opens the directory that holds path (resolved inside the root, no symlink
 * in it: a writer works on resolved paths); *base gets the last component. */
int root_open_dir_of(struct root *r, const char *resolved, const char **base);

/*
 * Writes data to dir_fd/base by temp + fsync + rename. like_fd: the file
 * whose mode, owner and SELinux label the new one gets (the old one), or -1
 * for mode (and the caller as owner). src_fd: copy from it instead of data.
 */
int write_atomic_at(int dir_fd, const char *base, const char *data, size_t len, int like_fd,
		    int src_fd, mode_t mode);

/* ---- libraries that open paths themselves ---- */

/*
 * A directory libkmod can be given for kernel kver: copies of its module
 * indexes (modules.dep.bin, modules.alias.bin, ...), each read as a regular
 * file through the root, in the root's scratch directory; *ret points into r.
 * A link among the indexes therefore never leads libkmod out of the root.
 */
int root_kmod_dir(struct root *r, const char *kver, char *dir, size_t dir_size);
/*
 * A copy of directory rel (its regular files of at most max bytes each, read
 * through the root; a link to /dev/null copied as an empty file, as a reader
 * takes a masked file) in a fresh scratch directory, for a library that reads
 * a directory by path; want (NULL: every file) chooses by name. On the
 * running system's own root, the directory itself, unless a snapshot records
 * what is read. -ENOENT when rel does not exist.
 */
int root_copy_dir(struct root *r, const char *rel, size_t max, bool (*want)(const char *name),
		  char *dir, size_t dir_size);
/* A scratch directory of the root's (created), for a library that reads
 * paths below it. */
int root_scratch_subdir(struct root *r, const char *name, char *dir, size_t n);
/* A scratch file of the root's, for a library that reads a path. */
int root_scratch_file(struct root *r, const char *name, const char *data, size_t len,
		      char **ret_path);

/* ---- outside the root ---- */

/* The same reading for an fd, and for a path named on the command line. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size);
/* read_fd_full() of a regular file (-ENOTREG, -EISDIR otherwise) */
int read_regular_fd(int fd, size_t max, char **ret, size_t *ret_size);
int read_file(const char *path, size_t max, char **ret, size_t *ret_size);

/* strerror() that says "not a regular file" for -ENOTREG */
const char *root_strerror(int r);

/* ---- snapshot ---- */
void root_record_start(struct root *r);
/* Ends recording; what was recorded, valid until root_record_stop(). */
size_t root_recorded(struct root *r, const struct root_access **ret);
void root_record_stop(struct root *r);
