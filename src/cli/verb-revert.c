/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * revert: undoes what apply recorded (record.c), as one transaction: a file
 * iommu-setup created goes, a file it changed gets its original back, and a
 * file edited since keeps the administrator's words with only iommu-setup's
 * lines or parameters taken out; then the boot configuration is regenerated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "act/exec.h"
#include "act/txn.h"
#include "base/macro.h"
#include "cli/apply.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "decide/bootcfg-edit.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/regen-decide.h"
#include "decide/trial.h"
#include "facts/modconf.h"
#include "gather/host.h"
#include "gather/modules.h"
#include "gather/regen.h"
#include "report/json.h"
#include "root/root.h"

static bool only_comments(const char *text)
{
	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t k = eol ? (size_t)(eol - p) : strlen(p);
		size_t s = strspn(p, " \t");

		if (s < k && p[s] != '#')
			return false;
		p = eol ? eol + 1 : NULL;
	}
	return true;
}

/* the lines of text, for lines_remove (lines has room for every one) */
static size_t split_lines(char *text, char **lines)
{
	size_t n = 0;

	for (char *p = text, *eol; p && *p; p = eol ? eol + 1 : NULL) {
		eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		lines[n++] = p;
	}
	return n;
}

/*
 * A command-line file (f) with the parameters iommu-setup added to the files
 * of `from` taken out, and what it took out put back: from is f itself, or,
 * for an etc/kernel/cmdline apply created (whose every word it "added"),
 * the other command-line files of the record. -EINVAL, logged, when that
 * cannot be done with certainty.
 */
