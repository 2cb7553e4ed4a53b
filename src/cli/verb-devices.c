/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * devices [BDF|VVVV:DDDD…] [--groups] [--xml BDF] [--xml-pool BDF]: PCI
 * functions, their IOMMU groups and whether each can be assigned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "decide/checks.h"
#include "decide/devices.h"
#include "decide/verify.h"
#include "gather/host.h"
#include "gather/modules.h"
#include "gather/pdev.h"
#include "report/json.h"
#include "report/report.h"

static const char *driver_or_dash(const struct pdev *d)
{
	return d->driver ? d->driver : "-";
}

/* "Ethernet controller: Intel Corporation I210 Gigabit Network Connection",
 * or numbers when there is no ID database (an initramfs) */
static void describe(const struct pdev *d, char *buf, size_t n)
{
	char cls[128], ven[128], dev[160];

	if (d->class_name)
		snprintf(cls, sizeof(cls), "%s", d->class_name);
	else
		snprintf(cls, sizeof(cls), "Class %04x", d->class >> 8);
	if (d->vendor_name)
		snprintf(ven, sizeof(ven), "%s", d->vendor_name);
	else
		snprintf(ven, sizeof(ven), "Vendor %04x", d->vendor);
	if (d->device_name)
		snprintf(dev, sizeof(dev), "%s", d->device_name);
	else
		snprintf(dev, sizeof(dev), "Device %04x", d->device);
	snprintf(buf, n, "%s: %s %s", cls, ven, dev);
}

static bool selected(const struct pdev *d, struct context *ctx)
{
	if (ctx->n_args == 0)
		return true;
	for (int i = 0; i < ctx->n_args; i++) {
		char addr[PCI_ADDR_SIZE];
		uint16_t v, dv;
		int k = pdev_parse_arg(ctx->args[i], addr, &v, &dv);

		if ((k == 1 && strcmp(addr, d->addr) == 0) ||
		    (k == 2 && v == d->vendor && dv == d->device))
			return true;
	}
	return false;
}

/* Every argument must parse and match something: exit 2 naming the one that does not. */
static int check_args(const struct pdev_list *l, struct context *ctx)
{
	for (int i = 0; i < ctx->n_args; i++) {
		char addr[PCI_ADDR_SIZE];
		uint16_t v, dv;
		int k = pdev_parse_arg(ctx->args[i], addr, &v, &dv);
		bool found = false;

		if (k == 0) {
			log_error("\"%s\" is not a PCI address (0000:01:00.0, 01:00.0, "
				  "pci_0000_01_00_0) nor a vendor:device ID (8086:1533)",
				  ctx->args[i]);
			return -EINVAL;
		}
		for (unsigned j = 0; j < l->n && !found; j++)
			found = k == 1 ? strcmp(addr, l->devs[j].addr) == 0
				       : (v == l->devs[j].vendor && dv == l->devs[j].device);
		if (!found) {
			if (k == 1)
				log_error("no PCI device %s below the root", addr);
			else
				log_error("no PCI device with ID %04x:%04x below the root", v, dv);
			return -ENOENT;
		}
	}
	return 0;
}

