/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/devices.h"
#include "decide/verify.h"
#include "facts/cpuinfo.h"

static struct check *dev_add(struct check_report *r, const struct pdev *d, const char *addr,
			     const char *id, const char *code, enum check_level level,
			     const char *what)
{
	char label[48];
	struct check *c;

	snprintf(label, sizeof(label), "%s %s", d ? d->addr : addr, what);
	c = check_add(r, id, code, level, label);
	snprintf(c->device, sizeof(c->device), "%s", d ? d->addr : addr);
	return c;
}

static bool is_vfio(const char *driver)
{
	return driver && strcmp(driver, "vfio-pci") == 0;
}

/* the group's endpoints (bridges never count) that a host driver holds, but d */
static const struct pdev *busy_mate(const struct pdev_list *l, const struct pdev *d)
{
	const struct pdev_group *g = d->group >= 0 ? pdev_find_group(l, d->group) : NULL;

	for (unsigned i = 0; g && i < g->n_members; i++) {
		const struct pdev *m = &l->devs[g->members[i]];

		if (m != d && !m->bridge && !driver_is_free(m->driver))
			return m;
	}
	return NULL;
}

bool verify_probe_wanted(const struct verify_input *in, const struct verify_device *v)
{
	const struct pdev *d = pdev_find(in->pci, v->addr);

	return in->can_probe && in->host->live && d && is_vfio(d->driver) && d->group >= 0 &&
	       !busy_mate(in->pci, d);
}

/* the bridge directly above d in the list, NULL on a root bus */
static const struct pdev *parent_of(const struct pdev_list *l, const struct pdev *d)
{
	return d->parent[0] ? pdev_find(l, d->parent) : NULL;
}

const struct pdev *verify_acs_breaker(const struct pdev_list *l, const struct pdev *d)
{
	const struct pdev *p = d;

	/* the kernel walks up from the device; a port whose ACS does not hold joins
	 * everything below it (drivers/pci/search.c, pci_device_group) */
	for (unsigned depth = 0; (p = parent_of(l, p)) && depth < 32; depth++) {
		if (!p->caps.read)
			return NULL; /* not known */
		if (!p->caps.pcie)
			return p; /* a conventional PCI bridge: no isolation below it */
		if (p->caps.pcie_type == PCIE_TYPE_ROOT_PORT ||
		    p->caps.pcie_type == PCIE_TYPE_DOWNSTREAM) {
			if (!pci_caps_acs_isolates(&p->caps))
				return p;
		}
	}
	return NULL;
}

void verify_reset_methods(const struct pdev *d, char *buf, size_t n, const char **what)
{
	if (d->reset_method_attr) {
		*what = "reset_method";
		snprintf(buf, n, "%s", d->reset_methods ? d->reset_methods : "");
		return;
	}
	if (!d->caps.lists) {
		*what = "unknown";
		snprintf(buf, n, "%s", "");
		return;
	}
	*what = "config space";
	snprintf(buf, n, "%s%s%s", d->caps.flr ? "flr " : "", d->caps.af_flr ? "af_flr " : "",
		 d->caps.pm && !d->caps.no_soft_reset ? "pm " : "");
	if (n && buf[0] && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = '\0';
}

static bool has_word(const char *list, const char *w)
{
	size_t l = strlen(w);

	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, " ");

		if (k == l && strncmp(p, w, l) == 0)
			return true;
		p += k;
		p += strspn(p, " ");
	}
	return false;
}

/* A softdep "MOD pre: ... vfio-pci ..." among the effective modprobe configuration */
static bool softdep_vfio_first(const struct modconf *c, const char *module)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct modconf_entry *e = &c->entries[i];
		const char *pre, *post;

		if (e->kind != MODCONF_SOFTDEP || !module_name_eq(e->module, module) || !e->value)
			continue;
		pre = strstr(e->value, "pre:");
		post = strstr(e->value, "post:");
		for (const char *p = pre; p && *p && (!post || p < post);) {
			size_t k;

			p += strspn(p, " \t");
			k = strcspn(p, " \t");
			if (k == 8 &&
			    (strncmp(p, "vfio-pci", 8) == 0 || strncmp(p, "vfio_pci", 8) == 0))
				return true;
			p += k;
		}
	}
	return false;
}

