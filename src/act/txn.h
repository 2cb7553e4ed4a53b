/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The only code that writes below the root. A run of apply or revert is a
 * transaction over var/lib/iommu-setup/ (below the root):
 *
 *   1. lock: flock() on the state directory; a second run waits;
 *   2. recover: a journal left by a run that died is rolled back (or, when
 *      the record says that run committed, dropped);
 *   3. journal: a copy of every file the run will touch (or a note that it
 *      did not exist), written to journal.new/ and renamed to journal/;
 *   4. write: each file by temp + fsync + rename in its own directory,
 *      keeping mode, owner and SELinux label; a symlink stays a symlink and
 *      its target (resolved inside the root) is replaced;
 *   5. commands (execve, no shell, chroot into the root when it is not /);
 *   6. commit: the record is replaced (its rename is the commit point), then
 *      the journal is removed. Any failure before: every journalled file is
 *      restored.
 */

#include <stdbool.h>
#include <stddef.h>

#include "decide/journal.h"
#include "decide/record.h"

struct txn {
	struct root *rootobj;
	int state_fd; /* STATE_DIR, locked */
	char id[64];
	struct journal j;    /* what the run journalled; its dirs txn_write() created */
	int journal_fd;	     /* journal.new/ while it is filled, -1 after */
	bool journal;	     /* journal/ is in place: files may have changed */
	char recovered[256]; /* what recovery did, "" nothing */
};

/* Locks the state directory (creating it), waiting for another run; recovers. */
int txn_begin(struct txn *t, struct root *root);
/* Reads the committed record; -ENOENT when there is none. */
int txn_read_record(struct txn *t, struct record *rec);
/* Journals path (its current content, or its absence). Before txn_journal_seal(). */
int txn_journal_add(struct txn *t, const char *path);
int txn_journal_seal(struct txn *t);
/* Atomic replacement / removal of a journalled path; txn_write() creates
 * missing directories (listed in t->j.dirs; removed again by a rollback). */
int txn_write(struct txn *t, const char *path, const char *data, size_t len);
int txn_remove(struct txn *t, const char *path);
/* Renames the regular file from to to (both journaled first, in the root):
 * commit makes the trial's tested initramfs the default one. */
int txn_rename(struct txn *t, const char *from, const char *to);
/* Restores every journalled file; the journal is dropped. */
int txn_rollback(struct txn *t);
/* Commits: rec becomes the record (NULL: none), the journal is dropped. */
int txn_commit(struct txn *t, const struct record *rec);
/* Unlocks; rolls back when a sealed journal was neither committed nor rolled back. */
void txn_end(struct txn *t);

/* Removes the directory path below the root if it is empty. */
int txn_remove_dir(struct txn *t, const char *path);
/* Reads the current content of path below the root; -ENOENT if missing. */
int txn_read(struct txn *t, const char *path, char **ret, size_t *ret_len);

/* Notes in the journal the process group of the command now running, so that
 * the recovery of an interrupted run kills it before restoring anything. */
#include <sys/types.h>

struct root;
int txn_note_command(struct txn *t, pid_t pgid, unsigned long long starttime);
