/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* The parameter edits the command-line and GRUB editor tests apply. */
#include "decide/kparams.h"

static const struct kop add_ops[] = {
	{ KOP_ENSURE, "intel_iommu", "on" },
	{ KOP_ENSURE, "iommu", "pt" },
	{ KOP_ENSURE, "vfio-pci.ids", "8086:1572" },
};
static const struct kop remove_ops[] = {
	{ KOP_REMOVE, "intel_iommu", "on" },
	{ KOP_REMOVE, "iommu", "pt" },
	{ KOP_REMOVE, "vfio-pci.ids", "8086:1572" },
};
