/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apply [REQUEST]: executes the plan as one transaction (txn.c), regenerates
 * the boot configuration (regen.c, apply-run.c), proves the next boot before
 * it happens (apply-readback.c: every boot entry of the target kernel carries
 * the parameters, the initramfs carries vfio-pci and the modprobe.d file),
 * and records what it changed (record.c). revert: verb-revert.c.
 *
 * apply --trial writes the plan as a one-shot boot instead (decide/trial.h):
 * the trial entry in custom.cfg and next_entry in grubenv, its request kept
 * in the record; commit, in the trial boot, runs verify and then applies
 * that request for real, taking the trial out in the same transaction.
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
#include "base/commalist.h"
#include "base/macro.h"
#include "cli/apply.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/trial.h"
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

/* merges this run's changes into the record; commit's changes to the trial's
 * files (taking it out) are not apply's to undo */
static int record_changes(struct record *rec, const struct plan *p, bool commit)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *pf = &p->files[i];
		struct record_file *f;
		struct add_ctx ac;
		int r;

		if (!planned_file_changed(pf) || pf->transient ||
		    (commit && pf->kind == FILE_TRIAL))
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
		else if (pf->kind == FILE_TRIAL && p->trial_from && p->trial_to &&
			 (bls_trial_path(pf->path) ||
			  grub_custom_cfg_has_trial(pf->new, pf->new_len)))
			/* what the trial entry's line has over the default entry's */
			r = cmdline_diff(p->trial_from, p->trial_to, add_param_cb, del_param_cb,
					 &ac);
		else
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

enum apply_mode {
	APPLY_NORMAL,
	APPLY_TRIAL,  /* apply --trial: a one-shot boot */
	APPLY_COMMIT, /* commit: the trial's request for real, the trial taken out */
};

/* apply --trial: its request, option by option, for commit to replay */
static int record_request(struct record *rec, const struct context *ctx, const char *kver)
{
	char *w = NULL;
	int r = 0;

#define ADD_WORD(...)                                                                              \
	do {                                                                                       \
		if (r >= 0) {                                                                      \
			r = asprintf(&w, __VA_ARGS__) < 0 ? -ENOMEM : record_add_request(rec, w);  \
			free(w);                                                                   \
			w = NULL;                                                                  \
		}                                                                                  \
	} while (0)
	for (size_t i = 0; i < rec->n_request; i++)
		free(rec->request[i]);
	rec->n_request = 0;
	/* the kernel the trial is for, as resolved: a kernel installed before the
	 * reboot must not become commit's target */
	ADD_WORD("--kernel=%s", kver);
	for (size_t i = 0; i < ctx->n_devices; i++)
		ADD_WORD("--device=%s", ctx->devices[i]);
	for (size_t i = 0; i < ctx->n_ids; i++)
		ADD_WORD("--ids=%s", ctx->ids[i]);
	for (size_t i = 0; i < ctx->n_params; i++)
		ADD_WORD("--param=%s", ctx->params[i]);
	if (ctx->passthrough)
		ADD_WORD("--passthrough");
	if (ctx->no_passthrough)
		ADD_WORD("--no-passthrough");
	if (ctx->allow_unsafe_interrupts)
		ADD_WORD("--allow-unsafe-interrupts");
	if (ctx->force)
		ADD_WORD("--force");
	if (ctx->all_kernels)
		ADD_WORD("--all-kernels");
	if (ctx->no_initramfs)
		ADD_WORD("--no-initramfs");
	if (ctx->hardware != PLAN_HARDWARE_SEEN)
		ADD_WORD("--hardware=%s",
			 plan_hardware_to_string((enum plan_hardware)ctx->hardware));
#undef ADD_WORD
	return r;
}

/* what commit replays: the record's request words, into ctx (pointing into
 * rec, with lists in lists[3]); EXIT_BAD_INPUT, logged, for a word that is
 * not an option of a request */
