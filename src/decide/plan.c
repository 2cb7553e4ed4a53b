/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan for a request (--device, --ids, --param, --passthrough,
 * --no-passthrough, --allow-unsafe-interrupts, --force), decided over the
 * effective configuration of the next boot: every source of the kernel
 * command line (nextboot.c) and every modprobe.d file (modconf.c), as the
 * boot tools read them. The rule it enforces: the next boot's command lines
 * hold each planned parameter exactly once with the planned value, and the
 * module configuration gives vfio-pci exactly the planned devices. Pure:
 * plan_input in, plan or an error out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/commalist.h"
#include "base/hex.h"
#include "base/lines.h"
#include "base/macro.h"
#include "base/path-util.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/devices.h"
#include "decide/grub-edit.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/regen-decide.h"
#include "decide/rules.h"
#include "facts/efi-loadopt.h"
#include "facts/modconf.h"
#include "facts/modules.h"
#include "facts/regen.h"

void plan_done(struct plan *p)
{
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].old);
		free(p->files[i].new);
	}
	p->n_files = 0;
	for (size_t i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	free(p->notes);
	p->notes = NULL;
	p->n_notes = 0;
	free(p->trial_from);
	free(p->trial_to);
	p->trial_from = p->trial_to = NULL;
}

static const char *const hardware_names[_PLAN_HARDWARE_MAX] = {
	[PLAN_HARDWARE_SEEN] = "seen",
	[PLAN_HARDWARE_ANY] = "any",
	[PLAN_HARDWARE_INTEL] = "intel",
	[PLAN_HARDWARE_AMD] = "amd",
};

const char *plan_hardware_to_string(enum plan_hardware h)
{
	return h >= 0 && h < _PLAN_HARDWARE_MAX ? hardware_names[h] : NULL;
}

int plan_hardware_from_string(const char *s)
{
	/* "seen" is the default, not a value of the option */
	for (int h = PLAN_HARDWARE_ANY; h < _PLAN_HARDWARE_MAX; h++)
		if (strcmp(s, hardware_names[h]) == 0)
			return h;
	return -EINVAL;
}

bool plan_firmware_blocks(const struct plan_input *in, const struct plan *p)
{
	/* with --hardware the firmware below the root is the build host's */
	return p->hardware == PLAN_HARDWARE_SEEN && checks_firmware_blocks(&in->host);
}

void plan_note(struct plan *p, const char *fmt, ...)
{
	char **n = realloc(p->notes, (p->n_notes + 1) * sizeof(*n));
	va_list ap;
	int r;

	if (!n) {
		p->oom = true; /* plan_decide() fails: no note is dropped silently */
		return;
	}
	p->notes = n;
	va_start(ap, fmt);
	r = vasprintf(&n[p->n_notes], fmt, ap);
	va_end(ap);
	if (r < 0)
		p->oom = true;
	else
		p->n_notes++;
}

_printf_(3, 4) static int fail(struct file_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	err->file[0] = '\0';
	err->line = 0;
	err->code = NULL;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

/* ---- parameters ---- */

static int add_param_op(struct plan *p, enum kop_kind kind, const char *name, const char *value,
			const char *why, struct file_error *err)
{
	struct param *q;

	for (size_t i = 0; i < p->n_params; i++) {
		q = &p->params[i];
		if (!kparam_name_eq(q->name, name))
			continue;
		/* the same parameter twice: once is enough */
		if (q->op.kind == kind && strcmp(q->value, value ? value : "") == 0 &&
		    !q->op.value == !value)
			return 0;
		/* options of one comma-list parameter add up (intel_iommu=on,igfx_off) */
		if (q->op.kind == KOP_ENSURE && kind == KOP_ENSURE && kparam_is_comma_list(name) &&
		    value && q->op.value) {
			for (const char *s = value; *s;
			     s += strcspn(s, ",") + (s[strcspn(s, ",")] == ',')) {
				size_t k = strcspn(s, ",");
				_cleanup_free_ char *item = strndup(s, k);
				const char *o;

				if (!item)
					return -ENOMEM;
				if (!k || clist_has(q->value, item, k))
					continue;
				o = kparam_opposite(name, item);
				if (o && clist_has(q->value, o, strlen(o)))
					return fail(err, -EINVAL, "%s=%s contradicts %s=%s (%s)",
						    name, item, q->name, q->value, q->why);
				if (strlen(q->value) + k + 2 > sizeof(q->value))
					return fail(err, -E2BIG, "%s=%s… is longer than %zu bytes",
						    name, q->value, sizeof(q->value) - 1);
				clist_push(q->value, item, k);
			}
			return 0;
		}
		if (q->op.kind != KOP_REMOVE && q->op.kind != KOP_DROP && kind != KOP_REMOVE &&
		    kind != KOP_DROP)
			return fail(err, -EINVAL, "%s%s%s contradicts %s%s%s (%s)", name,
				    value ? "=" : "", value ? value : "", q->name,
				    q->op.value ? "=" : "", q->value, q->why);
	}
	if (p->n_params == PLAN_OPS_MAX)
		return fail(err, -E2BIG, "more than %d kernel parameters to plan", PLAN_OPS_MAX);
	if (strlen(name) >= sizeof(q->name) || (value && strlen(value) >= sizeof(q->value)))
		return fail(err, -E2BIG, "kernel parameter %.64s… is longer than %zu bytes", name,
			    sizeof(q->value) - 1);
	q = &p->params[p->n_params++];
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->value, sizeof(q->value), "%s", value ? value : "");
	snprintf(q->why, sizeof(q->why), "%s", why);
	q->op = (struct kop){ kind, q->name, value ? q->value : NULL };
	return 0;
}

const struct kop *plan_ops(const struct plan *p, struct kop *buf)
{
	for (size_t i = 0; i < p->n_params; i++)
		buf[i] = p->params[i].op;
	return buf;
}

/* --param NAME[=VALUE]: a name the kernel accepts, a value without blanks or quotes */
static bool param_valid(const char *s)
{
	size_t n = strcspn(s, "=");

	if (n == 0 || n > 100 || strlen(s) > 900)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_-.", s[i])))
			return false;
	for (const char *v = s + n; *v; v++)
		if (*v == '"' || *v == '\'' || *v == '\\' || *v == '$' || *v == '`' ||
		    (unsigned char)*v <= ' ')
			return false;
	return true;
}

/* ---- devices ---- */

static bool have_dev(const struct plan_dev *a, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].addr, addr) == 0)
			return true;
	return false;
}

static int add_dev(struct plan_dev *a, size_t *n, const struct pdev *d, const char *why,
		   struct file_error *err)
{
	if (have_dev(a, *n, d->addr))
		return 0;
	if (*n == PLAN_DEVICES_MAX)
		return fail(err, -E2BIG, "more than %d devices for vfio-pci", PLAN_DEVICES_MAX);
	a[*n] = (struct plan_dev){ .vendor = d->vendor, .device = d->device, .class = d->class };
	snprintf(a[*n].addr, sizeof(a[0].addr), "%s", d->addr);
	snprintf(a[*n].why, sizeof(a[0].why), "%s", why);
	(*n)++;
	return 0;
}

static int ids_add(char *ids, size_t size, const char *one, struct file_error *err)
{
	char copy[1200], *list[128], *save = NULL;
	size_t k = 0, used = 0;

	if (!*one || clist_has(ids, one, strlen(one)))
		return 0;
	if (strlen(ids) + strlen(one) + 2 > size || strlen(ids) + strlen(one) + 2 > sizeof(copy))
		return fail(
			err, -E2BIG,
			"vfio-pci.ids: the IDs would take %zu characters, and vfio-pci's ids "
			"parameter holds at most %d (the kernel refuses a longer one); name the "
			"devices with --device ADDRESS, which binds them by address without ids",
			strlen(ids) + 1 + strlen(one), VFIO_PCI_IDS_SIZE - 1);
	snprintf(copy, sizeof(copy), "%.1100s%s%.16s", ids, *ids ? "," : "", one);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (k == ARRAY_SIZE(list))
			return fail(err, -E2BIG, "more than %zu vendor:device IDs for vfio-pci",
				    ARRAY_SIZE(list));
		list[k++] = t;
	}
	/* sorted: a file iommu-setup owns does not change with the request's order */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && strcmp(list[j - 1], list[j]) > 0; j--) {
			char *t = list[j];

			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	ids[0] = '\0';
	for (size_t i = 0; i < k; i++)
		used += (size_t)snprintf(ids + used, size - used, "%s%s", i ? "," : "", list[i]);
	return 0;
}

static void id_of(uint16_t v, uint16_t d, char buf[16])
{
	snprintf(buf, 16, "%04x:%04x", v, d);
}

/* "10de:1b80,8086:1533" (any case) into ids; -EINVAL with the bad one */
static int ids_parse(const char *list, const char *what, char *ids, size_t size,
		     struct file_error *err)
{
	for (const char *s = list;;) {
		size_t k = strcspn(s, ",");
		char addr[PCI_ADDR_SIZE], one[16];
		uint16_t v, d;

		if (k >= sizeof(one) || k == 0)
			return fail(err, -EINVAL, "%s: \"%.*s\" is not a vendor:device ID", what,
				    (int)(k > 64 ? 64 : k), s);
		memcpy(one, s, k);
		one[k] = '\0';
		if (pdev_parse_arg(one, addr, &v, &d) != 2)
			return fail(err, -EINVAL,
				    "%s: \"%s\" is not a vendor:device ID (like 8086:1572)", what,
				    one);
		id_of(v, d, one);
		if (ids_add(ids, size, one, err) < 0)
			return -E2BIG;
		if (!s[k])
			return 0;
		s += k + 1;
	}
}

/* etc/iommu-setup/vfio-devices.conf: "ADDRESS VENDOR:DEVICE WHY" lines; whys
 * (when not NULL) gets each line's WHY. A line that is not one, or more lines
 * than fit, is an error naming the line: the file comes from the root. */
static int devices_file_addrs(const char *text, char (*addrs)[PCI_ADDR_SIZE], char (*whys)[160],
			      size_t max, size_t *ret_n, struct file_error *err)
{
	size_t n = 0;
	unsigned lineno = 0;
	struct line l = {};

	*ret_n = 0;
	for (size_t pos = 0, tlen = strlen(text); line_next(text, tlen, &pos, &l);) {
		const char *line = l.p;
		size_t len = l.len;
		char addr[PCI_ADDR_SIZE];
		uint16_t v, d;
		size_t k = strcspn(line, " \t\n");

		lineno++;
		if (line[0] != '#' && len > 0) {
			if (k < sizeof(addr)) {
				memcpy(addr, line, k);
				addr[k] = '\0';
			}
			if (k >= sizeof(addr) || pdev_parse_arg(addr, addr, &v, &d) != 1)
				return file_error_set(err, DEVICES_FILE, lineno,
						      "\"%.*s\" is not a PCI address",
						      (int)(k > 40 ? 40 : k), line);
			if (n == max)
				return file_error_set(err, DEVICES_FILE, lineno,
						      "more than %zu devices: iommu-setup binds at "
						      "most %zu by address",
						      max, max);
			memcpy(addrs[n], addr, sizeof(addr));
			if (whys) {
				/* after the address and the ID */
				const char *w = line + k, *e = line + len;

				w += strspn(w, " \t");
				w += strcspn(w, " \t\n");
				w += strspn(w, " \t");
				snprintf(whys[n], sizeof(whys[0]), "%.*s", (int)(e > w ? e - w : 0),
					 w);
			}
			n++;
		}
	}
	*ret_n = n;
	return 0;
}

