/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan for a request (--device, --ids, --no-passthrough,
 * --allow-unsafe-interrupts, --force): the kernel parameters, modprobe.d and
 * initramfs settings the vendor rules and the host call for, the files that
 * carry them with their old and new text, and the commands that regenerate
 * the boot configuration (regen.c). Each decision keeps its reason. Reads
 * below the root only; `plan` prints the result, `apply` executes it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg-edit.h"
#include "checks.h"
#include "devices.h"
#include "grub-edit.h"
#include "host.h"
#include "iommu-setup.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "modules.h"
#include "pdev.h"
#include "plan.h"
#include "regen.h"
#include "root.h"
#include "rules.h"

void plan_done(struct plan *p)
{
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].old);
		free(p->files[i].new);
	}
}

static struct param *add_param_op(struct plan *p, enum kop_kind kind, const char *name,
				  const char *value, const char *why)
{
	struct param *q;

	/* the same parameter from two rules: once is enough */
	for (size_t i = 0; i < p->n_params; i++)
		if (p->params[i].op.kind == kind && kparam_name_eq(p->params[i].name, name) &&
		    strcmp(p->params[i].value, value ? value : "") == 0)
			return &p->params[i];
	if (p->n_params == PLAN_OPS_MAX)
		return NULL;
	q = &p->params[p->n_params++];
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->value, sizeof(q->value), "%s", value ? value : "");
	snprintf(q->why, sizeof(q->why), "%s", why);
	q->op = (struct kop){ kind, q->name, value ? q->value : NULL };
	return q;
}

static struct param *add_param(struct plan *p, const char *name, const char *value, const char *why)
{
	return add_param_op(p, KOP_ENSURE, name, value, why);
}

void plan_note(struct plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->n_notes == PLAN_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(p->notes[p->n_notes++], sizeof(p->notes[0]), fmt, ap);
	va_end(ap);
}

static void modprobe_line(struct plan *p, const char *line)
{
	size_t used = strlen(p->modprobe);

	if (strstr(p->modprobe, line))
		return;
	snprintf(p->modprobe + used, sizeof(p->modprobe) - used, "%s\n", line);
}

static bool have_dev(const struct plan *p, const char *addr)
{
	for (size_t i = 0; i < p->n_devs; i++)
		if (strcmp(p->devs[i].addr, addr) == 0)
			return true;
	return false;
}

static void add_dev(struct plan *p, const struct pdev *d, const char *why)
{
	if (have_dev(p, d->addr) || p->n_devs == PLAN_DEVICES_MAX)
		return;
	snprintf(p->devs[p->n_devs].addr, sizeof(p->devs[0].addr), "%s", d->addr);
	p->devs[p->n_devs].vendor = d->vendor;
	p->devs[p->n_devs].device = d->device;
	p->devs[p->n_devs].class = d->class;
	snprintf(p->devs[p->n_devs].why, sizeof(p->devs[0].why), "%s", why);
	p->n_devs++;
}

static void add_id(char *ids, size_t n, uint16_t v, uint16_t d)
{
	char one[16];
	size_t used = strlen(ids);

	snprintf(one, sizeof(one), "%04x:%04x", v, d);
	if (!strstr(ids, one))
		snprintf(ids + used, n - used, "%s%s", used ? "," : "", one);
}

/*
 * The devices for vfio-pci: --device functions, the host's functions with an
 * --ids ID, and their IOMMU group mates, which must come along. A group that
 * holds a device the host cannot give up is refused unless --force.
 * ids gets every vendor:device ID, including --ids not present on this host.
 */
