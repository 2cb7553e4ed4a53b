/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: efi-loadopt. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/acpi-dmar.h"
#include "acpi/acpi-ivrs.h"
#include "acpi/acpi-print.h"
#include "base/macro.h"
#include "base/textsafe.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/devices.h"
#include "decide/grub-edit.h"
#include "decide/kparams.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/rules.h"
#include "facts/cmdline.h"
#include "facts/cpuinfo.h"
#include "facts/efi-loadopt.h"
#include "facts/modconf.h"
#include "facts/modules.h"
#include "facts/shellvars.h"
#include "report/json.h"

#include "unit.h"

/* a Boot#### variable as firmware stores it: HD(1,GPT,...) / File(\EFI\redhat\shimx64.efi) */
static size_t load_option(uint8_t *b, const char *desc, const char *path)
{
	static const uint8_t guid[16] = { 0xa4, 0x56, 0x6e, 0x0a, 0x2c, 0x5e, 0x6a, 0x4b,
					  0x9d, 0x3e, 0x6f, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e };
	size_t n = 6, dp;

	b[0] = 1, b[1] = b[2] = b[3] = 0;
	for (const char *c = desc;; c++) {
		b[n++] = (uint8_t)*c, b[n++] = 0;
		if (!*c)
			break;
	}
	dp = n;
	memset(b + n, 0, 42);
	b[n] = 4, b[n + 1] = 1, b[n + 2] = 42, b[n + 4] = 1;
	memcpy(b + n + 24, guid, 16);
	b[n + 40] = 2, b[n + 41] = 2;
	n += 42;
	b[n] = 4, b[n + 1] = 4, b[n + 2] = (uint8_t)(4 + 2 * (strlen(path) + 1)), b[n + 3] = 0;
	n += 4;
	for (const char *c = path;; c++) {
		b[n++] = (uint8_t)*c, b[n++] = 0;
		if (!*c)
			break;
	}
	b[n] = 0x7f, b[n + 1] = 0xff, b[n + 2] = 4, b[n + 3] = 0;
	n += 4;
	b[4] = (uint8_t)(n - dp), b[5] = 0;
	return n;
}

static void test_efi_load_option(void)
{
	uint8_t b[512];
	size_t n = load_option(b, "Red Hat Enterprise Linux", "\\EFI\\redhat\\shimx64.efi");
	struct efi_load_option lo;
	char dir[64];

	CHECK(efi_load_option_parse(b, n, &lo) == 0);
	CHECK(strcmp(lo.description, "Red Hat Enterprise Linux") == 0);
	CHECK(strcmp(lo.path, "\\EFI\\redhat\\shimx64.efi") == 0);
	CHECK(strcmp(lo.part_guid, "0a6e56a4-5e2c-4b6a-9d3e-6f1a2b3c4d5e") == 0);
	CHECK(lo.part_number == 1);
	CHECK(efi_path_vendor_dir(lo.path, dir, sizeof(dir)) == 0 && strcmp(dir, "redhat") == 0);
	CHECK(efi_path_vendor_dir("\\EFI\\BOOT\\BOOTX64.EFI", dir, sizeof(dir)) == -ENOENT);
	CHECK(efi_path_vendor_dir("\\EFI\\ubuntu", dir, sizeof(dir)) == -ENOENT);
	CHECK(efi_path_vendor_dir("/efi/debian/grubx64.efi", dir, sizeof(dir)) == 0 &&
	      strcmp(dir, "debian") == 0);
	/* every truncation is refused, none read past the end */
	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, b, k);
		CHECK(efi_load_option_parse(copy, k, &lo) == -EBADMSG);
		free(copy);
	}
	/* a node claiming more than there is */
	b[6 + 2 * 25 + 2] = 200;
	CHECK(efi_load_option_parse(b, n, &lo) == -EBADMSG);
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_efi_load_option);
	UNIT_MAIN_END();
}
