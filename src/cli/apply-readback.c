/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The next boot, read back after apply wrote it: the generated grub.cfg,
 * the BLS entries and etc/kernel/cmdline (nextboot.c's reader, judged by the
 * plan's rule), what modprobe will give vfio-pci (libkmod, independently of
 * modconf.c), and the rebuilt initramfs (its own lister). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/apply.h"
#include "decide/bootcfg-edit.h"
#include "decide/nextboot.h"
#include "decide/trial.h"
#include "facts/efi-loadopt.h"
#include "facts/modconf.h"
#include "facts/pbt.h"
#include "gather/boot.h"
#include "gather/host.h"
#include "gather/modules.h"
#include "gather/regen.h"
#include "root/root.h"

/* does a command line follow the rule? what is wrong, in missing */
static bool line_satisfies(const char *line, const struct kop *ops, size_t m, bool lenient,
			   char *missing, size_t n)
{
	struct kcmdline c;
	size_t used = 0;
	bool ok = true;

	missing[0] = '\0';
	if (kcmdline_parse(line, &c) < 0) {
		snprintf(missing, n, "(out of memory)");
		return false;
	}
	for (size_t k = 0; k < m; k++) {
		char why[300];

		if (kline_satisfies(&c, &ops[k], lenient, why, sizeof(why)))
			continue;
		ok = false;
		if (used < n)
			used += (size_t)snprintf(missing + used, n - used, "%s%s", used ? "; " : "",
						 why);
	}
	kcmdline_done(&c);
	return ok;
}

static bool is_linux_line(const char *p, const char **rest)
{
	size_t args;

	if (!grub_linux_command(p, strlen(p), &args))
		return false;
	*rest = p + args;
	return true;
}

/* generated grub.cfg: the linux lines of the target kernel's menu entries */
static void verify_grub_cfg(struct root *root, const char *path, const char *kver,
			    const struct kop *ops, size_t m, struct outcome *o)
{
	_cleanup_free_ char *text = NULL;
	unsigned entries = 0, lineno = 0;
	char needle[300];
	bool recovery = false;

	if (root_read_file(root, path, 16u << 20, &text, NULL) < 0) {
		outcome_check(o, false, "/%s: cannot be read after regeneration", path);
		return;
	}
	if (strstr(text, "\nblscfg") || strncmp(text, "blscfg", 6) == 0)
		return; /* the entries are BLS files: checked on their own */
	snprintf(needle, sizeof(needle), "vmlinuz-%s", kver);
	for (char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
		const char *rest, *t;
		char missing[512];
		size_t klen;

		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		lineno++;
		/* 10_linux's recovery entries get GRUB_CMDLINE_LINUX alone */
		t = line + strspn(line, " \t");
		if (strncmp(t, "menuentry ", 10) == 0 || strncmp(t, "menuentry\t", 10) == 0)
			recovery = strstr(t, "(recovery mode)") != NULL;
		if (!is_linux_line(line, &rest))
			continue;
		klen = strcspn(rest, " \t");
		/* the kernel image is the first word: /vmlinuz-K or /boot/vmlinuz-K */
		if (klen < strlen(needle) ||
		    strncmp(rest + klen - strlen(needle), needle, strlen(needle)) != 0)
			continue;
		entries++;
		if (line_satisfies(rest + klen, ops, m, recovery, missing, sizeof(missing)))
			outcome_check(o, true, "/%s:%u: %s%s has the parameters%s", path, lineno,
				      needle, recovery ? " (recovery)" : "",
				      recovery ? " it gets (GRUB_CMDLINE_LINUX), none twice" : "");
		else
			outcome_check(o, false, "/%s:%u: the %sentry for %s %s", path, lineno,
				      recovery ? "recovery " : "", kver, missing);
	}
	if (!entries)
		outcome_check(o, false, "/%s has no menu entry for %s", path, kver);
}

/* does a listing (lsinitrd's ls -l lines, lsinitramfs' bare paths) have a
 * line ending in path? */
static bool listing_has(const char *listing, const char *path)
{
	size_t pl = strlen(path);

	for (const char *l = listing, *eol; l && *l; l = eol ? eol + 1 : NULL) {
		size_t n;

		eol = strchr(l, '\n');
		n = eol ? (size_t)(eol - l) : strlen(l);
		if (n >= pl && strncmp(l + n - pl, path, pl) == 0)
			return true;
	}
	return false;
}

