/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The journal's list (var/lib/iommu-setup/journal/list): what a run of apply
 * or revert is about to change, so that the next run can roll it back if
 * this one dies. Pure: text in, struct out, and back.
 *
 *   txn ID
 *   dir PATH                       a directory the run creates
 *   file EXISTED MODE UID GID PATH a file it writes (its copy is journal/N)
 *
 * The list lies below the root like everything else, and recovery acts on
 * what it names: a list with a line that is not exactly one of these, or a
 * PATH that is not a plain path below the root (path_valid_below_root()), is
 * refused whole, with the line.
 */

#include <stdbool.h>
#include <stddef.h>

struct journal_file {
	char *path; /* resolved below the root */
	bool existed;
	unsigned mode, uid, gid;
};

struct journal {
	char txn[64];
	char **dirs; /* created by the run, parents first */
	size_t n_dirs;
	struct journal_file *files;
	size_t n_files;
};

/* 0; -EBADMSG with *bad_line (0: no "txn" line); -ENOMEM. */
int journal_parse(const char *text, size_t len, struct journal *ret, unsigned *bad_line);
/* The list's text (malloc'ed). -EINVAL if a path could not be read back. */
int journal_format(const struct journal *j, char **ret, size_t *ret_len);
/* Adds a directory (once) or a file; -EINVAL for a path that is not one below the root. */
int journal_add_dir(struct journal *j, const char *path);
int journal_add_file(struct journal *j, const char *path, bool existed, unsigned mode, unsigned uid,
		     unsigned gid);
const struct journal_file *journal_find(const struct journal *j, const char *path);
void journal_done(struct journal *j);