static void json_device(struct json *j, const struct pdev_list *l, const struct pdev *d)
{
	const struct pdev_group *g = d->group >= 0 ? pdev_find_group(l, d->group) : NULL;
	struct verdict v;
	char hex[8];

	device_verdict(l, d, &v);
	json_object_begin(j, NULL);
	json_string(j, "address", d->addr);
	snprintf(hex, sizeof(hex), "%04x", d->vendor);
	json_string(j, "vendor_id", hex);
	snprintf(hex, sizeof(hex), "%04x", d->device);
	json_string(j, "device_id", hex);
	snprintf(hex, sizeof(hex), "%04x", d->subvendor);
	json_string(j, "subsystem_vendor_id", hex);
	snprintf(hex, sizeof(hex), "%04x", d->subdevice);
	json_string(j, "subsystem_device_id", hex);
	{
		char cls[8];

		snprintf(cls, sizeof(cls), "%06x", d->class);
		json_string(j, "class", cls);
	}
	json_string(j, "class_name", d->class_name);
	json_string(j, "vendor_name", d->vendor_name);
	json_string(j, "device_name", d->device_name);
	json_string(j, "subsystem_name", d->subsys_name);
	json_string(j, "driver", d->driver);
	json_array_begin(j, "modules");
	for (char **p = d->modules; p && *p; p++)
		json_string(j, NULL, *p);
	json_array_end(j);
	if (d->group >= 0)
		json_int(j, "iommu_group", d->group);
	else
		json_null(j, "iommu_group");
	json_string(j, "group_type", g && g->type[0] ? g->type : NULL);
	if (d->numa_node >= 0)
		json_int(j, "numa_node", d->numa_node);
	else
		json_null(j, "numa_node");
	json_bool(j, "rom", d->rom);
	json_array_begin(j, "reset_methods");
	for (const char *p = d->reset_methods; p && *p;) {
		size_t n = strcspn(p, " ");

		json_string_len(j, NULL, p, n);
		p += n;
		p += strspn(p, " ");
	}
	json_array_end(j);
	{
		/* what verify judges, known before the first reboot */
		const struct pdev *acs = verify_acs_breaker(l, d);
		const char *what;
		char methods[256];

		verify_reset_methods(d, methods, sizeof(methods), &what);
		json_object_begin(j, "readiness");
		json_string(j, "reset", methods);
		json_string(j, "reset_source", what);
		json_bool(j, "flr", d->caps.flr || d->caps.af_flr);
		json_string(j, "framebuffer", pdev_framebuffer(l, d));
		json_string(j, "acs_breaker", acs ? acs->addr : NULL);
		json_object_end(j);
	}
	if (d->sriov_total >= 0) {
		json_object_begin(j, "sriov");
		json_int(j, "total_vfs", d->sriov_total);
		json_int(j, "enabled_vfs", d->sriov_num);
		json_object_end(j);
	} else
		json_null(j, "sriov");
	json_string(j, "physfn", d->physfn[0] ? d->physfn : NULL);
	json_bool(j, "bridge", d->bridge);
	json_bool(j, "boot_vga", d->boot_vga);
	json_string(j, "netdev", d->netdev);
	json_array_begin(j, "host_critical");
	if (d->critical & CRITICAL_ROOTFS)
		json_string(j, NULL, "root_filesystem");
	if (d->critical & CRITICAL_BOOTFS)
		json_string(j, NULL, "boot_filesystem");
	if (d->critical & CRITICAL_BOOT_VGA)
		json_string(j, NULL, "boot_vga");
	if (d->critical & CRITICAL_ROUTE)
		json_string(j, NULL, "default_route");
	json_array_end(j);
	json_array_begin(j, "group_mates");
	for (unsigned i = 0; g && i < g->n_members; i++)
		if (&l->devs[g->members[i]] != d)
			json_string(j, NULL, l->devs[g->members[i]].addr);
	json_array_end(j);
	json_bool(j, "assignable", v.assignable);
	json_string(j, "verdict_code", v.code);
	json_string(j, "verdict", v.reason);
	json_array_begin(j, "brings_along");
	for (unsigned i = 0; i < v.n_drag; i++)
		json_string(j, NULL, l->devs[v.drag[i]].addr);
	json_array_end(j);
	json_object_end(j);
}

static void text_table(const struct pdev_list *l, struct context *ctx)
{
	printf("%-12s  %-9s  %-5s  %-14s  %s\n", "ADDRESS", "ID", "GROUP", "DRIVER", "DEVICE");
	for (unsigned i = 0; i < l->n; i++) {
		const struct pdev *d = &l->devs[i];
		char desc[512], group[16], id[16];
		struct verdict v;

		if (!selected(d, ctx))
			continue;
		describe(d, desc, sizeof(desc));
		snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
		if (d->group >= 0)
			snprintf(group, sizeof(group), "%d", d->group);
		else
			snprintf(group, sizeof(group), "-");
		device_verdict(l, d, &v);
		printf("%-12s  %-9s  %-5s  %-14s  %s\n", d->addr, id, group, driver_or_dash(d),
		       desc);
		if (!d->bridge || ctx->n_args)
			printf("%14s%s%s\n", "", v.assignable ? "" : "not assignable: ", v.reason);
	}
}

