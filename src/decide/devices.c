/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "decide/devices.h"

/* ---- parsing arguments (pure) ---- */

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
