/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a PCI function can be handed to a guest, and why. Pure. */

#include <stdbool.h>

#include "facts/pdev.h"

#define VERDICT_MATES_MAX 64

struct verdict {
	bool assignable;
	/* it, another function of its card, or a member of its group is
	 * host-critical (the root disk, the boot display, the default route):
	 * nothing overrides that */
	bool critical;
	/* not assignable only because the group holds another device the host
	 * drives (a different card): --force takes it along */
	bool needs_force;
	/* the verdict for machines: ASSIGNABLE, BRIDGE, HOST_CRITICAL,
	 * NO_IOMMU_GROUPS, NO_GROUP, GROUP_TOO_LARGE, GROUP_SHARED */
	const char *code;
	char reason[512];
	/* endpoints of the same group that must leave their host driver too */
	unsigned drag[VERDICT_MATES_MAX];
	bool drag_same_card[VERDICT_MATES_MAX]; /* another function of the same card */
	unsigned n_drag;
	/* endpoints of the same group that are already free (no driver, vfio-pci, pci-stub) */
	unsigned free_mates[VERDICT_MATES_MAX];
	unsigned n_free;
};

/*
 * Can d be handed to a guest? The one decision `devices`, `plan` and the
 * dracut path (through the plan) follow: not a bridge, nothing host-critical
 * on its card (decided with or without IOMMU groups) or in its group, and
 * every group mate that a host driver holds is another
 * function of the same card (a GPU's audio, USB-C, UCSI), which comes along;
 * a different device the host drives makes it assignable only with --force.
 */
void device_verdict(const struct pdev_list *l, const struct pdev *d, struct verdict *v);
/* no driver, or one that gives the device to VFIO: does not hold a group back */
bool driver_is_free(const char *driver);