static const struct src_file *conf_file(const struct plan_input *in, const char *path)
{
	for (size_t i = 0; i < in->host.modules.n_conf_files; i++)
		if (strcmp(in->host.modules.conf_files[i].path, path) == 0)
			return &in->host.modules.conf_files[i];
	return NULL;
}

/* the line the target kernel boots with by default */
static const struct kline *default_line(const struct nextboot *nb, enum loader loader,
					const char *kver)
{
	const struct kline *grub = NULL, *bls = NULL, *kc = NULL;

	for (size_t i = 0; i < nb->n_line; i++) {
		const struct kline *l = &nb->line[i];

		if (l->kind == KLINE_GRUB && !grub)
			grub = l;
		else if (l->kind == KLINE_BLS && !bls && kver && kline_is_for(l, kver))
			bls = l;
		else if (l->kind == KLINE_KERNEL_CMDLINE)
			kc = l;
	}
	if ((loader == LOADER_GRUB_BLS || loader == LOADER_SYSTEMD_BOOT) && bls)
		return bls;
	if (grub)
		return grub;
	return bls ? bls : kc;
}

/* the IDs vfio-pci gets at the next boot as things stand, and from where */
static int effective_ids(const struct plan_input *in, const struct kcmdline *line,
			 const struct modconf *files, char *ids, size_t n, char *where, size_t wn,
			 struct file_error *err)
{
	_cleanup_free_ char *v = NULL;

	ids[0] = '\0';
	where[0] = '\0';
	if (in->host.modules.mods[VFIO_MOD_VFIO_PCI].kind == MOD_BUILTIN) {
		_cleanup_free_ char *c = line ? kcmdline_vfio_ids(line) : NULL;

		if (c && *c) {
			snprintf(where, wn, "the kernel command line");
			return ids_parse(c, "vfio-pci.ids on the kernel command line", ids, n, err);
		}
		return 0;
	}
	{
		/* modprobe: the files, then module.param words of the command line */
		struct modconf all = {};
		const struct modconf_entry *e = NULL;
		int r = 0;

		r = modconf_append(&all, files);
		for (size_t i = 0; line && i < line->n && r >= 0; i++) {
			_cleanup_free_ char *w = NULL;

			if (asprintf(&w, "%s%s%s", line->params[i].name,
				     line->params[i].value ? "=" : "",
				     line->params[i].value ? line->params[i].value : "") < 0) {
				r = -ENOMEM;
				break;
			}
			/* a quoted value: the kernel gives it to modprobe as one word */
			if (!strchr(w, ' ') && !strchr(w, '"'))
				r = modconf_add_cmdline(&all, w);
		}
		if (r >= 0) {
			v = modconf_param(&all, "vfio_pci", "ids", &e);
			if (v && e && e->file)
				snprintf(where, wn, "%s:%u", e->file, e->line);
			else if (v)
				snprintf(where, wn, "the kernel command line");
		}
		modconf_done(&all);
		if (r < 0)
			return r;
	}
	if (v && *v)
		return ids_parse(v, where, ids, n, err);
	return 0;
}

struct devctx {
	const struct plan_input *in;
	const struct plan_request *req;
	struct plan *p;
	const struct kcmdline *line; /* the default boot line as configured now */
};

/*
 * The devices for vfio-pci. With --device or --ids, the request is the set:
 * the requested functions, the functions with a requested ID, and their
 * group mates that come along (device_verdict()); without, the devices
 * configured now stay as they are.
 */
static int plan_devices(struct devctx *c, struct file_error *err)
{
	const struct plan_input *in = c->in;
	const struct pdev_list *l = &in->pci;
	struct plan *p = c->p;
	int r;

	p->devices_requested = c->req->n_devices || c->req->n_ids;
	/* by address where the initramfs binds it: dracut's module, or
	 * initramfs-tools' hook and init-top script */
	p->by_address = c->req->n_devices && (in->regen.itools || in->regen.dracut_host);
	if (!p->devices_requested) {
		/* as configured: the IDs in iommu-setup's own places, the addresses */
		const struct src_file *ours = conf_file(in, MODPROBE_FILE);
		char addrs[PLAN_DEVICES_MAX][PCI_ADDR_SIZE], whys[PLAN_DEVICES_MAX][160];
		size_t na = 0;

		if (in->devices_conf.text &&
		    (r = devices_file_addrs(in->devices_conf.text, addrs, whys, PLAN_DEVICES_MAX,
					    &na, err)) < 0)
			return r;

		if (in->host.modules.mods[VFIO_MOD_VFIO_PCI].kind == MOD_BUILTIN && c->line) {
			_cleanup_free_ char *cl = kcmdline_vfio_ids(c->line);

			if (cl && *cl &&
			    (r = ids_parse(cl, "vfio-pci.ids", p->ids, sizeof(p->ids), err)) < 0)
				return r;
		} else if (ours && ours->text) {
			struct modconf one = {};
			_cleanup_free_ char *v = NULL;

			r = modconf_parse(&one, ours->path, ours->text, ours->len);
			if (r >= 0)
				v = modconf_param(&one, "vfio_pci", "ids", NULL);
			modconf_done(&one);
			if (r < 0)
				return r;
			if (v && *v &&
			    (r = ids_parse(v, MODPROBE_FILE, p->ids, sizeof(p->ids), err)) < 0)
				return r;
		}
		for (unsigned i = 0; i < l->n; i++) {
			char one[16];

			id_of(l->devs[i].vendor, l->devs[i].device, one);
			if (l->devs[i].bridge || !clist_has(p->ids, one, strlen(one)))
				continue;
			r = add_dev(p->devs, &p->n_devs, &l->devs[i], "configured by ID", err);
			if (r < 0)
				return r;
		}
		for (size_t i = 0; i < na; i++) {
			const struct pdev *d = pdev_find(l, addrs[i]);

			if (!d) {
				plan_note(p,
					  "WARNING: /%s names %s, which is not below the root: "
					  "left as it is",
					  DEVICES_FILE, addrs[i]);
				continue;
			}
			r = add_dev(p->devs, &p->n_devs, d, whys[i][0] ? whys[i] : "configured",
				    err);
			if (r < 0)
				return r;
		}
		p->by_address = na > 0;
		return 0;
	}

	for (size_t i = 0; i < c->req->n_ids; i++) {
		char mine[VFIO_PCI_IDS_SIZE] = "";

		r = ids_parse(c->req->ids[i], "--ids", mine, sizeof(mine), err);
		if (r < 0)
			return r;
		for (const char *s = mine; *s;) {
			size_t k = strcspn(s, ",");
			char one[16];
			bool present = false;

			snprintf(one, sizeof(one), "%.*s", (int)k, s);
			if (!p->by_address && (r = ids_add(p->ids, sizeof(p->ids), one, err)) < 0)
				return r;
			for (unsigned j = 0; j < l->n; j++) {
				char id[16];

				id_of(l->devs[j].vendor, l->devs[j].device, id);
				if (strcmp(id, one) != 0 || l->devs[j].bridge)
					continue;
				present = true;
				r = add_dev(p->devs, &p->n_devs, &l->devs[j], "--ids", err);
				if (r < 0)
					return r;
			}
			if (!present && p->hardware == PLAN_HARDWARE_SEEN)
				plan_note(
					p,
					"WARNING: --ids %s: no PCI function below the root has this "
					"ID (a typo?); it is configured all the same, for a device "
					"installed later",
					one);
			if (p->by_address && (r = ids_add(p->ids, sizeof(p->ids), one, err)) < 0)
				return r;
			s += k + (s[k] == ',');
		}
	}
	if (p->hardware != PLAN_HARDWARE_SEEN && c->req->n_ids)
		plan_note(p,
			  "--hardware %s: the IDs %s are not looked up below the root, whose PCI "
			  "devices are the build host's: on the target vfio-pci takes every "
			  "function with one of them, and whether one of those is a device the "
			  "target needs (its root disk, its network card) cannot be checked "
			  "here, and no softdep comes from the drivers that match them (the "
			  "modalias lookup needs the device), only from the rules; `iommu-setup "
			  "verify` on the target says",
			  plan_hardware_to_string(p->hardware), p->ids);
	for (size_t i = 0; i < c->req->n_devices; i++) {
		const char *arg = c->req->devices[i];
		char addr[PCI_ADDR_SIZE];
		uint16_t v, d;
		const struct pdev *dev;

		if (pdev_parse_arg(arg, addr, &v, &d) != 1)
			return fail(err, -EINVAL,
				    "--device: \"%.100s\" is not a PCI address (0000:01:00.0)",
				    arg);
		dev = pdev_find(l, addr);
		if (!dev)
			return fail(err, -EINVAL, "--device: no PCI device %s below the root",
				    addr);
		r = add_dev(p->devs, &p->n_devs, dev, "--device", err);
		if (r < 0)
			return r;
	}

	/* group closure, by the one verdict `devices` shows too */
	for (size_t i = 0, n0 = p->n_devs; i < n0; i++) {
		const struct pdev *d = pdev_find(l, p->devs[i].addr);
		struct verdict v;

		device_verdict(l, d, &v);
		if (v.critical) {
			fail(err, -EINVAL,
			     "%s cannot be assigned: %s (nothing overrides this, not even "
			     "--force: the next boot would hand it to vfio-pci)",
			     d->addr, v.reason);
			err->code = "HOST_CRITICAL";
			return -EINVAL;
		}
		if (!v.assignable && !(l->groups_dir && l->n_groups > 0)) {
			plan_note(p, "%s: %s", d->addr, v.reason);
			continue;
		}
		/* --force takes along group mates the host drives, nothing else */
		if (!v.assignable && !v.needs_force) {
			fail(err, -EINVAL, "%s cannot be assigned: %s", d->addr, v.reason);
			err->code = "GROUP_NOT_VIABLE";
			return -EINVAL;
		}
		for (unsigned k = 0; k < v.n_drag; k++) {
			const struct pdev *m = &l->devs[v.drag[k]];
			char why[160];

			if (have_dev(p->devs, p->n_devs, m->addr))
				continue;
			if (!v.drag_same_card[k] && !c->req->force) {
				fail(err, -EINVAL,
				     "%s shares IOMMU group %d with %s, which the host still "
				     "uses (driver %s): assigning it would take that device "
				     "from the host too; request it as well, or pass --force",
				     d->addr, m->group, m->addr, m->driver);
				err->code = "GROUP_NOT_VIABLE";
				return -EINVAL;
			}
			snprintf(why, sizeof(why), "in IOMMU group %d with %s%s", m->group, d->addr,
				 v.drag_same_card[k] ? ", same card" : ", taken with --force");
			r = add_dev(p->devs, &p->n_devs, m, why, err);
			if (r < 0)
				return r;
		}
	}
	if (!p->by_address)
		for (size_t i = 0; i < p->n_devs; i++) {
			char one[16];

			id_of(p->devs[i].vendor, p->devs[i].device, one);
			if ((r = ids_add(p->ids, sizeof(p->ids), one, err)) < 0)
				return r;
		}
	/* vfio-pci.ids takes every function with the ID: a host-critical twin of a
	 * requested device would go too */
	for (unsigned i = 0; i < l->n; i++) {
		const struct pdev *d = &l->devs[i];
		char one[16];

		id_of(d->vendor, d->device, one);
		if (d->critical && !d->bridge && clist_has(p->ids, one, strlen(one))) {
			fail(err, -EINVAL,
			     "vfio-pci.ids=%s would take %s as well, which %s (the same "
			     "ID): that cannot be planned%s",
			     one, d->addr, d->critical_what,
			     in->regen.dracut_host || in->regen.itools
				     ? "; name the device with --device ADDRESS instead, "
				       "which binds it by address"
				     : "; binding by address (--device) needs dracut or "
				       "initramfs-tools, which this root lacks");
			err->code = "HOST_CRITICAL";
			return -EINVAL;
		}
	}
	return 0;
}

