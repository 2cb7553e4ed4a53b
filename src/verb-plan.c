/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * plan [--ids VVVV:DDDD,...] [--device BDF...] [--no-passthrough]: what
 * apply would change in the kernel command line, as unified diffs; nothing
 * is written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg-edit.h"
#include "grub-edit.h"
#include "host.h"
#include "iommu-setup.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "pdev.h"
#include "root.h"

#define PLAN_OPS_MAX 8
#define PLAN_FILES_MAX 64

struct param {
	struct kop op;
	char value[1024];
	char why[256];
};

struct planned_file {
	char path[600];
	char *old, *new;
	size_t old_len, new_len;
	char what[64]; /* "GRUB_CMDLINE_LINUX", "BLS options", "kernelopts", ... */
};

struct plan {
	struct param params[PLAN_OPS_MAX];
	size_t n_params;
	struct planned_file files[PLAN_FILES_MAX];
	size_t n_files;
	char loader_note[256];
};

static void plan_done(struct plan *p)
{
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].old);
		free(p->files[i].new);
	}
}

static struct param *add_param(struct plan *p, const char *name, const char *value, const char *why)
{
	struct param *q = &p->params[p->n_params++];

	snprintf(q->value, sizeof(q->value), "%s", value ? value : "");
	snprintf(q->why, sizeof(q->why), "%s", why);
	q->op = (struct kop){ KOP_ENSURE, name, value ? q->value : NULL };
	return q;
}