static void text_details(const struct pdev_list *l, struct context *ctx)
{
	bool first = true;

	for (unsigned i = 0; i < l->n; i++) {
		const struct pdev *d = &l->devs[i];
		const struct pdev_group *g = d->group >= 0 ? pdev_find_group(l, d->group) : NULL;
		char desc[512];
		struct verdict v;

		if (!selected(d, ctx))
			continue;
		describe(d, desc, sizeof(desc));
		device_verdict(l, d, &v);
		if (!first)
			putchar('\n');
		first = false;
		printf("%s %s\n", d->addr, desc);
		printf("  %-16s %04x:%04x, subsystem %04x:%04x%s%s\n", "IDs:", d->vendor, d->device,
		       d->subvendor, d->subdevice, d->subsys_name ? " " : "",
		       d->subsys_name ? d->subsys_name : "");
		printf("  %-16s %s\n", "Driver:", d->driver ? d->driver : "none");
		printf("  %-16s", "Modules:");
		if (!d->modules || !d->modules[0])
			printf(" none found");
		for (char **p = d->modules; p && *p; p++)
			printf(" %s", *p);
		putchar('\n');
		if (g)
			printf("  %-16s %d (%s), %u function%s\n", "IOMMU group:", g->number,
			       g->type[0] ? g->type : "type unknown", g->n_members,
			       g->n_members == 1 ? "" : "s");
		else
			printf("  %-16s none\n", "IOMMU group:");
		for (unsigned k = 0; g && k < g->n_members; k++) {
			const struct pdev *m = &l->devs[g->members[k]];
			char md[512];

			if (m == d)
				continue;
			describe(m, md, sizeof(md));
			printf("  %-16s %s [%s]%s %s\n", "  group mate:", m->addr,
			       driver_or_dash(m), m->bridge ? " (bridge, stays)" : "", md);
		}
		if (d->numa_node >= 0)
			printf("  %-16s %d\n", "NUMA node:", d->numa_node);
		printf("  %-16s %s\n", "Expansion ROM:", d->rom ? "yes" : "no");
		{
			const struct pdev *acs = verify_acs_breaker(l, d);
			const char *what, *fb = pdev_framebuffer(l, d);
			char methods[256];

			verify_reset_methods(d, methods, sizeof(methods), &what);
			if (strcmp(what, "unknown") == 0)
				printf("  %-16s unknown (no reset_method; config space unreadable)\n",
				       "Reset methods:");
			else
				printf("  %-16s %s (%s)\n",
				       "Reset methods:", methods[0] ? methods : "none", what);
			if (fb)
				printf("  %-16s %s holds memory in its BARs (verify says what releases "
				       "it)\n",
				       "Framebuffer:", fb);
			if (acs && !d->bridge)
				printf("  %-16s %s above it does not isolate by ACS\n",
				       "ACS:", acs->addr);
		}
		if (d->sriov_total >= 0)
			printf("  %-16s physical function, %d of %d VFs enabled\n",
			       "SR-IOV:", d->sriov_num, d->sriov_total);
		else if (d->physfn[0])
			printf("  %-16s virtual function of %s\n", "SR-IOV:", d->physfn);
		if (d->netdev)
			printf("  %-16s %s\n", "Network:", d->netdev);
		if (d->critical)
			printf("  %-16s WARNING: it %s\n", "Host-critical:", d->critical_what);
		printf("  %-16s %s%s\n",
		       "Verdict:", v.assignable ? "" : "NOT assignable: ", v.reason);
	}
}

static void text_groups(const struct pdev_list *l)
{
	for (unsigned i = 0; i < l->n_groups; i++) {
		const struct pdev_group *g = &l->groups[i];

		printf("IOMMU group %d%s%s%s\n", g->number, g->type[0] ? " (" : "", g->type,
		       g->type[0] ? ")" : "");
		for (unsigned k = 0; k < g->n_members; k++) {
			const struct pdev *d = &l->devs[g->members[k]];
			char desc[512];

			describe(d, desc, sizeof(desc));
			printf("  %s %04x:%04x [%s] %s%s\n", d->addr, d->vendor, d->device,
			       driver_or_dash(d), desc, d->bridge ? " (bridge)" : "");
		}
	}
}

/* libvirt's <hostdev>; managed='yes' lets libvirt detach and reattach the device */
/* Text in an XML element or attribute value */
static void xml_text(const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<':
			fputs("&lt;", stdout);
			break;
		case '>':
			fputs("&gt;", stdout);
			break;
		case '&':
			fputs("&amp;", stdout);
			break;
		case '\'':
			fputs("&apos;", stdout);
			break;
		case '"':
			fputs("&quot;", stdout);
			break;
		default:
			fputc(*s, stdout);
		}
}