static void check_driver(const struct verify_input *in, const struct verify_device *v,
			 const struct pdev *d, struct check_report *r)
{
	const struct modules_state *m = &in->host->modules;
	const char *mod = d->driver_module ? d->driver_module : d->driver;
	struct check *c;

	if (is_vfio(d->driver)) {
		c = dev_add(r, d, NULL, "device.driver", NULL, CHECK_PASS, "driver");
		check_summary(c, "on vfio-pci (%s)", v->origin);
		return;
	}
	if (!d->driver) {
		c = dev_add(r, d, NULL, "device.driver", "DEVICE_NO_DRIVER", CHECK_FAIL, "driver");
		if (!v->configured)
			check_summary(c,
				      "no driver, and the configuration does not give it to "
				      "vfio-pci (%s)",
				      v->origin);
		else if (m->mods[VFIO_MOD_VFIO_PCI].loaded == 0)
			check_summary(c,
				      "no driver: vfio-pci, which %s names it for, is not loaded",
				      v->origin);
		else
			check_summary(c, "no driver: vfio-pci (%s) did not take it", v->origin);
		check_hint(c,
			   "`iommu-setup apply --device %s` and a reboot; the kernel log says "
			   "why vfio-pci refused it (dmesg | grep vfio)",
			   d->addr);
		return;
	}
	c = dev_add(r, d, NULL, "device.driver", "DEVICE_HOST_DRIVER", CHECK_FAIL, "driver");
	if (!v->configured) {
		check_summary(c, "on %s: the configuration does not give it to vfio-pci",
			      d->driver);
		check_hint(c, "`iommu-setup apply --device %s` (or --ids %04x:%04x) and a reboot",
			   d->addr, d->vendor, d->device);
	} else if (d->driver_builtin == 1) {
		check_summary(c,
			      "on %s, which is built into the kernel: it claims the device at "
			      "boot, before vfio-pci (%s) is loaded",
			      d->driver, v->origin);
		check_hint(c,
			   "bind it by address in the initramfs (`iommu-setup apply --device "
			   "%s` on a dracut host), or build vfio-pci into the kernel and pass "
			   "vfio-pci.ids",
			   d->addr);
	} else if (m->mods[VFIO_MOD_VFIO_PCI].kind == MOD_MODULE &&
		   !softdep_vfio_first(&m->all, mod)) {
		check_summary(c,
			      "on %s: vfio-pci (%s) is configured, but no softdep loads it "
			      "before %s, which won the race",
			      d->driver, v->origin, mod);
		check_hint(c,
			   "`iommu-setup apply` adds \"softdep %s pre: vfio-pci\" (the rules say "
			   "which drivers need one), then rebuild the initramfs and reboot",
			   mod);
	} else {
		check_summary(c,
			      "on %s although vfio-pci (%s) is configured and ordered before "
			      "it: the initramfs that booted loaded %s without that "
			      "configuration",
			      d->driver, v->origin, mod);
		check_hint(c, "rebuild the initramfs of the running kernel (update-initramfs -u, "
			      "or dracut -f) and reboot");
	}
}

static void check_group(const struct verify_input *in, const struct pdev *d, struct check_report *r)
{
	const struct pdev *mate;
	struct check *c;

	if (d->group < 0) {
		c = dev_add(r, d, NULL, "device.group", "DEVICE_NO_GROUP", CHECK_FAIL, "group");
		check_summary(c, "in no IOMMU group: the IOMMU does not translate for it");
		return;
	}
	mate = busy_mate(in->pci, d);
	if (mate) {
		c = dev_add(r, d, NULL, "device.group", "GROUP_NOT_VIABLE", CHECK_FAIL, "group");
		check_summary(c, "IOMMU group %d is not viable: %s is on %s", d->group, mate->addr,
			      mate->driver);
		check_hint(c, "every device of the group goes to vfio-pci or has no driver: "
			      "`iommu-setup devices --groups`");
		return;
	}
	c = dev_add(r, d, NULL, "device.group", NULL, CHECK_PASS, "group");
	check_summary(c, "IOMMU group %d: no member on a host driver", d->group);
}

