/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The live probe: attach a vfio-pci device's IOMMU group to a VFIO container
 * and release it (probe, verify). */

#include <stdbool.h>

#include "facts/pdev.h"

struct probe {
	char addr[PCI_ADDR_SIZE];
	char driver[64];
	int group;
	int api_version;
	bool type1v2, type1;
	bool viable;
	bool loaded_type1; /* vfio_iommu_type1 was loaded for the probe */
	const char *step;  /* the step that failed, NULL when all went through */
	int error;	   /* its errno */
	char explain[400];
};

/* Asks the running kernel about p->group (set p->addr and p->group first):
 * p->step and p->explain say how it went. Opens /dev/vfio; may load
 * vfio_iommu_type1 through modprobe's configuration. */
void probe_attach(struct probe *p);