static int plan_devices(struct context *ctx, const struct pdev_list *l, struct plan *p, char *ids,
			size_t n)
{
	ids[0] = '\0';
	for (size_t i = 0; i < ctx->n_ids; i++)
		for (const char *s = ctx->ids[i];;) {
			size_t k = strcspn(s, ",");
			char one[16], addr[16];
			uint16_t v, d;

			if (k >= sizeof(one)) {
				log_error("--ids: \"%.*s\" is not a vendor:device ID", (int)k, s);
				return EXIT_BAD_INPUT;
			}
			memcpy(one, s, k);
			one[k] = '\0';
			if (pdev_parse_arg(one, addr, &v, &d) != 2) {
				log_error(
					"--ids: \"%s\" is not a vendor:device ID (like 8086:1572)",
					one);
				return EXIT_BAD_INPUT;
			}
			add_id(ids, n, v, d);
			for (unsigned j = 0; j < l->n; j++)
				if (l->devs[j].vendor == v && l->devs[j].device == d)
					add_dev(p, &l->devs[j], "--ids");
			if (!s[k])
				break;
			s += k + 1;
		}
	for (size_t i = 0; i < ctx->n_devices; i++) {
		char addr[16];
		uint16_t v, d;
		const struct pdev *dev;

		if (pdev_parse_arg(ctx->devices[i], addr, &v, &d) != 1) {
			log_error("--device: \"%s\" is not a PCI address (0000:01:00.0)",
				  ctx->devices[i]);
			return EXIT_BAD_INPUT;
		}
		dev = pdev_find(l, addr);
		if (!dev) {
			log_error("--device: no PCI device %s below the root", addr);
			return EXIT_BAD_INPUT;
		}
		add_dev(p, dev, "--device");
	}

	/* group closure */
	for (size_t i = 0, n0 = p->n_devs; i < n0; i++) {
		const struct pdev *d = pdev_find(l, p->devs[i].addr);
		struct verdict v;

		device_verdict(l, d, &v);
		if (!v.assignable && !ctx->force && (l->groups_dir && l->n_groups > 0)) {
			log_error("%s cannot be assigned: %s (--force to plan it anyway)", d->addr,
				  v.reason);
			return EXIT_BAD_INPUT;
		}
		if (!v.assignable)
			plan_note(p, "%s: %s%s", d->addr, v.reason,
				  ctx->force ? " — planned anyway because of --force" : "");
		for (unsigned k = 0; k < v.n_drag; k++) {
			const struct pdev *m = &l->devs[v.drag[k]];
			bool same_card =
				m->domain == d->domain && m->bus == d->bus && m->slot == d->slot;
			char why[160];

			if (have_dev(p, m->addr))
				continue;
			/* another function of the same card (a GPU's audio, USB-C, UCSI) comes
			 * along; a different device the host still drives is only taken with
			 * --force */
			if (!same_card && !ctx->force) {
				log_error(
					"%s shares IOMMU group %d with %s, which the host still uses "
					"(driver %s): assigning it would take that device from the "
					"host too; request it as well, or pass --force",
					d->addr, m->group, m->addr, m->driver);
				return EXIT_BAD_INPUT;
			}
			snprintf(why, sizeof(why), "in IOMMU group %d with %s%s", m->group, d->addr,
				 same_card ? ", same card" : ", taken with --force");
			add_dev(p, m, why);
		}
	}
	for (size_t i = 0; i < p->n_devs; i++)
		add_id(ids, n, p->devs[i].vendor, p->devs[i].device);
	return EXIT_OK;
}

static int add_file(struct plan *p, enum file_kind kind, const char *path, const char *what,
		    char *old, size_t old_len, char *new, size_t new_len)
{
	struct planned_file *f;

	if (p->n_files == PLAN_FILES_MAX) {
		free(old);
		free(new);
		return -E2BIG;
	}
	f = &p->files[p->n_files++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->what, sizeof(f->what), "%s", what);
	f->kind = kind;
	f->old = old;
	f->old_len = old_len;
	f->new = new;
	f->new_len = new_len;
	return 0;
}

const struct kop *plan_ops(const struct plan *p, struct kop *buf)
{
	for (size_t i = 0; i < p->n_params; i++)
		buf[i] = p->params[i].op;
	return buf;
}

/* Edits variable var of a GRUB defaults file; a file planned already is edited
 * again from its planned text, so both variables end up in one change. */
static int plan_grub_var(struct context *ctx, struct plan *p, const char *file, const char *var,
			 const struct kop *ops, size_t m)
{
	_cleanup_free_ char *text = NULL;
	struct planned_file *planned = NULL;
	struct file_error err = {};
	char *out = NULL;
	size_t len, olen;
	int r;

	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, file) == 0)
			planned = &p->files[i];
	if (planned) {
		text = strndup(planned->new, planned->new_len);
		len = planned->new_len;
		if (!text)
			return -ENOMEM;
	} else {
		r = root_read_file(ctx->root_fd, file, 1u << 20, &text, &len);
		if (r < 0)
			return log_error_errno(r, "%s: %m", file);
	}
	r = grub_edit(text, len, file, var, ops, m, &out, &olen, &err);
	if (r == -EINVAL) {
		log_error("%s:%u: %s", err.file, err.line, err.message);
		return -EINVAL;
	}
	if (r < 0)
		return r;
	if (planned) {
		free(planned->new);
		planned->new = out;
		planned->new_len = olen;
		return 0;
	}
	return add_file(p, FILE_GRUB_DEFAULT, file, var, TAKE_PTR(text), len, out, olen);
}

/* GRUB_CMDLINE_LINUX where it is effectively set: etc/default/grub, or the
 * drop-in that assigns it last (Debian's grub.d); and GRUB_CMDLINE_LINUX_DEFAULT,
 * which comes later on the line, where it holds a conflicting value */
