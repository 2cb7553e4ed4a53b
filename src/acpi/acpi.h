/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Common pieces of the ACPI table decoders: the 36-byte system description
 * header (ACPI 6.5 §5.2.6), little-endian field access and error reporting.
 * Pure code: bytes in, structs out, no I/O and no logging.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_HEADER_SIZE 36

struct acpi_header {
	char signature[5];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[7];
	char oem_table_id[9];
	uint32_t oem_revision;
	char creator_id[5];
	uint32_t creator_revision;
	/* Sum of all bytes of the table modulo 256: 0 for a valid table. */
	uint8_t sum;
};

/* Where and why a table was rejected. */
struct acpi_error {
	size_t offset;
	char message[192];
};

static inline uint16_t acpi_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t acpi_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t acpi_le64(const uint8_t *p)
{
	return (uint64_t)acpi_le32(p) | (uint64_t)acpi_le32(p + 4) << 32;
}

static inline bool acpi_checksum_ok(const struct acpi_header *h)
{
	return h->sum == 0;
}

/* Fills err (may be NULL) and returns -EBADMSG. */
int acpi_error_set(struct acpi_error *err, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Copies n bytes of a fixed-size header string the way ACPICA's disassembler
 * shows it: stop at the first NUL, replace unprintable bytes with spaces.
 * dst must have room for n + 1 bytes.
 */
void acpi_copy_string(char *dst, const uint8_t *src, size_t n);

/*
 * Validates the header of the table in buf[0..size) against the expected
 * signature (NULL: any) and the buffer size, and decodes it. The header's
 * length must equal size: a length that is shorter or longer than the data is
 * a lie and the table is refused.
 */
int acpi_header_parse(const uint8_t *buf, size_t size, const char *signature,
		      struct acpi_header *ret, struct acpi_error *err);

/*
 * The first step of every decoder: the header (acpi_header_parse), a table
 * length of at least header_size (the table's own fixed header), and a
 * private copy of the bytes in *raw. 0, -ENOMEM, or the error with err set.
 */
int acpi_table_load(const uint8_t *buf, size_t size, const char *signature, size_t header_size,
		    struct acpi_header *ret, uint8_t **raw, size_t *raw_size,
		    struct acpi_error *err);

/* A whole header with a plausible signature and a length in [36, max]. */
bool acpi_looks_like_table(const uint8_t *buf, size_t size, size_t max);

/* Grows *array to hold at least need elements of elsize bytes. */
int acpi_grow(void **array, size_t *allocated, size_t need, size_t elsize);