/* devices vfio-pci gets now that the request leaves out */
static int devices_removed(struct devctx *c, const char *cur_ids, struct file_error *err)
{
	const struct plan_input *in = c->in;
	const struct pdev_list *l = &in->pci;
	struct plan *p = c->p;
	char addrs[PLAN_DEVICES_MAX][PCI_ADDR_SIZE];
	size_t na = 0;
	int r;

	if (!p->devices_requested)
		return 0;
	if (in->devices_conf.text && (r = devices_file_addrs(in->devices_conf.text, addrs, NULL,
							     PLAN_DEVICES_MAX, &na, err)) < 0)
		return r;
	for (unsigned i = 0; i < l->n; i++) {
		const struct pdev *d = &l->devs[i];
		char one[16];
		bool now = false;

		id_of(d->vendor, d->device, one);
		now = !d->bridge && clist_has(cur_ids, one, strlen(one));
		for (size_t k = 0; k < na && !now; k++)
			now = strcmp(addrs[k], d->addr) == 0;
		if (!now || have_dev(p->devs, p->n_devs, d->addr))
			continue;
		r = add_dev(p->removed, &p->n_removed, d, "configured now, not in the request",
			    err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- vendor rules ---- */

static void why_ref(char *buf, size_t n, const struct rule *r)
{
	snprintf(buf, n, "%s%s%s%s (%s:%u)", r->why[0] ? r->why : "", r->ref[0] ? " [" : "", r->ref,
		 r->ref[0] ? "]" : "", r->file, r->line);
}

static int modprobe_line(struct plan *p, const char *line, struct file_error *err)
{
	size_t used = strlen(p->modprobe);

	for (const char *s = p->modprobe; *s;) {
		size_t k = strcspn(s, "\n");

		if (k == strlen(line) && strncmp(s, line, k) == 0)
			return 0;
		s += k + (s[k] == '\n');
	}
	if (used + strlen(line) + 2 > sizeof(p->modprobe))
		return fail(err, -E2BIG, "the modprobe.d file would exceed %zu bytes",
			    sizeof(p->modprobe));
	snprintf(p->modprobe + used, sizeof(p->modprobe) - used, "%s\n", line);
	return 0;
}

/* iommu=pt, or the administrator's choice of strict translation */
struct hardening {
	bool on;
	char what[200]; /* "iommu.passthrough=0 in GRUB's entries" */
};

static void find_hardening(const struct nextboot *nb, struct hardening *h)
{
	static const struct {
		const char *name, *value;
	} words[] = {
		{ "iommu.passthrough", "0" },
		{ "iommu", "nopt" },
		{ "iommu.strict", "1" },
		{ "iommu", "force" },
	};

	*h = (struct hardening){};
	for (size_t i = 0; i < nb->n_line && !h->on; i++) {
		struct kcmdline c;

		if (nb->line[i].lenient || kline_cmdline(nb, &nb->line[i], &c) < 0)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(words) && !h->on; k++)
			if (kcmdline_has(&c, words[k].name, words[k].value)) {
				char desc[160];

				kline_describe(&nb->line[i], desc, sizeof(desc));
				h->on = true;
				snprintf(h->what, sizeof(h->what), "%s=%s in %s", words[k].name,
					 words[k].value, desc);
			}
		kcmdline_done(&c);
	}
}

static int apply_rules(const struct plan_input *in, const struct plan_request *req,
		       const struct hardening *hard, struct plan *p, struct file_error *err)
{
	const struct host *h = &in->host;
	const struct pdev_list *l = &in->pci;
	struct rule_device reqd[PLAN_DEVICES_MAX], *present = NULL;
	struct rule_host host = {
		.cpu = cpu_vendor_to_string(h->cpu.vendor),
		.cpu_family = h->cpu.family,
		.cpu_model = h->cpu.model,
		.kernel = h->modules.kver[0] ? h->modules.kver : NULL,
	};
	/* the vendors the plan is for: the CPU below the root, or --hardware's;
	 * a rule applies once when it matches for one of them. With --hardware,
	 * cpu-family= and cpu-model= match nothing: no target model is known */
	const char *vendors[2] = { host.cpu, NULL };
	size_t n_reqd = 0;
	int r = 0;

	if (p->hardware != PLAN_HARDWARE_SEEN) {
		host.cpu_family = host.cpu_model = -1;
		vendors[0] = p->hardware == PLAN_HARDWARE_AMD ? "amd" : "intel";
		vendors[1] = p->hardware == PLAN_HARDWARE_ANY ? "amd" : NULL;
		/* the requested IDs, without a class: no device below the root is the
		 * target's (in->pci is empty), so rules match on the ID alone */
		for (const char *s = p->ids; *s && n_reqd < ARRAY_SIZE(reqd);) {
			size_t k = strcspn(s, ",");
			unsigned v = 0, d = 0;

			if (sscanf(s, "%4x:%4x", &v, &d) == 2)
				reqd[n_reqd++] = (struct rule_device){ .vendor = (uint16_t)v,
								       .device = (uint16_t)d,
								       .id_only = true };
			s += k + (s[k] == ',');
		}
	}
	for (size_t i = 0; i < p->n_devs; i++) {
		const struct pdev *d = pdev_find(l, p->devs[i].addr);

		reqd[n_reqd++] =
			(struct rule_device){ p->devs[i].vendor, p->devs[i].device,
					      p->devs[i].class, pdev_framebuffer(l, d), false };
	}
	present = calloc(l->n ? l->n : 1, sizeof(*present));
	if (!present)
		return -ENOMEM;
	for (unsigned i = 0; i < l->n; i++)
		present[i] = (struct rule_device){ l->devs[i].vendor, l->devs[i].device,
						   l->devs[i].class,
						   pdev_framebuffer(l, &l->devs[i]), false };

	for (size_t k = 0; k < in->rules.n && r >= 0; k++) {
		const struct rule *ru = &in->rules.rules[k];
		char why[1400], name[128];
		const char *eq;
		size_t m = RULE_NO_MATCH;

		for (size_t v = 0; v < ARRAY_SIZE(vendors) && m == RULE_NO_MATCH; v++) {
			if (v > 0 && !vendors[v])
				break;
			host.cpu = vendors[v];
			m = rule_matches(ru, &host, reqd, n_reqd, present, l->n);
		}

		if (m == RULE_NO_MATCH)
			continue;
		why_ref(why, sizeof(why), ru);
		eq = strchr(ru->arg, '=');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq ? eq - ru->arg : (long)strlen(ru->arg)), ru->arg);
		switch (ru->action) {
		case RULE_PARAM:
			r = add_param_op(p, KOP_ENSURE, name, eq ? eq + 1 : NULL, why, err);
			break;
		case RULE_OFFER: {
			bool pt = kparam_name_eq(name, "iommu") ||
				  kparam_name_eq(name, "iommu.passthrough");

			if (pt && req->passthrough == 0)
				plan_note(p, "%s left out (--no-passthrough)", ru->arg);
			else if (pt && req->passthrough < 0 && hard->on)
				plan_note(
					p,
					"%s left out: the host asks for strict DMA translation "
					"(%s), and that choice is kept (--passthrough overrides it)",
					ru->arg, hard->what);
			else
				r = add_param_op(p, KOP_ENSURE, name, eq ? eq + 1 : NULL, why, err);
			break;
		}
		case RULE_FORBID:
			r = add_param_op(p, KOP_REMOVE, name, eq ? eq + 1 : NULL, why, err);
			break;
		case RULE_SOFTDEP:
		case RULE_OPTIONS: {
			char line[640];

			snprintf(line, sizeof(line), "%s %s", rule_action_to_string(ru->action),
				 ru->arg);
			r = modprobe_line(p, line, err);
			plan_note(p, "modprobe.d: %s — %s", line, why);
			break;
		}
		case RULE_WARN:
			plan_note(p, "WARNING: %s [%s%s%s:%u]", ru->arg, ru->ref,
				  ru->ref[0] ? "; " : "", ru->file, ru->line);
			break;
		case RULE_HINT:
			plan_note(p, "hint: %s [%s%s%s:%u]", ru->arg, ru->ref,
				  ru->ref[0] ? "; " : "", ru->file, ru->line);
			break;
		case _RULE_ACTION_MAX:
			break;
		}
	}
	free(present);
	return r;
}

/* ---- files ---- */

static int add_file(struct plan *p, enum file_kind kind, const char *path, const char *what,
		    const char *old, size_t old_len, const char *new, size_t new_len, bool created,
		    struct file_error *err)
{
	struct planned_file *f;

	if (p->n_files == PLAN_FILES_MAX)
		return fail(err, -E2BIG, "more than %d files to plan", PLAN_FILES_MAX);
	f = &p->files[p->n_files];
	*f = (struct planned_file){ .kind = kind, .created = created };
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->what, sizeof(f->what), "%s", what);
	f->old = malloc(old_len + 1);
	f->new = malloc(new_len + 1);
	if (!f->old || !f->new) {
		free(f->old);
		free(f->new);
		return -ENOMEM;
	}
	memcpy(f->old, old ? old : "", old_len);
	f->old[old_len] = '\0';
	memcpy(f->new, new, new_len);
	f->new[new_len] = '\0';
	f->old_len = old_len;
	f->new_len = new_len;
	p->n_files++;
	return 0;
}

/* The command line files: every source the next boot reads (nextboot.c). */
static int plan_cmdline(const struct plan_input *in, struct plan *p, struct file_error *err)
{
	struct kop ops[PLAN_OPS_MAX];
	struct nb_plan nbp;
	int r;

	r = nextboot_plan(&in->host.boot.sources, plan_ops(p, ops), p->n_params,
			  in->host.modules.kver[0] ? in->host.modules.kver : NULL, &nbp, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nbp.n_findings; i++) {
		const struct nb_finding *f = &nbp.findings[i];

		if (f->kind == NB_CREATED_FILE) {
			plan_note(p,
				  "etc/kernel/cmdline is created from the target kernel's BLS "
				  "entry: without it, kernel-install gives kernels installed later "
				  "the running command line, which lacks the parameters");
			continue;
		}
		const struct param *q = &p->params[f->op];
		char what[1200];

		snprintf(what, sizeof(what), "%s%s%s", q->name, q->op.value ? "=" : "", q->value);
		switch (f->kind) {
		case NB_ALREADY:
			plan_note(
				p, "%s is already in %s, for %s: left where it is%s", what,
				f->where, f->line,
				strncmp(f->where, "GRUB_CMDLINE_LINUX_DEFAULT", 26) == 0
					? "; GRUB's recovery entries, which get GRUB_CMDLINE_LINUX "
					  "alone, go without it"
					: "");
			break;
		case NB_CORRECTED:
			plan_note(p, "%s: the value in %s is corrected where it lives (%s)", what,
				  f->where, f->line);
			break;
		case NB_DUPLICATE:
			plan_note(p,
				  "%s: a second occurrence in %s is taken out (%s would have it "
				  "twice)",
				  what, f->where, f->line);
			break;
		case NB_REMOVED:
			plan_note(p, "%s: taken out of %s (%s)", q->op.value ? what : q->name,
				  f->where, f->line);
			break;
		default:
			break; /* added: the diff shows it */
		}
	}
	for (size_t i = 0; i < nbp.n_edits && r >= 0; i++) {
		const struct nb_edit *e = &nbp.edits[i];

		r = add_file(p, e->kind, e->src->path, e->what, e->src->text,
			     e->src->text ? e->src->len : 0, e->text, e->len, e->created, err);
	}
	nb_plan_done(&nbp);
	return r;
}