/* the rules are matched against the running kernel: what booted is judged */
static struct rule_host running_rule_host(const struct host *h)
{
	return (struct rule_host){
		.cpu = cpu_vendor_to_string(h->cpu.vendor),
		.cpu_family = h->cpu.family,
		.cpu_model = h->cpu.model,
		.kernel = h->kernel.release[0] ? h->kernel.release : NULL,
	};
}

static void check_framebuffer(const struct verify_input *in, const struct pdev *d,
			      struct check_report *r)
{
	const char *fb = pdev_framebuffer(in->pci, d);
	const struct host *h = in->host;
	struct rule_host rh = running_rule_host(h);
	struct rule_device rd = { d->vendor, d->device, d->class, fb, false };
	char params[512] = "";
	size_t used = 0;
	struct check *c;

	if (!fb) {
		if (in->pci->fb.hidden) {
			c = dev_add(r, d, NULL, "device.framebuffer", "IOMEM_HIDDEN", CHECK_NOTE,
				    "framebuffer");
			check_summary(c, "proc/iomem shows no addresses to this user: whether a "
					 "boot framebuffer holds the device's memory is unknown");
			check_hint(c, "run as root");
		}
		return;
	}
	for (size_t i = 0; in->rules && i < in->rules->n; i++) {
		const struct rule *ru = &in->rules->rules[i];
		int k;

		if ((ru->action != RULE_OFFER && ru->action != RULE_PARAM) || !ru->framebuffer[0] ||
		    rule_matches(ru, &rh, &rd, 1, &rd, 1) == RULE_NO_MATCH ||
		    has_word(params, ru->arg))
			continue;
		k = snprintf(params + used, sizeof(params) - used, "%s%s", used ? " " : "",
			     ru->arg);
		if (k < 0 || (size_t)k >= sizeof(params) - used)
			break;
		used += (size_t)k;
	}
	c = dev_add(r, d, NULL, "device.framebuffer", "FRAMEBUFFER_CLAIM", CHECK_FAIL,
		    "framebuffer");
	check_summary(c,
		      "the boot framebuffer (%s in proc/iomem) holds memory in one of its BARs%s: "
		      "vfio-pci cannot reserve them, and the guest gets no picture",
		      fb, d->boot_vga ? "; it is the boot display (boot_vga)" : "");
	if (params[0])
		check_hint(c,
			   "add %s to the kernel command line (`iommu-setup apply --param ...` "
			   "or the vendor rules) and reboot; the host loses its console on "
			   "this GPU",
			   params);
	else
		check_hint(c, "no rule names a parameter that releases %s on kernel %s", fb,
			   rh.kernel ? rh.kernel : "(unknown)");
}

