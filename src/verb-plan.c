/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * plan [--device BDF...] [--ids VVVV:DDDD,...] [--no-passthrough]
 *      [--allow-unsafe-interrupts] [--force]: what apply would write (the
 * kernel command line, modprobe.d, the initramfs configuration) as unified
 * diffs, and the commands it would run, each decision explained by the
 * vendor rule or fact behind it; nothing is written.
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
#include "root.h"
#include "rules.h"

#define PLAN_OPS_MAX 16
#define PLAN_FILES_MAX 64
#define PLAN_NOTES_MAX 32
#define PLAN_DEVICES_MAX 64
#define MODPROBE_FILE "etc/modprobe.d/iommu-setup.conf"
#define DRACUT_FILE "etc/dracut.conf.d/iommu-setup.conf"
#define ITOOLS_FILE "etc/initramfs-tools/modules"

struct param {
	struct kop op;
	char name[128];
	char value[1024];
	char why[768];
};

struct planned_file {
	char path[600];
	char *old, *new;
	size_t old_len, new_len;
	char what[64]; /* "GRUB_CMDLINE_LINUX", "BLS options", "kernelopts", ... */
	bool created;  /* the file does not exist yet */
};

struct plan {
	struct param params[PLAN_OPS_MAX];
	size_t n_params;
	struct planned_file files[PLAN_FILES_MAX];
	size_t n_files;
	/* warnings and hints from the rules and the decisions, one line each */
	char notes[PLAN_NOTES_MAX][640];
	size_t n_notes;
	/* the devices for vfio-pci: requested, and the group mates that come along */
	struct {
		char addr[16];
		uint16_t vendor, device;
		uint32_t class;
		char why[160];
	} devs[PLAN_DEVICES_MAX];
	size_t n_devs;
	/* the modprobe.d file's lines after its header */
	char modprobe[2048];
	/* what apply runs afterwards */
	char commands[8][256];
	size_t n_commands;
};

static void plan_done(struct plan *p)
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

_printf_(2, 3) static void note(struct plan *p, const char *fmt, ...)
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
			note(p, "%s: %s%s", d->addr, v.reason,
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

static int add_file(struct plan *p, const char *path, const char *what, char *old, size_t old_len,
		    char *new, size_t new_len)
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
	f->old = old;
	f->old_len = old_len;
	f->new = new;
	f->new_len = new_len;
	return 0;
}

static const struct kop *ops_of(const struct plan *p, struct kop *buf)
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
	return add_file(p, file, var, TAKE_PTR(text), len, out, olen);
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
			  ops_of(p, ops), p->n_params);
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

