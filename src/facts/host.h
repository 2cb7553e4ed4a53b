/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The host snapshot: everything the decisions are made from, gathered
 * read-only through the root directory.
 */

#include "acpi/acpi-dmar.h"
#include "acpi/acpi-ivrs.h"
#include "facts/boot.h"
#include "facts/cpuinfo.h"
#include "facts/kernel.h"
#include "facts/modules.h"

#include <stdint.h>

#define ACPI_TABLES_DIR "sys/firmware/acpi/tables"
/* The largest table we accept; real DMAR/IVRS tables are a few KiB. */
#define ACPI_TABLE_MAX (1u << 20)

struct fw_table {
	char path[4096]; /* as given, relative to the root */
	bool present;
	int error;	       /* <0: could not be read (errno) or decoded (-EBADMSG) */
	struct acpi_error err; /* with -EBADMSG */
	struct dmar_table *dmar;
	struct ivrs_table *ivrs;
};

struct host {
	bool cpuinfo_found;
	int cpuinfo_error;
	struct cpu_info cpu;
	struct fw_table dmar, ivrs;
	struct kernel_state kernel;
	struct modules_state modules;
	struct boot_state boot;
	/* the running kernel is the target kernel: its state is the one that matters */
	bool live;
	/* boot/config-KVER: CONFIG_INTEL_IOMMU_DEFAULT_ON, -1 when unknown */
	int intel_iommu_default_on;
	/* the running boot, and the one in which apply last changed something
	 * (its record): while they are the same, a reboot is pending */
	char boot_id[64];
	char applied_boot_id[64];
	/* an apply left a record that revert would undo */
	bool applied;
	/* apply --trial left a trial boot that is neither committed nor reverted;
	 * trial_cmdline is its entry's line (empty when the record lacks it) */
	bool trial_pending;
	struct kcmdline trial_cmdline;
};

/*
 * Decodes one table read from path; used by `acpi` and by host_gather().
 * expect is "DMAR", "IVRS", or NULL to go by the signature. A bad table sets
 * t->error and t->err. Returns <0 only when memory runs out.
 */
int fw_table_decode(const char *path, const uint8_t *buf, size_t size, const char *expect,
		    struct fw_table *t);
void fw_table_done(struct fw_table *t);