static void check_reset(const struct verify_input *in, const struct pdev *d, struct check_report *r)
{
	const struct host *h = in->host;
	struct rule_host rh = running_rule_host(h);
	struct rule_device rd = { d->vendor, d->device, d->class, NULL, false };
	const struct rule *defect = NULL;
	char methods[256];
	const char *what;
	struct check *c;

	for (size_t i = 0; in->rules && i < in->rules->n && !defect; i++) {
		const struct rule *ru = &in->rules->rules[i];

		if (ru->action == RULE_WARN && strstr(ru->ref, "vendor-reset") &&
		    rule_matches(ru, &rh, &rd, 1, &rd, 1) != RULE_NO_MATCH)
			defect = ru;
	}
	verify_reset_methods(d, methods, sizeof(methods), &what);
	if (defect) {
		bool ds = has_word(methods, "device_specific");

		c = dev_add(r, d, NULL, "device.reset", "RESET_DEFECT",
			    in->vendor_reset_loaded && ds ? CHECK_NOTE : CHECK_WARN, "reset");
		if (!in->vendor_reset_loaded)
			check_summary(c, "%s; vendor_reset is not loaded (reset methods: %s)",
				      defect->arg, methods[0] ? methods : "none");
		else if (!ds)
			check_summary(c,
				      "%s; vendor_reset is loaded but the device's reset_method "
				      "does not select it (%s)",
				      defect->arg, methods[0] ? methods : "none");
		else
			check_summary(c,
				      "%s; vendor_reset is loaded and selected (device_specific)",
				      defect->arg);
		if (!(in->vendor_reset_loaded && ds))
			check_hint(c,
				   "load vendor-reset before vfio-pci binds the device (softdep "
				   "vfio_pci pre: vendor-reset) and `echo device_specific > "
				   "/sys/bus/pci/devices/%s/reset_method` (kernel 5.15+)",
				   d->addr);
		return;
	}
	if (!methods[0] && (d->reset_method_attr || d->caps.lists)) {
		c = dev_add(r, d, NULL, "device.reset", "RESET_NONE", CHECK_WARN, "reset");
		check_summary(c,
			      "no way to reset it (%s: no FLR, %s%s): a second guest start may "
			      "find it in the state the first guest left",
			      what,
			      d->caps.pm ? "the PM reset is off (NoSoftRst)" : "no PM capability",
			      d->reset_method_attr ? ", no bus reset" : "");
		check_hint(c, "give it to one guest for the life of the host, or reboot the host "
			      "between guests");
		return;
	}
	if (!methods[0]) {
		c = dev_add(r, d, NULL, "device.reset", NULL, CHECK_NOTE, "reset");
		check_summary(
			c, "not known: no reset_method (a kernel before 5.15), and the "
			   "configuration space past its header could not be read (run as root)");
		return;
	}
	if (strcmp(methods, "bus") == 0) {
		c = dev_add(r, d, NULL, "device.reset", "RESET_BUS_ONLY", CHECK_NOTE, "reset");
		check_summary(c,
			      "only a secondary bus reset (%s): it resets every function below "
			      "the same bridge, which must all be assigned together",
			      what);
		return;
	}
	c = dev_add(r, d, NULL, "device.reset", NULL, CHECK_PASS, "reset");
	check_summary(c, "%s (%s)", methods, what);
}

static void check_acs(const struct verify_input *in, const struct pdev *d, struct check_report *r)
{
	const struct pdev_group *g = d->group >= 0 ? pdev_find_group(in->pci, d->group) : NULL;
	const struct pdev *breaker;
	unsigned endpoints = 0;
	char missing[64];
	struct check *c;

	for (unsigned i = 0; g && i < g->n_members; i++)
		endpoints += !in->pci->devs[g->members[i]].bridge;
	if (endpoints < 2)
		return;
	breaker = verify_acs_breaker(in->pci, d);
	c = dev_add(r, d, NULL, "device.acs", "GROUP_ACS_MISSING", CHECK_NOTE, "isolation");
	if (!breaker) {
		check_summary(c,
			      "IOMMU group %d holds %u devices; no bridge above it lacks ACS: "
			      "they are functions of one card, or the kernel knows a quirk",
			      d->group, endpoints);
		return;
	}
	pci_caps_acs_missing(&breaker->caps, missing, sizeof(missing));
	if (!breaker->caps.pcie)
		check_summary(c,
			      "IOMMU group %d holds %u devices because %s is a conventional PCI "
			      "bridge: nothing below it is isolated",
			      d->group, endpoints, breaker->addr);
	else if (!breaker->caps.acs)
		check_summary(c,
			      "IOMMU group %d holds %u devices because %s (%s) has no ACS "
			      "capability%s: the devices below it can reach each other without "
			      "the IOMMU",
			      d->group, endpoints, breaker->addr,
			      breaker->caps.pcie_type == PCIE_TYPE_ROOT_PORT ? "root port"
									     : "switch port",
			      breaker->caps.extended ? ""
						     : " (or its extended space was not readable)");
	else
		check_summary(c,
			      "IOMMU group %d holds %u devices because %s leaves ACS %s off: the "
			      "devices below it can reach each other without the IOMMU",
			      d->group, endpoints, breaker->addr, missing);
	check_hint(c,
		   "move the card to a slot whose root port has ACS, or assign the whole "
		   "group; the out-of-tree ACS override patch (pcie_acs_override=) only hides "
		   "this: the devices can still reach each other, a guest could reach the host's");
}

