/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Decoder for the ACPI I/O Virtualization Reporting Structure (IVRS) that
 * describes AMD-Vi IOMMUs. AMD IOMMU specification (pub. 48882) rev. 3.x,
 * §5.2 "IVRS".
 */

#include "acpi/acpi.h"

#define IVRS_HEADER_SIZE 48

enum ivrs_kind {
	IVRS_IVHD,
	IVRS_IVMD,
	IVRS_UNKNOWN,
	_IVRS_KIND_MAX,
};

/* IVHD device entry types (§5.2.2.2) */
enum {
	IVHD_ENTRY_PAD4 = 0x00,
	IVHD_ENTRY_ALL = 0x01,
	IVHD_ENTRY_SELECT = 0x02,
	IVHD_ENTRY_START = 0x03,
	IVHD_ENTRY_END = 0x04,
	IVHD_ENTRY_PAD8 = 0x40,
	IVHD_ENTRY_ALIAS_SELECT = 0x42,
	IVHD_ENTRY_ALIAS_START = 0x43,
	IVHD_ENTRY_EXT_SELECT = 0x46,
	IVHD_ENTRY_EXT_START = 0x47,
	IVHD_ENTRY_SPECIAL = 0x48,
	IVHD_ENTRY_ACPI_HID = 0xF0,
};

/* Variety of a special device entry (48h) */
enum {
	IVHD_SPECIAL_IOAPIC = 1,
	IVHD_SPECIAL_HPET = 2,
};

#define IVHD_ENTRY_HID_FIXED 22

struct ivrs_id {
	bool is_string; /* an ACPI ID string, otherwise an integer (e.g. 0 for "none") */
	char str[9];
	uint64_t value;
};

struct ivrs_entry {
	size_t offset;
	size_t length;
	uint8_t type;
	uint16_t device_id;
	uint8_t data_setting;
	uint16_t source_device_id; /* 42h, 43h, 48h */
	uint8_t handle, variety;   /* 48h */
	uint32_t extended_data;	   /* other 8-byte entries (40h, 46h, 47h) */
	struct ivrs_id hid, cid;   /* F0h */
	uint8_t uid_format, uid_length;
	const uint8_t *uid; /* uid_length bytes inside the table */
};

struct ivrs_block {
	enum ivrs_kind kind;
	uint8_t type;
	uint8_t flags;
	uint16_t length;
	size_t offset;
	/* ivhd */
	uint16_t device_id;
	uint16_t capability_offset;
	uint64_t base_address;
	uint16_t pci_segment;
	uint16_t iommu_info;
	uint32_t iommu_feature_info; /* type 10h */
	uint32_t iommu_attributes;   /* types 11h, 40h */
	uint64_t efr_image, efr_image2;
	size_t first_entry, n_entries;
	/* the block the kernel uses for its unit: the highest type, first of that type */
	bool preferred;
	/* ivmd */
	uint16_t aux_data;
	uint64_t start_address, memory_length;
};

struct ivrs_table {
	struct acpi_header header;
	uint8_t *raw;
	size_t raw_size;
	uint32_t ivinfo;
	struct ivrs_block *blocks;
	size_t n_blocks;
	struct ivrs_entry *entries;
	size_t n_entries;
	unsigned counts[_IVRS_KIND_MAX];
	unsigned by_type[256];
};

/* IVinfo fields (§5.2.1) */
#define IVINFO_EFR_SUP(v) ((v)&1u)
#define IVINFO_DMA_REMAP_SUP(v) (((v) >> 1) & 1u)
#define IVINFO_GVA_SIZE(v) (((v) >> 5) & 0x7u)
#define IVINFO_PA_SIZE(v) (((v) >> 8) & 0x7fu)
#define IVINFO_VA_SIZE(v) (((v) >> 15) & 0x7fu)
#define IVINFO_HT_ATS_RESV(v) (((v) >> 22) & 1u)

/* IVMD flags (§5.2.3) */
#define IVMD_FLAG_UNITY 0x01
#define IVMD_FLAG_READ 0x02
#define IVMD_FLAG_WRITE 0x04
#define IVMD_FLAG_EXCLUSION 0x08

int ivrs_parse(const uint8_t *buf, size_t size, struct ivrs_table **ret, struct acpi_error *err);
struct ivrs_table *ivrs_table_free(struct ivrs_table *t);
static inline void ivrs_table_freep(struct ivrs_table **t)
{
	ivrs_table_free(*t);
}

const char *ivrs_kind_to_string(enum ivrs_kind k);
/* Size of a device entry from its type (§5.2.2.2); 0 for F0h, whose size is variable. */
size_t ivrs_entry_size(uint8_t type);

/*
 * One AMD IOMMU is described by up to three IVHD blocks (types 10h, 11h, 40h).
 * Counts distinct units by (segment, device id, base address).
 */
unsigned ivrs_count_iommus(const struct ivrs_table *t);

/* Special-device entries of one variety (IOAPIC, HPET) in the preferred IVHD blocks.
 * Without an IOAPIC entry the kernel disables interrupt remapping. */
unsigned ivrs_count_special(const struct ivrs_table *t, uint8_t variety);