static int params_out(const struct record_file *f, const struct record_file *from, size_t n_from,
		      const char *cur, size_t cur_len, char **ret, size_t *ret_len)
{
	_cleanup_free_ struct kop *ops = NULL;
	char error[512];
	size_t m = 0, n = 1;
	int r;

	for (size_t k = 0; k < n_from; k++)
		n += from[k].n_adds + from[k].n_dels;
	ops = calloc(n, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	for (size_t k = 0; k < n_from; k++) {
		bool self = &from[k] == f;

		/* f alone, or the others of the next boot's command lines */
		if (from != f && (self || from[k].kind == FILE_KERNEL_CMDLINE ||
				  !file_kind_is_cmdline(from[k].kind)))
			continue;
		for (size_t i = 0; i < from[k].n_adds; i++)
			ops[m++] = (struct kop){ KOP_REMOVE, from[k].adds[i].name,
						 from[k].adds[i].value };
		/* what it took out (a duplicate, a wrong value) comes back */
		for (size_t i = 0; i < from[k].n_dels; i++)
			ops[m++] = (struct kop){ KOP_ENSURE, from[k].dels[i].name,
						 from[k].dels[i].value };
	}
	if (!m && from != f)
		return -ENOENT; /* no other file says what was added */
	r = edit_cmdline_file(f->kind, f->path, f->what, cur, cur_len, ops, m, ret, ret_len, error,
			      sizeof(error));
	if (r == -EINVAL)
		log_error("/%s was edited since apply and iommu-setup's parameters cannot be "
			  "taken out with certainty: %s",
			  f->path, error);
	return r;
}

/* what revert writes for one recorded file: *ret NULL to remove it */
static int revert_content(const struct record_file *f, const char *cur, size_t cur_len, char **ret,
			  size_t *ret_len, char *how, size_t hn)
{
	bool ours = f->ours && cur_len == f->ours_len && memcmp(cur, f->ours, cur_len) == 0;

	*ret = NULL;
	*ret_len = 0;
	/* the trial owns its block and next_entry only, whatever else changed */
	if (f->kind == FILE_TRIAL) {
		/* GRUB cleared next_entry when it booted the trial; the block goes */
		char error[384];
		int r;

		/* the trial's own entry goes only as the trial wrote it */
		if (bls_trial_path(f->path) && (!f->created || !ours)) {
			log_error("/%s is not as apply --trial wrote it (changed since, or there "
				  "before): left for you to remove",
				  f->path);
			return -EINVAL;
		}
		r = grub_trial_undo(f->path, cur, cur_len, ret, ret_len, error, sizeof(error));

		if (r == -EINVAL)
			log_error("/%s: the trial cannot be taken out with certainty: %s", f->path,
				  error);
		if (r < 0)
			return r;
		if (!*ret && !f->created && !bls_trial_path(f->path) &&
		    !sdboot_oneshot_path(f->path)) {
			*ret = strdup(""); /* it was there before the trial: it stays */
			if (!*ret)
				return -ENOMEM;
		}
		snprintf(how, hn,
			 *ret ? "the trial was taken out"
			      : "removed (nothing but the trial was left)");
		return 0;
	}
	if (ours) {
		if (f->created) {
			snprintf(how, hn, "removed (iommu-setup created it)");
			return 0;
		}
		*ret = malloc(f->orig_len + 1);
		if (!*ret)
			return -ENOMEM;
		memcpy(*ret, f->orig, f->orig_len);
		(*ret)[f->orig_len] = '\0';
		*ret_len = f->orig_len;
		snprintf(how, hn, "restored as it was before apply");
		return 0;
	}
	/* edited since: take out only what iommu-setup added */
	if (f->kind == FILE_ADOPTED) {
		/* the lines it took over come back: its mark comes off */
		const size_t ml = strlen(ADOPTED_MARK);
		char *out = malloc(cur_len + 1), *q = out;

		if (!out)
			return -ENOMEM;
		for (const char *l = cur; l < cur + cur_len;) {
			const char *eol = memchr(l, '\n', (size_t)(cur + cur_len - l));
			size_t k = eol ? (size_t)(eol - l) + 1 : (size_t)(cur + cur_len - l);

			if (k >= ml && memcmp(l, ADOPTED_MARK, ml) == 0) {
				l += ml;
				k -= ml;
			}
			memcpy(q, l, k);
			q += k;
			l += k;
		}
		*q = '\0';
		*ret = out;
		*ret_len = (size_t)(q - out);
		snprintf(how, hn,
			 "edited since apply: the lines iommu-setup took over were given back");
		return 0;
	}
	if (f->kind == FILE_OWNED || f->kind == FILE_LINES) {
		_cleanup_free_ char *copy = strndup(f->ours ? f->ours : "", f->ours_len);
		_cleanup_free_ char **lines = NULL;
		char *out = NULL;
		size_t n = 1 + f->n_lines;
		int r;

		if (!copy)
			return -ENOMEM;
		/* as many as there are: every line of ours goes */
		for (const char *c = copy; (c = strchr(c, '\n')); c++)
			n++;
		lines = calloc(n, sizeof(*lines));
		if (!lines)
			return -ENOMEM;
		n = f->kind == FILE_LINES ? 0 : split_lines(copy, lines);
		for (size_t i = 0; f->kind == FILE_LINES && i < f->n_lines; i++)
			lines[n++] = f->lines[i];
		r = lines_remove(cur, lines, n, &out);
		if (r < 0)
			return r;
		if (f->created && only_comments(out)) {
			free(out);
			snprintf(how, hn,
				 "removed (edited since apply; nothing but iommu-setup's "
				 "lines and comments was left)");
			return 0;
		}
		*ret = out;
		*ret_len = strlen(out);
		snprintf(how, hn, "edited since apply: only iommu-setup's lines were taken out");
		return 0;
	}
	{
		int r = params_out(f, f, 1, cur, cur_len, ret, ret_len);

		if (r < 0)
			return r;
		snprintf(how, hn,
			 "edited since apply: only iommu-setup's parameters were taken out");
		return 0;
	}
}

int verb_revert(struct context *ctx)
{
	static struct plan p;
	static struct outcome o;
	struct plan_request req = { .no_mkconfig = ctx->no_mkconfig,
				    .no_initramfs = ctx->no_initramfs,
				    .all_kernels = ctx->all_kernels,
				    .for_apply = true };
	struct record rec = {}, none = {};
	struct host h = {};
	struct regen_facts facts;
	struct file_error err = {};
	struct txn t;
	char *content[PLAN_FILES_MAX] = {};
	size_t content_len[PLAN_FILES_MAX] = {};
	bool remove[PLAN_FILES_MAX] = {}, late[PLAN_FILES_MAX] = {}, needed[PLAN_COMMANDS_MAX] = {},
	     have_h = false, sync = false;
	const char *paths[PLAN_FILES_MAX];
	size_t n_paths = 0;
	int r, ret = EXIT_OK;

	if (ctx->n_args > 0) {
		log_error("revert takes no arguments, not \"%s\"", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	outcome_done(&o);
	memset(&p, 0, sizeof(p));
	r = apply_txn_begin(ctx, &t, &o);
	if (r != EXIT_OK)
		return r;
	r = txn_read_record(&t, &rec);
	if (r >= 0 && ctx->trial && !record_has_trial(&rec)) {
		r = txn_journal_seal(&t);
		if (r >= 0)
			r = txn_commit(&t, &rec);
		apply_report(ctx, "revert", &o, false, false, false,
			     "Nothing to revert: no trial boot is pending below this root.");
		goto finish;
	}
	if (r == -ENOENT || (r >= 0 && rec.n_files == 0)) {
		/* nothing to undo: remove the empty state directory the lock created */
		r = txn_journal_seal(&t);
		if (r >= 0)
			r = txn_commit(&t, &none);
		apply_report(
			ctx, "revert", &o, false, false, false,
			"Nothing to revert: iommu-setup has no record of changes below this root.");
		goto finish;
	}
	if (r < 0) {
		if (r != -EBADMSG)
			log_error_errno(r, "Failed to read /%s/record: %m", STATE_DIR);
		ret = r == -EBADMSG ? EXIT_BAD_INPUT : EXIT_SYSTEM;
		goto finish;
	}
	if (rec.n_files > PLAN_FILES_MAX) {
		log_error("/%s/record lists too many files", STATE_DIR);
		ret = EXIT_BAD_INPUT;
		goto finish;
	}

	/* decide every file first: nothing is written if one cannot be reverted */
	for (size_t i = 0; i < rec.n_files; i++) {
		const struct record_file *f = &rec.files[i];
		_cleanup_free_ char *cur = NULL;
		char how[160];
		size_t len;

		if (ctx->trial && !file_kind_is_trial(f->kind))
			continue; /* revert --trial: the trial alone */
		if (f->kind == FILE_TRIAL_IMAGE) {
			char link[PATH_MAX];

			/* the trial's own initramfs: removed, not read; the name itself,
			 * a regular file (a link would lead the removal elsewhere) */
			if (!plan_trial_image_path_valid(f->path) ||
			    root_readlink(ctx->root, f->path, link, sizeof(link)) >= 0) {
				log_error("/%s/record: /%s is not a trial's initramfs", STATE_DIR,
					  f->path);
				ret = EXIT_BAD_INPUT;
				goto finish;
			}
			r = root_exists(ctx->root, f->path);
			if (r < 0) {
				log_error_errno(r, "Failed to look at /%s: %m", f->path);
				ret = exit_for_error(r);
				goto finish;
			}
			if (r > 0) {
				remove[i] = true;
				paths[n_paths++] = f->path;
				outcome_note(&o, "/%s, the trial's initramfs, is removed", f->path);
			}
			continue;
		}
		if (f->kind == FILE_TRIAL && !apply_trial_file_ok(ctx->root, f->path)) {
			log_error("/%s/record: /%s is not a file of a trial boot", STATE_DIR,
				  f->path);
			ret = EXIT_BAD_INPUT;
			goto finish;
		}
		r = txn_read(&t, f->path, &cur, &len);
		if (r == -ENOENT) {
			outcome_note(&o, "/%s is gone since apply: left alone", f->path);
			continue;
		}
		if (r < 0) {
			log_error_errno(r, "Failed to read /%s: %m", f->path);
			ret = EXIT_SYSTEM;
			goto finish;
		}
		r = revert_content(f, cur, len, &content[i], &content_len[i], how, sizeof(how));
		if (r < 0) {
			ret = r == -EINVAL ? EXIT_BAD_INPUT : EXIT_SYSTEM;
			goto finish;
		}
		remove[i] = !content[i];
		if (content[i] && content_len[i] == len && memcmp(content[i], cur, len) == 0) {
			/* nothing of ours is left in it: neither written nor journaled */
			free(content[i]);
			content[i] = NULL;
			continue;
		}
		paths[n_paths++] = f->path;
		outcome_file(&o, f->path, f->what,
			     remove[i]		       ? "removed"
			     : strstr(how, "restored") ? "restored"
						       : "edited",
			     how, cur, len, content[i], content_len[i]);
		if (!strstr(how, "restored") && !strstr(how, "created"))
			outcome_note(&o, "/%s: %s", f->path, how);
	}

	/* the same regeneration as apply, for the files that changed back */
	r = host_gather(ctx->root, ctx->kernel, &h);
	have_h = true;
	if (r < 0) {
		log_root_error(ctx->root, r, "Failed to read the host");
		ret = r == -ENOENT ? EXIT_BAD_INPUT : exit_for_error(r);
		goto finish;
	}
	snprintf(p.kver, sizeof(p.kver), "%s", h.modules.kver);
	r = regen_gather(ctx->root, &h, &facts);
	if (r >= 0)
		r = regen_decide(&facts, &h, &req, &p, &err);
	if (r < 0) {
		if (err.message[0])
			log_file_error(&err);
		ret = r == -ENOENT || r == -EINVAL ? EXIT_BAD_INPUT : EXIT_SYSTEM;
		goto finish;
	}
	/* the same commands as apply, for the kinds of file that change back */
	for (size_t i = 0; i < p.n_commands; i++)
		for (size_t k = 0; k < rec.n_files; k++)
			if ((content[k] || remove[k]) &&
			    command_regenerates(p.commands[i].kind, rec.files[k].kind))
				needed[i] = true;

	if (n_paths == 0) {
		if (ctx->trial)
			record_drop_trial(&rec); /* what stays recorded: apply's own */
		r = txn_journal_seal(&t);
		if (r >= 0)
			r = txn_commit(&t, ctx->trial ? &rec : &none);
		apply_report(
			ctx, "revert", &o, false, false, false,
			"Nothing to revert: nothing of iommu-setup's is left in the recorded files.");
		goto finish;
	}
	/*
	 * etc/kernel/cmdline that apply made goes, but only after the boot
	 * partition sync (kernel-install add, proxmox-boot-tool refresh) ran:
	 * without the file both take the running command line, which after the
	 * reboot apply asked for has the parameters. Until then it holds its
	 * line without them (as the entry had it before apply).
	 */
	for (size_t i = 0; i < p.n_commands; i++)
		sync |= needed[i] && p.commands[i].kind == CMD_ESP_SYNC;
	for (size_t i = 0; sync && i < rec.n_files; i++) {
		const struct record_file *f = &rec.files[i];
		_cleanup_free_ char *cur = NULL;
		size_t len;

		if (!remove[i] || f->kind != FILE_KERNEL_CMDLINE)
			continue;
		r = txn_read(&t, f->path, &cur, &len);
		if (r >= 0)
			r = params_out(f, rec.files, rec.n_files, cur, len, &content[i],
				       &content_len[i]);
		if (r == -ENOENT)
			continue; /* no other file says what was added: removed at once */
		if (r < 0) {
			if (r != -EINVAL)
				log_error_errno(r, "Failed to read /%s: %m", f->path);
			ret = r == -EINVAL ? EXIT_BAD_INPUT : EXIT_SYSTEM;
			goto finish;
		}
		late[i] = true;
	}
	r = apply_journal_all(&t, &p, needed, paths, n_paths);
	if (r < 0) {
		ret = exit_for_error(r);
		goto rollback;
	}
	for (size_t i = 0; i < rec.n_files; i++) {
		const struct record_file *f = &rec.files[i];

		if (remove[i] && !late[i])
			r = txn_remove(&t, f->path);
		else if (content[i])
			r = txn_write(&t, f->path, content[i], content_len[i]);
		else
			continue;
		if (r < 0) {
			log_error_errno(r, "Failed to write /%s: %m", f->path);
			ret = EXIT_SYSTEM;
			goto rollback;
		}
	}
	if (!apply_run_commands(ctx, &t, &p, needed, &o)) {
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	for (size_t i = 0; i < rec.n_files; i++) {
		if (!late[i])
			continue;
		r = txn_remove(&t, rec.files[i].path);
		if (r < 0) {
			log_error_errno(r, "Failed to remove /%s: %m", rec.files[i].path);
			ret = EXIT_SYSTEM;
			goto rollback;
		}
	}
	/* the directories apply created, if nothing else is in them now */
	for (size_t i = rec.n_dirs; i-- > 0 && !ctx->trial;)
		(void)txn_remove_dir(&t, rec.dirs[i]);
	/* revert --trial: what stays recorded is apply's own (the arrays above
	 * follow rec.files: dropped only now) */
	if (ctx->trial)
		record_drop_trial(&rec);
	r = txn_commit(&t, ctx->trial ? &rec : &none);
	if (r < 0) {
		log_error_errno(r, "Failed to remove the record in /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	/* a trial that never became the default changed nothing that booted */
	apply_report(ctx, "revert", &o, true, false, !ctx->trial, "");
	goto finish;

rollback:
	apply_report_failed(ctx, "revert", &o, apply_rollback(ctx, &t, &o));
finish:
	for (size_t i = 0; i < PLAN_FILES_MAX; i++)
		free(content[i]);
	txn_end(&t);
	record_done(&rec);
	outcome_done(&o);
	if (have_h)
		host_done(&h);
	return ret;
}
