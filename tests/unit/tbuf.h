/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Building ACPI tables byte by byte for the unit tests. */
#include <stdint.h>
#include <string.h>

#include "acpi/acpi-dmar.h"

struct tbuf {
	uint8_t b[4096];
	size_t n;
};

static inline void put8(struct tbuf *t, uint8_t v)
{
	t->b[t->n++] = v;
}

static inline void put16(struct tbuf *t, uint16_t v)
{
	put8(t, v & 0xff);
	put8(t, v >> 8);
}

static inline void put32(struct tbuf *t, uint32_t v)
{
	put16(t, v & 0xffff);
	put16(t, v >> 16);
}

static inline void put64(struct tbuf *t, uint64_t v)
{
	put32(t, (uint32_t)v);
	put32(t, (uint32_t)(v >> 32));
}

static inline void set16(struct tbuf *t, size_t off, uint16_t v)
{
	t->b[off] = v & 0xff;
	t->b[off + 1] = v >> 8;
}

static inline void header(struct tbuf *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	memcpy(t->b + 10, "TESTOE", 6);
	memcpy(t->b + 16, "TESTTABL", 8);
	memcpy(t->b + 28, "TEST", 4);
	t->b[8] = 1;
	t->n = 36;
}

/* Sets the length field to the bytes written and fixes the checksum. */
static inline void finish(struct tbuf *t)
{
	uint8_t sum = 0;

	t->b[4] = t->n & 0xff;
	t->b[5] = (t->n >> 8) & 0xff;
	t->b[6] = t->b[7] = 0;
	t->b[9] = 0;
	for (size_t i = 0; i < t->n; i++)
		sum += t->b[i];
	t->b[9] = (uint8_t)(0x100 - sum);
}

static inline void dmar_header(struct tbuf *t, uint8_t flags)
{
	header(t, "DMAR");
	put8(t, 38); /* host address width: 39 bits */
	put8(t, flags);
	for (int i = 0; i < 10; i++)
		put8(t, 0);
}

/* DRHD with one IOAPIC scope at 00:1e.1: 16 + 8 bytes */
static inline size_t dmar_drhd_ioapic(struct tbuf *t)
{
	size_t at = t->n;

	put16(t, 0);
	put16(t, 24);
	put8(t, 1); /* INCLUDE_PCI_ALL */
	put8(t, 0);
	put16(t, 0);
	put64(t, 0xfed90000);
	put8(t, 3); /* IOAPIC */
	put8(t, 8);
	put16(t, 0);
	put8(t, 2);
	put8(t, 0);
	put8(t, 0x1e);
	put8(t, 1);
	return at;
}

static inline int dmar(struct tbuf *t, struct dmar_table **ret, struct acpi_error *err)
{
	return dmar_parse(t->b, t->n, ret, err);
}

/* ---- DMAR ---- */