static int plan_grub(struct context *ctx, const struct host *h, struct plan *p)
{
	const struct shvar *v = shenv_get(&h->boot.grub_env, "GRUB_CMDLINE_LINUX");
	const struct shvar *d = shenv_get(&h->boot.grub_env, "GRUB_CMDLINE_LINUX_DEFAULT");
	struct kop ops[PLAN_OPS_MAX], dops[PLAN_OPS_MAX];
	struct kcmdline dc;
	size_t nd = 0;
	int r;

	r = plan_grub_var(ctx, p, v ? v->file : h->boot.grub_default_file, "GRUB_CMDLINE_LINUX",
			  plan_ops(p, ops), p->n_params);
	if (r < 0)
		return r;
	if (!d || !d->known || !d->value || kcmdline_parse(d->value, &dc) < 0)
		return 0;
	for (size_t i = 0; i < p->n_params; i++)
		if (kcmdline_find(&dc, p->params[i].op.name))
			dops[nd++] = p->params[i].op;
	kcmdline_done(&dc);
	if (!nd)
		return 0;
	return plan_grub_var(ctx, p, d->file, "GRUB_CMDLINE_LINUX_DEFAULT", dops, nd);
}

typedef int (*line_editor)(const char *text, const struct kop *ops, size_t m, char **ret,
			   char *error, size_t error_size);

static int plan_simple(struct context *ctx, struct plan *p, enum file_kind kind, const char *path,
		       const char *what, line_editor edit)
{
	_cleanup_free_ char *text = NULL;
	struct kop ops[PLAN_OPS_MAX];
	char error[256] = "", *out = NULL;
	size_t len;
	int r;

	r = root_read_file(ctx->root_fd, path, 1u << 20, &text, &len);
	if (r < 0)
		return log_error_errno(r, "%s: %m", path);
	r = edit(text, plan_ops(p, ops), p->n_params, &out, error, sizeof(error));
	if (r == -EINVAL) {
		log_error("%s: %s", path, error);
		return r;
	}
	if (r < 0)
		return r;
	return add_file(p, kind, path, what, TAKE_PTR(text), len, out, strlen(out));
}

static int plan_grubenv(struct context *ctx, struct plan *p, const char *path)
{
	_cleanup_free_ char *text = NULL;
	struct kop ops[PLAN_OPS_MAX];
	char error[256] = "", *out = NULL;
	size_t len, olen;
	int r;

	r = root_read_file(ctx->root_fd, path, 65536, &text, &len);
	if (r < 0)
		return log_error_errno(r, "%s: %m", path);
	r = grubenv_edit(text, len, plan_ops(p, ops), p->n_params, &out, &olen, error,
			 sizeof(error));
	if (r == -EINVAL) {
		log_error("%s: %s", path, error);
		return r;
	}
	if (r < 0)
		return r;
	return add_file(p, FILE_GRUBENV, path, "kernelopts", TAKE_PTR(text), len, out, olen);
}

/*
 * BLS entries with literal options and no etc/kernel/cmdline: kernel-install
 * gives the entries of kernels installed later the running command line
 * (RHEL 9's 20-grub.install, systemd's 90-loaderentry.install), which lacks
 * the parameters until the reboot, and in a kickstart %post is the
 * installer's. The file is created from the target kernel's entry as planned.
 */
static int plan_kernel_cmdline(struct context *ctx, struct plan *p, const char *entry)
{
	_cleanup_free_ char *opts = NULL;
	char *old, *new;

	for (size_t i = 0; i < p->n_files && !opts; i++)
		if (strcmp(p->files[i].path, entry) == 0)
			opts = bls_entry_options(p->files[i].new);
	if (!opts)
		return 0;
	old = strdup("");
	if (!old || asprintf(&new, "%s\n", opts) < 0) {
		free(old);
		return -ENOMEM;
	}
	if (add_file(p, FILE_KERNEL_CMDLINE, "etc/kernel/cmdline", "kernel-install command line",
		     old, 0, new, strlen(new)) < 0)
		return -E2BIG;
	p->files[p->n_files - 1].created = true;
	plan_note(p,
		  "etc/kernel/cmdline is created from %s: without it, kernel-install gives kernels "
		  "installed later the running command line, which lacks the parameters",
		  entry);
	return 0;
}

/* Which files carry the command line here (docs/boot-facts.md):
 *  GRUB: GRUB_CMDLINE_LINUX (grub-mkconfig writes grub.cfg from it);
 *  GRUB with BLS: that too (grub2-mkconfig reseeds entries from it), every
 *    entry's options, or grubenv's kernelopts when entries use $kernelopts
 *    (RHEL 8), and etc/kernel/cmdline, which kernels installed later get
 *    (RHEL 9+, Fedora);
 *  systemd-boot / kernel-install: etc/kernel/cmdline and the entries. */