/* Text in an XML comment, which cannot hold "--" (nor end in "-") */
static void xml_comment(const char *s)
{
	for (; *s; s++)
		fputs(*s == '-' && (s[1] == '-' || !s[1]) ? "- " : (char[]){ *s, 0 }, stdout);
}

/* A Linux interface name (the kernel's dev_valid_name()), in the characters
 * that can go into XML, a file name and a shell word as they are */
static bool plain_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strstr(s, "--"))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int print_xml(const struct pdev_list *l, const char *arg)
{
	char addr[PCI_ADDR_SIZE];
	uint16_t v, dv;
	const struct pdev *d;
	struct verdict vd;

	if (pdev_parse_arg(arg, addr, &v, &dv) != 1) {
		log_error("--xml needs a PCI address, not \"%s\"", arg);
		return EXIT_BAD_INPUT;
	}
	d = pdev_find(l, addr);
	if (!d) {
		log_error("no PCI device %s below the root", addr);
		return EXIT_BAD_INPUT;
	}
	device_verdict(l, d, &vd);
	printf("<!-- libvirt node device: pci_%04x_%02x_%02x_%x -->\n", d->domain, d->bus, d->slot,
	       d->fn);
	if (!vd.assignable) {
		printf("<!-- WARNING: not assignable: ");
		xml_comment(vd.reason);
		printf(" -->\n");
	} else if (vd.n_drag)
		printf("<!-- its IOMMU group holds other devices that must be assigned too or "
		       "left without a driver -->\n");
	printf("<hostdev mode='subsystem' type='pci' managed='yes'>\n"
	       "  <source>\n"
	       "    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n"
	       "  </source>\n",
	       d->domain, d->bus, d->slot, d->fn);
	if (d->rom)
		printf("  <!-- the device has an expansion ROM (option ROM). Exposed, the guest's "
		       "firmware may run it, and reading it hangs some devices; hidden, the guest "
		       "still gets the device. Remove this line if the guest must boot from the "
		       "device or show its firmware screen on it. -->\n"
		       "  <rom bar='off'/>\n");
	printf("</hostdev>\n");
	return vd.assignable ? EXIT_OK : EXIT_NOT_READY;
}

static int print_pool(const struct pdev_list *l, const char *arg)
{
	char addr[PCI_ADDR_SIZE];
	uint16_t v, dv;
	const struct pdev *d = NULL;

	/* the PF by address, or by its network interface (<pf dev='eth3'/>) */
	if (pdev_parse_arg(arg, addr, &v, &dv) == 1) {
		d = pdev_find(l, addr);
		if (!d) {
			log_error("no PCI device %s below the root", addr);
			return EXIT_BAD_INPUT;
		}
	} else {
		for (unsigned i = 0; i < l->n && !d; i++)
			if (l->devs[i].netdev && strcmp(l->devs[i].netdev, arg) == 0)
				d = &l->devs[i];
		if (!d) {
			log_error("--xml-pool needs a PCI address or the PF's network interface; "
				  "\"%s\" is neither",
				  arg);
			return EXIT_BAD_INPUT;
		}
		snprintf(addr, sizeof(addr), "%s", d->addr);
	}
	if (d->sriov_total < 0) {
		log_error("%s is not an SR-IOV physical function (no sriov_totalvfs)", addr);
		return EXIT_BAD_INPUT;
	}
	if (!d->netdev) {
		log_error("%s has no network interface: a hostdev pool needs its PF's netdev",
			  addr);
		return EXIT_BAD_INPUT;
	}
	if (!plain_ifname(d->netdev)) {
		log_error("sys/bus/pci/devices/%s/net: \"%s\" is not an interface name that can "
			  "name a libvirt network",
			  addr, d->netdev);
		return EXIT_BAD_INPUT;
	}
	printf("<!-- a pool of the %d virtual functions of %s (%d enabled now: "
	       "echo N > /sys/bus/pci/devices/%s/sriov_numvfs); guests take one with "
	       "<interface type='network'><source network='vf-pool-%s'/></interface> -->\n",
	       d->sriov_total, d->addr, d->sriov_num, d->addr, d->netdev);
	/* the name is plain (plain_ifname()); escaped all the same, as XML is */
	printf("<network>\n  <name>vf-pool-");
	xml_text(d->netdev);
	printf("</name>\n  <forward mode='hostdev' managed='yes'>\n    <pf dev='");
	xml_text(d->netdev);
	printf("'/>\n  </forward>\n</network>\n");
	/* what the seeds do next, kept inside the XML as a comment */
	printf("<!-- saved as vf-pool-%s.xml:\n"
	       "  virsh net-define vf-pool-%s.xml\n"
	       "  virsh net-autostart vf-pool-%s\n"
	       "  virsh net-start vf-pool-%s\n"
	       "-->\n",
	       d->netdev, d->netdev, d->netdev, d->netdev);
	return EXIT_OK;
}