static int request_from_record(struct context *ctx, const struct record *rec, char **lists[3])
{
	for (int k = 0; k < 3; k++) {
		lists[k] = calloc(rec->n_request + 1, sizeof(char *));
		if (!lists[k])
			return EXIT_SYSTEM;
	}
	ctx->devices = lists[0];
	ctx->ids = lists[1];
	ctx->params = lists[2];
	for (size_t i = 0; i < rec->n_request; i++) {
		char *w = rec->request[i], *v = strchr(w, '=');
		size_t n = v ? (size_t)(v - w) : strlen(w);

#define IS(name) (n == strlen(name) && strncmp(w, name, n) == 0)
		if (v && *++v && IS("--kernel"))
			ctx->kernel = v;
		else if (v && *v && IS("--device"))
			ctx->devices[ctx->n_devices++] = v;
		else if (v && *v && IS("--ids"))
			ctx->ids[ctx->n_ids++] = v;
		else if (v && *v && IS("--param"))
			ctx->params[ctx->n_params++] = v;
		else if (v && IS("--hardware") && plan_hardware_from_string(v) >= 0)
			ctx->hardware = plan_hardware_from_string(v);
		else if (!v && IS("--passthrough"))
			ctx->passthrough = true;
		else if (!v && IS("--no-passthrough"))
			ctx->no_passthrough = true;
		else if (!v && IS("--allow-unsafe-interrupts"))
			ctx->allow_unsafe_interrupts = true;
		else if (!v && IS("--force"))
			ctx->force = true;
		else if (!v && IS("--all-kernels"))
			ctx->all_kernels = true;
		else if (!v && IS("--no-initramfs"))
			ctx->no_initramfs = true;
		else {
			log_error("/%s/record: \"%s\" is not an option of apply --trial's request",
				  STATE_DIR, w);
			return EXIT_BAD_INPUT;
		}
#undef IS
	}
	if ((ctx->passthrough && ctx->no_passthrough) || (ctx->all_kernels && ctx->no_initramfs)) {
		log_error("/%s/record: a request apply --trial cannot have given (%s)", STATE_DIR,
			  ctx->all_kernels && ctx->no_initramfs
				  ? "--all-kernels, --no-initramfs"
				  : "--passthrough, --no-passthrough");
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

/* apply --trial: the trial's own initramfs and what it was built from */
static int record_trial_image(struct record *rec, const struct plan *p)
{
	struct record_file *f;
	char inputs[64];

	for (size_t i = rec->n_files; i-- > 0;)
		if (rec->files[i].kind == FILE_TRIAL_IMAGE)
			record_remove_file(rec, rec->files[i].path);
	if (!p->trial_image[0])
		return 0;
	f = record_add_file(rec, p->trial_image, FILE_TRIAL_IMAGE, "the trial's initramfs");
	if (!f)
		return -ENOMEM;
	f->created = true;
	snprintf(inputs, sizeof(inputs), TRIAL_INPUTS_FORMAT,
		 (unsigned long long)plan_initramfs_inputs(p));
	return record_file_set_ours(f, inputs, strlen(inputs));
}

/* the record names a trial file: custom.cfg or grubenv next to the grub.cfg
 * the plan regenerates, or the BLS trial entry where BLS entries are read,
 * and nothing else */
static bool trial_path_ok(struct root *root, const struct plan *p, const char *path)
{
	if (!apply_trial_file_ok(root, path))
		return false;
	if (bls_trial_path(path) || sdboot_oneshot_path(path))
		return true;
	for (size_t i = 0; i < p->n_commands; i++) {
		const struct plan_command *c = &p->commands[i];
		const char *slash = strrchr(c->output, '/');
		size_t d = slash ? (size_t)(slash - c->output) : 0;

		if (c->kind != CMD_BOOTCFG || !slash)
			continue;
		if (strncmp(path, c->output, d + 1) == 0 &&
		    (strcmp(path + d + 1, "custom.cfg") == 0 ||
		     strcmp(path + d + 1, "grubenv") == 0))
			return true;
	}
	return false;
}

/* commit: the trial's files planned with the trial taken out */
static int plan_trial_end_all(struct txn *t, const struct record *rec, struct plan *p)
{
	for (size_t i = 0; i < rec->n_files; i++) {
		const struct record_file *f = &rec->files[i];
		_cleanup_free_ char *cur = NULL, *rf = NULL;
		struct file_error err;
		const char *path;
		size_t len;
		int r;

		if (f->kind != FILE_TRIAL)
			continue;
		if (!trial_path_ok(t->rootobj, p, f->path)) {
			log_error("/%s/record: /%s is not a file of a trial boot (custom.cfg or "
				  "grubenv next to the grub.cfg this host regenerates, "
				  "a BLS " BLS_TRIAL_FILE ", or LoaderEntryOneShot)",
				  STATE_DIR, f->path);
			return EXIT_BAD_INPUT;
		}
		r = txn_read(t, f->path, &cur, &len);
		if (r == -ENOENT)
			continue; /* gone: nothing of the trial is left in it */
		if (r < 0) {
			log_error_errno(r, "Failed to read /%s: %m", f->path);
			return exit_for_error(r);
		}
		/* the trial's own entry goes only as the trial wrote it */
		if (bls_trial_path(f->path) && (!f->created || !f->ours || len != f->ours_len ||
						memcmp(cur, f->ours, len) != 0)) {
			log_error("/%s is not as apply --trial wrote it (changed since, or there "
				  "before): commit leaves it to you",
				  f->path);
			return EXIT_BAD_INPUT;
		}
		/* the real plan may write the same file by another name (RHEL 8 on
		 * UEFI: boot/grub2/grubenv, a link to the ESP's): one planned file */
		path = f->path;
		r = root_resolve(t->rootobj, f->path, &rf);
		for (size_t k = 0; r >= 0 && k < p->n_files; k++) {
			_cleanup_free_ char *rp = NULL;

			if (root_resolve(t->rootobj, p->files[k].path, &rp) >= 0 &&
			    strcmp(rp, rf) == 0)
				path = p->files[k].path;
		}
		r = plan_trial_end(p, path, cur, len, f->created, &err);
		if (r == -EINVAL || (r < 0 && err.message[0])) {
			log_file_error(&err);
			return r == -EINVAL ? EXIT_BAD_INPUT : exit_for_error(r);
		}
		if (r < 0)
			return exit_for_error(r);
	}
	return EXIT_OK;
}

/*
 * commit: the record's trial image (checked: the name the trial gives the
 * target kernel's image) becomes that image (*promote, the command's
 * index): commit makes permanent what the trial booted, so the initramfs
 * files it writes must be those the trial's image was built from, and
 * without a trial image (the trial booted the default one) it writes none.
 * Otherwise the host or the record changed since apply --trial: refused.
 */
static int trial_image_decide(struct context *ctx, const struct record *rec, const struct plan *p,
			      const struct record_file **img, ssize_t *promote)
{
	const struct plan_command *c = NULL;
	char want[600] = "", link[PATH_MAX];
	size_t ci = 0;

	*img = NULL;
	*promote = -1;
	for (size_t i = 0; i < rec->n_files; i++)
		if (rec->files[i].kind == FILE_TRIAL_IMAGE)
			*img = &rec->files[i];
	for (size_t i = 0; i < p->n_commands && !c; i++)
		if (p->commands[i].kind == CMD_INITRAMFS &&
		    strcmp(p->commands[i].kver, p->kver) == 0)
			c = &p->commands[(ci = i)];
	if (!*img) {
		if (c && plan_command_needed(p, c)) {
			log_error(
				"commit: the trial booted the default initramfs, but commit would "
				"change the files it is built from (the host or /%s/record changed "
				"since apply --trial); nothing was changed: run apply --trial again",
				STATE_DIR);
			return EXIT_BAD_INPUT;
		}
		return EXIT_OK;
	}
	if (!c || !plan_trial_image_name(c->output, want, sizeof(want)) ||
	    strcmp(want, (*img)->path) != 0) {
		log_error("/%s/record: /%s is not the trial's initramfs of %s (that is /%s)",
			  STATE_DIR, (*img)->path, p->kver, want[0] ? want : "none");
		return EXIT_BAD_INPUT;
	}
	if (root_exists(ctx->root, (*img)->path) <= 0 ||
	    root_readlink(ctx->root, (*img)->path, link, sizeof(link)) >= 0) {
		log_error("commit: /%s, the initramfs the trial booted, is gone or not a regular "
			  "file; nothing was changed: run apply --trial again",
			  (*img)->path);
		return EXIT_BAD_INPUT;
	}
	if (!plan_trial_promotable(p, rec, c)) {
		log_error("commit: the initramfs files commit would write are not those the "
			  "trial's initramfs /%s was built from (the host or /%s/record changed "
			  "since apply --trial); nothing was changed: run apply --trial again",
			  (*img)->path, STATE_DIR);
		return EXIT_BAD_INPUT;
	}
	*promote = (ssize_t)ci;
	return EXIT_OK;
}

/* apply --trial: the files the trial's image was built from are given back */
static int give_back_transient(struct txn *t, const struct plan *p, struct outcome *o)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];
		int r;

		if (!f->transient || !planned_file_changed(f))
			continue;
		r = f->created ? txn_remove(t, f->path) : txn_write(t, f->path, f->old, f->old_len);
		if (r < 0)
			return log_error_errno(r, "Failed to give back /%s: %m", f->path);
		outcome_note(o, "/%s: written for the trial's initramfs, then given back as it was",
			     f->path);
	}
	/* the directories made for them, if nothing else is in them */
	for (size_t i = t->j.n_dirs; i-- > 0;)
		(void)txn_remove_dir(t, t->j.dirs[i]);
	return 0;
}

