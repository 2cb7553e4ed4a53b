/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for one ACPI decoder and both of its renderers: built
 * as fuzz-dmar, and with -DFUZZ_IVRS as fuzz-ivrs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/acpi-print.h"

#ifdef FUZZ_IVRS
#define SIGNATURE "IVRS"
typedef struct ivrs_table table_t;
#define table_parse ivrs_parse
#define table_free ivrs_table_free
#define table_print_json ivrs_print_json
#define table_print_text ivrs_print_text
static void table_queries(const table_t *t)
{
	(void)ivrs_count_iommus(t);
	(void)ivrs_count_special(t, IVHD_SPECIAL_IOAPIC);
}
#else
#define SIGNATURE "DMAR"
typedef struct dmar_table table_t;
#define table_parse dmar_parse
#define table_free dmar_table_free
#define table_print_json dmar_print_json
#define table_print_text dmar_print_text
static void table_queries(const table_t *t)
{
	(void)dmar_count_ioapic_scopes(t);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

static void one(const uint8_t *data, size_t size)
{
	table_t *t = NULL;
	struct acpi_error err;
	struct json j;

	if (table_parse(data, size, &t, &err) < 0)
		return;
	json_init(&j, sink);
	table_print_json(&j, t);
	table_print_text(sink, t);
	table_queries(t);
	table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (!sink)
		sink = fopen("/dev/null", "we");
	one(data, size);
	/* Again with the signature and the header's length made to agree with
	 * the input, so that mutations reach the structure walk instead of
	 * stopping at the header checks. */
	if (size >= 8 && size < (1u << 20)) {
		copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data, size);
		memcpy(copy, SIGNATURE, 4);
		copy[4] = size & 0xff;
		copy[5] = (size >> 8) & 0xff;
		copy[6] = (size >> 16) & 0xff;
		copy[7] = 0;
		one(copy, size);
		free(copy);
	}
	return 0;
}
