/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apply [REQUEST]: executes the plan as one transaction (txn.c), regenerates
 * the boot configuration (regen.c), proves the next boot before it happens
 * (every boot entry of the target kernel carries the parameters, the
 * initramfs carries vfio-pci and the modprobe.d file), and records what it
 * changed (record.c). revert: undoes exactly that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootcfg-edit.h"
#include "host.h"
#include "iommu-setup.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "modconf.h"
#include "modules.h"
#include "nextboot.h"
#include "plan.h"
#include "record.h"
#include "regen.h"
#include "root.h"
#include "txn.h"

/* what the run did, for the report */
struct outcome {
	struct {
		char path[600];
		char what[64];
		char how[160]; /* "changed", "created", "removed", "restored", ... */
	} files[PLAN_FILES_MAX];
	size_t n_files;
	struct {
		char line[512];
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
	bool oom; /* a check or note could not be kept: the run fails */
};

static void outcome_done(struct outcome *o)
{
	for (size_t i = 0; i < o->n_checks; i++)
		free(o->checks[i].text);
	free(o->checks);
	for (size_t i = 0; i < o->n_notes; i++)
		free(o->notes[i]);
	free(o->notes);
	memset(o, 0, sizeof(*o));
}

_printf_(3, 4) static void add_check(struct outcome *o, bool ok, const char *fmt, ...)
{
	void *n = realloc(o->checks, (o->n_checks + 1) * sizeof(*o->checks));
	va_list ap;
	int r;

	if (!n) {
		o->oom = true;
		return;
	}
	o->checks = n;
	va_start(ap, fmt);
	r = vasprintf(&o->checks[o->n_checks].text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		o->oom = true;
		return;
	}
	o->checks[o->n_checks++].ok = ok;
}

_printf_(2, 3) static void add_note(struct outcome *o, const char *fmt, ...)
{
	char **n = realloc(o->notes, (o->n_notes + 1) * sizeof(*n));
	va_list ap;
	int r;

	if (!n) {
		o->oom = true;
		return;
	}
	o->notes = n;
	va_start(ap, fmt);
	r = vasprintf(&n[o->n_notes], fmt, ap);
	va_end(ap);
	if (r < 0)
		o->oom = true;
	else
		o->n_notes++;
}

static void add_file_outcome(struct outcome *o, const char *path, const char *what, const char *how)
{
	if (o->n_files == PLAN_FILES_MAX)
		return;
	snprintf(o->files[o->n_files].path, sizeof(o->files[0].path), "%s", path);
	snprintf(o->files[o->n_files].what, sizeof(o->files[0].what), "%s", what);
	snprintf(o->files[o->n_files].how, sizeof(o->files[0].how), "%s", how);
	o->n_files++;
}

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
	static const char *const cmds[] = { "linuxefi", "linux16", "linux" };

	p += strspn(p, " \t");
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		size_t k = strlen(cmds[i]);

		if (strncmp(p, cmds[i], k) == 0 && (p[k] == ' ' || p[k] == '\t')) {
			*rest = p + k + strspn(p + k, " \t");
			return true;
		}
	}
	return false;
}

/* generated grub.cfg: the linux lines of the target kernel's menu entries */
static void verify_grub_cfg(int root_fd, const char *path, const char *kver, const struct kop *ops,
			    size_t m, struct outcome *o)
{
	_cleanup_free_ char *text = NULL;
	unsigned entries = 0, lineno = 0;
	char needle[300];
	bool recovery = false;

	if (root_read_file(root_fd, path, 16u << 20, &text, NULL) < 0) {
		add_check(o, false, "/%s: cannot be read after regeneration", path);
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
			add_check(o, true, "/%s:%u: %s%s has the parameters%s", path, lineno,
				  needle, recovery ? " (recovery)" : "",
				  recovery ? " it gets (GRUB_CMDLINE_LINUX), none twice" : "");
		else
			add_check(o, false, "/%s:%u: the %sentry for %s %s", path, lineno,
				  recovery ? "recovery " : "", kver, missing);
	}
	if (!entries)
		add_check(o, false, "/%s has no menu entry for %s", path, kver);
}