/* runs the lister inside the root and looks for the files the boot needs */
void readback_initramfs(struct context *ctx, const struct host *h, const struct plan *p,
			const struct plan_command *c, struct outcome *o)
{
	static const int mods[] = { VFIO_MOD_VFIO, VFIO_MOD_VFIO_IOMMU_TYPE1,
				    VFIO_MOD_VFIO_PCI_CORE, VFIO_MOD_VFIO_PCI };
	struct exec_result res = {};
	char line[900], image[620];
	char *argv[] = { (char *)c->lister, image, NULL };
	const char *out;
	int r;
	bool want_modprobe = false;

	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, MODPROBE_FILE) == 0)
			want_modprobe = true;
	if (!c->lister[0]) {
		outcome_note(
			o, "/%s was rebuilt but not inspected: %s is not installed below the root",
			c->output, c->lister_name[0] ? c->lister_name : "no lister");
		return;
	}
	snprintf(image, sizeof(image), "/%s", c->output);
	snprintf(line, sizeof(line), "%s %s", c->lister, image);
	r = apply_run_one(ctx, NULL, c, line, argv, &res);
	if (r < 0 || res.output_cut) {
		outcome_check(o, false, "%s %s: the initramfs cannot be inspected", line,
			      r == -ECANCELED ? "was interrupted"
			      : r < 0	      ? "failed"
					      : "listed more than iommu-setup reads");
		exec_result_done(&res);
		return;
	}
	out = res.output;
	/* lsinitrd prints ls -l lines, lsinitramfs bare paths: the path ends the line */
	if (want_modprobe) {
		bool found = listing_has(out, MODPROBE_FILE);

		outcome_check(o, found, "/%s %s /%s", c->output, found ? "carries" : "lacks",
			      MODPROBE_FILE);
	}
	for (size_t i = 0; i < p->n_files; i++) {
		/* the by-address binding: the configuration, the shared library and
		 * what runs it before udev's coldplug: dracut's pre-trigger hook, or
		 * initramfs-tools' init-top script */
		static const char *const dracut_want[] = { DEVICES_FILE, BIND_LIBRARY,
							   "pre-trigger/30-iommu-setup-bind.sh" };
		static const char *const itools_want[] = { DEVICES_FILE, BIND_LIBRARY,
							   "scripts/init-top/iommu-setup" };
		const bool itools = strcmp(c->lister_name, "lsinitramfs") == 0;
		const char *const *want = itools ? itools_want : dracut_want;

		if (strcmp(p->files[i].path, DEVICES_FILE) != 0)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(dracut_want); k++) {
			bool found = listing_has(out, want[k]);

			outcome_check(o, found, "/%s %s %s", c->output, found ? "carries" : "lacks",
				      want[k]);
		}
	}
	/* another installed kernel's (--all-kernels): which VFIO modules are
	 * modules, built in or missing is known for the target kernel only */
	if (c->kver[0] && strcmp(c->kver, p->kver) != 0) {
		outcome_note(o,
			     "/%s: the configuration files were checked; the VFIO modules are "
			     "checked in the target kernel's initramfs only",
			     c->output);
		exec_result_done(&res);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		const struct mod_info *ms = &h->modules.mods[mods[i]];
		char want[80];
		bool found = false;

		if (ms->kind != MOD_MODULE)
			continue;
		/* vfio_pci is vfio-pci.ko: compare with '-' as '_' */
		snprintf(want, sizeof(want), "/%s.ko", ms->name);
		for (const char *l = out; *l && !found; l++) {
			size_t k = 0;

			while (want[k] && l[k] &&
			       (l[k] == want[k] || ((l[k] == '-' || l[k] == '_') &&
						    (want[k] == '-' || want[k] == '_'))))
				k++;
			found = !want[k];
		}
		outcome_check(o, found, "/%s %s %s", c->output, found ? "carries" : "lacks",
			      ms->name);
	}
	exec_result_done(&res);
}

/* what vfio-pci and vfio_iommu_type1 get from modprobe.d, read by libkmod as
 * modprobe will: the planned devices and nothing else */
static void verify_modprobe(struct context *ctx, const struct plan_input *in, const struct plan *p,
			    struct outcome *o)
{
	const struct modules_state *m = &in->host.modules;
	_cleanup_free_ char *opts = NULL, *ids = NULL;
	int r;