/* A file iommu-setup writes whole */
static int plan_owned(struct plan *p, const struct src_file *now, const char *path,
		      const char *what, const char *new, struct file_error *err)
{
	return add_file(p, FILE_OWNED, path, what, now && now->text ? now->text : "",
			now && now->text ? now->len : 0, new, strlen(new), !(now && now->text),
			err);
}

/* the planned file for path, or a new one of kind with the file's text as it is */
static struct planned_file *planned(struct plan *p, const struct src_file *now, enum file_kind kind,
				    const char *what, struct file_error *err)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, now->path) == 0)
			return &p->files[i];
	if (add_file(p, kind, now->path, what, now->text, now->len, now->text, now->len, false,
		     err) < 0)
		return NULL;
	return &p->files[p->n_files - 1];
}

/* comments out physical line lineno of f's new text with ADOPTED_MARK */
static int mark_line(struct planned_file *f, unsigned lineno)
{
	const char *s = f->new;
	unsigned n = 1;
	size_t at, ml = strlen(ADOPTED_MARK);
	char *out;

	while (n < lineno && (s = strchr(s, '\n'))) {
		s++;
		n++;
	}
	if (!s)
		return -EINVAL;
	at = (size_t)(s - f->new);
	out = malloc(f->new_len + ml + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, f->new, at);
	memcpy(out + at, ADOPTED_MARK, ml);
	memcpy(out + at + ml, f->new + at, f->new_len - at + 1);
	free(f->new);
	f->new = out;
	f->new_len += ml;
	return 0;
}

/*
 * modprobe.d: iommu-setup's own file, and the lines of other files that would
 * override it (a later vfio.conf with other IDs, an install command for a
 * VFIO module). Those are taken over: commented out in their file with a mark
 * that names this one (ADOPTED_MARK), which revert takes off again, and named
 * in iommu-setup's file. A package's file (run/, usr/lib/) is not edited:
 * the plan refuses, naming it.
 */
static int plan_modprobe(const struct plan_input *in, struct plan *p, struct file_error *err)
{
	const struct modules_state *m = &in->host.modules;
	const struct src_file *ours = conf_file(in, MODPROBE_FILE);
	const bool builtin = m->mods[VFIO_MOD_VFIO_PCI].kind == MOD_BUILTIN;
	const bool devices = p->devices_requested || p->ids[0];
	char body[sizeof(p->modprobe) + 2048], eff[1100], where[600];
	_cleanup_free_ char *new = NULL;
	struct modconf after = {};
	int r = 0;

	snprintf(body, sizeof(body), "%s", p->modprobe);
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		/* the effective configuration with the planned files in place */
		bool placed = ours != NULL;

		modconf_done(&after);
		for (size_t i = 0; i < m->n_conf_files && r >= 0; i++) {
			const struct src_file *f = &m->conf_files[i];
			const char *text = strcmp(f->path, MODPROBE_FILE) == 0 ? body : f->text;
			size_t len = text == body ? strlen(body) : f->len;

			/* a new file takes its place in name order */
			if (!placed && strcmp(strrchr(f->path, '/') + 1, "iommu-setup.conf") > 0) {
				placed = true;
				r = modconf_parse(&after, MODPROBE_FILE, body, strlen(body));
				if (r < 0)
					break;
			}

			for (size_t k = 0; k < p->n_files && text != body; k++)
				if (strcmp(p->files[k].path, f->path) == 0) {
					text = p->files[k].new;
					len = p->files[k].new_len;
				}
			if (text)
				r = modconf_parse(&after, f->path, text, len);
		}
		if (r >= 0 && !placed)
			r = modconf_parse(&after, MODPROBE_FILE, body, strlen(body));
		if (r >= 0 && !builtin)
			r = effective_ids(in, NULL, &after, eff, sizeof(eff), where, sizeof(where),
					  err);
		if (r < 0 || pass == 1 || builtin || !devices)
			break;
		/* lines that give vfio-pci other IDs, or replace how it loads */
		for (size_t i = 0; i < after.n && r >= 0; i++) {
			const struct modconf_entry *e = &after.entries[i];
			_cleanup_free_ char *v = NULL;
			const struct src_file *theirs;
			struct planned_file *f;
			bool overrides;

			if (!e->file || strcmp(e->file, MODPROBE_FILE) == 0 ||
			    !modules_is_vfio(e->module))
				continue;
			if (e->kind == MODCONF_OPTIONS && module_name_eq(e->module, "vfio_pci")) {
				char ids[1100] = "";
				struct file_error ignore;

				v = options_param(e->value, "ids");
				overrides = v &&
					    (ids_parse(v, e->file, ids, sizeof(ids), &ignore) < 0 ||
					     strcmp(ids, p->by_address ? "" : p->ids) != 0);
			} else
				overrides = e->kind == MODCONF_INSTALL;
			if (!overrides)
				continue;
			theirs = conf_file(in, e->file);
			if (strncmp(e->file, "etc/modprobe.d/", 15) != 0 || !theirs ||
			    !theirs->text)
				return fail(
					err, -EINVAL,
					"%s:%u: \"%s %s %s\" overrides /%s, and the file belongs "
					"to a package: mask it with /etc/modprobe.d/%s",
					e->file, e->line, modconf_kind_to_string(e->kind),
					e->module, e->value ? e->value : "", MODPROBE_FILE,
					strrchr(e->file, '/') + 1);
			f = planned(p, theirs, FILE_ADOPTED, "modprobe.d lines taken over", err);
			if (!f)
				return err->message[0] ? -E2BIG : -ENOMEM;
			r = mark_line(f, e->line);
			if (r < 0)
				break;
			plan_note(p,
				  "modprobe.d: %s:%u \"%s %s %.300s\" would override /%s: it is "
				  "taken over (commented out; revert restores it)",
				  e->file, e->line, modconf_kind_to_string(e->kind), e->module,
				  e->value ? e->value : "", MODPROBE_FILE);
		}
	}
	modconf_done(&after);
	if (r < 0)
		return r;
	if (!builtin && devices && strcmp(eff, p->by_address ? "" : p->ids) != 0)
		return fail(err, -EINVAL,
			    "after the plan vfio-pci would still get ids=%s (%s), not the planned "
			    "%s",
			    eff, where, p->by_address ? "none (bound by address)" : p->ids);
	if (!body[0] && !(ours && ours->text))
		return 0;
	if (asprintf(&new,
		     "# Generated by iommu-setup: VFIO device assignment. `iommu-setup plan` says\n"
		     "# why each line is here; `iommu-setup revert` removes this file.\n%s",
		     body) < 0)
		return -ENOMEM;
	return plan_owned(p, ours, MODPROBE_FILE, "modprobe.d", new, err);
}

/* etc/iommu-setup/vfio-devices.conf: the functions the initramfs (dracut's
 * module, or initramfs-tools' init-top script) and the udev rule bind to
 * vfio-pci by address at boot (vfio-pci.ids cannot tell two identical
 * devices apart) */
static int plan_devices_file(const struct plan_input *in, struct plan *p, struct file_error *err)
{
	_cleanup_free_ char *new = NULL;
	size_t nl = 0;
	FILE *f;

	f = open_memstream(&new, &nl);
	if (!f)
		return -ENOMEM;
	fputs("# Generated by iommu-setup: these PCI functions go to vfio-pci by address,\n"
	      "# early in boot (the initramfs: dracut's module 50iommu-setup or\n"
	      "# initramfs-tools' init-top script) and when a driver loads from the root\n"
	      "# (the udev rule 40-iommu-setup.rules). ADDRESS VENDOR:DEVICE WHY\n",
	      f);
	for (size_t i = 0; i < p->n_devs; i++)
		fprintf(f, "%s %04x:%04x %s\n", p->devs[i].addr, p->devs[i].vendor,
			p->devs[i].device, p->devs[i].why);
	if (fclose(f) != 0)
		return -ENOMEM;
	return plan_owned(p, &in->devices_conf, DEVICES_FILE, "vfio-pci by address", new, err);
}

/*
 * The initramfs must carry vfio-pci and the modprobe.d file, or a native
 * driver loaded there wins the race: dracut (force_drivers, install_items)
 * or initramfs-tools (etc/initramfs-tools/modules, which also copies
 * modprobe.d). The modules are the target kernel's, from libkmod: nothing
 * that newer kernels dropped (vfio_virqfd) is ever named.
 */
static int plan_initramfs(const struct plan_input *in, struct plan *p, struct file_error *err)
{
	static const int order[] = { VFIO_MOD_VFIO, VFIO_MOD_VFIO_IOMMU_TYPE1,
				     VFIO_MOD_VFIO_PCI_CORE, VFIO_MOD_VFIO_PCI };
	const struct host *h = &in->host;
	const bool itools = in->regen.itools, dracut = !itools && in->regen.dracut_host;
	char mods[256] = "";
	size_t used = 0;
	int r;

	if ((!p->modprobe[0] && !p->by_address) || (!dracut && !itools))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (h->modules.mods[order[i]].kind == MOD_MODULE)
			used += (size_t)snprintf(mods + used, sizeof(mods) - used, " %s",
						 h->modules.mods[order[i]].name);
	if (dracut) {
		_cleanup_free_ char *new = NULL;

		if (asprintf(
			    &new,
			    "# Generated by iommu-setup: VFIO in the initramfs, before native drivers\n"
			    "%s%s%s%s%s",
			    mods[0] ? "force_drivers+=\"" : "", mods, mods[0] ? " \"\n" : "",
			    p->modprobe[0] ? "install_items+=\" /" MODPROBE_FILE " \"\n" : "",
			    p->by_address ? "# the devices go to vfio-pci by address: "
					    "/" DEVICES_FILE
					    "\nadd_dracutmodules+=\" iommu-setup \"\n"
					  : "") < 0)
			return -ENOMEM;
		r = plan_owned(p, &in->dracut_conf, DRACUT_FILE, "dracut.conf.d", new, err);
		if (r >= 0 && p->by_address)
			r = plan_devices_file(in, p, err);
		return r;
	}
	{
		const struct src_file *now = &in->itools_modules;
		const char *old = now->text ? now->text : "";
		size_t len = now->text ? now->len : 0, cap = len + sizeof(mods) + 128;
		_cleanup_free_ char *new = malloc(cap);

		if (!new)
			return -ENOMEM;
		memcpy(new, old, len);
		new[len] = '\0';
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
		r = add_file(p, FILE_LINES, ITOOLS_FILE, "initramfs-tools", old, len, new,
			     strlen(new), !now->text, err);
		/* the hook copies it into the image, the init-top script reads it */
		if (r >= 0 && p->by_address)
			r = plan_devices_file(in, p, err);
		return r;
	}
}

/* The kernel parameters: the vendor rules, --param, and the IDs of a
 * built-in vfio_pci; each merged with the others of its name. */