static void show_output_tail(const char *out)
{
	const char *p;
	unsigned lines = 0;

	if (!out || !*out)
		return;
	/* the last 40 lines */
	p = out + strlen(out);
	while (p > out && lines <= 40)
		if (*--p == '\n')
			lines++;
	if (p > out)
		p++;
	fprintf(stderr, "%s%s", p, out[strlen(out) - 1] == '\n' ? "" : "\n");
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
static void verify_initramfs(struct context *ctx, const struct host *h, const struct plan *p,
			     const struct plan_command *c, struct outcome *o)
{
	static const int mods[] = { VFIO_MOD_VFIO, VFIO_MOD_VFIO_IOMMU_TYPE1,
				    VFIO_MOD_VFIO_PCI_CORE, VFIO_MOD_VFIO_PCI };
	_cleanup_free_ char *out = NULL;
	char line[900];
	int status = 0, r;
	bool want_modprobe = false;

	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, MODPROBE_FILE) == 0)
			want_modprobe = true;
	if (!c->lister[0]) {
		add_note(o, "/%s was rebuilt but not inspected: %s is not installed below the root",
			 c->output, c->lister_name[0] ? c->lister_name : "no lister");
		return;
	}
	snprintf(line, sizeof(line), "%s /%s", c->lister, c->output);
	r = run_command(ctx->root, line, &out, &status);
	if (r < 0 || status != 0) {
		add_check(o, false, "%s failed (%s): the initramfs cannot be inspected", line,
			  r < 0 ? strerror(-r) : "non-zero exit");
		if (r >= 0) {
			log_error("%s failed with exit status %d; its output:", line, status);
			show_output_tail(out);
		}
		return;
	}
	/* lsinitrd prints ls -l lines, lsinitramfs bare paths: the path ends the line */
	if (want_modprobe) {
		bool found = listing_has(out, MODPROBE_FILE);

		add_check(o, found, "/%s %s /%s", c->output, found ? "carries" : "lacks",
			  MODPROBE_FILE);
	}
	for (size_t i = 0; i < p->n_files; i++) {
		static const char *const want[] = { DEVICES_FILE,
						    "pre-trigger/30-iommu-setup-bind.sh" };

		if (strcmp(p->files[i].path, DEVICES_FILE) != 0)
			continue;
		/* the by-address binding: the dracut module's file and hook */
		for (size_t k = 0; k < ARRAY_SIZE(want); k++) {
			bool found = listing_has(out, want[k]);

			add_check(o, found, "/%s %s %s", c->output, found ? "carries" : "lacks",
				  want[k]);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		const struct mod_info *ms = &h->modules.mods[mods[i]];
		char want[80];
		bool found = false;

		if (ms->kind != MOD_MODULE)
			continue;
		/* vfio_pci is vfio-pci.ko: compare with '-' as '_' */
		snprintf(want, sizeof(want), "/%s.ko", ms->name);
		for (char *l = out; *l && !found; l++) {
			size_t k = 0;

			while (want[k] && l[k] &&
			       (l[k] == want[k] || ((l[k] == '-' || l[k] == '_') &&
						    (want[k] == '-' || want[k] == '_'))))
				k++;
			found = !want[k];
		}
		add_check(o, found, "/%s %s %s", c->output, found ? "carries" : "lacks", ms->name);
	}
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
	r = modules_libkmod_options(ctx->root_fd, p->kver, "vfio_pci", &opts);
	if (r < 0) {
		add_check(o, false, "modprobe.d cannot be read through libkmod: %s", strerror(-r));
		return;
	}
	ids = options_param(opts, "ids");
	if (p->by_address || !p->ids[0]) {
		if (ids)
			add_check(
				o, false,
				"modprobe would give vfio-pci ids=%s, but the devices are bound by "
				"address",
				ids);
		else
			add_check(o, true,
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
		add_check(o, ok, "modprobe (libkmod) gives vfio-pci ids=%s%s%s",
			  ids ? ids : "(none)", ok ? "" : ", not the planned ", ok ? "" : p->ids);
	}
}

/* the next boot, read back: every entry of the target kernel */
static void verify_next_boot(struct context *ctx, const struct plan_input *in, const struct plan *p,
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
			verify_grub_cfg(ctx->root_fd, p->commands[i].output, p->kver, ops,
					p->n_params, o);
	/* the BLS entries (grubenv expanded) and etc/kernel/cmdline as written now */
	if (boot_gather(ctx->root_fd, ctx->root, p->kver[0] ? p->kver : NULL, &b) < 0 ||
	    nextboot_build(&b.sources, &nb) < 0) {
		add_check(o, false, "the boot configuration cannot be read back");
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
			add_check(o, false, "/%s cannot be read back", desc);
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
			add_check(o, ok, "/%s %s", l->src->path,
				  ok ? "has the parameters: kernels installed later get them"
				     : missing);
		else
			add_check(o, ok, "/%s %s", desc, ok ? "has the parameters" : missing);
	}
	if ((h->boot.loader == LOADER_GRUB_BLS || h->boot.loader == LOADER_SYSTEMD_BOOT) && !n_bls)
		add_check(o, false, "no BLS entry for %s", p->kver);
	nextboot_done(&nb);
	boot_state_done(&b);
}

/* runs the commands; false (with the output shown) when one fails */
static bool run_commands(struct context *ctx, const struct plan *p, const bool *needed,
			 struct outcome *o)
{
	for (size_t i = 0; i < p->n_commands; i++) {
		_cleanup_free_ char *out = NULL;
		int status = 0, r;

		if (!needed[i])
			continue;
		if (!ctx->quiet && !ctx->json)
			printf("Running %s\n", p->commands[i].line);
		fflush(stdout);
		r = run_command(ctx->root, p->commands[i].line, &out, &status);
		snprintf(o->commands[o->n_commands].line, sizeof(o->commands[0].line), "%s",
			 p->commands[i].line);
		o->commands[o->n_commands++].status = r < 0 ? -1 : status;
		if (r < 0) {
			log_error_errno(r, "Failed to run %s%s%s: %m", p->commands[i].line,
					strcmp(ctx->root, "/") ? " in " : "",
					strcmp(ctx->root, "/") ? ctx->root : "");
			return false;
		}
		if (status != 0) {
			log_error("%s failed with exit status %d; its output:", p->commands[i].line,
				  status);
			show_output_tail(out);
			return false;
		}
		if (log_get_max_level() >= LOG_LEVEL_DEBUG)
			show_output_tail(out);
	}
	return true;
}

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

static void report(struct context *ctx, const char *verb, const struct outcome *o, bool changed,
		   bool reboot, const char *nothing)
{
	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "command", verb);
		json_bool(&j, "changed", changed);
		json_bool(&j, "reboot_required", reboot);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < o->n_files; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "path", o->files[i].path);
			json_string(&j, "holds", o->files[i].what);
			json_string(&j, "action", o->files[i].how);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "commands");
		for (size_t i = 0; i < o->n_commands; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "command", o->commands[i].line);
			json_int(&j, "status", o->commands[i].status);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "verified");
		for (size_t i = 0; i < o->n_checks; i++) {
			json_object_begin(&j, NULL);
			json_bool(&j, "ok", o->checks[i].ok);
			json_string(&j, "what", o->checks[i].text);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "notes");
		for (size_t i = 0; i < o->n_notes; i++)
			json_string(&j, NULL, o->notes[i]);
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	if (!changed) {
		printf("%s\n", nothing);
		return;
	}
	printf("\n%s:\n", strcmp(verb, "apply") == 0 ? "Changed" : "Reverted");
	for (size_t i = 0; i < o->n_files; i++)
		printf("  /%s (%s): %s\n", o->files[i].path, o->files[i].what, o->files[i].how);
	if (o->n_commands) {
		printf("Ran:\n");
		for (size_t i = 0; i < o->n_commands; i++)
			printf("  %s\n", o->commands[i].line);
	}
	if (o->n_checks) {
		printf("Next boot, read back:\n");
		for (size_t i = 0; i < o->n_checks; i++)
			printf("  %s %s\n", o->checks[i].ok ? "ok  " : "FAIL", o->checks[i].text);
	}
	for (size_t i = 0; i < o->n_notes; i++)
		printf("Note: %s\n", o->notes[i]);
	if (reboot)
		printf("\nReboot required: the running kernel does not have these settings yet.\n");
}

