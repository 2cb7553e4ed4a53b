/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* where apply keeps its record and journal, below the root */
#define STATE_DIR "var/lib/iommu-setup"

/*
 * The apply record (var/lib/iommu-setup/record): every file apply changed or
 * created, its content before the first apply and as apply last wrote it,
 * and exactly what apply added to it (kernel parameters and IDs, lines), so
 * that revert can give back the old content, or take out only its own
 * words when someone edited the file since. One file, replaced atomically:
 * its rename is the commit point of a run. Pure: bytes in, bytes out.
 *
 * Format (text, then length-prefixed contents):
 *   iommu-setup-record 2               (1: written before boot and del lines)
 *   txn ID
 *   boot ID                            (the boot apply ran in: a reboot is pending
 *                                       until it changes)
 *   dir PATH                           (a directory apply created)
 *   request WORD                       (apply --trial: one option of its request, as
 *                                       "--device=0000:01:00.0"; commit replays them)
 *   file PATH KIND created|changed WHAT
 *   orig LEN\n<LEN bytes>\n            (changed files: before the first apply)
 *   ours LEN\n<LEN bytes>\n            (as apply last wrote it)
 *   add NAME VALUE|-                   (a parameter or the IDs/options apply added)
 *   del NAME VALUE|-                   (a parameter or IDs/options apply took out)
 *   line TEXT                          (a line apply added)
 *   end
 * Words are %-escaped (space, %, newline, tab, backslash).
 */

#include <stdbool.h>
#include <stddef.h>

#include "decide/kparams.h"
#include "facts/sources.h"

struct record_add {
	char *name;
	char *value; /* NULL: a flag */
};

struct record_file {
	char *path;
	enum file_kind kind;
	bool created;
	char *what;
	char *orig, *ours;
	size_t orig_len, ours_len;
	struct record_add *adds;
	size_t n_adds;
	struct record_add *dels; /* what apply took out (a duplicate, a wrong value) */
	size_t n_dels;
	char **lines;
	size_t n_lines;
};

struct record {
	char txn[64];
	char boot_id[64]; /* proc/sys/kernel/random/boot_id when apply last changed something */
	char **dirs;	  /* directories apply created for its files, parents first */
	size_t n_dirs;
	/* apply --trial: its request, option by option ("--ids=8086:10d3"), for commit */
	char **request;
	size_t n_request;
	struct record_file *files;
	size_t n_files;
};

/* -EBADMSG with *line set to the offending line on malformed input. */
int record_parse(const char *text, size_t len, struct record *ret, unsigned *line);
/* The record as text (*ret malloc'ed, *ret_len bytes). */
int record_format(const struct record *rec, char **ret, size_t *ret_len);
void record_done(struct record *rec);

struct record_file *record_find(struct record *rec, const char *path);
/* Adds an empty entry for path (strdup'ed); NULL when memory runs out. */
struct record_file *record_add_file(struct record *rec, const char *path, enum file_kind kind,
				    const char *what);
int record_file_set_ours(struct record_file *f, const char *text, size_t len);
/* Adds name=value unless there; for comma lists (ids, intel_iommu) value items merge. */
int record_file_add_param(struct record_file *f, const char *name, const char *value);
int record_file_del_param(struct record_file *f, const char *name, const char *value);
int record_file_add_line(struct record_file *f, const char *line);
int record_add_dir(struct record *rec, const char *path);
/* more than a request can have: 1 --kernel, 64 --device, 32 --ids, 32
 * --param and the flags (main.c) */
#define RECORD_REQUEST_MAX 160
/* -E2BIG beyond RECORD_REQUEST_MAX words */
int record_add_request(struct record *rec, const char *word);
/* drops path's entry (commit: the trial's files hold nothing of ours any more) */
void record_remove_file(struct record *rec, const char *path);
/* a trial boot (apply --trial) is pending: the record holds its files */
bool record_has_trial(const struct record *rec);
/* the trial's kinds: its custom.cfg and grubenv, its own initramfs */
bool file_kind_is_trial(enum file_kind k);
/* the record without the trial: its entries and its request words */
void record_drop_trial(struct record *rec);

const char *file_kind_to_string(enum file_kind k);
int file_kind_from_string(const char *s);

/*
 * What apply added to a command line and what it took out, word by word
 * (for comma-list parameters such as vfio-pci.ids and intel_iommu, item by
 * item): one call each, value NULL for a flag.
 */
int cmdline_diff(const char *old_line, const char *new_line,
		 int (*added)(void *userdata, const char *name, const char *value),
		 int (*removed)(void *userdata, const char *name, const char *value),
		 void *userdata);

/* The lines of new_text that old_text does not have (FILE_LINES), one call each. */
int lines_added(const char *old_text, const char *new_text,
		int (*add)(void *userdata, const char *line), void *userdata);

/* text without the lines in lines[0..n) (first match each); *ret malloc'ed */
int lines_remove(const char *text, char *const *lines, size_t n, char **ret);
