/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi.h"

int acpi_error_set(struct acpi_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->offset = offset;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

void acpi_copy_string(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n && src[i]; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : ' ';
	dst[i] = '\0';
}

static bool signature_plausible(const uint8_t *p)
{
	/* ACPI signatures are four upper-case letters or digits (e.g. "DMAR", "SSDT", "FACP"). */
	for (size_t i = 0; i < 4; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

bool acpi_looks_like_table(const uint8_t *buf, size_t size, size_t max)
{
	uint32_t len;

	if (size < ACPI_HEADER_SIZE || !signature_plausible(buf))
		return false;
	len = acpi_le32(buf + 4);
	return len >= ACPI_HEADER_SIZE && len <= max;
}

int acpi_header_parse(const uint8_t *buf, size_t size, const char *signature,
		      struct acpi_header *ret, struct acpi_error *err)
{
	struct acpi_header h = {};
	uint8_t sum = 0;

	if (size == 0)
		return acpi_error_set(err, 0, "empty file, not an ACPI table");
	if (size < 4 || !signature_plausible(buf))
		return acpi_error_set(err, 0, "not an ACPI table: no table signature at the start");
	memcpy(h.signature, buf, 4);
	if (signature && memcmp(h.signature, signature, 4) != 0)
		return acpi_error_set(err, 0, "signature is \"%s\", expected \"%s\"", h.signature,
				      signature);
	if (size < ACPI_HEADER_SIZE)
		return acpi_error_set(err, size,
				      "truncated: %zu bytes, the ACPI table header alone needs %d",
				      size, ACPI_HEADER_SIZE);

	h.length = acpi_le32(buf + 4);
	if (h.length < ACPI_HEADER_SIZE)
		return acpi_error_set(
			err, 4, "table length field says %u bytes, shorter than the %d-byte header",
			h.length, ACPI_HEADER_SIZE);
	if (h.length > size)
		return acpi_error_set(
			err, size,
			"truncated: table length field says %u bytes but only %zu are present",
			h.length, size);
	if (h.length < size)
		return acpi_error_set(
			err, h.length,
			"table length field says %u bytes but %zu are present: %zu trailing bytes",
			h.length, size, size - h.length);

	h.revision = buf[8];
	h.checksum = buf[9];
	acpi_copy_string(h.oem_id, buf + 10, 6);
	acpi_copy_string(h.oem_table_id, buf + 16, 8);
	h.oem_revision = acpi_le32(buf + 24);
	acpi_copy_string(h.creator_id, buf + 28, 4);
	h.creator_revision = acpi_le32(buf + 32);
	for (size_t i = 0; i < h.length; i++)
		sum += buf[i];
	h.sum = sum;

	*ret = h;
	return 0;
}

int acpi_grow(void **array, size_t *allocated, size_t need, size_t elsize)
{
	size_t n;
	void *p;

	if (need <= *allocated)
		return 0;
	n = *allocated ? *allocated * 2 : 8;
	if (n < need)
		n = need;
	if (n > SIZE_MAX / elsize)
		return -ENOMEM;
	p = realloc(*array, n * elsize);
	if (!p)
		return -ENOMEM;
	*array = p;
	*allocated = n;
	return 0;
}

int acpi_table_load(const uint8_t *buf, size_t size, const char *signature, size_t header_size,
		    struct acpi_header *ret, uint8_t **raw, size_t *raw_size,
		    struct acpi_error *err)
{
	int r = acpi_header_parse(buf, size, signature, ret, err);

	if (r < 0)
		return r;
	if (ret->length < header_size)
		return acpi_error_set(err, 4,
				      "table length %u is shorter than the %zu-byte %s header",
				      ret->length, header_size, signature);
	*raw = malloc(size);
	if (!*raw)
		return -ENOMEM;
	memcpy(*raw, buf, size);
	*raw_size = size;
	return 0;
}