/* No IOMMU groups: say why, from the same checks `check` runs */
static void explain_no_groups(struct context *ctx)
{
	struct check_report report;
	struct host host;

	printf("\nNo IOMMU groups: the IOMMU is off, so no device can be assigned.\n");
	if (host_gather(ctx->root, ctx->kernel, &host) >= 0) {
		(void)checks_run(&host, &report); /* what it has, if incomplete */
		for (size_t i = 0; i < report.n; i++) {
			const struct check *c = &report.items[i];

			if (c->level != CHECK_FAIL || (strncmp(c->id, "firmware.", 9) != 0 &&
						       strncmp(c->id, "kernel.iommu", 12) != 0))
				continue;
			printf("Why: %s\n", c->summary);
			if (c->hint)
				printf("Remedy: %s\n", c->hint);
			break;
		}
		checks_done(&report);
	}
	host_done(&host);
	printf("See `iommu-setup check` for the whole chain.\n");
}

int verb_devices(struct context *ctx)
{
	struct pdev_list l;
	char kver[256];
	int r, ret = EXIT_OK;

	if (ctx->json && (ctx->xml || ctx->xml_pool)) {
		log_error("--json and %s exclude each other: the XML is libvirt's, not a JSON "
			  "document",
			  ctx->xml ? "--xml" : "--xml-pool");
		return EXIT_BAD_INPUT;
	}
	r = modules_target_kernel(ctx->root, ctx->kernel, kver, sizeof(kver));
	if (r == -ENOENT) {
		log_error("--kernel %s: no such kernel below the root", ctx->kernel);
		return EXIT_BAD_INPUT;
	}
	r = pdev_gather(ctx->root, kver[0] ? kver : NULL, &l);
	if (r < 0) {
		log_root_error(ctx->root, r, "Failed to read the PCI devices");
		return exit_for_error(r);
	}
	if (l.n == 0) {
		log_error("no PCI devices in sys/bus/pci/devices below the root");
		pdev_list_done(&l);
		return EXIT_SYSTEM;
	}
	if (ctx->xml || ctx->xml_pool) {
		ret = ctx->xml ? print_xml(&l, ctx->xml) : print_pool(&l, ctx->xml_pool);
		pdev_list_done(&l);
		return ret;
	}
	if (check_args(&l, ctx) < 0) {
		pdev_list_done(&l);
		return EXIT_BAD_INPUT;
	}

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_json_begin(&j, "devices", false, false,
				  l.groups_dir && l.n_groups > 0
					  ? "PCI functions and their IOMMU groups"
					  : "PCI functions; no IOMMU groups: the IOMMU is off");
		json_bool(&j, "iommu_groups", l.groups_dir && l.n_groups > 0);
		json_bool(&j, "names_database", l.names);
		json_array_begin(&j, "devices");
		for (unsigned i = 0; i < l.n; i++)
			if (selected(&l.devs[i], ctx))
				json_device(&j, &l, &l.devs[i]);
		json_array_end(&j);
		json_array_begin(&j, "groups");
		for (unsigned i = 0; i < l.n_groups; i++) {
			json_object_begin(&j, NULL);
			json_int(&j, "number", l.groups[i].number);
			json_string(&j, "type", l.groups[i].type[0] ? l.groups[i].type : NULL);
			json_array_begin(&j, "devices");
			for (unsigned k = 0; k < l.groups[i].n_members; k++)
				json_string(&j, NULL, l.devs[l.groups[i].members[k]].addr);
			json_array_end(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else if (ctx->groups) {
		text_groups(&l);
	} else if (ctx->n_args)
		text_details(&l, ctx);
	else
		text_table(&l, ctx);

	if (!(l.groups_dir && l.n_groups > 0) && !ctx->json)
		explain_no_groups(ctx);
	pdev_list_done(&l);
	return ret;
}