static int plan_simple(struct context *ctx, struct plan *p, const char *path, const char *what,
		       line_editor edit)
{
	_cleanup_free_ char *text = NULL;
	struct kop ops[PLAN_OPS_MAX];
	char error[256] = "", *out = NULL;
	size_t len;
	int r;

	r = root_read_file(ctx->root_fd, path, 1u << 20, &text, &len);
	if (r < 0)
		return log_error_errno(r, "%s: %m", path);
	r = edit(text, ops_of(p, ops), p->n_params, &out, error, sizeof(error));
	if (r == -EINVAL) {
		log_error("%s: %s", path, error);
		return r;
	}
	if (r < 0)
		return r;
	return add_file(p, path, what, TAKE_PTR(text), len, out, strlen(out));
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
	r = grubenv_edit(text, len, ops_of(p, ops), p->n_params, &out, &olen, error, sizeof(error));
	if (r == -EINVAL) {
		log_error("%s: %s", path, error);
		return r;
	}
	if (r < 0)
		return r;
	return add_file(p, path, "kernelopts", TAKE_PTR(text), len, out, olen);
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
			r = plan_simple(ctx, p, entries[i], "BLS options", bls_entry_edit);
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
		r = plan_simple(ctx, p, "etc/kernel/cmdline", "kernel-install command line",
				kernel_cmdline_edit);
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

/* etc/modprobe.d/iommu-setup.conf: written whole, it belongs to iommu-setup */
static int plan_modprobe(struct context *ctx, struct plan *p)
{
	_cleanup_free_ char *old = NULL;
	char *new;
	size_t len = 0;
	int r;

	if (!p->modprobe[0])
		return 0;
	if (asprintf(&new,
		     "# Generated by iommu-setup: VFIO device assignment. `iommu-setup plan` says\n"
		     "# why each line is here; `iommu-setup revert` removes this file.\n%s",
		     p->modprobe) < 0)
		return -ENOMEM;
	r = root_read_file(ctx->root_fd, MODPROBE_FILE, 1u << 20, &old, &len);
	if (r < 0 && r != -ENOENT) {
		free(new);
		return log_error_errno(r, "%s: %m", MODPROBE_FILE);
	}
	if (r == -ENOENT) {
		old = strdup("");
		if (!old) {
			free(new);
			return -ENOMEM;
		}
	}
	r = add_file(p, MODPROBE_FILE, "modprobe.d", TAKE_PTR(old), len, new, strlen(new));
	if (r >= 0 && len == 0 && root_exists(ctx->root_fd, MODPROBE_FILE) <= 0)
		p->files[p->n_files - 1].created = true;
	return r;
}

static bool changed(const struct planned_file *f)
{
	return f->old_len != f->new_len || memcmp(f->old, f->new, f->old_len) != 0;
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
	bool dracut = root_exists(ctx->root_fd, "etc/dracut.conf.d") > 0 ||
		      root_exists(ctx->root_fd, "usr/lib/dracut") > 0;
	bool itools = root_exists(ctx->root_fd, "etc/initramfs-tools") > 0;
	const char *kver = h->modules.kver;
	int r;

	if (!p->modprobe[0] || (!dracut && !itools))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (h->modules.mods[order[i]].kind == MOD_MODULE)
			used += (size_t)snprintf(mods + used, sizeof(mods) - used, " %s",
						 h->modules.mods[order[i]].name);
	if (dracut) {
		_cleanup_free_ char *old = NULL;
		char *new;
		size_t len = 0;

		if (asprintf(
			    &new,
			    "# Generated by iommu-setup: VFIO in the initramfs, before native drivers\n"
			    "%s%s%sinstall_items+=\" /" MODPROBE_FILE " \"\n",
			    mods[0] ? "force_drivers+=\"" : "", mods, mods[0] ? " \"\n" : "") < 0)
			return -ENOMEM;
		r = root_read_file(ctx->root_fd, DRACUT_FILE, 1u << 20, &old, &len);
		if (r == -ENOENT)
			old = strdup("");
		else if (r < 0) {
			free(new);
			return log_error_errno(r, "%s: %m", DRACUT_FILE);
		}
		if (!old) {
			free(new);
			return -ENOMEM;
		}
		r = add_file(p, DRACUT_FILE, "dracut.conf.d", TAKE_PTR(old), len, new, strlen(new));
		if (r < 0)
			return r;
		if (len == 0 && root_exists(ctx->root_fd, DRACUT_FILE) <= 0)
			p->files[p->n_files - 1].created = true;
		if (kver[0])
			snprintf(p->commands[p->n_commands++], sizeof(p->commands[0]),
				 "dracut -f --kver %.200s", kver);
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
		r = add_file(p, ITOOLS_FILE, "initramfs-tools", TAKE_PTR(old), len, new,
			     strlen(new));
		if (r < 0)
			return r;
		if (len == 0 && root_exists(ctx->root_fd, ITOOLS_FILE) <= 0)
			p->files[p->n_files - 1].created = true;
		if (kver[0])
			snprintf(p->commands[p->n_commands++], sizeof(p->commands[0]),
				 "update-initramfs -u -k %.200s", kver);
	}
	return 0;
}

/* What apply runs after writing (the next issue decides the details per distribution). */
static void plan_commands(struct context *ctx, const struct host *h, struct plan *p)
{
	bool cmdline = false;

	for (size_t i = 0; i < p->n_files; i++)
		if (changed(&p->files[i]) && strncmp(p->files[i].what, "GRUB_CMDLINE", 12) == 0)
			cmdline = true;
	if (!cmdline || h->boot.loader != LOADER_GRUB)
		return;
	if (root_exists(ctx->root_fd, "usr/sbin/update-grub") > 0)
		snprintf(p->commands[p->n_commands++], sizeof(p->commands[0]), "update-grub");
	else if (root_exists(ctx->root_fd, "usr/sbin/grub2-mkconfig") > 0)
		snprintf(p->commands[p->n_commands++], sizeof(p->commands[0]),
			 "grub2-mkconfig -o /boot/grub2/grub.cfg");
	else
		snprintf(p->commands[p->n_commands++], sizeof(p->commands[0]),
			 "grub-mkconfig -o /boot/grub/grub.cfg");
}

static void print_words(const char *label, const char *line)
{
	printf("  %-8s %s\n", label, line && *line ? line : "(none)");
}

static char *cmdline_of(const struct planned_file *f, bool new)
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
				note(p, "%s left out (--no-passthrough)", r->arg);
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
			note(p, "modprobe.d: %s — %s", line, why);
			break;
		}
		case RULE_WARN:
			note(p, "WARNING: %s [%s%s%s:%u]", r->arg, r->ref, r->ref[0] ? "; " : "",
			     r->file, r->line);
			break;
		case RULE_HINT:
			note(p, "hint: %s [%s%s%s:%u]", r->arg, r->ref, r->ref[0] ? "; " : "",
			     r->file, r->line);
			break;
		case _RULE_ACTION_MAX:
			break;
		}
	}
	free(present);
}

