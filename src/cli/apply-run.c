/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands apply and revert run (every one through exec.c, its process
 * group noted in the journal) and the journal of the files they change. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act/txn.h"
#include "cli/apply.h"
#include "cli/log.h"
#include "decide/trial.h"
#include "root/root.h"

/* the end of a command's output, on stderr: the last 40 lines */
static void show_output_tail(const struct exec_result *res)
{
	const char *out = res->output, *p;
	unsigned lines = 0;

	if (!out || !*out)
		return;
	p = out + strlen(out);
	while (p > out && lines <= 40)
		if (*--p == '\n')
			lines++;
	if (p > out)
		p++;
	if (p > out || res->output_cut)
		fprintf(stderr, "[... %zu earlier bytes left out]\n",
			res->output_cut + (size_t)(p - out));
	fprintf(stderr, "%s%s", p, out[strlen(out) - 1] == '\n' ? "" : "\n");
}

static int note_command(void *userdata, pid_t pgid, unsigned long long starttime)
{
	return txn_note_command(userdata, pgid, starttime);
}

/*
 * Runs one command (exec.c), its process group noted in the journal when
 * there is one; logs what went wrong. 0 when it ran and exited 0, -1 when
 * it failed (logged), -ECANCELED when a signal stopped the run.
 */
int apply_run_one(struct context *ctx, struct txn *t, const struct plan_command *c,
		  const char *line, char *const argv[], struct exec_result *res)
{
	struct exec_opts opts = {
		.root = ctx->root->path,
		.timeout_sec = ctx->command_timeout,
		.started = t ? note_command : NULL,
		.userdata = t,
	};
	int r = exec_run(argv, &opts, res);

	(void)c;
	if (r == -ECANCELED) {
		log_error("interrupted: %s was stopped", line);
		return r;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to run %s%s%s: %m", line,
				strcmp(ctx->root->path, "/") ? " in " : "",
				strcmp(ctx->root->path, "/") ? ctx->root->path : "");
		return -1;
	}
	if (res->timed_out) {
		log_error("%s did not finish within %u s and was killed with its process group "
			  "(--command-timeout); its output:",
			  line, ctx->command_timeout ? ctx->command_timeout : EXEC_TIMEOUT_DEFAULT);
		show_output_tail(res);
		return -1;
	}
	if (res->status != 0) {
		log_error("%s failed with exit status %d; its output:", line, res->status);
		show_output_tail(res);
		return -1;
	}
	if (res->leftovers)
		log_warning("%s left processes running after it exited; they were killed", line);
	if (log_get_max_level() >= LOG_LEVEL_DEBUG)
		show_output_tail(res);
	return 0;
}

/* runs the commands; false (with the output shown) when one fails */
bool apply_run_commands(struct context *ctx, struct txn *t, const struct plan *p,
			const bool *needed, struct outcome *o)
{
	for (size_t i = 0; i < p->n_commands; i++) {
		const struct plan_command *c = &p->commands[i];
		struct exec_result res = {};
		char *argv[COMMAND_ARGS_MAX + 1] = {};
		int r;

		if (!needed[i])
			continue;
		for (unsigned k = 0; k < c->argc; k++)
			argv[k] = (char *)c->args[k];
		if (!ctx->quiet && !ctx->json)
			printf("Running %s\n", c->line);
		fflush(stdout);
		r = apply_run_one(ctx, t, c, c->line, argv, &res);
		o->commands[o->n_commands].cmd = *c;
		o->commands[o->n_commands++].status = r < 0 && !res.status ? -1 : res.status;
		exec_result_done(&res);
		if (r < 0)
			return false;
	}
	return true;
}

/* Journals every file the run may change; a failure names the file (a
 * directory or a device where iommu-setup writes a file is bad input). */
int apply_journal_all(struct txn *t, const struct plan *p, const bool *needed, const char **paths,
		      size_t n)
{
	const char *at = NULL;
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = txn_journal_add(t, at = paths[i]);
	for (size_t i = 0; i < p->n_commands && r >= 0; i++)
		if (needed[i] && p->commands[i].output[0])
			r = txn_journal_add(t, at = p->commands[i].output);
	if (r < 0)
		return log_error_errno(r, "Failed to back up /%s before changing it: %m", at);
	r = txn_journal_seal(t);
	if (r < 0)
		return log_error_errno(r, "Failed to write the journal below /%s: %m", STATE_DIR);
	return 0;
}

/* The boot partitions (proxmox-boot-tool refresh, kernel-install add) are
 * not files in the journal: once the files are restored, the sync that ran
 * (or began) copies them again. */
static bool resync_esps(struct context *ctx, const struct outcome *o)
{
	for (size_t i = 0; i < o->n_commands; i++) {
		const struct plan_command *c = &o->commands[i].cmd;
		struct exec_result res = {};
		char *argv[COMMAND_ARGS_MAX + 1] = {};
		int r;

		if (c->kind != CMD_ESP_SYNC)
			continue;
		for (unsigned k = 0; k < c->argc; k++)
			argv[k] = (char *)c->args[k];
		r = apply_run_one(ctx, NULL, c, c->line, argv, &res);
		exec_result_done(&res);
		if (r < 0) {
			log_error(
				"the boot partitions may still have the new configuration: run %s "
				"once more",
				c->line);
			return false;
		}
		log_warning("%s ran again: the boot partitions have the restored files", c->line);
	}
	return true;
}

bool apply_rollback(struct context *ctx, struct txn *t, const struct outcome *o)
{
	int r = txn_rollback(t);

	if (r < 0) {
		log_error_errno(r,
				"Failed to restore every file; the next run of iommu-setup "
				"restores them from /%s/journal: %m",
				STATE_DIR);
		return false;
	}
	/* a warning: the error that caused the rollback stays the last one */
	if (!resync_esps(ctx, o))
		log_warning("every file was restored as it was, but not the boot partitions "
			    "(above)");
	else
		log_warning("every file was restored as it was; nothing is changed");
	return true;
}

int apply_txn_begin(struct context *ctx, struct txn *t, struct outcome *o)
{
	int r = txn_begin(t, ctx->root);

	if (r < 0) {
		txn_end(t);
		return exit_for_error(r);
	}
	if (t->recovered[0])
		outcome_note(o, "%s", t->recovered);
	return EXIT_OK;
}

bool apply_trial_file_ok(struct root *root, const char *path)
{
	char link[PATH_MAX];

	return trial_file_path_valid(path) && root_readlink(root, path, link, sizeof(link)) < 0;
}