/* apply --trial: the record's image of an earlier trial that this one does
 * not boot (into old, "" when none): it goes with this transaction */
static int stale_trial_image(struct context *ctx, const struct record *rec, const struct plan *p,
			     char *old, size_t n)
{
	char link[PATH_MAX];

	old[0] = '\0';
	for (size_t i = 0; i < rec->n_files; i++) {
		const struct record_file *f = &rec->files[i];

		if (f->kind != FILE_TRIAL_IMAGE || strcmp(f->path, p->trial_image) == 0)
			continue;
		if (!plan_trial_image_path_valid(f->path) ||
		    root_readlink(ctx->root, f->path, link, sizeof(link)) >= 0) {
			log_error("/%s/record: /%s is not a trial's initramfs", STATE_DIR, f->path);
			return EXIT_BAD_INPUT;
		}
		if (root_exists(ctx->root, f->path) > 0)
			snprintf(old, n, "%s", f->path);
	}
	return EXIT_OK;
}

/* apply --trial: the entry and next_entry, once the image they name is
 * built; an earlier trial's image it does not name goes */
static int write_trial_files(struct txn *t, const struct plan *p, const char *old_img,
			     struct outcome *o)
{
	int r;

	if (old_img[0]) {
		r = txn_remove(t, old_img);
		if (r < 0)
			return log_error_errno(r, "Failed to remove /%s: %m", old_img);
		outcome_note(o, "/%s, an earlier trial's initramfs, was removed", old_img);
	}
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];

		if (f->kind != FILE_TRIAL || !planned_file_changed(f))
			continue;
		r = txn_write(t, f->path, f->new, f->new_len);
		if (r < 0)
			return log_error_errno(r, "Failed to write /%s: %m", f->path);
		outcome_file(o, f->path, f->what, f->created ? "created" : "changed",
			     f->created ? "created" : "changed", f->created ? NULL : f->old,
			     f->old_len, f->new, f->new_len);
	}
	return 0;
}