static int plan_params(const struct plan_input *in, const struct plan_request *req,
		       const struct nextboot *nb, struct plan *p, struct file_error *err)
{
	const struct host *h = &in->host;
	const bool builtin = h->modules.mods[VFIO_MOD_VFIO_PCI].kind == MOD_BUILTIN;
	struct hardening hard;
	int r;

	find_hardening(nb, &hard);
	r = apply_rules(in, req, &hard, p, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < req->n_params; i++) {
		const char *a = req->params[i], *eq = strchr(a, '=');
		char name[128];

		if (!param_valid(a))
			return fail(err, -EINVAL,
				    "--param \"%.200s\": not NAME or NAME=VALUE (letters, digits, "
				    "'_', '-', '.'; a value without blanks, quotes or '$')",
				    a);
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - a : (long)strlen(a)), a);
		if (kparam_name_eq(name, "vfio_pci.ids"))
			return fail(err, -EINVAL,
				    "--param %s: use --ids or --device for vfio-pci's devices", a);
		r = add_param_op(p, KOP_ENSURE, name, eq ? eq + 1 : NULL, "requested with --param",
				 err);
		if (r < 0)
			return r;
	}
	if (req->passthrough == 1) {
		r = add_param_op(p, KOP_ENSURE, "iommu", "pt",
				 "--passthrough: host devices bypass translation", err);
		if (r < 0)
			return r;
	}
	/* what contradicts what is planned goes, wherever it is */
	for (size_t i = 0, n = p->n_params; i < n && r >= 0; i++) {
		const struct kop *op = &p->params[i].op;

		if (op->kind != KOP_ENSURE || !op->value)
			continue;
		if (kparam_name_eq(op->name, "iommu") && strcmp(op->value, "pt") == 0)
			r = add_param_op(p, KOP_REMOVE, "iommu.passthrough", "0",
					 "iommu.passthrough=0 contradicts iommu=pt", err);
	}
	if (r < 0)
		return r;

	/* the command line's vfio-pci.ids: the devices, for a built-in vfio_pci; a
	 * module's come from modprobe.d, and the command line's would win over them */
	if (builtin && p->ids[0] && !p->by_address)
		r = add_param_op(p, KOP_SET, "vfio-pci.ids", p->ids,
				 "vfio_pci is built into the kernel: its options must be on the "
				 "command line",
				 err);
	else if (p->devices_requested && (p->by_address || !p->ids[0]))
		r = add_param_op(p, KOP_DROP, "vfio-pci.ids", NULL,
				 "the devices are bound by address: vfio-pci.ids would take their "
				 "identical twins too",
				 err);
	else if (p->devices_requested && !builtin)
		r = add_param_op(p, KOP_CORRECT, "vfio-pci.ids", p->ids,
				 "where the command line names vfio-pci's IDs, modprobe takes them "
				 "after modprobe.d: they must be the planned ones",
				 err);
	return r;
}

/* modprobe.d lines for the devices and for interrupt remapping */
static int plan_module_options(const struct plan_input *in, const struct plan_request *req,
			       struct plan *p, struct file_error *err)
{
	const struct host *h = &in->host;
	const struct pdev_list *l = &in->pci;
	struct fw_summary fw;
	int r = 0;

	/* the modules that could drive each planned device load vfio-pci first
	 * (libkmod's modalias lookup for the target kernel) */
	for (size_t i = 0; i < p->n_devs && r >= 0; i++) {
		const struct pdev *d = pdev_find(l, p->devs[i].addr);

		for (char **m = d ? d->modules : NULL; m && *m && r >= 0; m++) {
			char line[300];

			if (strncmp(*m, "vfio", 4) == 0)
				continue;
			snprintf(line, sizeof(line), "softdep %s pre: vfio-pci", *m);
			if (strstr(p->modprobe, line))
				continue;
			r = modprobe_line(p, line, err);
			plan_note(p,
				  "modprobe.d: %s — %s can drive %s (its modalias): vfio-pci must "
				  "come first",
				  line, *m, d->addr);
		}
	}
	if (r < 0)
		return r;
	/* ids= binds by vendor:device: identical devices that were not asked for go too */
	for (unsigned i = 0; i < l->n && !p->by_address; i++) {
		char one[16];

		id_of(l->devs[i].vendor, l->devs[i].device, one);
		if (clist_has(p->ids, one, strlen(one)) &&
		    !have_dev(p->devs, p->n_devs, l->devs[i].addr) && !l->devs[i].bridge)
			plan_note(
				p,
				"WARNING: vfio-pci ids=%s also claims %s (%s), which was not asked "
				"for: IDs cannot tell identical devices apart",
				one, l->devs[i].addr,
				l->devs[i].driver ? l->devs[i].driver : "no driver");
	}
	if (p->ids[0] && !p->by_address && h->modules.mods[VFIO_MOD_VFIO_PCI].kind != MOD_BUILTIN) {
		char line[1200];

		snprintf(line, sizeof(line), "options vfio-pci ids=%s", p->ids);
		r = modprobe_line(p, line, err);
		if (r < 0)
			return r;
		plan_note(p,
			  "modprobe.d: %s — vfio-pci claims these devices when it loads; the "
			  "softdeps load it before their own drivers",
			  line);
	}
	/* with --hardware the target's interrupt remapping is unknown here: the
	 * opt-in is written as given, and nothing is decided without it */
	if (p->hardware != PLAN_HARDWARE_SEEN) {
		if (req->allow_unsafe_interrupts) {
			r = modprobe_line(p, "options vfio_iommu_type1 allow_unsafe_interrupts=1",
					  err);
			plan_note(
				p,
				"modprobe.d: options vfio_iommu_type1 allow_unsafe_interrupts=1 — "
				"--allow-unsafe-interrupts with --hardware %s: written as asked, since "
				"the target's interrupt remapping cannot be seen here; a target with "
				"remapping is not weakened by it, on one without it a guest with an "
				"assigned device can forge interrupts (MSI) against the host",
				plan_hardware_to_string(p->hardware));
		} else
			plan_note(
				p,
				"--hardware %s: whether the target has interrupt remapping cannot be "
				"seen here (the firmware tables below the root are the build host's), "
				"so allow_unsafe_interrupts is not written: on a target without it "
				"VFIO refuses to attach devices (EPERM) unless the image is built "
				"with --allow-unsafe-interrupts",
				plan_hardware_to_string(p->hardware));
		return r;
	}
	/* allow_unsafe_interrupts: only with the platform lacking remapping AND the opt-in */
	checks_firmware_summary(h, &fw);
	if (fw.valid && !fw.intr_remap) {
		if (req->allow_unsafe_interrupts) {
			r = modprobe_line(p, "options vfio_iommu_type1 allow_unsafe_interrupts=1",
					  err);
			plan_note(
				p,
				"modprobe.d: options vfio_iommu_type1 allow_unsafe_interrupts=1 — the "
				"platform has no interrupt remapping and --allow-unsafe-interrupts was "
				"given: a guest with an assigned device can forge interrupts (MSI) "
				"against the host");
		} else
			plan_note(
				p,
				"WARNING: the platform has no interrupt remapping: VFIO will refuse to "
				"attach devices (EPERM). --allow-unsafe-interrupts adds "
				"'options vfio_iommu_type1 allow_unsafe_interrupts=1', which lets a "
				"guest forge interrupts against the host");
	} else if (req->allow_unsafe_interrupts)
		plan_note(p, "--allow-unsafe-interrupts ignored: interrupt remapping is available, "
			     "nothing needs weakening");
	return r;
}

/*
 * A reboot is needed while the running system lacks what is configured: the
 * running command line does not follow the rule, a planned device is not on
 * vfio-pci, or apply changed the module configuration or the initramfs in
 * this very boot. A root that is not the running system (a chroot, an image)
 * has not booted it at all.
 */
static bool needs_reboot(const struct plan_input *in, const struct plan *p)
{
	const struct host *h = &in->host;
	struct kop ops[PLAN_OPS_MAX];

	if (!h->live)
		return p->n_params || p->n_devs || p->modprobe[0];
	plan_ops(p, ops);
	for (size_t i = 0; i < p->n_params; i++)
		if (!kline_satisfies(&h->kernel.cmdline, &ops[i], false, NULL, 0))
			return true;
	for (size_t i = 0; i < p->n_devs; i++) {
		const struct pdev *d = pdev_find(&in->pci, p->devs[i].addr);

		if (d && !driver_is_free(d->driver))
			return true;
	}
	for (size_t i = 0; i < p->n_files; i++)
		if (planned_file_changed(&p->files[i]) && !planned_file_is_cmdline(&p->files[i]))
			return true;
	return h->boot_id[0] && strcmp(h->boot_id, h->applied_boot_id) == 0;
}