static int plan_files(struct context *ctx, const struct host *h, struct plan *p)
{
	const struct boot_state *b = &h->boot;
	char **entries = NULL;
	size_t n_entries = 0;
	bool kernelopts = false;
	int r = 0;

	if (b->grub_default && (b->loader == LOADER_GRUB || b->loader == LOADER_GRUB_BLS)) {
		r = plan_grub(ctx, h, p);
		if (r < 0)
			return r;
	}
	if (b->loader == LOADER_GRUB_BLS || b->loader == LOADER_SYSTEMD_BOOT) {
		r = boot_bls_entries(ctx->root_fd, &entries, &n_entries);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n_entries && r >= 0; i++) {
			_cleanup_free_ char *t = NULL;

			if (root_read_file(ctx->root_fd, entries[i], 65536, &t, NULL) < 0)
				continue;
			if (bls_entry_uses_kernelopts(t)) {
				kernelopts = true;
				continue;
			}
			r = plan_simple(ctx, p, FILE_BLS_ENTRY, entries[i], "BLS options",
					bls_entry_edit);
		}
		for (size_t i = 0; i < n_entries; i++)
			free(entries[i]);
		free(entries);
		if (r < 0)
			return r;
		if (kernelopts) {
			const char *env = root_exists(ctx->root_fd, "boot/grub2/grubenv") > 0
						  ? "boot/grub2/grubenv"
						  : "boot/grub/grubenv";

			r = plan_grubenv(ctx, p, env);
			if (r < 0)
				return r;
		}
	}
	if (b->kernel_cmdline)
		r = plan_simple(ctx, p, FILE_KERNEL_CMDLINE, "etc/kernel/cmdline",
				"kernel-install command line", kernel_cmdline_edit);
	else if (!kernelopts && b->bls_entry[0])
		r = plan_kernel_cmdline(ctx, p, b->bls_entry);
	else if (p->n_files == 0 && b->loader == LOADER_SYSTEMD_BOOT)
		log_warning("systemd-boot without etc/kernel/cmdline: kernels installed later take "
			    "their command line from the running one");
	if (r >= 0 && p->n_files == 0) {
		log_error(
			"no boot loader configuration found below the root (etc/default/grub, BLS "
			"entries, etc/kernel/cmdline): nothing to plan");
		return -ENOENT;
	}
	return r;
}

/* A file iommu-setup writes whole: new (taken) against what is there now,
 * "" and created when nothing is */
static int plan_owned_file(struct context *ctx, struct plan *p, const char *path, const char *what,
			   char *new)
{
	_cleanup_free_ char *old = NULL;
	size_t len = 0;
	int r;

	r = root_read_file(ctx->root_fd, path, 1u << 20, &old, &len);
	if (r == -ENOENT)
		old = strdup("");
	else if (r < 0) {
		free(new);
		return log_error_errno(r, "%s: %m", path);
	}
	if (!old) {
		free(new);
		return -ENOMEM;
	}
	r = add_file(p, FILE_OWNED, path, what, TAKE_PTR(old), len, new, strlen(new));
	if (r >= 0 && len == 0 && root_exists(ctx->root_fd, path) <= 0)
		p->files[p->n_files - 1].created = true;
	return r;
}

/* etc/modprobe.d/iommu-setup.conf: written whole, it belongs to iommu-setup */
static int plan_modprobe(struct context *ctx, struct plan *p)
{
	char *new;

	if (!p->modprobe[0])
		return 0;
	if (asprintf(&new,
		     "# Generated by iommu-setup: VFIO device assignment. `iommu-setup plan` says\n"
		     "# why each line is here; `iommu-setup revert` removes this file.\n%s",
		     p->modprobe) < 0)
		return -ENOMEM;
	return plan_owned_file(ctx, p, MODPROBE_FILE, "modprobe.d", new);
}

bool planned_file_changed(const struct planned_file *f)
{
	return f->old_len != f->new_len || memcmp(f->old, f->new, f->old_len) != 0;
}

/*
 * etc/iommu-setup/vfio-devices.conf: the functions the dracut module binds to
 * vfio-pci by address at boot (vfio-pci.ids cannot tell two identical
 * devices apart). Only with --device: --ids asks for every device of an ID.
 */
static int plan_devices_file(struct context *ctx, struct plan *p)
{
	char *new = NULL;
	size_t nl = 0;
	FILE *f;

	f = open_memstream(&new, &nl);
	if (!f)
		return -ENOMEM;
	fputs("# Generated by iommu-setup: the dracut module 50iommu-setup binds these PCI\n"
	      "# functions to vfio-pci early in boot, by address. ADDRESS VENDOR:DEVICE WHY\n",
	      f);
	for (size_t i = 0; i < p->n_devs; i++)
		fprintf(f, "%s %04x:%04x %s\n", p->devs[i].addr, p->devs[i].vendor,
			p->devs[i].device, p->devs[i].why);
	if (fclose(f) != 0) {
		free(new);
		return -ENOMEM;
	}
	return plan_owned_file(ctx, p, DEVICES_FILE, "vfio-pci by address", new);
}