/* commit: the trial's image becomes the default one */
static int end_trial_image(struct txn *t, const struct plan *p, const struct record_file *img,
			   ssize_t promote, struct outcome *o)
{
	int r = txn_rename(t, img->path, p->commands[promote].output);

	if (r < 0)
		return log_error_errno(r, "Failed to rename /%s to /%s: %m", img->path,
				       p->commands[promote].output);
	outcome_note(o,
		     "/%s, the initramfs this trial booted, is now /%s: it was built from the "
		     "files commit writes, so it is not built again",
		     img->path, p->commands[promote].output);
	return 0;
}

/*
 * commit: verify, of the devices the plan gives to vfio-pci by name (the
 * trial's own initramfs had their configuration; the root's files do not
 * have it yet): those it names, and those here with its IDs (--hardware
 * any names none); the host alone when there are none.
 */
static int verify_trial(struct context *ctx, const struct plan *p, const struct pdev_list *pci)
{
	char **args = calloc(p->n_devs + pci->n + 1, sizeof(char *)), **old = ctx->args;
	int n = 0, old_n = ctx->n_args, r;

	if (!args)
		return EXIT_SYSTEM;
	for (size_t i = 0; i < p->n_devs; i++)
		args[n++] = (char *)p->devs[i].addr;
	for (size_t i = 0; i < pci->n; i++) {
		char id[16];

		snprintf(id, sizeof(id), "%04x:%04x", pci->devs[i].vendor, pci->devs[i].device);
		if (!pci->devs[i].bridge && clist_has(p->ids, id, strlen(id)))
			args[n++] = pci->devs[i].addr;
	}
	ctx->args = args;
	ctx->n_args = n;
	r = verb_verify(ctx);
	ctx->args = old;
	ctx->n_args = old_n;
	free(args);
	return r;
}

