/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi-ivrs.h"
#include "base/macro.h"

const char *ivrs_kind_to_string(enum ivrs_kind k)
{
	static const char *const names[_IVRS_KIND_MAX] = {
		[IVRS_IVHD] = "ivhd",
		[IVRS_IVMD] = "ivmd",
		[IVRS_UNKNOWN] = "unknown",
	};

	if (k < 0 || k >= _IVRS_KIND_MAX)
		return NULL;
	return names[k];
}

size_t ivrs_entry_size(uint8_t type)
{
	if (type == IVHD_ENTRY_ACPI_HID)
		return 0;
	/* bits 7:6 of the type encode the length: 4, 8, 16 or 32 bytes */
	return (size_t)4 << (type >> 6);
}

struct ivrs_table *ivrs_table_free(struct ivrs_table *t)
{
	if (!t)
		return NULL;
	free(t->raw);
	free(t->blocks);
	free(t->entries);
	free(t);
	return NULL;
}

static enum ivrs_kind kind_from_type(uint8_t type)
{
	switch (type) {
	case 0x10:
	case 0x11:
	case 0x40:
		return IVRS_IVHD;
	case 0x20:
	case 0x21:
	case 0x22:
		return IVRS_IVMD;
	default:
		return IVRS_UNKNOWN;
	}
}

static size_t block_min_length(uint8_t type)
{
	switch (kind_from_type(type)) {
	case IVRS_IVHD:
		return type == 0x10 ? 24 : 40;
	case IVRS_IVMD:
		return 32;
	default:
		return 4;
	}
}

/*
 * An ACPI _HID/_CID in an F0h entry is either an 8-character ID string or an
 * integer (EISA ID, or 0 for "none"). Like ACPICA, call it a string when its
 * first three bytes are letters.
 */