	if (m->mods[VFIO_MOD_VFIO_PCI].kind != MOD_MODULE || !p->kver[0] ||
	    (!p->devices_requested && !p->ids[0]))
		return;
	r = modules_libkmod_options(ctx->root, p->kver, "vfio_pci", &opts);
	if (r < 0) {
		outcome_check(o, false, "modprobe.d cannot be read through libkmod: %s",
			      strerror(-r));
		return;
	}
	ids = options_param(opts, "ids");
	if (p->by_address || !p->ids[0]) {
		if (ids)
			outcome_check(
				o, false,
				"modprobe would give vfio-pci ids=%s, but the devices are bound by "
				"address",
				ids);
		else
			outcome_check(o, true,
				      "modprobe gives vfio-pci no ids: the devices are bound "
				      "by address");
		return;
	}
	{
		/* the same IDs, in any order */
		struct kop want = { KOP_SET, "vfio-pci.ids", p->ids };
		struct kcmdline c = {};
		_cleanup_free_ char *line = NULL;
		char why[300];
		bool ok;

		ok = ids && asprintf(&line, "vfio-pci.ids=%s", ids) >= 0 &&
		     kcmdline_parse(line, &c) >= 0 &&
		     kline_satisfies(&c, &want, false, why, sizeof(why));
		kcmdline_done(&c);
		outcome_check(o, ok, "modprobe (libkmod) gives vfio-pci ids=%s%s%s",
			      ids ? ids : "(none)", ok ? "" : ", not the planned ",
			      ok ? "" : p->ids);
	}
}

/* the next boot, read back: every entry of the target kernel */
void readback_next_boot(struct context *ctx, const struct plan_input *in, const struct plan *p,
			bool ran_bootcfg, struct outcome *o)
{
	const struct host *h = &in->host;
	struct kop ops[PLAN_OPS_MAX];
	struct boot_state b = {};
	struct nextboot nb = {};
	unsigned n_bls = 0;

	verify_modprobe(ctx, in, p, o);
	if (!p->n_params)
		return;
	plan_ops(p, ops);
	for (size_t i = 0; i < p->n_commands; i++)
		if (p->commands[i].kind == CMD_BOOTCFG && ran_bootcfg)
			verify_grub_cfg(ctx->root, p->commands[i].output, p->kver, ops, p->n_params,
					o);
	/* the BLS entries (grubenv expanded) and etc/kernel/cmdline as written now */
	if (boot_gather(ctx->root, p->kver[0] ? p->kver : NULL, &b) < 0 ||
	    nextboot_build(&b.sources, &nb) < 0) {
		outcome_check(o, false, "the boot configuration cannot be read back");
		boot_state_done(&b);
		return;
	}
	for (size_t i = 0; i < nb.n_line; i++) {
		const struct kline *l = &nb.line[i];
		struct kcmdline c;
		char missing[512], desc[160];
		bool ok = true;
		size_t used = 0;

		if (l->kind == KLINE_GRUB || l->kind == KLINE_GRUB_RECOVERY)
			continue; /* grub.cfg, generated from them, was read above */
		if (l->kind == KLINE_BLS && (!(h->boot.loader == LOADER_GRUB_BLS ||
					       h->boot.loader == LOADER_SYSTEMD_BOOT) ||
					     !kline_is_for(l, p->kver)))
			continue;
		n_bls += l->kind == KLINE_BLS;
		kline_describe(l, desc, sizeof(desc));
		if (kline_cmdline(&nb, l, &c) < 0) {
			outcome_check(o, false, "/%s cannot be read back", desc);
			continue;
		}
		missing[0] = '\0';
		for (size_t k = 0; k < p->n_params; k++) {
			char why[300];

			if (kline_satisfies(&c, &ops[k], false, why, sizeof(why)))
				continue;
			ok = false;
			if (used < sizeof(missing))
				used += (size_t)snprintf(missing + used, sizeof(missing) - used,
							 "%s%s", used ? "; " : "", why);
		}
		kcmdline_done(&c);
		if (l->kind == KLINE_KERNEL_CMDLINE)
			outcome_check(o, ok, "/%s %s", l->src->path,
				      ok ? "has the parameters: kernels installed later get them"
					 : missing);
		else
			outcome_check(o, ok, "/%s %s", desc, ok ? "has the parameters" : missing);
	}
	if ((h->boot.loader == LOADER_GRUB_BLS || h->boot.loader == LOADER_SYSTEMD_BOOT) && !n_bls)
		outcome_check(o, false, "no BLS entry for %s", p->kver);
	nextboot_done(&nb);
	boot_state_done(&b);
}

