/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Decoder for the ACPI DMA Remapping Reporting table (DMAR) that describes
 * Intel VT-d units. Intel VT-d specification rev. 5.0, chapter 8.
 */

#include "acpi/acpi.h"

#define DMAR_HEADER_SIZE 48

/* DMAR flags (VT-d §8.1) */
#define DMAR_FLAG_INTR_REMAP 0x01
#define DMAR_FLAG_X2APIC_OPT_OUT 0x02
#define DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN 0x04

enum dmar_kind {
	DMAR_DRHD,
	DMAR_RMRR,
	DMAR_ATSR,
	DMAR_RHSA,
	DMAR_ANDD,
	DMAR_SATC,
	DMAR_SIDP,
	DMAR_UNKNOWN,
	_DMAR_KIND_MAX,
};

enum dmar_scope_type {
	DMAR_SCOPE_ENDPOINT = 1,
	DMAR_SCOPE_BRIDGE = 2,
	DMAR_SCOPE_IOAPIC = 3,
	DMAR_SCOPE_HPET = 4,
	DMAR_SCOPE_ACPI_NAMESPACE = 5,
};

struct dmar_scope {
	size_t offset;
	uint8_t type;
	uint8_t length;
	uint8_t flags;
	uint8_t enumeration_id;
	uint8_t start_bus;
	size_t n_path;
	const uint8_t *path; /* n_path (device, function) pairs inside the table's bytes */
};

struct dmar_struct {
	enum dmar_kind kind;
	uint16_t type;
	uint16_t length;
	size_t offset;
	uint8_t flags;		    /* drhd, atsr, satc */
	uint8_t size;		    /* drhd: log2 of the number of 4 KiB register pages */
	uint16_t segment;	    /* drhd, rmrr, atsr, satc, sidp */
	uint64_t register_base;	    /* drhd, rhsa */
	uint64_t base, limit;	    /* rmrr */
	uint32_t proximity_domain;  /* rhsa */
	uint8_t acpi_device_number; /* andd */
	const uint8_t *object_name; /* andd, not NUL-terminated */
	size_t object_name_len;
	size_t first_scope, n_scopes; /* into dmar_table.scopes */
};

struct dmar_table {
	struct acpi_header header;
	uint8_t *raw;
	size_t raw_size;
	uint8_t host_address_width;
	uint8_t flags;
	struct dmar_struct *structs;
	size_t n_structs;
	struct dmar_scope *scopes;
	size_t n_scopes;
	unsigned counts[_DMAR_KIND_MAX];
};

/* Decodes a complete DMAR table. The bytes are copied; buf may be freed afterwards. */
int dmar_parse(const uint8_t *buf, size_t size, struct dmar_table **ret, struct acpi_error *err);
struct dmar_table *dmar_table_free(struct dmar_table *t);
static inline void dmar_table_freep(struct dmar_table **t)
{
	dmar_table_free(*t);
}

const char *dmar_kind_to_string(enum dmar_kind k);
const char *dmar_scope_type_to_string(uint8_t type);

/* Number of IOAPIC device scopes under DRHD units: the kernel refuses interrupt
 * remapping without them. */
unsigned dmar_count_ioapic_scopes(const struct dmar_table *t);