/* journals the files and the outputs of the commands, then seals */
static int journal_all(struct txn *t, const struct plan *p, const bool *needed, const char **paths,
		       size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = txn_journal_add(t, paths[i]);
	for (size_t i = 0; i < p->n_commands && r >= 0; i++)
		if (needed[i] && p->commands[i].output[0])
			r = txn_journal_add(t, p->commands[i].output);
	if (r >= 0)
		r = txn_journal_seal(t);
	return r;
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
	r = txn_begin(&t, ctx->root_fd, ctx->root);
	if (r < 0) {
		txn_end(&t);
		return EXIT_SYSTEM;
	}
	if (t.recovered[0])
		add_note(&o, "%s", t.recovered);
	ret = plan_for_request(ctx, true, &in, &p);
	have_h = true;
	if (ret != EXIT_OK)
		goto finish;
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
		report(ctx, "apply", &o, false, p.reboot_required,
		       p.reboot_required
			       ? "Nothing to do: every file is already as requested; nothing was "
				 "written and nothing was run.\nReboot required: the running system "
				 "does not have this configuration yet."
			       : "Nothing to do: every file is already as requested; nothing was "
				 "written and nothing was run.");
		goto finish;
	}
	if (!ctx->quiet && !ctx->json)
		for (size_t i = 0; i < p.n_commands; i++)
			if (needed[i])
				printf("%s: %s\n",
				       p.commands[i].kind == CMD_BOOTCFG ? "Boot configuration"
									 : "Initramfs",
				       p.commands[i].why);

	r = journal_all(&t, &p, needed, paths, n_paths);
	if (r < 0) {
		log_error_errno(r, "Failed to back up the files below /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
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
		add_file_outcome(&o, f->path, f->what, f->created ? "created" : "changed");
	}
	if (!run_commands(ctx, &p, needed, &o)) {
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	for (size_t i = 0; i < p.n_commands; i++)
		if (needed[i] && p.commands[i].kind == CMD_BOOTCFG)
			ran_bootcfg = true;
	verify_next_boot(ctx, &in, &p, ran_bootcfg, &o);
	for (size_t i = 0; i < p.n_commands; i++)
		if (needed[i] && p.commands[i].kind == CMD_INITRAMFS)
			verify_initramfs(ctx, &in.host, &p, &p.commands[i], &o);
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
		add_note(&o, "--no-mkconfig: grub.cfg was not regenerated nor checked");
	if (in.host.boot.loader == LOADER_GRUB_BLS || in.host.boot.loader == LOADER_SYSTEMD_BOOT) {
		bool kc = root_exists(ctx->root_fd, "etc/kernel/cmdline") > 0;

		add_note(
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
	for (size_t i = 0; i < t.n_dirs && r >= 0; i++)
		r = record_add_dir(&rec, t.dirs[i]);
	if (r >= 0)
		r = txn_commit(&t, &rec);
	if (r < 0) {
		log_error_errno(r, "Failed to record the change in /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	report(ctx, "apply", &o, true, p.reboot_required, "");
	goto finish;

rollback:
	r = txn_rollback(&t);
	if (r < 0)
		log_error_errno(r,
				"Failed to restore every file; the next run of iommu-setup "
				"restores them from /%s/journal: %m",
				STATE_DIR);
	else
		log_error("every file was restored as it was; nothing is changed");
	if (ctx->json) {
		o.n_files = 0;
		report(ctx, "apply", &o, false, false, "");
	}
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

/* ---- revert ---- */

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

/* the lines of text, for lines_remove */
static size_t split_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;

	for (char *p = text, *eol; p && *p && n < max; p = eol ? eol + 1 : NULL) {
		eol = strchr(p, '\n');
		if (eol)
			*eol = '\0';
		lines[n++] = p;
	}
	return n;
}

/* what revert writes for one recorded file: *ret NULL to remove it */
static int revert_content(const struct record_file *f, const char *cur, size_t cur_len, char **ret,
			  size_t *ret_len, char *how, size_t hn)
{
	bool ours = f->ours && cur_len == f->ours_len && memcmp(cur, f->ours, cur_len) == 0;

	*ret = NULL;
	*ret_len = 0;
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
		char *lines[256], *out = NULL;
		size_t n;
		int r;

		if (!copy)
			return -ENOMEM;
		n = f->kind == FILE_LINES ? 0 : split_lines(copy, lines, ARRAY_SIZE(lines));
		for (size_t i = 0; f->kind == FILE_LINES && i < f->n_lines && n < ARRAY_SIZE(lines);
		     i++)
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
		struct kop ops[128];
		char error[512];
		size_t m = 0;
		int r;

		if (f->n_adds + f->n_dels > ARRAY_SIZE(ops)) {
			log_error("/%s/record lists more than %zu parameters for /%s", STATE_DIR,
				  ARRAY_SIZE(ops), f->path);
			return -EINVAL;
		}
		for (size_t i = 0; i < f->n_adds; i++)
			ops[m++] = (struct kop){ KOP_REMOVE, f->adds[i].name, f->adds[i].value };
		/* what it took out (a duplicate, a wrong value) comes back */
		for (size_t i = 0; i < f->n_dels; i++)
			ops[m++] = (struct kop){ KOP_ENSURE, f->dels[i].name, f->dels[i].value };
		r = edit_cmdline_file(f->kind, f->path, f->what, cur, cur_len, ops, m, ret, ret_len,
				      error, sizeof(error));
		if (r == -EINVAL) {
			log_error(
				"/%s was edited since apply and iommu-setup's parameters cannot be "
				"taken out with certainty: %s",
				f->path, error);
			return r;
		}
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
				    .for_apply = true };
	struct record rec = {}, none = {};
	struct host h = {};
	struct regen_facts facts;
	struct file_error err = {};
	struct txn t;
	char *content[PLAN_FILES_MAX] = {};
	size_t content_len[PLAN_FILES_MAX] = {};
	bool remove[PLAN_FILES_MAX] = {}, needed[PLAN_COMMANDS_MAX] = {}, have_h = false;
	const char *paths[PLAN_FILES_MAX];
	size_t n_paths = 0;
	int r, ret = EXIT_OK;

	if (ctx->n_args > 0) {
		log_error("revert takes no arguments, not \"%s\"", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	outcome_done(&o);
	memset(&p, 0, sizeof(p));
	r = txn_begin(&t, ctx->root_fd, ctx->root);
	if (r < 0) {
		txn_end(&t);
		return EXIT_SYSTEM;
	}
	if (t.recovered[0])
		add_note(&o, "%s", t.recovered);
	r = txn_read_record(&t, &rec);
	if (r == -ENOENT || (r >= 0 && rec.n_files == 0)) {
		/* nothing to undo: remove the empty state directory the lock created */
		r = txn_journal_seal(&t);
		if (r >= 0)
			r = txn_commit(&t, &none);
		report(ctx, "revert", &o, false, false,
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

		r = txn_read(&t, f->path, &cur, &len);
		if (r == -ENOENT) {
			add_note(&o, "/%s is gone since apply: left alone", f->path);
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
		if (content[i] && content_len[i] == len && memcmp(content[i], cur, len) == 0)
			continue; /* nothing of ours is left in it */
		paths[n_paths++] = f->path;
		add_file_outcome(&o, f->path, f->what, how);
		if (!strstr(how, "restored") && !strstr(how, "created"))
			add_note(&o, "/%s: %s", f->path, how);
	}

	/* the same regeneration as apply, for the files that changed back */
	r = host_gather(ctx->root_fd, ctx->root, ctx->kernel, &h);
	have_h = true;
	if (r < 0) {
		log_error_errno(r, "Failed to read the host: %m");
		ret = r == -ENOENT ? EXIT_BAD_INPUT : EXIT_SYSTEM;
		goto finish;
	}
	snprintf(p.kver, sizeof(p.kver), "%s", h.modules.kver);
	r = regen_gather(ctx->root_fd, &h, &facts);
	if (r >= 0)
		r = regen_decide(&facts, &h, &req, &p, &err);
	if (r < 0) {
		if (err.message[0])
			log_file_error(&err);
		ret = r == -ENOENT ? EXIT_BAD_INPUT : EXIT_SYSTEM;
		goto finish;
	}
	/* the same commands as apply, for the kinds of file that change back */
	for (size_t i = 0; i < p.n_commands; i++)
		for (size_t k = 0; k < rec.n_files; k++)
			if ((content[k] || remove[k]) &&
			    command_regenerates(p.commands[i].kind, rec.files[k].kind))
				needed[i] = true;

	if (n_paths == 0) {
		r = txn_journal_seal(&t);
		if (r >= 0)
			r = txn_commit(&t, &none);
		report(ctx, "revert", &o, false, false,
		       "Nothing to revert: nothing of iommu-setup's is left in the recorded files.");
		goto finish;
	}
	r = journal_all(&t, &p, needed, paths, n_paths);
	if (r < 0) {
		log_error_errno(r, "Failed to back up the files below /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	for (size_t i = 0; i < rec.n_files; i++) {
		const struct record_file *f = &rec.files[i];

		if (remove[i])
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
	/* the directories apply created, if nothing else is in them now */
	for (size_t i = rec.n_dirs; i-- > 0;)
		(void)txn_remove_dir(&t, rec.dirs[i]);
	if (!run_commands(ctx, &p, needed, &o)) {
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	r = txn_commit(&t, &none);
	if (r < 0) {
		log_error_errno(r, "Failed to remove the record in /%s: %m", STATE_DIR);
		ret = EXIT_SYSTEM;
		goto rollback;
	}
	report(ctx, "revert", &o, true, true, "");
	goto finish;

rollback:
	r = txn_rollback(&t);
	if (r < 0)
		log_error_errno(r,
				"Failed to restore every file; the next run of iommu-setup "
				"restores them from /%s/journal: %m",
				STATE_DIR);
	else
		log_error("every file was restored as it was; nothing is changed");
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