/*
 * The initramfs must carry vfio-pci and the modprobe.d file, or a native
 * driver loaded there wins the race: dracut (force_drivers, install_items)
 * or initramfs-tools (etc/initramfs-tools/modules, which also copies
 * modprobe.d). The modules are the target kernel's, from libkmod: nothing
 * that newer kernels dropped (vfio_virqfd) is ever named.
 */
static int plan_initramfs(struct context *ctx, const struct host *h, struct plan *p)
{
	static const int order[] = { VFIO_MOD_VFIO, VFIO_MOD_VFIO_IOMMU_TYPE1,
				     VFIO_MOD_VFIO_PCI_CORE, VFIO_MOD_VFIO_PCI };
	char mods[256] = "";
	size_t used = 0;
	bool itools = root_exists(ctx->root_fd, "etc/initramfs-tools") > 0;
	bool dracut = !itools && host_uses_dracut(ctx->root_fd);
	int r;

	if ((!p->modprobe[0] && !(ctx->n_devices && dracut)) || (!dracut && !itools))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (h->modules.mods[order[i]].kind == MOD_MODULE)
			used += (size_t)snprintf(mods + used, sizeof(mods) - used, " %s",
						 h->modules.mods[order[i]].name);
	if (dracut) {
		char *new;

		if (asprintf(
			    &new,
			    "# Generated by iommu-setup: VFIO in the initramfs, before native drivers\n"
			    "%s%s%s%s%s",
			    mods[0] ? "force_drivers+=\"" : "", mods, mods[0] ? " \"\n" : "",
			    p->modprobe[0] ? "install_items+=\" /" MODPROBE_FILE " \"\n" : "",
			    ctx->n_devices ? "# the devices go to vfio-pci by address: "
					     "/" DEVICES_FILE
					     "\nadd_dracutmodules+=\" iommu-setup \"\n"
					   : "") < 0)
			return -ENOMEM;
		r = plan_owned_file(ctx, p, DRACUT_FILE, "dracut.conf.d", new);
		if (r < 0)
			return r;
		if (ctx->n_devices) {
			r = plan_devices_file(ctx, p);
			if (r < 0)
				return r;
		}
	} else {
		_cleanup_free_ char *old = NULL;
		char *new;
		size_t len = 0, cap;

		r = root_read_file(ctx->root_fd, ITOOLS_FILE, 1u << 20, &old, &len);
		if (r == -ENOENT)
			old = strdup("");
		else if (r < 0)
			return log_error_errno(r, "%s: %m", ITOOLS_FILE);
		if (!old)
			return -ENOMEM;
		cap = len + sizeof(mods) + 128;
		new = malloc(cap);
		if (!new)
			return -ENOMEM;
		memcpy(new, old, len + 1);
		/* one module a line; add only the missing ones */
		for (char *m = mods, *save = NULL, *t = strtok_r(m, " ", &save); t;
		     t = strtok_r(NULL, " ", &save)) {
			char line[64];

			snprintf(line, sizeof(line), "\n%s\n", t);
			if (strncmp(new, line + 1, strlen(line + 1)) == 0 || strstr(new, line))
				continue;
			if (strlen(new) && new[strlen(new) - 1] != '\n')
				strcat(new, "\n");
			if (!strstr(new, "# Added by iommu-setup"))
				strcat(new, "# Added by iommu-setup: VFIO before native drivers\n");
			strcat(new, line + 1);
		}
		r = add_file(p, FILE_LINES, ITOOLS_FILE, "initramfs-tools", TAKE_PTR(old), len, new,
			     strlen(new));
		if (r < 0)
			return r;
		if (len == 0 && root_exists(ctx->root_fd, ITOOLS_FILE) <= 0)
			p->files[p->n_files - 1].created = true;
	}
	return 0;
}

char *planned_file_cmdline(const struct planned_file *f, bool new)
{
	const char *t = new ? f->new : f->old;
	size_t len = new ? f->new_len : f->old_len;

	if (strcmp(f->what, "kernelopts") == 0)
		return grubenv_get_value(t, len, "kernelopts");
	if (strcmp(f->what, "BLS options") == 0)
		return bls_entry_options(t);
	if (strcmp(f->what, "kernel-install command line") == 0)
		return strndup(t, strcspn(t, "\r\n"));
	{
		/* GRUB defaults: what the shell would make of it */
		struct shenv env = {};
		const struct shvar *v;
		char *r = NULL;

		if (shenv_source(&env, t, len, f->path) >= 0) {
			v = shenv_get(&env, f->what);
			if (v && v->known && v->value)
				r = strdup(v->value);
			else if (v && !v->known)
				r = strdup("(built by shell code; see the diff)");
		}
		shenv_done(&env);
		return r;
	}
}

