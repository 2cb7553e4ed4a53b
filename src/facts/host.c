/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host (host.h): decoding a firmware table read by gather/host.c or given to `acpi`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts/host.h"

int fw_table_decode(const char *path, const uint8_t *buf, size_t size, const char *expect,
		    struct fw_table *t)
{
	int r;

	snprintf(t->path, sizeof(t->path), "%s", path);
	t->present = true;
	if (!expect && size >= 4 && memcmp(buf, "IVRS", 4) == 0)
		expect = "IVRS";
	else if (!expect && size >= 4 && memcmp(buf, "DMAR", 4) == 0)
		expect = "DMAR";

	if (!expect) {
		/* neither DMAR nor IVRS: another ACPI table, or no table at all */
		if (acpi_looks_like_table(buf, size, ACPI_TABLE_MAX))
			r = acpi_error_set(&t->err, 0, "is an ACPI %.4s table, not DMAR or IVRS",
					   (const char *)buf);
		else if (size == 0)
			r = acpi_error_set(&t->err, 0, "empty file, not an ACPI table");
		else
			r = acpi_error_set(
				&t->err, 0,
				"not an ACPI table: no DMAR or IVRS header at the start");
	} else if (strcmp(expect, "IVRS") == 0)
		r = ivrs_parse(buf, size, &t->ivrs, &t->err);
	else
		r = dmar_parse(buf, size, &t->dmar, &t->err);
	if (r == -ENOMEM)
		return r;
	t->error = r;
	return 0;
}

void fw_table_done(struct fw_table *t)
{
	t->dmar = dmar_table_free(t->dmar);
	t->ivrs = ivrs_table_free(t->ivrs);
}