int plan_configured_devices(const struct plan_input *in, struct configured_device *ret, size_t max,
			    size_t *ret_n, struct file_error *err)
{
	const struct host *h = &in->host;
	const struct pdev_list *l = &in->pci;
	struct nextboot nb = {};
	struct kcmdline line = {};
	const struct kline *dl;
	char ids[1100] = "", where[600] = "";
	char addrs[PLAN_DEVICES_MAX][PCI_ADDR_SIZE];
	size_t na = 0, n = 0;
	bool have_line = false;
	int r;

	*ret_n = 0;
	*err = (struct file_error){};
	r = nextboot_build(&h->boot.sources, &nb);
	if (r < 0)
		return r;
	dl = default_line(&nb, h->boot.loader, h->modules.kver[0] ? h->modules.kver : NULL);
	if (dl)
		have_line = kline_cmdline(&nb, dl, &line) >= 0;
	r = effective_ids(in, have_line ? &line : NULL, &h->modules.all, ids, sizeof(ids), where,
			  sizeof(where), err);
	if (r >= 0 && in->devices_conf.text)
		r = devices_file_addrs(in->devices_conf.text, addrs, NULL, PLAN_DEVICES_MAX, &na,
				       err);
	for (size_t k = 0; r >= 0 && k < na; k++) {
		if (n == max) {
			r = file_error_set(err, DEVICES_FILE, 0, "more than %zu devices", max);
			break;
		}
		ret[n] = (struct configured_device){};
		memcpy(ret[n].addr, addrs[k], PCI_ADDR_SIZE);
		snprintf(ret[n].origin, sizeof(ret[n].origin), "%s", DEVICES_FILE);
		n++;
	}
	for (unsigned i = 0; r >= 0 && ids[0] && i < l->n; i++) {
		const struct pdev *d = &l->devs[i];
		char one[16];
		bool dup = false;

		id_of(d->vendor, d->device, one);
		if (d->bridge || !clist_has(ids, one, strlen(one)))
			continue;
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(ret[k].addr, d->addr) == 0;
		if (dup)
			continue;
		if (n == max) {
			r = file_error_set(err, where, 0, "more than %zu devices", max);
			break;
		}
		ret[n] = (struct configured_device){};
		memcpy(ret[n].addr, d->addr, PCI_ADDR_SIZE);
		snprintf(ret[n].origin, sizeof(ret[n].origin), "vfio-pci.ids %s in %.60s", one,
			 where);
		n++;
	}
	kcmdline_done(&line);
	nextboot_done(&nb);
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

int plan_decide(const struct plan_input *in, const struct plan_request *req, struct plan *p,
		struct file_error *err)
{
	const struct host *h = &in->host;
	struct nextboot nb = {};
	struct kcmdline line = {};
	const struct kline *dl;
	struct devctx dc = { .in = in, .req = req, .p = p };
	_cleanup_free_ struct plan_input *view = NULL;
	char cur_ids[1100] = "", where[600];
	bool have_line = false;
	int r;

	memset(p, 0, sizeof(*p));
	*err = (struct file_error){};
	snprintf(p->kver, sizeof(p->kver), "%s", h->modules.kver);
	p->hardware = req->hardware;
	if (p->hardware != PLAN_HARDWARE_SEEN) {
		if (req->n_devices)
			return fail(
				err, -EINVAL,
				"--device %.100s: with --hardware %s the PCI addresses below the "
				"root are the build host's, not the target's; name the devices "
				"by ID with --ids VVVV:DDDD",
				req->devices[0], plan_hardware_to_string(p->hardware));
		/* nothing below the root is the target's hardware but its software:
		 * the plan sees no PCI device (present rules, lookups, host-critical
		 * twins, modalias softdeps); the CPU and the firmware tables are left
		 * out where they are used (apply_rules, plan_module_options) */
		view = malloc(sizeof(*view));
		if (!view)
			return -ENOMEM;
		*view = *in;
		view->pci = (struct pdev_list){};
		in = view;
		dc.in = in;
		h = &in->host;
	}
	if (!in->rules_found) {
		p->incomplete = true;
		if (req->for_apply)
			return fail(
				err, -ENOENT,
				"no vendor rules (looked in %s): apply would leave out what they "
				"decide, intel_iommu=on among it; install iommu-setup's rules or "
				"set IOMMU_SETUP_RULES_DIR",
				in->rules_dirs);
		plan_note(
			p,
			"WARNING: INCOMPLETE PLAN: no vendor rules (looked in %s), so what they "
			"decide is missing (intel_iommu=on, iommu=pt, softdeps); apply refuses to "
			"run without them",
			in->rules_dirs);
	}
	/* no --hardware in a chroot: say that the hardware may be the build host's */
	if (p->hardware == PLAN_HARDWARE_SEEN && !h->live) {
		const char *cpu = h->cpu.vendor == CPU_VENDOR_INTEL ? "an Intel CPU"
				  : h->cpu.vendor == CPU_VENDOR_AMD ? "an AMD CPU"
								    : "its CPU";
		const char *target = h->modules.kver[0] ? h->modules.kver : "none installed";
		char running[400];

		if (h->kernel.release[0] && strcmp(h->kernel.release, target) != 0)
			snprintf(running, sizeof(running),
				 "the running kernel (%.128s) is not the target kernel (%.128s)",
				 h->kernel.release, target);
		else
			snprintf(running, sizeof(running),
				 "no running kernel is seen below the root (proc/cmdline, "
				 "proc/sys/kernel/osrelease) for the target kernel (%.128s)",
				 target);
		p->hardware_unverified = true;
		snprintf(p->hardware_warning, sizeof(p->hardware_warning),
			 "WARNING: %s, as in a chroot: this plan is for the hardware seen here "
			 "(%s, the firmware tables, the PCI devices), which may not be the "
			 "target's. Building an image on another machine: give --hardware any "
			 "(or intel, amd). A kickstart %%post runs on the target: nothing to add",
			 running, cpu);
		plan_note(p, "%s", p->hardware_warning);
	}
	r = nextboot_build(&h->boot.sources, &nb);
	if (r < 0)
		return r;
	dl = default_line(&nb, h->boot.loader, h->modules.kver[0] ? h->modules.kver : NULL);
	if (dl) {
		r = kline_cmdline(&nb, dl, &line);
		have_line = r >= 0;
	}
	dc.line = have_line ? &line : NULL;
	if (r >= 0)
		r = effective_ids(in, dc.line, &h->modules.all, cur_ids, sizeof(cur_ids), where,
				  sizeof(where), err);
	if (r >= 0)
		r = plan_devices(&dc, err);
	if (r >= 0)
		r = devices_removed(&dc, cur_ids, err);
	if (r >= 0 && p->by_address && in->regen.itools) {
		if (!in->regen.itools_hook)
			plan_note(p, "WARNING: the initramfs-tools hook of iommu-setup is not "
				     "installed below the root "
				     "(usr/share/initramfs-tools/hooks/iommu-setup): install "
				     "iommu-setup there, or the devices are not bound at boot");
		plan_note(p,
			  "the initramfs-tools script iommu-setup (init-top, before udev's "
			  "coldplug) binds the devices to vfio-pci by address at boot (/%s), the "
			  "udev rule 40-iommu-setup.rules those whose driver loads later from the "
			  "root; vfio-pci.ids is left out, because it would also take identical "
			  "devices that were not asked for",
			  DEVICES_FILE);
	} else if (r >= 0 && p->by_address) {
		if (!in->regen.dracut_module)
			plan_note(p, "WARNING: the dracut module 50iommu-setup is not installed "
				     "below the root (usr/lib/dracut/modules.d): install "
				     "iommu-setup there, or the devices are not bound at boot");
		plan_note(p,
			  "the dracut module iommu-setup binds the devices to vfio-pci by address "
			  "at boot (/%s), the udev rule 40-iommu-setup.rules those whose driver "
			  "loads later from the root; vfio-pci.ids is left out, because it would "
			  "also take identical devices that were not asked for",
			  DEVICES_FILE);
	}
	for (size_t i = 0; r >= 0 && i < p->n_removed; i++)
		plan_note(p,
			  "%s (%04x:%04x) no longer goes to vfio-pci: the request does not name it",
			  p->removed[i].addr, p->removed[i].vendor, p->removed[i].device);
	if (r >= 0)
		r = plan_params(in, req, &nb, p, err);
	if (r >= 0 && p->hardware == PLAN_HARDWARE_ANY)
		for (size_t i = 0; i < p->n_params; i++)
			if (p->params[i].op.kind == KOP_ENSURE &&
			    kparam_name_eq(p->params[i].name, "intel_iommu"))
				plan_note(
					p,
					"--hardware any: the rules of Intel and AMD both apply. "
					"intel_iommu=%s is for an Intel target; on an AMD target "
					"the kernel ignores it (an option of the Intel IOMMU "
					"driver, [DMAR] in kernel-parameters.txt, which finds no "
					"DMAR table there and does not start); AMD-Vi starts from "
					"the IVRS table without a parameter",
					p->params[i].value);
	if (r >= 0)
		r = plan_module_options(in, req, p, err);
	if (r >= 0) {
		/* the kernel's own default for VT-d, so the reason is about this kernel */
		for (size_t i = 0; i < p->n_params; i++)
			if (p->params[i].op.kind == KOP_ENSURE &&
			    kparam_name_eq(p->params[i].name, "intel_iommu") &&
			    h->intel_iommu_default_on >= 0)
				plan_note(
					p,
					"%s %s (CONFIG_INTEL_IOMMU_DEFAULT_ON %s in boot/config-%s); "
					"intel_iommu=on is written all the same, for the kernels that "
					"follow",
					h->modules.kver,
					h->intel_iommu_default_on
						? "would turn VT-d on by itself"
						: "does not turn VT-d on by itself",
					h->intel_iommu_default_on ? "=y" : "is not set",
					h->modules.kver);
	}
	if (r >= 0 && p->n_params == 0 && !p->modprobe[0] && !p->n_devs && !p->incomplete)
		r = fail(
			err, -EINVAL,
			"nothing to plan: no rule applies to this host and no device was requested");
	if (r >= 0 && p->n_params) {
		r = plan_cmdline(in, p, err);
		if (r >= 0 && !h->boot.sources.grub.text && !h->boot.sources.n_bls &&
		    !h->boot.sources.kernel_cmdline.text)
			r = fail(
				err, -ENOENT,
				"no boot loader configuration found below the root "
				"(etc/default/grub, BLS entries, etc/kernel/cmdline): nothing to plan");
		if (r >= 0 && h->boot.loader == LOADER_SYSTEMD_BOOT &&
		    !h->boot.sources.kernel_cmdline.text)
			plan_note(p,
				  "WARNING: systemd-boot without etc/kernel/cmdline: kernels "
				  "installed later take their command line from the running one");
	}
	if (r >= 0)
		r = plan_modprobe(in, p, err);
	if (r >= 0)
		r = plan_initramfs(in, p, err);
	if (r >= 0)
		r = regen_decide(&in->regen, h, req, p, err);
	if (r >= 0)
		p->reboot_required = needs_reboot(in, p);
	if (r >= 0 && p->oom)
		r = -ENOMEM;
	kcmdline_done(&line);
	nextboot_done(&nb);
	if (r < 0)
		plan_done(p);
	return r;
}

int plan_command_set(struct plan_command *c, ...)
{
	va_list ap;
	const char *w;
	size_t used = 0;

	c->argc = 0;
	c->line[0] = '\0';
	va_start(ap, c);
	while ((w = va_arg(ap, const char *))) {
		bool quote = !*w || strpbrk(w, " \t'\"\\$") != NULL;

		if (c->argc == COMMAND_ARGS_MAX || strlen(w) >= sizeof(c->args[0]) ||
		    used + strlen(w) + 4 >= sizeof(c->line)) {
			va_end(ap);
			return -E2BIG;
		}
		snprintf(c->args[c->argc++], sizeof(c->args[0]), "%s", w);
		used += (size_t)snprintf(c->line + used, sizeof(c->line) - used, "%s%s%s%s",
					 used ? " " : "", quote ? "'" : "", w, quote ? "'" : "");
	}
	va_end(ap);
	return 0;
}

bool planned_file_changed(const struct planned_file *f)
{
	return f->removed || f->old_len != f->new_len || memcmp(f->old, f->new, f->old_len) != 0;
}

bool plan_pending(const struct plan *p)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (planned_file_changed(&p->files[i]))
			return true;
	for (size_t i = 0; i < p->n_commands; i++)
		if (p->commands[i].forced)
			return true;
	return false;
}

const char *command_kind_name(enum command_kind cmd)
{
	return cmd == CMD_BOOTCFG ? "bootcfg" : cmd == CMD_ESP_SYNC ? "esp-sync" : "initramfs";
}

bool command_regenerates(enum command_kind cmd, enum file_kind file)
{
	/* grub.cfg comes from the GRUB defaults (and RHEL 8's kernelopts fallback);
	 * the initramfs carries modprobe.d and its own configuration */
	if (cmd == CMD_BOOTCFG)
		return file == FILE_GRUB_DEFAULT || file == FILE_GRUBENV;
	/* the ESPs get the command line (either file) and the initramfs; a
	 * trial's files are the loader's own, and a sync would carry the running
	 * (trial's) command line into the default entry */
	if (cmd == CMD_ESP_SYNC)
		return file != FILE_TRIAL && file != FILE_TRIAL_IMAGE;
	return file == FILE_OWNED || file == FILE_LINES || file == FILE_ADOPTED;
}

bool plan_command_needed(const struct plan *p, const struct plan_command *cmd)
{
	if (cmd->forced)
		return true;
	/* the boot partitions get a copy of what the commands before them made
	 * (apply --initramfs rebuilds an image with no file changed) */
	for (size_t i = 0; cmd->kind == CMD_ESP_SYNC && i < p->n_commands; i++)
		if (&p->commands[i] != cmd && p->commands[i].kind != CMD_ESP_SYNC &&
		    plan_command_needed(p, &p->commands[i]))
			return true;
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];

		if (!planned_file_changed(f))
			continue;
		if (command_regenerates(cmd->kind, f->kind))
			return true;
	}
	return false;
}

bool file_kind_is_cmdline(enum file_kind k)
{
	return k == FILE_GRUB_DEFAULT || k == FILE_BLS_ENTRY || k == FILE_GRUBENV ||
	       k == FILE_KERNEL_CMDLINE;
}

bool planned_file_is_cmdline(const struct planned_file *f)
{
	return file_kind_is_cmdline(f->kind);
}

char *planned_file_cmdline(const struct planned_file *f, bool new)
{
	const char *t = new ? f->new : f->old;
	size_t len = new ? f->new_len : f->old_len;

	switch (f->kind) {
	case FILE_GRUBENV:
		return grubenv_get_value(t, len, "kernelopts");
	case FILE_BLS_ENTRY:
		return bls_entry_options(t);
	case FILE_KERNEL_CMDLINE:
		return strndup(t, strcspn(t, "\r\n"));
	case FILE_GRUB_DEFAULT: {
		/* what the shell would make of each variable the file sets */
		struct shenv env = {};
		char *out = NULL;
		size_t used = 0;
		FILE *m = open_memstream(&out, &used);

		if (!m)
			return NULL;
		if (shenv_source(&env, t, len, f->path) >= 0)
			for (const char *var = f->what; var && *var;) {
				size_t k = strcspn(var, " +");
				char name[64];
				const struct shvar *v;

				snprintf(name, sizeof(name), "%.*s", (int)k, var);
				v = shenv_get(&env, name);
				if (v && v->known && v->value)
					fprintf(m, "%s%s", ftell(m) ? " " : "", v->value);
				else if (v && !v->known)
					fprintf(m, "%s(%s built by shell code; see the diff)",
						ftell(m) ? " " : "", name);
				var += k;
				var += strspn(var, " +");
			}
		shenv_done(&env);
		fclose(m);
		return out;
	}
	default:
		return NULL;
	}
}

