/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <string.h>

#include "acpi/acpi-print.h"
#include "base/macro.h"

static void header_json(struct json *j, const struct acpi_header *h)
{
	json_string(j, "table", h->signature);
	json_string(j, "signature", h->signature);
	json_uint(j, "length", h->length);
	json_uint(j, "revision", h->revision);
	json_uint(j, "checksum", h->checksum);
	json_bool(j, "checksum_valid", acpi_checksum_ok(h));
	json_string(j, "oem_id", h->oem_id);
	json_string(j, "oem_table_id", h->oem_table_id);
	json_uint(j, "oem_revision", h->oem_revision);
	json_string(j, "creator_id", h->creator_id);
	json_uint(j, "creator_revision", h->creator_revision);
}

static void scopes_json(struct json *j, const struct dmar_table *t, const struct dmar_struct *s)
{
	json_uint(j, "device_scope_count", s->n_scopes);
	json_array_begin(j, "device_scopes");
	for (size_t i = 0; i < s->n_scopes; i++) {
		const struct dmar_scope *sc = &t->scopes[s->first_scope + i];

		json_object_begin(j, NULL);
		json_uint(j, "type", sc->type);
		json_uint(j, "offset", sc->offset);
		json_uint(j, "length", sc->length);
		json_uint(j, "flags", sc->flags);
		json_uint(j, "enumeration_id", sc->enumeration_id);
		json_uint(j, "start_bus", sc->start_bus);
		json_array_begin(j, "path");
		for (size_t k = 0; k < sc->n_path; k++) {
			json_array_begin(j, NULL);
			json_uint(j, NULL, sc->path[2 * k]);
			json_uint(j, NULL, sc->path[2 * k + 1]);
			json_array_end(j);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

void dmar_print_json(struct json *j, const struct dmar_table *t)
{
	json_object_begin(j, NULL);
	header_json(j, &t->header);
	json_uint(j, "host_address_width", t->host_address_width);
	json_uint(j, "dma_address_bits", t->host_address_width + 1u);
	json_uint(j, "flags", t->flags);
	json_bool(j, "intr_remap", t->flags & DMAR_FLAG_INTR_REMAP);
	json_bool(j, "x2apic_opt_out", t->flags & DMAR_FLAG_X2APIC_OPT_OUT);
	json_bool(j, "dma_ctrl_platform_opt_in", t->flags & DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN);
	json_object_begin(j, "counts");
	for (int k = 0; k < _DMAR_KIND_MAX; k++)
		json_uint(j, dmar_kind_to_string(k), t->counts[k]);
	json_object_end(j);

	json_array_begin(j, "structures");
	for (size_t i = 0; i < t->n_structs; i++) {
		const struct dmar_struct *s = &t->structs[i];

		json_object_begin(j, NULL);
		json_string(j, "kind", dmar_kind_to_string(s->kind));
		json_uint(j, "type", s->type);
		json_uint(j, "offset", s->offset);
		json_uint(j, "length", s->length);
		switch (s->kind) {
		case DMAR_DRHD:
			json_uint(j, "flags", s->flags);
			json_bool(j, "include_pci_all", s->flags & 0x01);
			json_uint(j, "size", s->size);
			json_uint(j, "segment", s->segment);
			json_hex64(j, "register_base", s->register_base);
			break;
		case DMAR_RMRR:
			json_uint(j, "segment", s->segment);
			json_hex64(j, "base", s->base);
			json_hex64(j, "limit", s->limit);
			break;
		case DMAR_ATSR:
			json_uint(j, "flags", s->flags);
			json_bool(j, "all_ports", s->flags & 0x01);
			json_uint(j, "segment", s->segment);
			break;
		case DMAR_SATC:
			json_uint(j, "flags", s->flags);
			json_bool(j, "atc_required", s->flags & 0x01);
			json_uint(j, "segment", s->segment);
			break;
		case DMAR_SIDP:
			json_uint(j, "segment", s->segment);
			break;
		case DMAR_RHSA:
			json_hex64(j, "register_base", s->register_base);
			json_uint(j, "proximity_domain", s->proximity_domain);
			break;
		case DMAR_ANDD:
			json_uint(j, "acpi_device_number", s->acpi_device_number);
			json_string_len(j, "acpi_object_name", (const char *)s->object_name,
					s->object_name_len);
			break;
		case DMAR_UNKNOWN:
		case _DMAR_KIND_MAX:
			break;
		}
		if (s->kind == DMAR_DRHD || s->kind == DMAR_RMRR || s->kind == DMAR_ATSR ||
		    s->kind == DMAR_SATC || s->kind == DMAR_SIDP)
			scopes_json(j, t, s);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void id_json(struct json *j, const char *key, const struct ivrs_id *id)
{
	if (id->is_string)
		json_string(j, key, id->str);
	else
		json_uint(j, key, id->value);
}

static void uid_json(struct json *j, const struct ivrs_entry *e)
{
	if (e->uid_length == 0) {
		json_null(j, "uid");
	} else if (e->uid_format == 2) {
		const void *nul = memchr(e->uid, 0, e->uid_length);
		size_t n = nul ? (size_t)((const uint8_t *)nul - e->uid) : e->uid_length;

		json_string_len(j, "uid", (const char *)e->uid, n);
	} else if (e->uid_format == 1 && e->uid_length <= 8) {
		uint64_t v = 0;

		for (size_t i = e->uid_length; i > 0; i--)
			v = v << 8 | e->uid[i - 1];
		json_uint(j, "uid", v);
	} else
		json_null(j, "uid");
}

static void entries_json(struct json *j, const struct ivrs_table *t, const struct ivrs_block *blk)
{
	unsigned seen[256] = {};

	json_uint(j, "device_entry_count", blk->n_entries);
	json_object_begin(j, "device_entry_types");
	for (size_t i = 0; i < blk->n_entries; i++)
		seen[t->entries[blk->first_entry + i].type]++;
	/* in order of first appearance, as a reader of the table meets them */
	for (size_t i = 0; i < blk->n_entries; i++) {
		uint8_t type = t->entries[blk->first_entry + i].type;
		char key[8];

		if (!seen[type])
			continue;
		snprintf(key, sizeof(key), "0x%02X", type);
		json_uint(j, key, seen[type]);
		seen[type] = 0;
	}
	json_object_end(j);

	json_array_begin(j, "device_entries");
	for (size_t i = 0; i < blk->n_entries; i++) {
		const struct ivrs_entry *e = &t->entries[blk->first_entry + i];

		json_object_begin(j, NULL);
		json_uint(j, "type", e->type);
		json_uint(j, "offset", e->offset);
		json_uint(j, "length", e->length);
		json_uint(j, "device_id", e->device_id);
		json_uint(j, "data_setting", e->data_setting);
		switch (e->type) {
		case IVHD_ENTRY_ALIAS_SELECT:
		case IVHD_ENTRY_ALIAS_START:
			json_uint(j, "source_device_id", e->source_device_id);
			break;
		case IVHD_ENTRY_SPECIAL:
			json_uint(j, "handle", e->handle);
			json_uint(j, "source_device_id", e->source_device_id);
			json_uint(j, "variety", e->variety);
			break;
		case IVHD_ENTRY_ACPI_HID:
			id_json(j, "hid", &e->hid);
			id_json(j, "cid", &e->cid);
			json_uint(j, "uid_format", e->uid_format);
			json_uint(j, "uid_length", e->uid_length);
			uid_json(j, e);
			break;
		default:
			if (e->length == 8)
				json_uint(j, "extended_data", e->extended_data);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

void ivrs_print_json(struct json *j, const struct ivrs_table *t)
{
	json_object_begin(j, NULL);
	header_json(j, &t->header);
	json_uint(j, "ivinfo", t->ivinfo);
	json_object_begin(j, "ivinfo_decoded");
	json_uint(j, "efr_sup", IVINFO_EFR_SUP(t->ivinfo));
	json_uint(j, "dma_remap_sup", IVINFO_DMA_REMAP_SUP(t->ivinfo));
	json_uint(j, "gva_size", IVINFO_GVA_SIZE(t->ivinfo));
	json_uint(j, "pa_size", IVINFO_PA_SIZE(t->ivinfo));
	json_uint(j, "va_size", IVINFO_VA_SIZE(t->ivinfo));
	json_uint(j, "ht_ats_resv", IVINFO_HT_ATS_RESV(t->ivinfo));
	json_object_end(j);
	json_uint(j, "iommu_count", ivrs_count_iommus(t));

	json_object_begin(j, "counts");
	for (int k = 0; k < _IVRS_KIND_MAX; k++)
		json_uint(j, ivrs_kind_to_string(k), t->counts[k]);
	json_object_begin(j, "by_type");
	for (unsigned type = 0; type < 256; type++) {
		char key[8];

		if (!t->by_type[type])
			continue;
		snprintf(key, sizeof(key), "0x%02X", type);
		json_uint(j, key, t->by_type[type]);
	}
	json_object_end(j);
	json_object_end(j);

	json_array_begin(j, "blocks");
	for (size_t i = 0; i < t->n_blocks; i++) {
		const struct ivrs_block *blk = &t->blocks[i];

		json_object_begin(j, NULL);
		json_string(j, "kind", ivrs_kind_to_string(blk->kind));
		json_uint(j, "type", blk->type);
		json_uint(j, "offset", blk->offset);
		json_uint(j, "length", blk->length);
		if (blk->kind != IVRS_UNKNOWN)
			json_uint(j, "flags", blk->flags);
		switch (blk->kind) {
		case IVRS_IVHD:
			json_uint(j, "device_id", blk->device_id);
			json_uint(j, "capability_offset", blk->capability_offset);
			json_hex64(j, "base_address", blk->base_address);
			json_uint(j, "pci_segment", blk->pci_segment);
			json_uint(j, "iommu_info", blk->iommu_info);
			json_uint(j, "msi_number", blk->iommu_info & 0x1f);
			json_uint(j, "unit_id", (blk->iommu_info >> 8) & 0x1f);
			if (blk->type == 0x10)
				json_uint(j, "iommu_feature_info", blk->iommu_feature_info);
			else {
				json_uint(j, "iommu_attributes", blk->iommu_attributes);
				json_hex64(j, "efr_image", blk->efr_image);
				json_hex64(j, "efr_image2", blk->efr_image2);
			}
			json_bool(j, "preferred", blk->preferred);
			entries_json(j, t, blk);
			break;
		case IVRS_IVMD:
			json_uint(j, "device_id", blk->device_id);
			json_uint(j, "aux_data", blk->aux_data);
			json_hex64(j, "start_address", blk->start_address);
			json_hex64(j, "memory_length", blk->memory_length);
			json_bool(j, "unity", blk->flags & IVMD_FLAG_UNITY);
			json_bool(j, "read", blk->flags & IVMD_FLAG_READ);
			json_bool(j, "write", blk->flags & IVMD_FLAG_WRITE);
			json_bool(j, "exclusion_range", blk->flags & IVMD_FLAG_EXCLUSION);
			break;
		case IVRS_UNKNOWN:
			/* a type no spec defines: its type/flags/length layout is assumed
			 * from the common block header, which is how it is skipped */
			json_bool(j, "header_inferred", true);
			break;
		case _IVRS_KIND_MAX:
			break;
		}
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

/* ---- human-readable summaries ---- */

#define LABEL "  %-24s "
#define CONT LABEL

static void format_size(char *buf, size_t n, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	size_t u = 0;

	while (u + 1 < ARRAY_SIZE(units) && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, n, "%" PRIu64 " %s", bytes, units[u]);
}

static void header_text(FILE *f, const struct acpi_header *h)
{
	fprintf(f, LABEL "revision %u, %u bytes, OEM \"%s\" \"%s\" revision %u\n",
		"Table:", h->revision, h->length, h->oem_id, h->oem_table_id, h->oem_revision);
	if (acpi_checksum_ok(h))
		fprintf(f, LABEL "valid\n", "Checksum:");
	else
		fprintf(f, LABEL "INVALID (bytes sum to 0x%02X, not 0): the table may be corrupt\n",
			"Checksum:", h->sum);
}

static void scope_path_text(FILE *f, const struct dmar_scope *sc)
{
	if (sc->n_path == 0) {
		fprintf(f, "bus %02x", sc->start_bus);
		return;
	}
	fprintf(f, "%02x:%02x.%x", sc->start_bus, sc->path[0], sc->path[1]);
	for (size_t k = 1; k < sc->n_path; k++)
		fprintf(f, "/%02x.%x", sc->path[2 * k], sc->path[2 * k + 1]);
}

static void scopes_text(FILE *f, const struct dmar_table *t, const struct dmar_struct *s,
			const char *indent)
{
	for (size_t i = 0; i < s->n_scopes; i++) {
		const struct dmar_scope *sc = &t->scopes[s->first_scope + i];

		fprintf(f, "%s%s", indent, dmar_scope_type_to_string(sc->type));
		if (sc->type == DMAR_SCOPE_IOAPIC || sc->type == DMAR_SCOPE_HPET ||
		    sc->type == DMAR_SCOPE_ACPI_NAMESPACE)
			fprintf(f, " %u", sc->enumeration_id);
		fputs(" at ", f);
		scope_path_text(f, sc);
		fputc('\n', f);
	}
}

void dmar_print_text(FILE *f, const struct dmar_table *t)
{
	unsigned ioapics = dmar_count_ioapic_scopes(t);
	char size[32];

	fprintf(f, "DMAR: Intel VT-d DMA remapping table\n");
	header_text(f, &t->header);
	fprintf(f, LABEL "%u bits\n", "DMA address width:", t->host_address_width + 1u);
	if (!(t->flags & DMAR_FLAG_INTR_REMAP))
		fprintf(f,
			LABEL
			"NOT supported (INTR_REMAP flag clear): VFIO refuses device\n" CONT
			"assignment unless allow_unsafe_interrupts=1 is set, which lets a\n" CONT
			"guest forge interrupts\n",
			"Interrupt remapping:", "", "");
	else if (ioapics == 0)
		fprintf(f,
			LABEL "flagged, but no IOAPIC is under any unit: the kernel\n" CONT
			      "will not enable it (firmware bug)\n",
			"Interrupt remapping:", "");
	else
		fprintf(f, LABEL "supported (%u IOAPIC%s under remapping units)\n",
			"Interrupt remapping:", ioapics, ioapics == 1 ? "" : "s");
	fprintf(f, LABEL "%s\n", "x2APIC opt-out:",
		t->flags & DMAR_FLAG_X2APIC_OPT_OUT ? "yes: firmware asks the OS to keep xAPIC mode"
						    : "no");
	fprintf(f, LABEL "%s\n", "Platform DMA opt-in:",
		t->flags & DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN
			? "yes: firmware protected DMA before boot; the kernel forces VT-d on"
			: "no");

	fprintf(f, LABEL "%u\n", "Remapping units:", t->counts[DMAR_DRHD]);
	for (size_t i = 0; i < t->n_structs; i++) {
		const struct dmar_struct *s = &t->structs[i];

		if (s->kind != DMAR_DRHD)
			continue;
		fprintf(f, "    segment %04x, registers at 0x%" PRIX64 ": %s\n", s->segment,
			s->register_base,
			s->flags & 0x01 ? "all devices not listed under another unit"
					: "the devices listed below");
		scopes_text(f, t, s, "      ");
	}

	if (t->counts[DMAR_RMRR]) {
		fprintf(f, LABEL "%u (memory the firmware keeps using for DMA)\n",
			"Reserved regions:", t->counts[DMAR_RMRR]);
		for (size_t i = 0; i < t->n_structs; i++) {
			const struct dmar_struct *s = &t->structs[i];

			if (s->kind != DMAR_RMRR)
				continue;
			if (s->limit >= s->base && s->limit - s->base != UINT64_MAX)
				format_size(size, sizeof(size), s->limit - s->base + 1);
			else
				snprintf(size, sizeof(size), "invalid range");
			fprintf(f, "    segment %04x, 0x%" PRIX64 "-0x%" PRIX64 " (%s), for:\n",
				s->segment, s->base, s->limit, size);
			scopes_text(f, t, s, "      ");
		}
	}
	for (size_t i = 0; i < t->n_structs; i++) {
		const struct dmar_struct *s = &t->structs[i];

		switch (s->kind) {
		case DMAR_ATSR:
			fprintf(f, LABEL "segment %04x: %s\n", "ATS root ports:", s->segment,
				s->flags & 0x01 ? "all root ports" : "the root ports listed below");
			scopes_text(f, t, s, "      ");
			break;
		case DMAR_SATC:
			fprintf(f, LABEL "segment %04x%s\n", "SoC ATS devices:", s->segment,
				s->flags & 0x01 ? ", ATC required" : "");
			scopes_text(f, t, s, "      ");
			break;
		case DMAR_SIDP:
			fprintf(f, LABEL "segment %04x\n", "SoC integrated devices:", s->segment);
			scopes_text(f, t, s, "      ");
			break;
		case DMAR_RHSA:
			fprintf(f, LABEL "unit at 0x%" PRIX64 " is in NUMA proximity domain %u\n",
				"NUMA affinity:", s->register_base, s->proximity_domain);
			break;
		case DMAR_ANDD:
			fprintf(f, LABEL "%u = %.*s\n", "ACPI device:", s->acpi_device_number,
				(int)s->object_name_len, (const char *)s->object_name);
			break;
		case DMAR_UNKNOWN:
			fprintf(f, LABEL "type %u at offset %zu (%u bytes), skipped\n",
				"Unknown structure:", s->type, s->offset, s->length);
			break;
		default:
			break;
		}
	}
}

static void bdf_text(char *buf, size_t n, uint16_t segment, uint16_t id)
{
	snprintf(buf, n, "%04x:%02x:%02x.%x", segment, id >> 8, (id >> 3) & 0x1f, id & 7);
}

void ivrs_print_text(FILE *f, const struct ivrs_table *t)
{
	unsigned ioapics = ivrs_count_special(t, IVHD_SPECIAL_IOAPIC);
	unsigned hpets = ivrs_count_special(t, IVHD_SPECIAL_HPET);
	char bdf[16], bdf2[16], size[32];

	fprintf(f, "IVRS: AMD I/O virtualization table (AMD-Vi)\n");
	header_text(f, &t->header);
	fprintf(f, LABEL "0x%08X: physical address %u bits, virtual address %u bits%s%s\n",
		"IVinfo:", t->ivinfo, IVINFO_PA_SIZE(t->ivinfo), IVINFO_VA_SIZE(t->ivinfo),
		IVINFO_EFR_SUP(t->ivinfo) ? ", EFR image present" : "",
		IVINFO_DMA_REMAP_SUP(t->ivinfo) ? ", pre-boot DMA protection" : "");
	fprintf(f, LABEL "%u (from %u IVHD block%s)\n", "IOMMU units:", ivrs_count_iommus(t),
		t->counts[IVRS_IVHD], t->counts[IVRS_IVHD] == 1 ? "" : "s");
	for (size_t i = 0; i < t->n_blocks; i++) {
		const struct ivrs_block *blk = &t->blocks[i];

		if (!blk->preferred)
			continue;
		bdf_text(bdf, sizeof(bdf), blk->pci_segment, blk->device_id);
		fprintf(f,
			"    %s, registers at 0x%" PRIX64
			" (IVHD type %02Xh, %zu device entries)\n",
			bdf, blk->base_address, blk->type, blk->n_entries);
	}
	if (ioapics)
		fprintf(f, LABEL "supported (%u IOAPIC and %u HPET entries)\n",
			"Interrupt remapping:", ioapics, hpets);
	else
		fprintf(f,
			LABEL "NOT possible: no IOAPIC special-device entry, the kernel\n" CONT
			      "disables it; VFIO then needs allow_unsafe_interrupts=1\n",
			"Interrupt remapping:", "");

	if (t->counts[IVRS_IVMD]) {
		fprintf(f, LABEL "%u (memory the firmware keeps using for DMA)\n",
			"Reserved regions:", t->counts[IVRS_IVMD]);
		for (size_t i = 0; i < t->n_blocks; i++) {
			const struct ivrs_block *blk = &t->blocks[i];
			const char *what;

			if (blk->kind != IVRS_IVMD)
				continue;
			what = blk->flags & IVMD_FLAG_EXCLUSION ? "exclusion range"
			       : blk->flags & IVMD_FLAG_UNITY	? "identity-mapped"
								: "reserved";
			format_size(size, sizeof(size), blk->memory_length);
			fprintf(f, "    0x%" PRIX64 " + %s, %s, ", blk->start_address, size, what);
			bdf_text(bdf, sizeof(bdf), 0, blk->device_id);
			bdf_text(bdf2, sizeof(bdf2), 0, blk->aux_data);
			if (blk->type == 0x20)
				fprintf(f, "for all devices\n");
			else if (blk->type == 0x21)
				fprintf(f, "for %s\n", bdf + 5);
			else
				fprintf(f, "for %s to %s\n", bdf + 5, bdf2 + 5);
		}
	}
	for (size_t i = 0; i < t->n_blocks; i++) {
		const struct ivrs_block *blk = &t->blocks[i];

		if (blk->kind == IVRS_UNKNOWN)
			fprintf(f, LABEL "type %02Xh at offset %zu (%u bytes), skipped\n",
				"Unknown block:", blk->type, blk->offset, blk->length);
	}
}