/* --ids and the IDs of --device functions, as one comma list; exit code on error */
static int collect_ids(struct context *ctx, const struct host *h, char *ids, size_t n)
{
	struct pdev_list l = {};
	size_t used = 0;
	bool have_list = false;
	int ret = EXIT_OK;

	ids[0] = '\0';
	for (size_t i = 0; i < ctx->n_ids; i++) {
		const char *p = ctx->ids[i];

		for (;;) {
			size_t k = strcspn(p, ",");
			char one[16], addr[16];
			uint16_t v, d;

			if (k >= sizeof(one)) {
				log_error("--ids: \"%.*s\" is not a vendor:device ID", (int)k, p);
				return EXIT_BAD_INPUT;
			}
			memcpy(one, p, k);
			one[k] = '\0';
			if (pdev_parse_arg(one, addr, &v, &d) != 2) {
				log_error(
					"--ids: \"%s\" is not a vendor:device ID (like 8086:1572)",
					one);
				return EXIT_BAD_INPUT;
			}
			snprintf(one, sizeof(one), "%04x:%04x", v, d);
			if (!strstr(ids, one))
				used += (size_t)snprintf(ids + used, n - used, "%s%s",
							 used ? "," : "", one);
			if (!p[k])
				break;
			p += k + 1;
		}
	}
	for (size_t i = 0; i < ctx->n_devices; i++) {
		char addr[16], one[16];
		uint16_t v, d;
		const struct pdev *dev;

		if (pdev_parse_arg(ctx->devices[i], addr, &v, &d) != 1) {
			log_error("--device: \"%s\" is not a PCI address (0000:01:00.0)",
				  ctx->devices[i]);
			ret = EXIT_BAD_INPUT;
			break;
		}
		if (!have_list) {
			if (pdev_gather(ctx->root_fd, h->modules.kver[0] ? h->modules.kver : NULL,
					&l) < 0) {
				ret = EXIT_SYSTEM;
				break;
			}
			have_list = true;
		}
		dev = pdev_find(&l, addr);
		if (!dev) {
			log_error("--device: no PCI device %s below the root", addr);
			ret = EXIT_BAD_INPUT;
			break;
		}
		snprintf(one, sizeof(one), "%04x:%04x", dev->vendor, dev->device);
		if (!strstr(ids, one))
			used += (size_t)snprintf(ids + used, n - used, "%s%s", used ? "," : "",
						 one);
	}
	if (have_list)
		pdev_list_done(&l);
	return ret;
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

/* GRUB_CMDLINE_LINUX where it is effectively set: etc/default/grub, or the
 * drop-in that assigns it last (Debian's grub.d) */
static int plan_grub(struct context *ctx, const struct host *h, struct plan *p)
{
	const struct shvar *v = shenv_get(&h->boot.grub_env, "GRUB_CMDLINE_LINUX");
	const char *file = v ? v->file : h->boot.grub_default_file;
	_cleanup_free_ char *text = NULL;
	struct kop ops[PLAN_OPS_MAX];
	struct edit_error err = {};
	char *out = NULL;
	size_t len, olen;
	int r;

	r = root_read_file(ctx->root_fd, file, 1u << 20, &text, &len);
	if (r < 0)
		return log_error_errno(r, "%s: %m", file);
	r = grub_edit(text, len, file, "GRUB_CMDLINE_LINUX", ops_of(p, ops), p->n_params, &out,
		      &olen, &err);
	if (r == -EINVAL) {
		log_error("%s:%u: %s", err.file, err.line, err.message);
		return -EINVAL;
	}
	if (r < 0)
		return r;
	r = add_file(p, file, "GRUB_CMDLINE_LINUX", TAKE_PTR(text), len, out, olen);
	if (r < 0)
		return r;

	/* GRUB_CMDLINE_LINUX_DEFAULT comes later on the line: a conflicting value there wins */
	{
		const struct shvar *d = shenv_get(&h->boot.grub_env, "GRUB_CMDLINE_LINUX_DEFAULT");
		struct kcmdline dc;
		struct kop dops[PLAN_OPS_MAX];
		size_t nd = 0;

		if (!d || !d->known || !d->value || kcmdline_parse(d->value, &dc) < 0)
			return 0;
		for (size_t i = 0; i < p->n_params; i++)
			if (kcmdline_find(&dc, p->params[i].op.name))
				dops[nd++] = p->params[i].op;
		kcmdline_done(&dc);
		if (!nd)
			return 0;
		text = NULL;
		r = root_read_file(ctx->root_fd, d->file, 1u << 20, &text, &len);
		if (r < 0)
			return log_error_errno(r, "%s: %m", d->file);
		/* the same file twice: edit the result of the first edit */
		for (size_t i = 0; i < p->n_files; i++)
			if (strcmp(p->files[i].path, d->file) == 0) {
				free(text);
				text = strndup(p->files[i].new, p->files[i].new_len);
				len = p->files[i].new_len;
				if (!text)
					return -ENOMEM;
			}
		r = grub_edit(text, len, d->file, "GRUB_CMDLINE_LINUX_DEFAULT", dops, nd, &out,
			      &olen, &err);
		if (r == -EINVAL) {
			log_error("%s:%u: %s", err.file, err.line, err.message);
			return -EINVAL;
		}
		if (r < 0)
			return r;
		for (size_t i = 0; i < p->n_files; i++)
			if (strcmp(p->files[i].path, d->file) == 0) {
				free(p->files[i].new);
				p->files[i].new = out;
				p->files[i].new_len = olen;
				return 0;
			}
		return add_file(p, d->file, "GRUB_CMDLINE_LINUX_DEFAULT", TAKE_PTR(text), len, out,
				olen);
	}
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
	struct plan p = {};
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

	/* the parameters: vendor, passthrough, IDs (vendor rules refine this) */
	if (h.cpu.vendor == CPU_VENDOR_INTEL || h.cpu.vendor == CPU_VENDOR_ZHAOXIN)
		add_param(&p, "intel_iommu", "on",
			  h.intel_iommu_default_on == 1
				  ? "Intel VT-d: on by default in this kernel, said explicitly"
				  : "Intel VT-d stays off unless the kernel is asked");
	if (!ctx->no_passthrough && h.cpu.vendor != CPU_VENDOR_OTHER)
		add_param(&p, "iommu", "pt",
			  "passthrough for devices the host keeps, as the guides do "
			  "(--no-passthrough leaves it out)");
	ret = collect_ids(ctx, &h, ids, sizeof(ids));
	if (ret != EXIT_OK)
		goto finish;
	if (ids[0])
		add_param(&p, "vfio-pci.ids", ids,
			  "vfio-pci claims these devices at boot, before their own drivers");
	if (p.n_params == 0) {
		log_error("nothing to plan: no parameter applies to this CPU");
		ret = EXIT_BAD_INPUT;
		goto finish;
	}

	r = plan_files(ctx, &h, &p);
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
			json_string(&j, "name", p.params[i].op.name);
			json_string(&j, "value", p.params[i].op.value);
			json_string(&j, "why", p.params[i].why);
			json_object_end(&j);
		}
		json_array_end(&j);
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
		json_bool(&j, "changes_pending", pending);
		json_object_end(&j);
		json_finish(&j);
	} else {
		printf("Kernel parameters (%s):\n", loader_to_string(h.boot.loader));
		for (size_t i = 0; i < p.n_params; i++)
			printf("  %s%s%s\n      %s\n", p.params[i].op.name,
			       p.params[i].op.value ? "=" : "",
			       p.params[i].op.value ? p.params[i].op.value : "", p.params[i].why);
		for (size_t i = 0; i < p.n_files; i++) {
			struct planned_file *f = &p.files[i];
			_cleanup_free_ char *o = NULL, *n = NULL, *diff = NULL;

			putchar('\n');
			if (f->old_len == f->new_len && memcmp(f->old, f->new, f->old_len) == 0) {
				printf("%s (%s): no change needed\n", f->path, f->what);
				continue;
			}
			o = cmdline_of(f, false);
			n = cmdline_of(f, true);
			printf("%s (%s):\n", f->path, f->what);
			print_words("before:", o);
			print_words("after:", n);
			diff = unified_diff(f->path, f->old, f->old_len, f->new, f->new_len);
			if (diff)
				fputs(diff, stdout);
		}
		printf("\n%s\n",
		       pending ? "Nothing was changed: `iommu-setup apply` would make these changes."
			       : "Nothing to change: the command line is already as planned.");
	}
	if (pending && ctx->exit_code)
		ret = EXIT_NOT_READY;
finish:
	plan_done(&p);
	host_done(&h);
	return ret;
}
