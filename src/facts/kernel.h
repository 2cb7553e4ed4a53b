/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the running kernel says about its IOMMU, read below the root. */

#include <stdbool.h>

#include "facts/cmdline.h"

enum group_type {
	GROUP_DMA,	/* translated */
	GROUP_DMA_FQ,	/* translated, lazy (flush-queue) invalidation */
	GROUP_IDENTITY, /* passthrough: iommu=pt */
	GROUP_BLOCKED,
	GROUP_UNMANAGED, /* owned by VFIO or another user */
	GROUP_OTHER,
	_GROUP_TYPE_MAX,
};

struct kernel_state {
	bool cmdline_found;
	char *cmdline_raw;
	struct kcmdline cmdline;
	char release[128]; /* proc/sys/kernel/osrelease, "" when absent */
	char **units;	   /* sys/class/iommu/ entries, sorted */
	unsigned n_units;
	bool groups_found; /* sys/kernel/iommu_groups exists */
	unsigned n_groups;
	unsigned group_types[_GROUP_TYPE_MAX];
	bool interrupts_found;
	unsigned ir_lines;     /* interrupts delivered through an IR- chip */
	char ir_chip[32];      /* the first such chip, e.g. "IR-PCI-MSI" */
	int unsafe_interrupts; /* vfio_iommu_type1 allow_unsafe_interrupts: -1 module not loaded */
	char lockdown[32];     /* the selected sys/kernel/security/lockdown mode, "" if none */
};

const char *group_type_to_string(enum group_type t);
/* "Y"/"1"/"y" → 1, "N"/"0"/"n" → 0, else -1: how the kernel reads a bool parameter */
int parse_kernel_bool(const char *s);
