/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What apply and revert share, one purpose per file:
 *   apply-report.c   what the run did (struct outcome), rendered as text or JSON;
 *   apply-run.c      the commands (through exec.c) and the journal of the files;
 *   apply-readback.c the next boot read back after the run: grub.cfg, BLS
 *                    entries, etc/kernel/cmdline, modprobe.d through libkmod,
 *                    the initramfs through its lister.
 * verb-apply.c and verb-revert.c are the verbs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "act/exec.h"
#include "base/macro.h"
#include "cli/iommu-setup.h"
#include "decide/plan.h"

struct host;
struct txn;

/* what the run did, for the report (apply-report.c) */
struct outcome {
	struct {
		char path[600];
		char what[64];
		char how[160];	 /* for people: "restored to its content before apply" */
		char action[16]; /* for machines: created changed removed restored edited */
		char *diff;	 /* unified, NULL when it could not be made */
	} files[PLAN_FILES_MAX];
	size_t n_files;
	struct {
		struct plan_command cmd;
		int status;
	} commands[PLAN_COMMANDS_MAX];
	size_t n_commands;
	/* the proof: one line per boot entry or image checked, however many */
	struct {
		bool ok;
		char *text;
	} * checks;
	size_t n_checks;
	char **notes;
	size_t n_notes;
	bool oom;	      /* a check or note could not be kept: the run fails */
	bool rollback_failed; /* the journal keeps what the rollback could not restore */
};

void outcome_done(struct outcome *o);
/* one line of the proof; NULL-safe for memory: o->oom says a line was lost */
_printf_(3, 4) void outcome_check(struct outcome *o, bool ok, const char *fmt, ...);
_printf_(2, 3) void outcome_note(struct outcome *o, const char *fmt, ...);
/* a file the run wrote, with its change from old to new (new NULL: removed) */
void outcome_file(struct outcome *o, const char *path, const char *what, const char *action,
		  const char *how, const char *old, size_t old_len, const char *new,
		  size_t new_len);
/* "Changed:"/"Reverted:", the commands, the read-back, the notes; or JSON.
 * failed: the run was rolled back (its error logged); nothing: the text
 * when nothing changed. */
void apply_report(struct context *ctx, const char *verb, const struct outcome *o, bool changed,
		  bool failed, bool reboot, const char *nothing);
/* after a rollback: with --json, the document that says so (failed, nothing
 * changed, the error as msg); the files o held are dropped */
void apply_report_failed(struct context *ctx, const char *verb, struct outcome *o,
			 bool rolled_back);

/* Opens the transaction (the lock, then recovery of an interrupted run, its
 * note kept in o); EXIT_OK, or the exit status with nothing held. */
int apply_txn_begin(struct context *ctx, struct txn *t, struct outcome *o);

/*
 * Runs one command (exec.c), its process group noted in the journal when t is
 * given; logs what went wrong. 0 when it ran and exited 0, -1 when it failed
 * (logged), -ECANCELED when a signal stopped the run.
 */
int apply_run_one(struct context *ctx, struct txn *t, const struct plan_command *c,
		  const char *line, char *const argv[], struct exec_result *res);
/* runs the needed commands; false (with the output shown) when one fails */
bool apply_run_commands(struct context *ctx, struct txn *t, const struct plan *p,
			const bool *needed, struct outcome *o);
/* journals paths and the outputs of the needed commands, then seals; a
 * failure is logged, naming the file */
int apply_journal_all(struct txn *t, const struct plan *p, const bool *needed, const char **paths,
		      size_t n);

/* rolls the run back, saying whether every file is as it was (true) */
bool apply_rollback(struct context *ctx, struct txn *t, const struct outcome *o);

/* commit and revert: may the record name path as a trial's file? One of a
 * trial's names (trial_file_path_valid()), and not a link, which would lead
 * its edit or removal elsewhere */
bool apply_trial_file_ok(struct root *root, const char *path);
/* plan and apply --trial (verb-plan.c): p turned into the trial's files, or
 * the exit status with the reason logged (*verdict says which) */
int plan_for_trial(struct context *ctx, const struct plan_input *in, struct plan *p,
		   struct trial_files *t, enum grub_trial_verdict *verdict);
/* apply --trial: the trial entry and next_entry read back into o */
void readback_trial(struct context *ctx, const struct plan *p, struct outcome *o);

/* the next boot of the target kernel, read back into o */
void readback_next_boot(struct context *ctx, const struct plan_input *in, const struct plan *p,
			bool ran_bootcfg, struct outcome *o);
/* the ESPs proxmox-boot-tool refresh wrote: each holds the target kernel,
 * by `proxmox-boot-tool status` */
void readback_esps(struct context *ctx, const struct plan_input *in, const struct plan_command *c,
		   struct outcome *o);
/* the rebuilt initramfs, listed by its lister inside the root */
void readback_initramfs(struct context *ctx, const struct host *h, const struct plan *p,
			const struct plan_command *c, struct outcome *o);
