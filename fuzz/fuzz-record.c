/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the apply record (parse, format, parse again: the same
 * record) and the UEFI load-option parser, which both read bytes that a
 * crash, an editor or firmware may have mangled.
 */
#include <stdlib.h>
#include <string.h>

#include "efi-loadopt.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record rec, back;
	struct efi_load_option lo;
	char dir[64];
	unsigned line;

	if (efi_load_option_parse(data, size, &lo) == 0)
		(void)efi_path_vendor_dir(lo.path, dir, sizeof(dir));
	if (record_parse((const char *)data, size, &rec, &line) == 0) {
		char *text, *text2;
		size_t len, len2;

		if (record_format(&rec, &text, &len) == 0) {
			if (record_parse(text, len, &back, &line) != 0)
				abort();
			if (record_format(&back, &text2, &len2) != 0 || len2 != len ||
			    memcmp(text, text2, len) != 0)
				abort();
			free(text2);
			record_done(&back);
			free(text);
		}
		record_done(&rec);
	}
	return 0;
}
