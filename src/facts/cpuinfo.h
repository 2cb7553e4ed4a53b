/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What /proc/cpuinfo says about the CPU. Pure: text in, struct out. */

#include <stdbool.h>

enum cpu_vendor {
	CPU_VENDOR_INTEL,   /* VT-d, DMAR */
	CPU_VENDOR_AMD,	    /* AMD-Vi, IVRS */
	CPU_VENDOR_HYGON,   /* AMD-derived: AMD-Vi, IVRS */
	CPU_VENDOR_ZHAOXIN, /* VIA/Centaur-derived: VT-d compatible, DMAR */
	CPU_VENDOR_OTHER,
	_CPU_VENDOR_MAX,
};

struct cpu_info {
	enum cpu_vendor vendor;
	char vendor_id[32];
	char model_name[128];
	int family, model, stepping; /* -1 when unknown */
	unsigned n_processors;
	bool vmx, svm;	 /* hardware virtualization exposed to this kernel */
	bool hypervisor; /* running as a guest */
	bool x2apic;
	bool found; /* at least one processor block was read */
};

void cpuinfo_parse(const char *text, struct cpu_info *ret);
const char *cpu_vendor_to_string(enum cpu_vendor v);
const char *cpu_vendor_display_name(enum cpu_vendor v);
/* "DMAR" or "IVRS": the table that describes this vendor's IOMMU, NULL if none. */
const char *cpu_vendor_iommu_table(enum cpu_vendor v);
/* "VT-d", "AMD-Vi" … */
const char *cpu_vendor_iommu_name(enum cpu_vendor v);