static void check_probe(const struct verify_input *in, const struct verify_device *v,
			const struct pdev *d, struct check_report *r)
{
	struct check *c;

	if (!v->probe.made) {
		if (!in->can_probe || !in->host->live || !is_vfio(d->driver))
			return;
		c = dev_add(r, d, NULL, "device.probe", "PROBE_NOT_MADE", CHECK_NOTE,
			    "VFIO attach");
		check_summary(c, "not asked: an earlier finding already says it is not ready");
		return;
	}
	if (v->probe.step) {
		c = dev_add(r, d, NULL, "device.probe", "PROBE_FAILED", CHECK_FAIL, "VFIO attach");
		check_summary(c, "%s", v->probe.explain);
		return;
	}
	c = dev_add(r, d, NULL, "device.probe", NULL, CHECK_PASS, "VFIO attach");
	check_summary(c, "%s", v->probe.explain);
}

/* what the running boot lacks of the configured line, and which entry it was */
static void check_booted_entry(const struct verify_input *in, struct check_report *r)
{
	const struct host *h = in->host;
	const struct check *drift = NULL;
	const struct kparam *img;
	struct check *c;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->items[i].code && strcmp(r->items[i].code, "PARAM_NOT_EFFECTIVE") == 0)
			drift = &r->items[i];
	if (!drift || !h->live)
		return;
	img = kcmdline_find(&h->kernel.cmdline, "BOOT_IMAGE");
	{
		_cleanup_free_ char *s = drift->summary ? strdup(drift->summary) : NULL;

		c = check_add(r, "boot.booted_entry", "CMDLINE_PARAM_MISSING", CHECK_FAIL,
			      "Booted entry");
		if (in->loader_entry)
			check_summary(
				c, "the running boot (loader entry %s) lacks the configuration: %s",
				in->loader_entry, s ? s : "");
		else if (img && img->value)
			check_summary(
				c, "the running boot (BOOT_IMAGE=%s) lacks the configuration: %s",
				img->value, s ? s : "");
		else
			check_summary(c, "the running boot lacks the configuration: %s",
				      s ? s : "");
	}
	if (h->applied && strcmp(h->boot_id, h->applied_boot_id) == 0)
		check_hint(c, "apply ran in this boot: reboot, then verify again");
	else
		check_hint(
			c,
			"the boot loader started an entry that does not carry the configured "
			"line: choose the default entry, or check that the boot loader reads the "
			"regenerated configuration (`iommu-setup check`)");
}

static void set_blocking(struct check_report *r)
{
	r->blocking = NULL;
	for (size_t i = 0; i < r->n && !r->blocking; i++)
		if (r->items[i].level == CHECK_FAIL)
			r->blocking = &r->items[i];
}

int verify_readiness(const struct verify_input *in, struct check_report *ret)
{
	for (size_t i = 0; i < in->n_devs; i++) {
		const struct pdev *d = pdev_find(in->pci, in->devs[i].addr);

		if (!d)
			continue;
		check_framebuffer(in, d, ret);
		check_reset(in, d, ret);
		check_acs(in, d, ret);
	}
	set_blocking(ret);
	return ret->error;
}

int verify_run(const struct verify_input *in, struct check_report *ret)
{
	int r = checks_run(in->host, ret);

	if (r < 0)
		return r;
	check_booted_entry(in, ret);
	for (size_t i = 0; i < in->n_devs; i++) {
		const struct verify_device *v = &in->devs[i];
		const struct pdev *d = pdev_find(in->pci, v->addr);

		if (!d) {
			struct check *c = dev_add(ret, NULL, v->addr, "device.present",
						  "DEVICE_MISSING", CHECK_FAIL, "present");

			check_summary(c, "no PCI device %s (%s)", v->addr, v->origin);
			continue;
		}
		check_driver(in, v, d, ret);
		check_group(in, d, ret);
		check_framebuffer(in, d, ret);
		check_reset(in, d, ret);
		check_acs(in, d, ret);
		check_probe(in, v, d, ret);
	}
	set_blocking(ret);
	return ret->error;
}