int edit_cmdline_file(enum file_kind kind, const char *path, const char *what, const char *text,
		      size_t len, const struct kop *ops, size_t m, char **ret, size_t *ret_len,
		      char *error, size_t error_size)
{
	struct file_error err = {};
	int r;

	switch (kind) {
	case FILE_GRUB_DEFAULT: {
		/* every variable the file's edit touched ("A + B") */
		_cleanup_free_ char *cur = strndup(text, len);
		size_t clen = len;

		if (!cur)
			return -ENOMEM;
		for (const char *var = what; *var;) {
			size_t k = strcspn(var, " +");
			char name[64], *out = NULL;

			snprintf(name, sizeof(name), "%.*s", (int)k, var);
			r = grub_edit(cur, clen, path, name, ops, m, &out, &clen, &err);
			if (r == -EINVAL)
				snprintf(error, error_size, "%s:%u: %s", err.file, err.line,
					 err.message);
			if (r < 0)
				return r;
			free(cur);
			cur = out;
			var += k;
			var += strspn(var, " +");
		}
		*ret = TAKE_PTR(cur);
		*ret_len = clen;
		return 0;
	}
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

/* ---- the trial boot ---- */

static void drop_file(struct plan *p, size_t i)
{
	free(p->files[i].old);
	free(p->files[i].new);
	memmove(&p->files[i], &p->files[i + 1], (p->n_files - i - 1) * sizeof(p->files[0]));
	p->n_files--;
}

static void drop_command(struct plan *p, size_t i)
{
	memmove(&p->commands[i], &p->commands[i + 1],
		(p->n_commands - i - 1) * sizeof(p->commands[0]));
	p->n_commands--;
}

/* the trial's own image next to the default one: boot/initrd.img-K-SUFFIX,
 * boot/initramfs-K-SUFFIX.img */
bool plan_trial_image_path_valid(const char *path)
{
	return strncmp(path, "boot/", 5) == 0 && !strchr(path + 5, '/') &&
	       strstr(path + 5, "-" GRUB_TRIAL_ID) && path_valid_below_root(path);
}

bool plan_trial_image_name(const char *output, char *buf, size_t n)
{
	size_t l = strlen(output);
	int k;

	if (l > 4 && strcmp(output + l - 4, ".img") == 0)
		k = snprintf(buf, n, "%.*s-" GRUB_TRIAL_ID ".img", (int)(l - 4), output);
	else
		k = snprintf(buf, n, "%s-" GRUB_TRIAL_ID, output);
	return k > 0 && (size_t)k < n;
}

/*
 * The trial's initramfs: when the target kernel's must change, the trial
 * gets one of its own, built from the planned files, which are given back
 * after the build (transient), and its entry boots it; the default entry's
 * image and files stay. Other kernels' images are not the trial's business.
 * *block's initrd line is edited. 0, or a verdict that refuses.
 */
static int trial_initramfs(const struct plan_input *in, struct plan *p, char **block,
			   enum grub_trial_verdict *verdict, struct file_error *err)
{
	struct plan_command *c = NULL;
	char img[600], abs[620];
	const char *from, *to;
	char *edited = NULL;
	size_t dropped = 0;
	int r;

	for (size_t i = p->n_commands; i-- > 0;) {
		struct plan_command *x = &p->commands[i];

		if (x->kind == CMD_ESP_SYNC) {
			*verdict = GRUB_TRIAL_ESP_SYNC;
			return 0;
		}
		if (x->kind == CMD_INITRAMFS && strcmp(x->kver, p->kver) != 0) {
			drop_command(p, i);
			dropped++;
		}
	}
	for (size_t i = 0; i < p->n_commands; i++)
		if (p->commands[i].kind == CMD_INITRAMFS)
			c = &p->commands[i];
	if (dropped)
		plan_note(p,
			  "trial: the initramfs of %zu other installed kernel%s is left as it is "
			  "(--all-kernels is for apply without --trial)",
			  dropped, dropped == 1 ? "" : "s");
	if (!c) {
		/* no initramfs is built (--no-initramfs): its files must not change */
		for (size_t i = 0; i < p->n_files; i++)
			if (planned_file_changed(&p->files[i]))
				*verdict = GRUB_TRIAL_NO_INITRAMFS;
		return 0;
	}
	if (!plan_command_needed(p, c)) {
		plan_note(p,
			  "trial: the trial entry boots the default entry's initramfs, /%s: "
			  "nothing in it changes",
			  c->output);
		return 0;
	}
	if (!plan_trial_image_name(c->output, img, sizeof(img)))
		return fail(err, -E2BIG, "/%s: the trial's image name would be too long",
			    c->output);
	snprintf(abs, sizeof(abs), "/%s", img);
	if (strcmp(c->lister_name, "lsinitrd") == 0)
		r = plan_command_set(c, in->regen.dracut, "-f", "--kver", c->kver, abs, NULL);
	else if (in->regen.mkinitramfs[0])
		r = plan_command_set(c, in->regen.mkinitramfs, "-o", abs, c->kver, NULL);
	else {
		*verdict = GRUB_TRIAL_NO_IMAGE_TOOL;
		return 0;
	}
	if (r < 0)
		return fail(err, -E2BIG, "the trial's initramfs command is too long");
	from = strrchr(c->output, '/');
	to = strrchr(img, '/');
	from = from ? from + 1 : c->output;
	to = to ? to + 1 : img;
	r = grub_trial_block_initrd(*block, from, to, &edited);
	if (r == -ENOENT)
		return fail(err, -EINVAL,
			    "the target kernel's boot entry has no initrd line naming "
			    "%s: the trial's own initramfs cannot be put in its place",
			    from);
	if (r < 0)
		return r;
	free(*block);
	*block = edited;
	snprintf(c->why, sizeof(c->why),
		 "the trial entry's own initramfs, built from the planned files, which are then "
		 "given back: the default entry's /%.300s and its files stay as they are",
		 c->output);
	snprintf(c->output, sizeof(c->output), "%s", img);
	snprintf(p->trial_image, sizeof(p->trial_image), "%s", img);
	for (size_t i = 0; i < p->n_files; i++)
		if (planned_file_changed(&p->files[i]))
			p->files[i].transient = true;
	plan_note(p,
		  "trial: the trial entry boots its own initramfs, /%s; the default entry's "
		  "image and the files it was built from stay as they are until commit",
		  img);
	return 0;
}

/* GRUB's blscfg reads /loader/entries of its boot partition; systemd-boot
 * every directory of bls_dirs. Neither reads a hidden file, and GRUB skips
 * an entry without a linux key. */
static bool bls_loader_reads(const struct src_file *f, bool sd)
{
	const char *base = strrchr(f->path, '/');
	struct bls_keys k;

	if (!f->text || !base || base[1] == '.' ||
	    (!sd && strncmp(f->path, "boot/loader/entries/", 20) != 0))
		return false;
	bls_read(f->text, f->len, &k);
	return k.linux_path[0] != '\0';
}

/* the ids of the entries the loader reads (file names, without .conf for
 * GRUB's blscfg), for the judge; NULL when memory runs out */
static const char **bls_ids(const struct boot_sources *s, bool sd, size_t *n)
{
	const char **ids = calloc(s->n_bls + 1, sizeof(*ids));

	*n = 0;
	if (!ids)
		return NULL;
	for (size_t i = 0; i < s->n_bls; i++) {
		const char *base = strrchr(s->bls[i].path, '/');
		char *id;
		size_t l;

		if (!bls_loader_reads(&s->bls[i], sd))
			continue;
		id = strdup(base + 1);
		if (!id)
			goto oom;
		l = strlen(id);
		if (l > 5 && strcmp(id + l - 5, ".conf") == 0)
			id[l -= 5] = '\0';
		if (sd) {
			/* systemd-boot: "auto-" ids are its own; a boot counter
			 * ("+LEFT" or "+LEFT-DONE" before .conf) is not part of the id */
			char *plus = strrchr(id, '+');

			if (plus && plus[1] >= '0' && plus[1] <= '9' &&
			    strspn(plus + 1, "0123456789-") == strlen(plus + 1))
				*plus = '\0';
			if (strncmp(id, "auto-", 5) == 0) {
				free(id);
				continue;
			}
			l = strlen(id);
			memcpy(id + l, ".conf", 6); /* fits: it was there */
		}
		ids[(*n)++] = id;
	}
	return ids;
oom:
	for (size_t i = 0; i < *n; i++)
		free((char *)ids[i]);
	free(ids);
	return NULL;
}

/* the target kernel's entry among those the loader reads (the first, in
 * path order) */
static const struct src_file *bls_target(const struct boot_sources *s, const char *kver, bool sd)
{
	for (size_t i = 0; i < s->n_bls; i++) {
		struct bls_keys k;

		if (!bls_loader_reads(&s->bls[i], sd))
			continue;
		bls_read(s->bls[i].text, s->bls[i].len, &k);
		if (bls_is_for(k.version, k.linux_path, kver))
			return &s->bls[i];
	}
	return NULL;
}

/*
 * The trial entry: on GRUB with grub-mkconfig, the block for custom.cfg
 * (*path its path); on GRUB with BLS, the entry file next to the target's.
 * *old is the file as it is now. -EINVAL with err when it cannot be made.
 */
static int trial_entry_make(struct plan *p, const struct trial_files *t,
			    const struct grub_cfg_entry *e, const struct src_file *bls, bool expand,
			    char **block, char *path, size_t path_size, const struct src_file **old,
			    struct file_error *err)
{
	struct kop ops[PLAN_OPS_MAX];
	char error[384];
	int r;

	free(p->trial_from);
	free(p->trial_to);
	p->trial_from = p->trial_to = NULL;
	if (bls) {
		const char *slash = strrchr(bls->path, '/');

		r = bls_trial_entry(bls->text, bls->len, p->kver, expand, t->grubenv.text,
				    t->grubenv.len, plan_ops(p, ops), p->n_params, block,
				    &p->trial_from, &p->trial_to, error, sizeof(error));
		if (r == -EINVAL)
			return file_error_set(err, bls->path, 0, "%s", error);
		if (r < 0)
			return r;
		snprintf(path, path_size, "%.*s/" BLS_TRIAL_FILE,
			 (int)(slash ? slash - bls->path : 0), bls->path);
		for (size_t i = 0; i < BLS_DIRS_N; i++)
			if (t->bls_trial[i].path && strcmp(t->bls_trial[i].path, path) == 0)
				*old = &t->bls_trial[i];
		if (!*old)
			return file_error_set(err, bls->path, 0,
					      "not in a directory BLS entries are read from");
		/* one there already must be an earlier trial's, never someone's own */
		if ((*old)->text && !bls_trial_entry_ours((*old)->text, (*old)->len))
			return file_error_set(err, path, 1,
					      "is not a trial entry iommu-setup wrote (its first "
					      "line is not ours): move it away first");
		return 0;
	}
	r = grub_trial_entry(t->grub_cfg.text, e, p->kver, plan_ops(p, ops), p->n_params, block,
			     error, sizeof(error));
	if (r == -EINVAL)
		return file_error_set(err, t->grub_cfg.path, e->line, "%s", error);
	if (r < 0)
		return r;
	/* the trial entry's line, for the record, before its initrd changes */
	p->trial_from = strndup(t->grub_cfg.text + e->args_start, e->args_end - e->args_start);
	if (!p->trial_from || grub_custom_cfg_trial_args(*block, strlen(*block), &p->trial_to) < 0)
		return -ENOMEM;
	snprintf(path, path_size, "%s/custom.cfg", t->dir);
	*old = &t->custom;
	return 0;
}

/* systemd-boot's verdict on the trial (ids: the entries' file names) */
static enum grub_trial_verdict sdboot_verdict(const struct trial_files *t, const char *const *ids,
					      size_t n_ids)
{
	char oneshot[256], dflt[256];
	struct sdboot_trial_facts f = {
		.efivars = t->efivars,
		.loader_conf = t->loader_conf.text,
		.loader_conf_len = t->loader_conf.len,
		.ids = ids,
		.n_ids = n_ids,
	};

	if (t->oneshot.text) {
		f.oneshot_invalid =
			efivar_ascii_string((const uint8_t *)t->oneshot.text, t->oneshot.len,
					    oneshot, sizeof(oneshot)) < 0;
		f.oneshot = f.oneshot_invalid ? NULL : oneshot;
	}
	if (t->entry_default.text) {
		f.default_invalid =
			efivar_ascii_string((const uint8_t *)t->entry_default.text,
					    t->entry_default.len, dflt, sizeof(dflt)) < 0;
		f.default_var = f.default_invalid ? NULL : dflt;
	}
	return sdboot_trial_judge(&f);
}

/*
 * systemd-boot: the trial boots the target entry's kernel and initramfs on
 * the boot partition with its own line; kernel-install, which would rewrite
 * the entry and copy a new image, does not run. An initramfs that must
 * change is refused: the trial's own image is built for GRUB hosts only.
 */
static void sdboot_trial_commands(struct plan *p, enum grub_trial_verdict *verdict)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (planned_file_changed(&p->files[i]))
			*verdict = GRUB_TRIAL_SDBOOT_INITRAMFS;
	for (size_t i = p->n_commands; i-- > 0;) {
		const struct plan_command *c = &p->commands[i];
		const char *base = strrchr(c->args[0], '/');

		base = base ? base + 1 : c->args[0];
		if (c->kind == CMD_ESP_SYNC && strcmp(base, "kernel-install") != 0)
			*verdict = GRUB_TRIAL_ESP_SYNC;
		else if (c->kind == CMD_INITRAMFS && plan_command_needed(p, c))
			*verdict = GRUB_TRIAL_SDBOOT_INITRAMFS;
		else
			drop_command(p, i);
	}
}

int plan_trial(const struct plan_input *in, struct plan *p, const struct trial_files *t,
	       enum grub_trial_verdict *verdict, struct file_error *err)
{
	const struct boot_sources *src = &in->host.boot.sources;
	const struct shvar *dflt = shenv_get(&in->host.boot.grub_env, "GRUB_DEFAULT"),
			   *save = shenv_get(&in->host.boot.grub_env, "GRUB_SAVEDEFAULT");
	const bool bls = in->host.boot.loader == LOADER_GRUB_BLS,
		   sd = in->host.boot.loader == LOADER_SYSTEMD_BOOT;
	size_t n_ids = 0;
	const char **ids = bls || sd ? bls_ids(src, sd, &n_ids) : NULL;
	struct grub_trial_facts f = {
		.grubenv = t->grubenv.text,
		.grubenv_len = t->grubenv.len,
		.grub_cfg = t->grub_cfg.text,
		.grub_cfg_len = t->grub_cfg.len,
		.grub_default = dflt && dflt->known ? dflt->value : NULL,
		.grub_savedefault = save && save->known ? save->value : NULL,
		.env_fstype = t->env_mount_found ? t->env_fstype : NULL,
		.env_source = t->env_mount_found ? t->env_source : NULL,
		.default_unknown = (dflt && !dflt->known) || (save && !save->known),
		.kver = p->kver,
		.bls = bls,
		.bls_ids = ids,
		.n_bls_ids = n_ids,
	};
	_cleanup_free_ char *block = NULL, *custom = NULL, *env = NULL;
	const struct src_file *target = NULL, *old = NULL;
	struct grub_cfg_entry e = {};
	char path[700], error[384];
	bool changes = false;
	size_t env_len = 0;
	int r = 0;

	if ((bls || sd) && !ids)
		return -ENOMEM;
	/* a refusal: the verdict says why, the code names it for machines */
	*err = (struct file_error){};
	err->code = "TRIAL_IMPOSSIBLE";
	for (size_t i = 0; i < p->n_files; i++)
		changes |=
			planned_file_is_cmdline(&p->files[i]) && planned_file_changed(&p->files[i]);
	if (in->host.boot.loader != LOADER_GRUB && !bls && !sd)
		*verdict = GRUB_TRIAL_NOT_GRUB;
	else if (!changes)
		*verdict = GRUB_TRIAL_NOTHING;
	else if (sd)
		*verdict = sdboot_verdict(t, ids, n_ids);
	else
		*verdict = grub_trial_judge(&f);
	for (size_t i = 0; i < n_ids; i++)
		free((char *)ids[i]);
	free(ids);
	if (*verdict == GRUB_TRIAL_POSSIBLE && (bls || sd) &&
	    !(target = bls_target(src, p->kver, sd)))
		*verdict = GRUB_TRIAL_NO_ENTRY;
	if (*verdict == GRUB_TRIAL_POSSIBLE && !bls && !sd &&
	    grub_cfg_find_entry(f.grub_cfg, f.grub_cfg_len, p->kver, &e) < 0)
		*verdict = GRUB_TRIAL_NO_ENTRY;
	if (*verdict != GRUB_TRIAL_POSSIBLE)
		return 0;
	err->code = NULL;
	r = trial_entry_make(p, t, &e, target, !sd, &block, path, sizeof(path), &old, err);
	if (r < 0)
		return r;
	/* the default entry keeps its line: no command-line file, no grub.cfg */
	for (size_t i = p->n_files; i-- > 0;)
		if (planned_file_is_cmdline(&p->files[i]))
			drop_file(p, i);
	for (size_t i = p->n_commands; i-- > 0;)
		if (p->commands[i].kind == CMD_BOOTCFG)
			drop_command(p, i);
	if (sd)
		sdboot_trial_commands(p, verdict);
	else
		r = trial_initramfs(in, p, &block, verdict, err);
	if (r < 0 || *verdict != GRUB_TRIAL_POSSIBLE) {
		if (*verdict != GRUB_TRIAL_POSSIBLE)
			err->code = "TRIAL_IMPOSSIBLE";
		return r;
	}
	if (bls || sd)
		custom = TAKE_PTR(block);
	else {
		r = grub_custom_cfg_set(t->custom.text, t->custom.len, block, &custom, error,
					sizeof(error));
		if (r == -EINVAL)
			return file_error_set(err, t->custom.path, 0, "%s", error);
		if (r < 0)
			return r;
	}
	if (sd)
		r = sdboot_oneshot_value(BLS_TRIAL_FILE, &env, &env_len);
	else
		r = grubenv_set(f.grubenv, f.grubenv_len, "next_entry", GRUB_TRIAL_ID, &env,
				&env_len, error, sizeof(error));
	if (r == -EINVAL)
		return file_error_set(err, t->grubenv.path, 0, "%s", error);
	if (r < 0)
		return r;
	r = add_file(p, FILE_TRIAL, path,
		     bls || sd ? "the trial boot entry" : "the trial menu entry", old->text,
		     old->len, custom, strlen(custom), !old->text, err);
	if (r < 0)
		return r;
	if (sd)
		r = add_file(p, FILE_TRIAL, SDBOOT_ONESHOT, "LoaderEntryOneShot", t->oneshot.text,
			     t->oneshot.len, env, env_len, !t->oneshot.text, err);
	else
		r = add_file(p, FILE_TRIAL, t->grubenv.path, "next_entry", f.grubenv, f.grubenv_len,
			     env, env_len, false, err);
	if (r < 0)
		return r;
	if (sd)
		plan_note(p, "trial: the trial entry boots the target entry's kernel and initramfs "
			     "as they are on the boot partition; kernel-install does not run");
	return 0;
}

uint64_t plan_initramfs_inputs(const struct plan *p)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, 64 bits */

	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];
		const size_t n = strlen(f->path) + 1;

		if (!planned_file_changed(f) || f->removed ||
		    !command_regenerates(CMD_INITRAMFS, f->kind))
			continue;
		for (size_t k = 0; k < n + f->new_len + 1; k++) {
			unsigned char c = k < n		       ? (unsigned char)f->path[k]
					  : k < n + f->new_len ? (unsigned char)f->new[k - n]
							       : 0;

			h = (h ^ c) * 0x100000001b3ULL;
		}
	}
	return h;
}