static void parse_id(struct ivrs_id *id, const uint8_t *p)
{
	bool str = true;

	for (size_t i = 0; i < 3; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z')))
			str = false;
	id->is_string = str;
	id->value = acpi_le64(p);
	if (str)
		acpi_copy_string(id->str, p, 8);
	else
		id->str[0] = '\0';
}

static int parse_entries(struct ivrs_table *t, size_t *entries_alloc, struct ivrs_block *blk,
			 size_t start, struct acpi_error *err)
{
	const uint8_t *b = t->raw;
	size_t end = blk->offset + blk->length;
	int r;

	blk->first_entry = t->n_entries;
	for (size_t p = start; p < end;) {
		uint8_t type = b[p];
		size_t len = ivrs_entry_size(type);
		struct ivrs_entry *e;

		if (type == IVHD_ENTRY_ACPI_HID) {
			if (end - p < IVHD_ENTRY_HID_FIXED)
				return acpi_error_set(
					err, p,
					"ACPI HID device entry (F0h) needs %d bytes but only %zu are left in the IVHD block at offset %zu",
					IVHD_ENTRY_HID_FIXED, end - p, blk->offset);
			len = IVHD_ENTRY_HID_FIXED + (size_t)b[p + 21];
			if (len > end - p)
				return acpi_error_set(
					err, p + 21,
					"ACPI HID device entry UID length %u runs past the end of the IVHD block at offset %zu",
					b[p + 21], blk->offset);
		} else if (len > end - p)
			return acpi_error_set(
				err, p,
				"device entry of type %02Xh needs %zu bytes but only %zu are left in the IVHD block at offset %zu",
				type, len, end - p, blk->offset);

		r = acpi_grow((void **)&t->entries, entries_alloc, t->n_entries + 1,
			      sizeof(*t->entries));
		if (r < 0)
			return r;
		e = &t->entries[t->n_entries++];
		*e = (struct ivrs_entry){
			.offset = p,
			.length = len,
			.type = type,
			.device_id = acpi_le16(b + p + 1),
			.data_setting = b[p + 3],
		};
		switch (type) {
		case IVHD_ENTRY_ALIAS_SELECT:
		case IVHD_ENTRY_ALIAS_START:
			e->source_device_id = acpi_le16(b + p + 5);
			break;
		case IVHD_ENTRY_SPECIAL:
			e->handle = b[p + 4];
			e->source_device_id = acpi_le16(b + p + 5);
			e->variety = b[p + 7];
			break;
		case IVHD_ENTRY_ACPI_HID:
			parse_id(&e->hid, b + p + 4);
			parse_id(&e->cid, b + p + 12);
			e->uid_format = b[p + 20];
			e->uid_length = b[p + 21];
			e->uid = b + p + 22;
			break;
		default:
			if (len == 8)
				e->extended_data = acpi_le32(b + p + 4);
			break;
		}
		blk->n_entries++;
		p += len;
	}
	return 0;
}

static bool block_is_preferred(const struct ivrs_table *t, size_t i);

int ivrs_parse(const uint8_t *buf, size_t size, struct ivrs_table **ret, struct acpi_error *err)
{
	_cleanup_(ivrs_table_freep) struct ivrs_table *t = NULL;
	size_t blocks_alloc = 0, entries_alloc = 0;
	const uint8_t *b;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = acpi_table_load(buf, size, "IVRS", IVRS_HEADER_SIZE, &t->header, &t->raw, &t->raw_size,
			    err);
	if (r < 0)
		return r;
	b = t->raw;
	t->ivinfo = acpi_le32(b + 36);

	for (size_t off = IVRS_HEADER_SIZE; off < t->header.length;) {
		size_t left = t->header.length - off;
		struct ivrs_block *blk;
		uint8_t type;
		uint16_t len;
		size_t min;

		if (left < 4)
			return acpi_error_set(
				err, off,
				"truncated IVRS block: %zu byte(s) left, its header needs 4", left);
		type = b[off];
		len = acpi_le16(b + off + 2);
		min = block_min_length(type);
		if (len < min)
			return acpi_error_set(
				err, off + 2,
				"%s block (type %02Xh) length %u is shorter than the %zu bytes of its fixed fields",
				ivrs_kind_to_string(kind_from_type(type)), type, len, min);
		if (len > left)
			return acpi_error_set(
				err, off + 2,
				"%s block (type %02Xh) length %u runs past the end of the table (%zu byte(s) left)",
				ivrs_kind_to_string(kind_from_type(type)), type, len, left);

		r = acpi_grow((void **)&t->blocks, &blocks_alloc, t->n_blocks + 1,
			      sizeof(*t->blocks));
		if (r < 0)
			return r;
		blk = &t->blocks[t->n_blocks++];
		*blk = (struct ivrs_block){
			.kind = kind_from_type(type),
			.type = type,
			.flags = b[off + 1],
			.length = len,
			.offset = off,
		};
		t->counts[blk->kind]++;
		t->by_type[type]++;

		switch (blk->kind) {
		case IVRS_IVHD: /* §5.2.2.1 */
			blk->device_id = acpi_le16(b + off + 4);
			blk->capability_offset = acpi_le16(b + off + 6);
			blk->base_address = acpi_le64(b + off + 8);
			blk->pci_segment = acpi_le16(b + off + 16);
			blk->iommu_info = acpi_le16(b + off + 18);
			if (type == 0x10)
				blk->iommu_feature_info = acpi_le32(b + off + 20);
			else {
				blk->iommu_attributes = acpi_le32(b + off + 20);
				blk->efr_image = acpi_le64(b + off + 24);
				blk->efr_image2 = acpi_le64(b + off + 32);
			}
			r = parse_entries(t, &entries_alloc, blk, off + min, err);
			if (r < 0)
				return r;
			break;
		case IVRS_IVMD: /* §5.2.3 */
			blk->device_id = acpi_le16(b + off + 4);
			blk->aux_data = acpi_le16(b + off + 6);
			blk->start_address = acpi_le64(b + off + 16);
			blk->memory_length = acpi_le64(b + off + 24);
			break;
		default:
			break;
		}
		off += len;
	}
	for (size_t i = 0; i < t->n_blocks; i++)
		t->blocks[i].preferred = block_is_preferred(t, i);

	*ret = TAKE_PTR(t);
	return 0;
}

static bool same_unit(const struct ivrs_block *a, const struct ivrs_block *b)
{
	return a->kind == IVRS_IVHD && b->kind == IVRS_IVHD && a->pci_segment == b->pci_segment &&
	       a->device_id == b->device_id && a->base_address == b->base_address;
}

static bool block_is_preferred(const struct ivrs_table *t, size_t i)
{
	const struct ivrs_block *blk = &t->blocks[i];

	if (blk->kind != IVRS_IVHD)
		return false;
	/* The kernel uses the highest IVHD type it knows (40h > 11h > 10h) and the
	 * first such block for a unit. */
	for (size_t j = 0; j < t->n_blocks; j++) {
		const struct ivrs_block *o = &t->blocks[j];

		if (j == i || !same_unit(blk, o))
			continue;
		if (o->type > blk->type || (o->type == blk->type && j < i))
			return false;
	}
	return true;
}

unsigned ivrs_count_iommus(const struct ivrs_table *t)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->n_blocks; i++)
		if (t->blocks[i].preferred)
			n++;
	return n;
}

unsigned ivrs_count_special(const struct ivrs_table *t, uint8_t variety)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->n_blocks; i++) {
		const struct ivrs_block *blk = &t->blocks[i];

		if (!blk->preferred)
			continue;
		for (size_t j = 0; j < blk->n_entries; j++) {
			const struct ivrs_entry *e = &t->entries[blk->first_entry + j];

			if (e->type == IVHD_ENTRY_SPECIAL && e->variety == variety)
				n++;
		}
	}
	return n;
}