/*
 * refresh skips an ESP it cannot find or mount and still exits 0, so each
 * one is read back: its status must list the target kernel. The entries'
 * options are the first line of etc/kernel/cmdline, copied as they are
 * (read back above), and in GRUB mode its grub.cfg comes from the GRUB
 * defaults (read back above); the entry files themselves are on ESPs that
 * only proxmox-boot-tool mounts, and are not read here.
 */
void readback_esps(struct context *ctx, const struct plan_input *in, const struct plan_command *c,
		   struct outcome *o)
{
	const struct regen_facts *f = &in->regen;
	struct exec_result res = {};
	char *argv[] = { (char *)c->args[0], (char *)"status", NULL };
	char line[400];

	if (!f->n_pbt_uuids)
		return; /* kernel-install: its entry is read back with the others */
	snprintf(line, sizeof(line), "%s status", c->args[0]);
	if (apply_run_one(ctx, NULL, c, line, argv, &res) < 0 || !res.output) {
		outcome_check(o, false, "%s did not say what the ESPs hold", line);
		exec_result_done(&res);
		return;
	}
	if (!c->kver[0])
		outcome_check(o, false, "no target kernel: what the ESPs hold cannot be judged");
	for (size_t i = 0; c->kver[0] && i < f->n_pbt_uuids; i++) {
		char why[400];

		if (pbt_status_has(res.output, f->pbt_uuids[i], c->kver, why, sizeof(why)))
			outcome_check(o, true, "ESP %s holds %s (%s)", f->pbt_uuids[i], c->kver,
				      line);
		else
			outcome_check(o, false, "%s", why);
	}
	exec_result_done(&res);
}

/* apply --trial: what GRUB reads at the next boot, read back from the disk */
void readback_trial(struct context *ctx, const struct plan *p, struct outcome *o)
{
	struct kop ops[PLAN_OPS_MAX];

	plan_ops(p, ops);
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];
		_cleanup_free_ char *text = NULL, *args = NULL, *next = NULL;
		char missing[512] = "";
		size_t len = 0;
		int r;

		if (f->kind != FILE_TRIAL)
			continue;
		r = root_read_file(ctx->root, f->path, 1u << 20, &text, &len);
		if (r < 0) {
			outcome_check(o, false, "/%s cannot be read back: %s", f->path,
				      strerror(-r));
			continue;
		}
		if (sdboot_oneshot_path(f->path)) {
			char id[256] = "";
			bool ok = efivar_ascii_string((const uint8_t *)text, len, id, sizeof(id)) ==
					  0 &&
				  strcmp(id, BLS_TRIAL_FILE) == 0 && len == f->new_len;

			outcome_check(o, ok,
				      "LoaderEntryOneShot=%s: systemd-boot boots the trial entry "
				      "once",
				      id[0] ? id : "(not an entry name)");
			continue;
		}
		if (strstr(f->path, "grubenv")) {
			next = grubenv_get_value(text, len, "next_entry");
			outcome_check(
				o, next && strcmp(next, GRUB_TRIAL_ID) == 0 && len == f->new_len,
				"/%s: next_entry=%s in a %zu-byte block: GRUB boots the trial "
				"entry once",
				f->path, next ? next : "(unset)", len);
			continue;
		}
		r = bls_trial_path(f->path) ? bls_trial_args(text, len, &args)
					    : grub_custom_cfg_trial_args(text, len, &args);
		if (r == -ENOMEM)
			o->oom = true;
		outcome_check(o,
			      args && p->trial_to && strcmp(args, p->trial_to) == 0 &&
				      line_satisfies(args, ops, p->n_params, false, missing,
						     sizeof(missing)),
			      "/%s: the trial entry (--id %s) boots %s with: %s%s%s", f->path,
			      GRUB_TRIAL_ID, p->kver, args ? args : "(no linux line)",
			      missing[0] ? "; lacks " : "", missing);
	}
}
