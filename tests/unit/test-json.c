/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: json. */
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

static void test_json_escaping(void)
{
	_cleanup_free_ char *out = NULL;
	size_t n;
	FILE *f = open_memstream(&out, &n);
	struct json j;

	CHECK(f);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "s", "a\"b\\c\n\x01\xc3");
	json_string(&j, "u", "caf\xc3\xa9 \xc2\x9b\xff\xed\xa0\x80");
	json_hex64(&j, "h", 0xfed90000);
	json_array_begin(&j, "e");
	json_array_end(&j);
	json_null(&j, "n");
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	CHECK(strcmp(out,
		     "{\n  \"s\": \"a\\\"b\\\\c\\n\\u0001\\udcc3\",\n"
		     /* UTF-8 as it is, a C1 control escaped, bytes that are not UTF-8
		      * (a lone 0xff, an encoded surrogate) as \udcNN */
		     "  \"u\": \"caf\xc3\xa9 \\u009b\\udcff\\udced\\udca0\\udc80\",\n"
		     "  \"h\": \"0x00000000FED90000\",\n  \"e\": [],\n  \"n\": null\n}\n") == 0);
}

/* ---- root resolution ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_json_escaping);
	UNIT_MAIN_END();
}
