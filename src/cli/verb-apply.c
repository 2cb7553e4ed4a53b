/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apply [REQUEST]: executes the plan as one transaction (txn.c), regenerates
 * the boot configuration (regen.c, apply-run.c), proves the next boot before
 * it happens (apply-readback.c: every boot entry of the target kernel carries
 * the parameters, the initramfs carries vfio-pci and the modprobe.d file),
 * and records what it changed (record.c). revert: verb-revert.c.
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
#include "decide/checks.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "facts/modconf.h"
#include "gather/host.h"
#include "gather/modules.h"
#include "gather/plan-input.h"
#include "gather/regen.h"
#include "report/json.h"
#include "root/root.h"

struct add_ctx {
	struct record_file *f;
};

static int add_param_cb(void *u, const char *name, const char *value)
{
	return record_file_add_param(((struct add_ctx *)u)->f, name, value);
}

static int del_param_cb(void *u, const char *name, const char *value)
{
	return record_file_del_param(((struct add_ctx *)u)->f, name, value);
}

static int add_line_cb(void *u, const char *line)
{
	return record_file_add_line(((struct add_ctx *)u)->f, line);
}

/* merges this run's changes into the record */
static int record_changes(struct record *rec, const struct plan *p)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *pf = &p->files[i];
		struct record_file *f;
		struct add_ctx ac;
		int r;

		if (!planned_file_changed(pf))
			continue;
		f = record_find(rec, pf->path);
		if (!f) {
			f = record_add_file(rec, pf->path, pf->kind, pf->what);
			if (!f)
				return -ENOMEM;
			f->created = pf->created;
			if (!pf->created) {
				f->orig = malloc(pf->old_len + 1);
				if (!f->orig)
					return -ENOMEM;
				memcpy(f->orig, pf->old, pf->old_len + 1);
				f->orig_len = pf->old_len;
			}
		}
		r = record_file_set_ours(f, pf->new, pf->new_len);
		if (r < 0)
			return r;
		ac.f = f;
		if (planned_file_is_cmdline(pf)) {
			_cleanup_free_ char *old = planned_file_cmdline(pf, false),
					    *new = planned_file_cmdline(pf, true);

			r = cmdline_diff(old ? old : "", new ? new : "", add_param_cb, del_param_cb,
					 &ac);
		} else if (pf->kind == FILE_LINES)
			r = lines_added(pf->old, pf->new, add_line_cb, &ac);
		else
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int verb_apply(struct context *ctx)
{
	static struct plan p;
	static struct outcome o;
	static struct plan_input in;
	struct record rec = {};
	struct txn t;
	const char *paths[PLAN_FILES_MAX];
	bool needed[PLAN_COMMANDS_MAX] = {}, any_cmd = false, ran_bootcfg = false, have_h = false;
	size_t n_paths = 0;
	int r, ret;

	if (ctx->n_args > 0) {
		log_error("apply takes options, not \"%s\" (see --help)", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	outcome_done(&o);
	ret = apply_txn_begin(ctx, &t, &o);
	if (ret != EXIT_OK)
		return ret;
	ret = plan_for_request(ctx, true, &in, &p);
	have_h = true;
	if (ret != EXIT_OK)
		goto finish;
	/* the plan's notes are plan's; this one is said here too */
	if (p.hardware_unverified)
		outcome_note(&o, "%s", p.hardware_warning);
	r = txn_read_record(&t, &rec);
	if (r < 0 && r != -ENOENT) {
		ret = r == -EBADMSG ? EXIT_BAD_INPUT : EXIT_SYSTEM;
		if (r != -EBADMSG)
			log_error_errno(r, "Failed to read /%s/record: %m", STATE_DIR);
		goto finish;
	}

	for (size_t i = 0; i < p.n_commands; i++) {
		needed[i] = plan_command_needed(&p, &p.commands[i]) ||
			    (ctx->initramfs && p.commands[i].kind == CMD_INITRAMFS);
		any_cmd |= needed[i];
	}
	for (size_t i = 0; i < p.n_files; i++)
		if (planned_file_changed(&p.files[i]))
			paths[n_paths++] = p.files[i].path;
	if (!n_paths && !any_cmd) {
		apply_report(
			ctx, "apply", &o, false, false, p.reboot_required,
			p.reboot_required
				? "Nothing to do: every file is already as requested; nothing was "
				  "written and nothing was run.\nReboot required: the running system "
				  "does not have this configuration yet."
				: "Nothing to do: every file is already as requested; nothing was "
				  "written and nothing was run.");
		if (ctx->exit_code)
			ret = detailed_exit(false, p.reboot_required,
					    plan_firmware_blocks(&in, &p));
		goto finish;
	}
	if (!ctx->quiet && !ctx->json)
		for (size_t i = 0; i < p.n_commands; i++)
			if (needed[i])
				printf("%s: %s\n",
				       p.commands[i].kind == CMD_BOOTCFG    ? "Boot configuration"
				       : p.commands[i].kind == CMD_ESP_SYNC ? "Boot partitions"
									    : "Initramfs",
				       p.commands[i].why);

	r = apply_journal_all(&t, &p, needed, paths, n_paths);
	if (r < 0) {
		ret = exit_for_error(r);
		goto rollback;
	}
	for (size_t i = 0; i < p.n_files; i++) {
		const struct planned_file *f = &p.files[i];

		if (!planned_file_changed(f))
			continue;
		r = txn_write(&t, f->path, f->new, f->new_len);
		if (r < 0) {
			log_error_errno(r, "Failed to write /%s: %m", f->path);
			ret = EXIT_SYSTEM;
			goto rollback;
		}
		outcome_file(&o, f->path, f->what, f->created ? "created" : "changed",
			     f->created ? "created" : "changed", f->created ? NULL : f->old,
			     f->old_len, f->new, f->new_len);
	}
	if (!apply_run_commands(ctx, &t, &p, needed, &o)) {
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	for (size_t i = 0; i < p.n_commands; i++)
		if (needed[i] && p.commands[i].kind == CMD_BOOTCFG)
			ran_bootcfg = true;
	readback_next_boot(ctx, &in, &p, ran_bootcfg, &o);
	for (size_t i = 0; i < p.n_commands; i++)
		if (needed[i] && p.commands[i].kind == CMD_INITRAMFS)
			readback_initramfs(ctx, &in.host, &p, &p.commands[i], &o);
		else if (needed[i] && p.commands[i].kind == CMD_ESP_SYNC)
			readback_esps(ctx, &in, &p.commands[i], &o);
	if (o.oom) {
		log_error("out of memory while reading the next boot back");
		ret = EXIT_SYSTEM;
	}
	for (size_t i = 0; i < o.n_checks; i++)
		if (!o.checks[i].ok) {
			log_error("the next boot would not have what was planned: %s",
				  o.checks[i].text);
			ret = EXIT_SYSTEM;
		}
	if (ret != EXIT_OK)
		goto rollback;
	if (ctx->no_mkconfig && in.host.boot.loader == LOADER_GRUB)
		outcome_note(&o, "--no-mkconfig: grub.cfg was not regenerated nor checked");
	if (in.host.boot.loader == LOADER_GRUB_BLS || in.host.boot.loader == LOADER_SYSTEMD_BOOT) {
		bool kc = root_exists(ctx->root, "etc/kernel/cmdline") > 0;

		outcome_note(
			&o, "%s",
			kc ? "kernels installed later: kernel-install takes their options from "
			     "/etc/kernel/cmdline, which has the parameters"
			: in.host.boot.bls_kernelopts
				? "kernels installed later: their BLS entries use $kernelopts from "
				  "grubenv, which has the parameters"
				: "kernels installed later: there is no /etc/kernel/cmdline, so "
				  "kernel-install copies the running command line");
	}
	r = record_changes(&rec, &p);
	/* until this boot is over, a reboot is pending */
	snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", in.host.boot_id);
	for (size_t i = 0; i < t.j.n_dirs && r >= 0; i++)
		r = record_add_dir(&rec, t.j.dirs[i]);
	if (r >= 0)
		r = txn_commit(&t, &rec);
	if (r < 0) {
		log_error_errno(r, "Failed to record the change in /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	apply_report(ctx, "apply", &o, true, false, p.reboot_required, "");
	if (ctx->exit_code)
		ret = detailed_exit(true, p.reboot_required, plan_firmware_blocks(&in, &p));
	goto finish;

rollback:
	apply_report_failed(ctx, "apply", &o, apply_rollback(ctx, &t, &o));
finish:
	txn_end(&t);
	record_done(&rec);
	outcome_done(&o);
	plan_done(&p);
	memset(&p, 0, sizeof(p));
	if (have_h)
		plan_input_done(&in);
	return ret;
}
