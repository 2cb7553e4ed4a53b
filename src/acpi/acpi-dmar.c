/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi-dmar.h"
#include "base/macro.h"

/* Fixed part of each remapping structure before its device scopes (VT-d §8.3–§8.10). */
/* clang-format off */
static const struct {
	const char *name;
	uint16_t min_length;
	bool has_scopes;
} dmar_kinds[_DMAR_KIND_MAX] = {
	[DMAR_DRHD] = { "drhd", 16, true },
	[DMAR_RMRR] = { "rmrr", 24, true },
	[DMAR_ATSR] = { "atsr", 8, true },
	[DMAR_RHSA] = { "rhsa", 20, false },
	[DMAR_ANDD] = { "andd", 8, false },
	[DMAR_SATC] = { "satc", 8, true },
	[DMAR_SIDP] = { "sidp", 8, true },
	[DMAR_UNKNOWN] = { "unknown", 4, false },
};
/* clang-format on */

const char *dmar_kind_to_string(enum dmar_kind k)
{
	if (k < 0 || k >= _DMAR_KIND_MAX)
		return NULL;
	return dmar_kinds[k].name;
}

const char *dmar_scope_type_to_string(uint8_t type)
{
	static const char *const names[] = {
		[DMAR_SCOPE_ENDPOINT] = "PCI endpoint",
		[DMAR_SCOPE_BRIDGE] = "PCI bridge",
		[DMAR_SCOPE_IOAPIC] = "IOAPIC",
		[DMAR_SCOPE_HPET] = "HPET",
		[DMAR_SCOPE_ACPI_NAMESPACE] = "ACPI device",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown scope";
}

struct dmar_table *dmar_table_free(struct dmar_table *t)
{
	if (!t)
		return NULL;
	free(t->raw);
	free(t->structs);
	free(t->scopes);
	free(t);
	return NULL;
}

static int parse_scopes(struct dmar_table *t, size_t *scopes_alloc, struct dmar_struct *s,
			size_t start, struct acpi_error *err)
{
	const uint8_t *b = t->raw;
	size_t end = s->offset + s->length;
	int r;

	s->first_scope = t->n_scopes;
	for (size_t p = start; p < end;) {
		struct dmar_scope *sc;
		uint8_t len;

		if (end - p < 2)
			return acpi_error_set(
				err, p,
				"truncated device scope: %zu byte(s) left in the %s structure at offset %zu",
				end - p, dmar_kinds[s->kind].name, s->offset);
		len = b[p + 1];
		if (len < 6)
			return acpi_error_set(
				err, p + 1,
				"device scope length %u is shorter than the 6-byte scope header",
				len);
		if ((len - 6) % 2)
			return acpi_error_set(err, p + 1,
					      "device scope length %u leaves half a path element",
					      len);
		if (len > end - p)
			return acpi_error_set(
				err, p + 1,
				"device scope length %u runs past the end of its %s structure (which ends at offset %zu)",
				len, dmar_kinds[s->kind].name, end);

		r = acpi_grow((void **)&t->scopes, scopes_alloc, t->n_scopes + 1,
			      sizeof(*t->scopes));
		if (r < 0)
			return r;
		sc = &t->scopes[t->n_scopes++];
		*sc = (struct dmar_scope){
			.offset = p,
			.type = b[p],
			.length = len,
			.flags = b[p + 2],
			.enumeration_id = b[p + 4],
			.start_bus = b[p + 5],
			.n_path = (len - 6) / 2u,
			.path = b + p + 6,
		};
		s->n_scopes++;
		p += len;
	}
	return 0;
}

static enum dmar_kind kind_from_type(uint16_t type)
{
	return type < DMAR_UNKNOWN ? (enum dmar_kind)type : DMAR_UNKNOWN;
}

int dmar_parse(const uint8_t *buf, size_t size, struct dmar_table **ret, struct acpi_error *err)
{
	_cleanup_(dmar_table_freep) struct dmar_table *t = NULL;
	size_t structs_alloc = 0, scopes_alloc = 0;
	const uint8_t *b;
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	r = acpi_table_load(buf, size, "DMAR", DMAR_HEADER_SIZE, &t->header, &t->raw, &t->raw_size,
			    err);
	if (r < 0)
		return r;
	b = t->raw;
	t->host_address_width = b[36];
	t->flags = b[37];

	for (size_t off = DMAR_HEADER_SIZE; off < t->header.length;) {
		size_t left = t->header.length - off;
		struct dmar_struct *s;
		enum dmar_kind kind;
		uint16_t type, len;

		if (left < 4)
			return acpi_error_set(
				err, off,
				"truncated remapping structure: %zu byte(s) left, its header needs 4",
				left);
		type = acpi_le16(b + off);
		len = acpi_le16(b + off + 2);
		kind = kind_from_type(type);
		if (len < dmar_kinds[kind].min_length)
			return acpi_error_set(
				err, off + 2,
				"%s structure (type %u) length %u is shorter than the %u bytes of its fixed fields",
				dmar_kinds[kind].name, type, len, dmar_kinds[kind].min_length);
		if (len > left)
			return acpi_error_set(
				err, off + 2,
				"%s structure (type %u) length %u runs past the end of the table (%zu byte(s) left)",
				dmar_kinds[kind].name, type, len, left);

		r = acpi_grow((void **)&t->structs, &structs_alloc, t->n_structs + 1,
			      sizeof(*t->structs));
		if (r < 0)
			return r;
		s = &t->structs[t->n_structs++];
		*s = (struct dmar_struct){
			.kind = kind, .type = type, .length = len, .offset = off
		};
		t->counts[kind]++;

		switch (kind) {
		case DMAR_DRHD: /* VT-d §8.3 */
			s->flags = b[off + 4];
			s->size = b[off + 5];
			s->segment = acpi_le16(b + off + 6);
			s->register_base = acpi_le64(b + off + 8);
			break;
		case DMAR_RMRR: /* §8.4 */
			s->segment = acpi_le16(b + off + 6);
			s->base = acpi_le64(b + off + 8);
			s->limit = acpi_le64(b + off + 16);
			break;
		case DMAR_ATSR: /* §8.5 */
		case DMAR_SATC: /* §8.8 */
			s->flags = b[off + 4];
			s->segment = acpi_le16(b + off + 6);
			break;
		case DMAR_SIDP: /* §8.9 */
			s->segment = acpi_le16(b + off + 6);
			break;
		case DMAR_RHSA: /* §8.6 */
			s->register_base = acpi_le64(b + off + 8);
			s->proximity_domain = acpi_le32(b + off + 16);
			break;
		case DMAR_ANDD: { /* §8.7: the object name is NUL-terminated inside the structure */
			const uint8_t *name = b + off + 8;
			const uint8_t *nul = memchr(name, 0, len - 8u);

			s->acpi_device_number = b[off + 7];
			s->object_name = name;
			s->object_name_len = nul ? (size_t)(nul - name) : len - 8u;
			break;
		}
		case DMAR_UNKNOWN:
		case _DMAR_KIND_MAX:
			break;
		}

		if (dmar_kinds[kind].has_scopes) {
			r = parse_scopes(t, &scopes_alloc, s, off + dmar_kinds[kind].min_length,
					 err);
			if (r < 0)
				return r;
		}
		off += len;
	}

	*ret = TAKE_PTR(t);
	return 0;
}

unsigned dmar_count_ioapic_scopes(const struct dmar_table *t)
{
	unsigned n = 0;

	for (size_t i = 0; i < t->n_structs; i++) {
		const struct dmar_struct *s = &t->structs[i];

		if (s->kind != DMAR_DRHD)
			continue;
		for (size_t j = 0; j < s->n_scopes; j++)
			if (t->scopes[s->first_scope + j].type == DMAR_SCOPE_IOAPIC)
				n++;
	}
	return n;
}