static void why_ref(char *buf, size_t n, const struct rule *r)
{
	snprintf(buf, n, "%s%s%s%s (%s:%u)", r->why[0] ? r->why : "", r->ref[0] ? " [" : "", r->ref,
		 r->ref[0] ? "]" : "", r->file, r->line);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_ids(const char *ids, char *out, size_t n)
{
	char copy[1024], *list[128], *save = NULL;
	size_t k = 0, used = 0;

	snprintf(copy, sizeof(copy), "%s", ids);
	for (char *t = strtok_r(copy, ",", &save); t && k < ARRAY_SIZE(list);
	     t = strtok_r(NULL, ",", &save))
		list[k++] = t;
	qsort(list, k, sizeof(*list), cmp_id);
	out[0] = '\0';
	for (size_t i = 0; i < k && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? "," : "", list[i]);
}

/* The vendor rules, applied to this host and these devices. */
static void apply_rules(struct context *ctx, const struct host *h, const struct pdev_list *l,
			const struct rule_set *set, struct plan *p)
{
	struct rule_device req[PLAN_DEVICES_MAX], *present = NULL;
	struct rule_host host = {
		.cpu = cpu_vendor_to_string(h->cpu.vendor),
		.cpu_family = h->cpu.family,
		.cpu_model = h->cpu.model,
		.kernel = h->modules.kver[0] ? h->modules.kver : NULL,
	};

	for (size_t i = 0; i < p->n_devs; i++)
		req[i] = (struct rule_device){ p->devs[i].vendor, p->devs[i].device,
					       p->devs[i].class };
	present = calloc(l->n ? l->n : 1, sizeof(*present));
	for (unsigned i = 0; present && i < l->n; i++)
		present[i] = (struct rule_device){ l->devs[i].vendor, l->devs[i].device,
						   l->devs[i].class };

	for (size_t k = 0; k < set->n; k++) {
		const struct rule *r = &set->rules[k];
		char why[1400], name[128];
		const char *eq;
		size_t m = rule_matches(r, &host, req, p->n_devs, present, present ? l->n : 0);

		if (m == RULE_NO_MATCH)
			continue;
		why_ref(why, sizeof(why), r);
		eq = strchr(r->arg, '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - r->arg : (long)strlen(r->arg)),
			 r->arg);
		switch (r->action) {
		case RULE_PARAM:
			add_param(p, name, eq ? eq + 1 : NULL, why);
			break;
		case RULE_OFFER:
			if (ctx->no_passthrough && (kparam_name_eq(name, "iommu") ||
						    kparam_name_eq(name, "iommu.passthrough")))
				plan_note(p, "%s left out (--no-passthrough)", r->arg);
			else
				add_param(p, name, eq ? eq + 1 : NULL, why);
			break;
		case RULE_FORBID:
			add_param_op(p, KOP_REMOVE, name, eq ? eq + 1 : NULL, why);
			break;
		case RULE_SOFTDEP:
		case RULE_OPTIONS: {
			char line[640];

			snprintf(line, sizeof(line), "%s %s", rule_action_to_string(r->action),
				 r->arg);
			modprobe_line(p, line);
			plan_note(p, "modprobe.d: %s — %s", line, why);
			break;
		}
		case RULE_WARN:
			plan_note(p, "WARNING: %s [%s%s%s:%u]", r->arg, r->ref,
				  r->ref[0] ? "; " : "", r->file, r->line);
			break;
		case RULE_HINT:
			plan_note(p, "hint: %s [%s%s%s:%u]", r->arg, r->ref, r->ref[0] ? "; " : "",
				  r->file, r->line);
			break;
		case _RULE_ACTION_MAX:
			break;
		}
	}
	free(present);
}

int plan_build(struct context *ctx, const struct plan_request *req, struct host *hp,
	       struct plan *pp)
{
#define h (*hp)
#define p (*pp)
	struct check_report report;
	struct rule_set rules = {};
	struct pdev_list pci = {};
	bool have_pci = false;
	char ids[1024];
	int r, ret = EXIT_OK;

	memset(pp, 0, sizeof(*pp));
	snprintf(p.kver, sizeof(p.kver), "%s", h.modules.kver);
	ret = rules_load_effective(ctx->root_fd, &rules);
	if (ret != EXIT_OK)
		goto finish;
	if (pdev_gather(ctx->root_fd, h.modules.kver[0] ? h.modules.kver : NULL, &pci) < 0) {
		ret = EXIT_SYSTEM;
		goto finish;
	}
	have_pci = true;
	ret = plan_devices(ctx, &pci, &p, ids, sizeof(ids));
	if (ret != EXIT_OK)
		goto finish;
	/* with dracut, --device functions go to vfio-pci by address (the module in
	 * dracut/50iommu-setup): vfio-pci.ids would take their identical twins too */
	if (ctx->n_devices && root_exists(ctx->root_fd, "etc/initramfs-tools") <= 0 &&
	    host_uses_dracut(ctx->root_fd)) {
		ids[0] = '\0';
		for (size_t i = 0; i < ctx->n_ids; i++)
			snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
				 ids[0] ? "," : "", ctx->ids[i]);
		if (root_exists(ctx->root_fd, "usr/lib/dracut/modules.d/50iommu-setup") <= 0)
			plan_note(&p, "WARNING: the dracut module 50iommu-setup is not installed "
				      "below the root (usr/lib/dracut/modules.d): install "
				      "iommu-setup there, or the devices are not bound at boot");
		plan_note(&p,
			  "--device: the dracut module iommu-setup binds the devices to vfio-pci "
			  "by address at boot (/%s); vfio-pci.ids is left out, because it would "
			  "also take identical devices that were not asked for",
			  DEVICES_FILE);
	}
	apply_rules(ctx, &h, &pci, &rules, &p);
	/* the modules that could drive each planned device load vfio-pci first
	 * (libkmod's modalias lookup for the target kernel) */
	for (size_t i = 0; i < p.n_devs; i++) {
		const struct pdev *d = pdev_find(&pci, p.devs[i].addr);

		for (char **m = d ? d->modules : NULL; m && *m; m++) {
			char line[300];

			if (strncmp(*m, "vfio", 4) == 0)
				continue;
			snprintf(line, sizeof(line), "softdep %s pre: vfio-pci", *m);
			if (!strstr(p.modprobe, line)) {
				modprobe_line(&p, line);
				plan_note(
					&p,
					"modprobe.d: %s — %s can drive %s (its modalias): vfio-pci "
					"must come first",
					line, *m, d->addr);
			}
		}
	}
	checks_run(&h, &report);

	/* the kernel's own default for VT-d, so the reason is about this kernel */
	for (size_t i = 0; i < p.n_params; i++)
		if (p.params[i].op.kind == KOP_ENSURE &&
		    kparam_name_eq(p.params[i].name, "intel_iommu") &&
		    h.intel_iommu_default_on >= 0)
			plan_note(
				&p,
				"%s %s (CONFIG_INTEL_IOMMU_DEFAULT_ON %s in boot/config-%s); "
				"intel_iommu=on is written all the same, for the kernels that follow",
				h.modules.kver,
				h.intel_iommu_default_on ? "would turn VT-d on by itself"
							 : "does not turn VT-d on by itself",
				h.intel_iommu_default_on ? "=y" : "is not set", h.modules.kver);

	/* ids= binds by vendor:device: identical devices that were not asked for go too */
	for (unsigned i = 0; i < pci.n; i++) {
		char one[16];

		snprintf(one, sizeof(one), "%04x:%04x", pci.devs[i].vendor, pci.devs[i].device);
		if (strstr(ids, one) && !have_dev(&p, pci.devs[i].addr) && !pci.devs[i].bridge)
			plan_note(
				&p,
				"WARNING: vfio-pci ids=%s also claims %s (%s), which was not asked "
				"for: IDs cannot tell identical devices apart",
				one, pci.devs[i].addr,
				pci.devs[i].driver ? pci.devs[i].driver : "no driver");
	}
	/* vfio-pci.ids: modprobe reads options only for a module; a built-in
	 * vfio_pci takes them from the kernel command line */
	if (ids[0]) {
		if (h.modules.mods[VFIO_MOD_VFIO_PCI].kind == MOD_BUILTIN)
			add_param(&p, "vfio-pci.ids", ids,
				  "vfio_pci is built into the kernel: its options must be on the "
				  "command line");
		else {
			char line[1100], sorted[1024];

			/* a file iommu-setup owns: IDs in a fixed order, whatever the request's */
			sort_ids(ids, sorted, sizeof(sorted));
			snprintf(line, sizeof(line), "options vfio-pci ids=%.1000s", sorted);
			modprobe_line(&p, line);
			plan_note(
				&p,
				"modprobe.d: %s — vfio-pci claims these devices when it loads; the "
				"softdeps load it before their own drivers",
				line);
		}
	}
	/* allow_unsafe_interrupts: only with the platform lacking remapping AND the opt-in */
	if (report.fw.valid && !report.fw.intr_remap) {
		if (ctx->allow_unsafe_interrupts) {
			modprobe_line(&p, "options vfio_iommu_type1 allow_unsafe_interrupts=1");
			plan_note(
				&p,
				"modprobe.d: options vfio_iommu_type1 allow_unsafe_interrupts=1 — the "
				"platform has no interrupt remapping and --allow-unsafe-interrupts was "
				"given: a guest with an assigned device can forge interrupts (MSI) "
				"against the host");
		} else
			plan_note(
				&p,
				"WARNING: the platform has no interrupt remapping: VFIO will refuse to "
				"attach devices (EPERM). --allow-unsafe-interrupts adds "
				"'options vfio_iommu_type1 allow_unsafe_interrupts=1', which lets a "
				"guest forge interrupts against the host");
	} else if (ctx->allow_unsafe_interrupts)
		plan_note(&p,
			  "--allow-unsafe-interrupts ignored: interrupt remapping is available, "
			  "nothing needs weakening");

	if (p.n_params == 0 && !p.modprobe[0]) {
		log_error(
			"nothing to plan: no rule applies to this host and no device was requested");
		ret = EXIT_BAD_INPUT;
		goto finish;
	}

	r = p.n_params ? plan_files(ctx, &h, &p) : 0;
	if (r >= 0)
		r = plan_modprobe(ctx, &p);
	if (r >= 0)
		r = plan_initramfs(ctx, &h, &p);
	if (r >= 0)
		r = regen_plan(ctx->root_fd, &h, req, &p);
	if (r == -EINVAL || r == -ENOENT) {
		ret = EXIT_BAD_INPUT;
		goto finish;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to plan: %m");
		ret = EXIT_SYSTEM;
		goto finish;
	}

	/* the running kernel lacks a parameter the plan ensures: the change takes a reboot */
	if (h.kernel.cmdline_raw) {
		struct kop ops[PLAN_OPS_MAX];
		_cleanup_free_ char *edited = NULL;
		char error[256];

		if (kparams_edit_line(h.kernel.cmdline_raw, plan_ops(&p, ops), p.n_params, &edited,
				      error, sizeof(error)) < 0 ||
		    strcmp(edited, h.kernel.cmdline_raw) != 0)
			p.reboot_required = true;
	}
	/* modprobe.d and the initramfs take effect when the modules load: at boot */
	for (size_t i = 0; i < p.n_files; i++)
		if (planned_file_changed(&p.files[i]) && !planned_file_is_cmdline(&p.files[i]))
			p.reboot_required = true;
finish:
	if (ret != EXIT_OK)
		plan_done(&p);
	rule_set_done(&rules);
	if (have_pci)
		pdev_list_done(&pci);
	return ret;
#undef h
#undef p
}

