/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether a PCI function can be handed to a guest, and why. Pure. */

#include <stdbool.h>

#include "pdev.h"

#define VERDICT_MATES_MAX 64

struct verdict {
	bool assignable;
	char reason[384];
	/* endpoints of the same group that must leave their host driver too */
	unsigned drag[VERDICT_MATES_MAX];
	unsigned n_drag;
	/* endpoints of the same group that are already free (no driver, vfio-pci, pci-stub) */
	unsigned free_mates[VERDICT_MATES_MAX];
	unsigned n_free;
};

void device_verdict(const struct pdev_list *l, const struct pdev *d, struct verdict *v);
/* no driver, or one that gives the device to VFIO: does not hold a group back */
bool driver_is_free(const char *driver);