static int apply_run(struct context *ctx, enum apply_mode mode)
{
	static struct plan p;
	static struct outcome o;
	static struct plan_input in;
	struct record rec = {};
	struct txn t;
	const char *paths[PLAN_FILES_MAX];
	bool needed[PLAN_COMMANDS_MAX] = {}, any_cmd = false, ran_bootcfg = false, have_h = false;
	size_t n_paths = 0;
	char **lists[3] = {};
	const char *verb = mode == APPLY_COMMIT ? "commit" : "apply";
	/* commit: the trial's own initramfs, and the command whose image it
	 * becomes (promote) rather than a rebuild */
	const struct record_file *img = NULL;
	ssize_t promote = -1;
	/* apply --trial: an earlier trial's image this one does not boot */
	char old_img[600] = "";
	int r, ret;

	if (ctx->n_args > 0) {
		log_error("%s takes options, not \"%s\" (see --help)", verb, ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	outcome_done(&o);
	ret = apply_txn_begin(ctx, &t, &o);
	if (ret != EXIT_OK)
		return ret;
	r = txn_read_record(&t, &rec);
	if (r < 0 && r != -ENOENT) {
		ret = r == -EBADMSG ? EXIT_BAD_INPUT : EXIT_SYSTEM;
		if (r != -EBADMSG)
			log_error_errno(r, "Failed to read /%s/record: %m", STATE_DIR);
		goto finish;
	}
	if (mode == APPLY_COMMIT && !record_has_trial(&rec)) {
		log_error("commit: no trial boot is pending below this root (apply --trial sets "
			  "one up)");
		ret = EXIT_BAD_INPUT;
		goto finish;
	}
	if (mode == APPLY_NORMAL && record_has_trial(&rec)) {
		log_error("apply: a trial boot is pending (apply --trial): `iommu-setup commit` "
			  "makes it permanent, `iommu-setup revert --trial` removes it");
		ret = EXIT_BAD_INPUT;
		goto finish;
	}
	if (mode == APPLY_COMMIT) {
		ret = request_from_record(ctx, &rec, lists);
		if (ret != EXIT_OK)
			goto finish;
	}
	ret = plan_for_request(ctx, true, &in, &p);
	have_h = true;
	if (ret != EXIT_OK)
		goto finish;
	if (mode == APPLY_TRIAL) {
		struct trial_files tf = {};
		enum grub_trial_verdict verdict = GRUB_TRIAL_POSSIBLE;

		ret = plan_for_trial(ctx, &in, &p, &tf, &verdict);
		trial_files_done(&tf);
		if (ret != EXIT_OK)
			goto finish;
		ret = stale_trial_image(ctx, &rec, &p, old_img, sizeof(old_img));
		if (ret != EXIT_OK)
			goto finish;
	}
	if (mode == APPLY_COMMIT) {
		if (!host_trial_booted(&in.host)) {
			log_error(
				"commit: %s; nothing was changed",
				!in.host.live ? "the running kernel is not the target kernel, "
						"so the trial boot cannot be told"
				: strcmp(in.host.boot_id, in.host.applied_boot_id) == 0
					? "the trial has not been booted yet: reboot first"
					: "the running boot is not the trial entry (it did not come "
					  "up, or another entry was chosen): `iommu-setup revert --trial` "
					  "removes the trial");
			ret = EXIT_NOT_READY;
			goto finish;
		}
		{
			/* what the recorded request configures is what this boot has */
			struct kop ops[PLAN_OPS_MAX];
			char why[256] = "";

			plan_ops(&p, ops);
			for (size_t i = 0; i < p.n_params; i++)
				if (!kline_satisfies(&in.host.kernel.cmdline, &ops[i], false, why,
						     sizeof(why))) {
					log_error(
						"commit: /%s/record asks for what this trial boot "
						"does not have (%s); nothing was changed",
						STATE_DIR, why);
					ret = EXIT_BAD_INPUT;
					goto finish;
				}
		}
		ret = trial_image_decide(ctx, &rec, &p, &img, &promote);
		if (ret != EXIT_OK)
			goto finish;
		if (!ctx->quiet)
			printf("This boot is the trial entry. Verifying it:\n\n");
		fflush(stdout);
		ret = verify_trial(ctx, &p, &in.pci);
		if (ret != EXIT_OK) {
			log_error(
				"commit: verify says the host is not ready (above): the trial stays "
				"uncommitted and the default entry boots next; nothing was changed");
			goto finish;
		}
		if (!ctx->quiet)
			printf("\nCommitting the trial's configuration:\n");
		ret = plan_trial_end_all(&t, &rec, &p);
		if (ret != EXIT_OK)
			goto finish;
	}
	/* the plan's notes are plan's; this one is said here too */
	if (p.hardware_unverified)
		outcome_note(&o, "%s", p.hardware_warning);

	for (size_t i = 0; i < p.n_commands; i++) {
		needed[i] = plan_command_needed(&p, &p.commands[i]) ||
			    (ctx->initramfs && p.commands[i].kind == CMD_INITRAMFS);
		any_cmd |= needed[i];
	}
	for (size_t i = 0; i < p.n_files; i++)
		if (planned_file_changed(&p.files[i]))
			paths[n_paths++] = p.files[i].path;
	if (promote >= 0 && n_paths < PLAN_FILES_MAX) {
		/* the tested image takes the default one's place: no rebuild (a
		 * path not journaled here is refused by txn_rename: rolled back) */
		needed[promote] = false;
		paths[n_paths++] = p.commands[promote].output;
	}
	if (img && n_paths < PLAN_FILES_MAX)
		paths[n_paths++] = img->path;
	if (old_img[0] && n_paths < PLAN_FILES_MAX)
		paths[n_paths++] = old_img;
	if (!n_paths && !any_cmd && mode == APPLY_COMMIT) {
		/* nothing of the trial is left on disk: only the record to end it */
		record_drop_trial(&rec);
		r = txn_journal_seal(&t);
		if (r >= 0)
			r = txn_commit(&t, &rec);
		if (r < 0) {
			log_error_errno(r, "Failed to record the change in /%s: %m", STATE_DIR);
			ret = EXIT_SYSTEM;
			goto finish;
		}
	}
	if (!n_paths && !any_cmd) {
		apply_report(
			ctx, verb, &o, false, false, p.reboot_required,
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
		/* apply --trial: next_entry and the entry last, once the image they
		 * name is there (a crash before leaves GRUB booting the default) */
		if (mode == APPLY_TRIAL && f->kind == FILE_TRIAL)
			continue;
		r = f->removed ? txn_remove(&t, f->path)
			       : txn_write(&t, f->path, f->new, f->new_len);
		if (r < 0) {
			log_error_errno(r, "Failed to write /%s: %m", f->path);
			ret = EXIT_SYSTEM;
			goto rollback;
		}
		if (f->transient)
			continue; /* said below, once given back */
		if (f->removed)
			outcome_file(&o, f->path, f->what, "removed", "removed (the trial's)",
				     f->old, f->old_len, NULL, 0);
		else
			outcome_file(&o, f->path, f->what, f->created ? "created" : "changed",
				     f->created ? "created" : "changed", f->created ? NULL : f->old,
				     f->old_len, f->new, f->new_len);
	}
	if (!apply_run_commands(ctx, &t, &p, needed, &o)) {
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	r = mode == APPLY_TRIAL ? give_back_transient(&t, &p, &o)
	    : img		? end_trial_image(&t, &p, img, promote, &o)
				: 0;
	if (r >= 0 && mode == APPLY_TRIAL)
		r = write_trial_files(&t, &p, old_img, &o);
	if (r < 0) {
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	for (size_t i = 0; i < p.n_commands; i++)
		if (needed[i] && p.commands[i].kind == CMD_BOOTCFG)
			ran_bootcfg = true;
	if (mode == APPLY_TRIAL)
		readback_trial(ctx, &p, &o);
	else
		readback_next_boot(ctx, &in, &p, ran_bootcfg, &o);
	for (size_t i = 0; i < p.n_commands; i++)
		if ((needed[i] || (ssize_t)i == promote) && p.commands[i].kind == CMD_INITRAMFS)
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
	/* a trial leaves the default line, which later kernels get, as it is */
	if (mode != APPLY_TRIAL && (in.host.boot.loader == LOADER_GRUB_BLS ||
				    in.host.boot.loader == LOADER_SYSTEMD_BOOT)) {
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
	/* commit: the trial's entries go first, so that the real changes to the
	 * same files are recorded as apply's own */
	if (mode == APPLY_COMMIT) {
		record_drop_trial(&rec);
		img = NULL;
	}
	r = record_changes(&rec, &p, mode == APPLY_COMMIT);
	if (r >= 0 && mode == APPLY_TRIAL)
		r = record_request(&rec, ctx, p.kver);
	if (r >= 0 && mode == APPLY_TRIAL)
		r = record_trial_image(&rec, &p);
	/* until this boot is over, a reboot is pending; commit runs in the boot
	 * that already has what it configures */
	if (mode != APPLY_COMMIT)
		snprintf(rec.boot_id, sizeof(rec.boot_id), "%s", in.host.boot_id);
	/* apply --trial made directories only for the files it gave back */
	for (size_t i = 0; i < t.j.n_dirs && r >= 0 && mode != APPLY_TRIAL; i++)
		r = record_add_dir(&rec, t.j.dirs[i]);
	if (r >= 0)
		r = txn_commit(&t, &rec);
	if (r < 0) {
		log_error_errno(r, "Failed to record the change in /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	if (mode == APPLY_TRIAL) {
		for (size_t i = 0; i < p.n_notes; i++)
			if (strncmp(p.notes[i], "trial: ", 7) == 0)
				outcome_note(&o, "%s", p.notes[i] + 7);
		outcome_note(&o,
			     "the next boot, once, is the trial entry; in it, `iommu-setup "
			     "commit` verifies the host and makes the configuration permanent. A "
			     "reset before that boots the default entry, unchanged");
	}
	/* commit runs in the boot that has what it makes permanent */
	apply_report(ctx, verb, &o, true, false, mode != APPLY_COMMIT && p.reboot_required, "");
	if (ctx->exit_code)
		ret = detailed_exit(true, p.reboot_required, plan_firmware_blocks(&in, &p));
	goto finish;

rollback:
	apply_report_failed(ctx, verb, &o, apply_rollback(ctx, &t, &o));
finish:
	for (int k = 0; k < 3; k++)
		free(lists[k]);
	txn_end(&t);
	record_done(&rec);
	outcome_done(&o);
	plan_done(&p);
	memset(&p, 0, sizeof(p));
	if (have_h)
		plan_input_done(&in);
	return ret;
}

int verb_apply(struct context *ctx)
{
	return apply_run(ctx, ctx->trial ? APPLY_TRIAL : APPLY_NORMAL);
}

int verb_commit(struct context *ctx)
{
	return apply_run(ctx, APPLY_COMMIT);
}