bool plan_pending(const struct plan *p)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (planned_file_changed(&p->files[i]))
			return true;
	return false;
}

bool command_regenerates(enum command_kind cmd, enum file_kind file)
{
	/* grub.cfg comes from the GRUB defaults (and RHEL 8's kernelopts fallback);
	 * the initramfs carries modprobe.d and its own configuration */
	if (cmd == CMD_BOOTCFG)
		return file == FILE_GRUB_DEFAULT || file == FILE_GRUBENV;
	return file == FILE_OWNED || file == FILE_LINES;
}

bool plan_command_needed(const struct plan *p, const struct plan_command *cmd)
{
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];

		if (!planned_file_changed(f))
			continue;
		if (command_regenerates(cmd->kind, f->kind))
			return true;
	}
	return false;
}

bool planned_file_is_cmdline(const struct planned_file *f)
{
	return f->kind != FILE_OWNED && f->kind != FILE_LINES;
}

int edit_cmdline_file(enum file_kind kind, const char *path, const char *what, const char *text,
		      size_t len, const struct kop *ops, size_t m, char **ret, size_t *ret_len,
		      char *error, size_t error_size)
{
	struct file_error err = {};
	int r;

	switch (kind) {
	case FILE_GRUB_DEFAULT:
		r = grub_edit(text, len, path, what, ops, m, ret, ret_len, &err);
		if (r == -EINVAL)
			snprintf(error, error_size, "%s:%u: %s", err.file, err.line, err.message);
		return r;
	case FILE_GRUBENV:
		return grubenv_edit(text, len, ops, m, ret, ret_len, error, error_size);
	case FILE_BLS_ENTRY:
		r = bls_entry_edit(text, ops, m, ret, error, error_size);
		break;
	case FILE_KERNEL_CMDLINE:
		r = kernel_cmdline_edit(text, ops, m, ret, error, error_size);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (r >= 0)
		*ret_len = strlen(*ret);
	return r;
}
