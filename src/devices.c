/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "devices.h"

bool driver_is_free(const char *driver)
{
	/* VFIO's viability test: unbound, vfio-pci, or pci-stub */
	return !driver || strcmp(driver, "vfio-pci") == 0 || strcmp(driver, "pci-stub") == 0;
}

void device_verdict(const struct pdev_list *l, const struct pdev *d, struct verdict *v)
{
	const struct pdev_group *g;
	size_t used;

	memset(v, 0, sizeof(*v));
	if (!l->groups_dir || l->n_groups == 0) {
		snprintf(v->reason, sizeof(v->reason),
			 "no IOMMU groups: the IOMMU is off (iommu-setup check says why)");
		return;
	}
	if (d->group < 0) {
		snprintf(v->reason, sizeof(v->reason), "in no IOMMU group");
		return;
	}
	if (d->bridge) {
		snprintf(v->reason, sizeof(v->reason),
			 "a bridge: it stays with the host and does not count in its group");
		return;
	}
	if (d->critical) {
		snprintf(v->reason, sizeof(v->reason), "HOST-CRITICAL: it %s", d->critical_what);
		return;
	}
	g = pdev_find_group(l, d->group);
	for (unsigned i = 0; g && i < g->n_members; i++) {
		const struct pdev *m = &l->devs[g->members[i]];

		if (m == d || m->bridge)
			continue;
		if (m->critical) {
			snprintf(
				v->reason, sizeof(v->reason),
				"IOMMU group %d also holds %s, which %s: the group cannot leave the host",
				d->group, m->addr, m->critical_what);
			v->n_drag = v->n_free = 0;
			return;
		}
		if (driver_is_free(m->driver)) {
			if (v->n_free < VERDICT_MATES_MAX)
				v->free_mates[v->n_free++] = g->members[i];
		} else if (v->n_drag < VERDICT_MATES_MAX)
			v->drag[v->n_drag++] = g->members[i];
	}

	v->assignable = true;
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
