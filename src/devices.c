/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "hex.h"

/* ---- parsing arguments (pure) ---- */

int pdev_parse_arg(const char *arg, char ret_addr[PCI_ADDR_SIZE], uint16_t *ret_vendor,
		   uint16_t *ret_device)
{
	char buf[32];
	unsigned dom = 0, bus, slot, fn, v, d;
	size_t n = strlen(arg);

	if (n >= sizeof(buf))
		return 0;
	/* libvirt's node device name: pci_0000_01_00_0 (pci_10000_e1_00_0) */
	if (n >= 16 && strncmp(arg, "pci_", 4) == 0 && arg[n - 2] == '_' && arg[n - 5] == '_' &&
	    arg[n - 8] == '_') {
		snprintf(buf, sizeof(buf), "%.*s:%.2s:%.2s.%c", (int)(n - 12), arg + 4, arg + n - 7,
			 arg + n - 4, arg[n - 1]);
		arg = buf;
		n = strlen(buf);
	}
	/* VVVV:DDDD */
	if (n == 9 && arg[4] == ':' && hex_parse(arg, 4, &v) == 0 &&
	    hex_parse(arg + 5, 4, &d) == 0) {
		*ret_vendor = (uint16_t)v;
		*ret_device = (uint16_t)d;
		return 2;
	}
	/* [DDDD:]BB:SS.F; the domain is 16 bits on most hosts, 32 with Intel VMD
	 * (10000:e1:00.0): 4 to 8 hex digits, as sysfs prints it ("%04x") */
	if (n > 7) {
		if (n < 12 || n > 16 || arg[n - 8] != ':' || hex_parse(arg, n - 8, &dom) < 0)
			return 0;
		arg += n - 7;
		n = 7;
	}
	if (n != 7 || arg[2] != ':' || arg[5] != '.' || hex_parse(arg, 2, &bus) < 0 ||
	    hex_parse(arg + 3, 2, &slot) < 0 || hex_parse(arg + 6, 1, &fn) < 0 || slot > 0x1f ||
	    fn > 7)
		return 0;
	snprintf(ret_addr, PCI_ADDR_SIZE, "%04x:%02x:%02x.%x", dom, bus, slot, fn);
	return 1;
}

const struct pdev *pdev_find(const struct pdev_list *l, const char *addr)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->devs[i].addr, addr) == 0)
			return &l->devs[i];
	return NULL;
}

const struct pdev_group *pdev_find_group(const struct pdev_list *l, int number)
{
	/* groups are sorted by number */
	unsigned lo = 0, hi = l->n_groups;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (l->groups[mid].number == number)
			return &l->groups[mid];
		if (l->groups[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool driver_is_free(const char *driver)
{
	/* VFIO's viability test: unbound, vfio-pci, or pci-stub */
	return !driver || strcmp(driver, "vfio-pci") == 0 || strcmp(driver, "pci-stub") == 0;
}

/* A function of d's card (same domain, bus and slot) other than d. */
static bool same_card(const struct pdev *a, const struct pdev *b)
{
	return a != b && a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

void device_verdict(const struct pdev_list *l, const struct pdev *d, struct verdict *v)
{
	const struct pdev_group *g;
	size_t used;

	memset(v, 0, sizeof(*v));
	if (d->bridge) {
		v->code = "BRIDGE";
		snprintf(v->reason, sizeof(v->reason),
			 "a bridge: it stays with the host and never counts against a group");
		return;
	}
	/* host-critical is decided from the device and its card, groups or not:
	 * on the first run the IOMMU is off and there are none yet */
	if (d->critical) {
		v->critical = true;
		v->code = "HOST_CRITICAL";
		snprintf(v->reason, sizeof(v->reason), "HOST-CRITICAL: it %s", d->critical_what);
		return;
	}
	for (unsigned i = 0; i < l->n; i++)
		if (same_card(&l->devs[i], d) && l->devs[i].critical && !l->devs[i].bridge) {
			v->critical = true;
			v->code = "HOST_CRITICAL";
			snprintf(v->reason, sizeof(v->reason),
				 "HOST-CRITICAL: another function of the same card, %s, %s",
				 l->devs[i].addr, l->devs[i].critical_what);
			return;
		}
	if (!l->groups_dir || l->n_groups == 0) {
		v->code = "NO_IOMMU_GROUPS";
		snprintf(v->reason, sizeof(v->reason),
			 "no IOMMU groups: the IOMMU is off (iommu-setup check says why)");
		return;
	}
	if (d->group < 0) {
		v->code = "NO_GROUP";
		snprintf(v->reason, sizeof(v->reason), "in no IOMMU group");
		return;
	}
	g = pdev_find_group(l, d->group);
	for (unsigned i = 0; g && i < g->n_members; i++) {
		const struct pdev *m = &l->devs[g->members[i]];

		if (m == d || m->bridge)
			continue;
		if (m->critical) {
			v->critical = true;
			v->code = "HOST_CRITICAL";
			snprintf(
				v->reason, sizeof(v->reason),
				"IOMMU group %d also holds %s, which %s: the group cannot leave the host",
				d->group, m->addr, m->critical_what);
			v->n_drag = v->n_free = 0;
			return;
		}
		if (v->n_free == VERDICT_MATES_MAX || v->n_drag == VERDICT_MATES_MAX) {
			v->code = "GROUP_TOO_LARGE";
			snprintf(v->reason, sizeof(v->reason),
				 "IOMMU group %d holds more than %d devices, more than iommu-setup "
				 "assigns together",
				 d->group, VERDICT_MATES_MAX);
			v->n_drag = v->n_free = 0;
			return;
		}
		if (driver_is_free(m->driver))
			v->free_mates[v->n_free++] = g->members[i];
		else {
			v->drag_same_card[v->n_drag] = same_card(m, d);
			v->drag[v->n_drag++] = g->members[i];
		}
	}

	for (unsigned i = 0; i < v->n_drag; i++)
		if (!v->drag_same_card[i]) {
			const struct pdev *m = &l->devs[v->drag[i]];

			v->needs_force = true;
			v->code = "GROUP_SHARED";
			snprintf(
				v->reason, sizeof(v->reason),
				"IOMMU group %d also holds %s (driver %s), a different device the "
				"host uses: assigning one takes both from the host (request it too, "
				"or --force)",
				d->group, m->addr, m->driver);
			return;
		}
	v->assignable = true;
	v->code = "ASSIGNABLE";
	used = (size_t)snprintf(v->reason, sizeof(v->reason), "assignable");
	if (strcmp(d->driver ? d->driver : "", "vfio-pci") == 0)
		used += (size_t)snprintf(v->reason + used, sizeof(v->reason) - used,
					 ", already on vfio-pci");
	if (v->n_drag) {
		used += (size_t)snprintf(v->reason + used, sizeof(v->reason) - used,
					 "; group %d brings along", d->group);
		for (unsigned i = 0; i < v->n_drag && used < sizeof(v->reason); i++) {
			const struct pdev *m = &l->devs[v->drag[i]];

			used += (size_t)snprintf(v->reason + used, sizeof(v->reason) - used,
						 "%s %s (%s)", i ? "," : "", m->addr, m->driver);
		}
	}
}