/* a command line's parameters as a JSON array of "name=value" words; null without one */
static void words_json(struct json *j, const char *key, const char *line)
{
	struct kcmdline c;

	if (!line || kcmdline_parse(line, &c) < 0) {
		json_null(j, key);
		return;
	}
	json_array_begin(j, key);
	for (size_t k = 0; k < c.n; k++) {
		char w[1200];

		snprintf(w, sizeof(w), "%s%s%s", c.params[k].name, c.params[k].value ? "=" : "",
			 c.params[k].value ? c.params[k].value : "");
		json_string(j, NULL, w);
	}
	json_array_end(j);
	kcmdline_done(&c);
}

int verb_plan(struct context *ctx)
{
	static struct plan p;
	struct check_report report;
	struct rule_set rules = {};
	struct pdev_list pci = {};
	bool have_pci = false;
	struct host h;
	char ids[1024];
	bool pending = false;
	int r, ret = EXIT_OK;

	if (ctx->n_args > 0) {
		log_error("plan takes options, not \"%s\" (see --help)", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	r = host_gather(ctx->root_fd, ctx->root, ctx->kernel, &h);
	if (r == -ENOENT) {
		log_error("--kernel %s: no such kernel below the root", ctx->kernel);
		host_done(&h);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to read the host: %m");
		host_done(&h);
		return EXIT_SYSTEM;
	}

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
				note(&p,
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
			note(&p,
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
			note(&p,
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
			note(&p,
			     "modprobe.d: %s — vfio-pci claims these devices when it loads; the "
			     "softdeps load it before their own drivers",
			     line);
		}
	}
	/* allow_unsafe_interrupts: only with the platform lacking remapping AND the opt-in */
	if (report.fw.valid && !report.fw.intr_remap) {
		if (ctx->allow_unsafe_interrupts) {
			modprobe_line(&p, "options vfio_iommu_type1 allow_unsafe_interrupts=1");
			note(&p,
			     "modprobe.d: options vfio_iommu_type1 allow_unsafe_interrupts=1 — the "
			     "platform has no interrupt remapping and --allow-unsafe-interrupts was "
			     "given: a guest with an assigned device can forge interrupts (MSI) "
			     "against the host");
		} else
			note(&p,
			     "WARNING: the platform has no interrupt remapping: VFIO will refuse to "
			     "attach devices (EPERM). --allow-unsafe-interrupts adds "
			     "'options vfio_iommu_type1 allow_unsafe_interrupts=1', which lets a "
			     "guest forge interrupts against the host");
	} else if (ctx->allow_unsafe_interrupts)
		note(&p, "--allow-unsafe-interrupts ignored: interrupt remapping is available, "
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
		plan_commands(ctx, &h, &p);
	if (r == -EINVAL || r == -ENOENT) {
		ret = EXIT_BAD_INPUT;
		goto finish;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to plan: %m");
		ret = EXIT_SYSTEM;
		goto finish;
	}

	for (size_t i = 0; i < p.n_files; i++)
		if (p.files[i].old_len != p.files[i].new_len ||
		    memcmp(p.files[i].old, p.files[i].new, p.files[i].old_len) != 0)
			pending = true;

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "loader", loader_to_string(h.boot.loader));
		json_array_begin(&j, "parameters");
		for (size_t i = 0; i < p.n_params; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "action",
				    p.params[i].op.kind == KOP_REMOVE ? "remove" : "ensure");
			json_string(&j, "name", p.params[i].op.name);
			json_string(&j, "value", p.params[i].op.value);
			json_string(&j, "why", p.params[i].why);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "devices");
		for (size_t i = 0; i < p.n_devs; i++) {
			char id[16];

			json_object_begin(&j, NULL);
			json_string(&j, "address", p.devs[i].addr);
			snprintf(id, sizeof(id), "%04x:%04x", p.devs[i].vendor, p.devs[i].device);
			json_string(&j, "id", id);
			json_string(&j, "why", p.devs[i].why);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "notes");
		for (size_t i = 0; i < p.n_notes; i++)
			json_string(&j, NULL, p.notes[i]);
		json_array_end(&j);
		json_string(&j, "modprobe", p.modprobe[0] ? p.modprobe : NULL);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < p.n_files; i++) {
			struct planned_file *f = &p.files[i];
			_cleanup_free_ char *o = cmdline_of(f, false), *n = cmdline_of(f, true);
			bool changed =
				f->old_len != f->new_len || memcmp(f->old, f->new, f->old_len) != 0;

			json_object_begin(&j, NULL);
			json_string(&j, "path", f->path);
			json_string(&j, "holds", f->what);
			json_bool(&j, "changed", changed);
			words_json(&j, "old_parameters", o);
			words_json(&j, "new_parameters", n);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "commands");
		for (size_t i = 0; pending && i < p.n_commands; i++)
			json_string(&j, NULL, p.commands[i]);
		json_array_end(&j);
		json_bool(&j, "changes_pending", pending);
		json_object_end(&j);
		json_finish(&j);
	} else {
		if (p.n_devs) {
			printf("Devices for vfio-pci:\n");
			for (size_t i = 0; i < p.n_devs; i++)
				printf("  %s %04x:%04x (%s)\n", p.devs[i].addr, p.devs[i].vendor,
				       p.devs[i].device, p.devs[i].why);
			putchar('\n');
		}
		printf("Kernel parameters (%s):%s\n", loader_to_string(h.boot.loader),
		       p.n_params ? "" : " none to change");
		for (size_t i = 0; i < p.n_params; i++)
			printf("  %s%s%s%s\n      %s\n",
			       p.params[i].op.kind == KOP_REMOVE ? "remove " : "",
			       p.params[i].op.name, p.params[i].op.value ? "=" : "",
			       p.params[i].op.value ? p.params[i].op.value : "", p.params[i].why);
		if (p.n_notes) {
			printf("\nNotes:\n");
			for (size_t i = 0; i < p.n_notes; i++)
				printf("  %s\n", p.notes[i]);
		}
		for (size_t i = 0; i < p.n_files; i++) {
			struct planned_file *f = &p.files[i];
			_cleanup_free_ char *o = NULL, *n = NULL, *diff = NULL;

			putchar('\n');
			if (f->old_len == f->new_len && memcmp(f->old, f->new, f->old_len) == 0) {
				printf("%s (%s): no change needed\n", f->path, f->what);
				continue;
			}
			printf("%s (%s%s):\n", f->path, f->what, f->created ? ", a new file" : "");
			if (strcmp(f->what, "modprobe.d") != 0 &&
			    strcmp(f->what, "dracut.conf.d") != 0 &&
			    strcmp(f->what, "initramfs-tools") != 0) {
				o = cmdline_of(f, false);
				n = cmdline_of(f, true);
				print_words("before:", o);
				print_words("after:", n);
			}
			diff = unified_diff(f->path, f->old, f->old_len, f->new, f->new_len);
			if (diff && f->created) {
				/* patch(1) creates a file from /dev/null */
				char *nl = strchr(diff, '\n');

				printf("--- /dev/null%s", nl ? nl : "\n");
			} else if (diff)
				fputs(diff, stdout);
		}
		if (p.n_commands && pending) {
			printf("\nThen apply runs:\n");
			for (size_t i = 0; i < p.n_commands; i++)
				printf("  %s\n", p.commands[i]);
		}
		printf("\n%s\n",
		       pending ? "Nothing was changed: `iommu-setup apply` would make these changes."
			       : "Nothing to change: the command line is already as planned.");
	}
	if (pending && ctx->exit_code)
		ret = EXIT_NOT_READY;
finish:
	plan_done(&p);
	memset(&p, 0, sizeof(p));
	rule_set_done(&rules);
	if (have_pci)
		pdev_list_done(&pci);
	host_done(&h);
	return ret;
}