bool plan_trial_promotable(const struct plan *p, const struct record *rec,
			   const struct plan_command *c)
{
	char want[64];

	if (!c || c->kind != CMD_INITRAMFS || !plan_command_needed(p, c))
		return false;
	snprintf(want, sizeof(want), TRIAL_INPUTS_FORMAT,
		 (unsigned long long)plan_initramfs_inputs(p));
	for (size_t i = 0; i < rec->n_files; i++)
		if (rec->files[i].kind == FILE_TRIAL_IMAGE)
			return rec->files[i].ours && rec->files[i].ours_len == strlen(want) &&
			       memcmp(rec->files[i].ours, want, strlen(want)) == 0;
	return false;
}

int plan_trial_end(struct plan *p, const char *path, const char *cur, size_t len, bool created,
		   struct file_error *err)
{
	_cleanup_free_ char *out = NULL;
	char error[384];
	size_t out_len = 0;
	const char *base;
	bool custom;
	int r;

	*err = (struct file_error){};
	/* a file the real plan writes too (RHEL 8's grubenv, for kernelopts):
	 * the trial taken out of what it writes, in the one planned file */
	for (size_t i = 0; i < p->n_files; i++) {
		struct planned_file *pf = &p->files[i];

		if (strcmp(pf->path, path) != 0)
			continue;
		r = grub_trial_undo(path, pf->new, pf->new_len, &out, &out_len, error,
				    sizeof(error));
		if (r == -EINVAL)
			return file_error_set(err, path, 0, "%s", error);
		if (r < 0)
			return r;
		if (!out)
			return file_error_set(err, path, 0,
					      "planned for the real plan, and it goes");
		free(pf->new);
		pf->new = TAKE_PTR(out);
		pf->new_len = out_len;
		/* and what the record keeps as before: a revert must not bring back
		 * a next_entry naming a trial that is gone */
		r = grub_trial_undo(path, pf->old, pf->old_len, &out, &out_len, error,
				    sizeof(error));
		if (r < 0)
			return file_error_set(err, path, 0, "%s", error);
		if (out) {
			free(pf->old);
			pf->old = TAKE_PTR(out);
			pf->old_len = out_len;
		}
		return 0;
	}
	r = grub_trial_undo(path, cur, len, &out, &out_len, error, sizeof(error));
	if (r == -EINVAL)
		return file_error_set(err, path, 0, "%s", error);
	if (r < 0)
		return r;
	base = strrchr(path, '/');
	custom = strcmp(base ? base + 1 : path, "custom.cfg") == 0;
	r = add_file(p, FILE_TRIAL, path,
		     custom			 ? "the trial menu entry"
		     : bls_trial_path(path)	 ? "the trial boot entry"
		     : sdboot_oneshot_path(path) ? "LoaderEntryOneShot"
						 : "next_entry",
		     cur, len, out ? out : "", out_len, false, err);
	if (r < 0)
		return r;
	/* a custom.cfg that was there before the trial stays, however empty;
	 * the BLS trial entry goes */
	p->files[p->n_files - 1].removed =
		!out && (created || bls_trial_path(path) || sdboot_oneshot_path(path));
	return 0;
}
