/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: cmdline. */
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

static void test_cmdline_parse(void)
{
	struct kcmdline c;
	_cleanup_free_ char *ids = NULL;

	CHECK(kcmdline_parse(
		      "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=ab ro  quiet\tintel_iommu=on,igfx_off "
		      "vfio-pci.ids=8086:1572,10de:1b80 dyndbg=\"file x.c +p\" "
		      "\"acpi_osi=Windows 2019\" vfio_pci.ids=10de:1b80,1002:67df "
		      "empty= -- single --init-arg",
		      &c) == 0);
	CHECK(c.n == 10);
	CHECK(strcmp(c.params[0].name, "BOOT_IMAGE") == 0);
	CHECK(strcmp(c.params[2].name, "ro") == 0 && c.params[2].value == NULL);
	CHECK(strcmp(c.params[4].value, "on,igfx_off") == 0);
	CHECK(strcmp(c.params[6].name, "dyndbg") == 0 &&
	      strcmp(c.params[6].value, "file x.c +p") == 0);
	CHECK(strcmp(c.params[7].name, "acpi_osi") == 0 &&
	      strcmp(c.params[7].value, "Windows 2019") == 0);
	CHECK(strcmp(c.params[9].name, "empty") == 0 && strcmp(c.params[9].value, "") == 0);
	CHECK(c.init_args && strcmp(c.init_args, "single --init-arg") == 0);
	CHECK(kcmdline_has(&c, "intel-iommu", NULL));
	CHECK(kcmdline_has(&c, "vfio_pci.ids", NULL));
	CHECK(!kcmdline_has(&c, "single", NULL)); /* after "--": init's */
	CHECK(!kcmdline_has(&c, "quiet", "1"));
	CHECK(kcmdline_find(&c, "VFIO-PCI.IDS") == NULL); /* names are case-sensitive */
	CHECK(strcmp(kcmdline_find(&c, "vfio-pci.ids")->value, "10de:1b80,1002:67df") == 0);
	ids = kcmdline_vfio_ids(&c);
	CHECK(ids && strcmp(ids, "8086:1572,10de:1b80,1002:67df") == 0);
	kcmdline_done(&c);

	CHECK(kcmdline_parse("", &c) == 0 && c.n == 0 && !c.init_args);
	kcmdline_done(&c);
	CHECK(kcmdline_parse("  a\n\"unterminated b", &c) == 0 && c.n == 2);
	CHECK(strcmp(c.params[1].name, "unterminated b") == 0);
	kcmdline_done(&c);
	CHECK(kparam_name_eq("vfio-pci.ids", "vfio_pci.ids"));
	CHECK(!kparam_name_eq("vfio-pci.id", "vfio_pci.ids"));
}

/* ---- shell fragments ---- */

/* the one word splitter: spans as next_arg() delimits them, quotes kept */
static void test_next_word(void)
{
	const char *t = " a=\"b c\"\td\n\"e f\"=g h\"";
	size_t len = strlen(t), pos = 0, start;
	bool open = true;

	CHECK(kcmdline_next_word(t, len, &pos, &start, &open));
	CHECK(start == 1 && pos == 8 && !open); /* a="b c" */
	CHECK(kcmdline_next_word(t, len, &pos, &start, &open));
	CHECK(start == 9 && pos == 10); /* d */
	CHECK(kcmdline_next_word(t, len, &pos, &start, &open));
	CHECK(strncmp(t + start, "\"e f\"=g", pos - start) == 0 && !open);
	CHECK(kcmdline_next_word(t, len, &pos, &start, &open));
	CHECK(strncmp(t + start, "h\"", pos - start) == 0 && open); /* left open */
	CHECK(!kcmdline_next_word(t, len, &pos, &start, &open));
	pos = 0;
	CHECK(!kcmdline_next_word(" \t\v", 3, &pos, &start, NULL) && pos == 3);
	CHECK(kcmdline_is_space('\v') && kcmdline_is_space('\r') && !kcmdline_is_space('"'));
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_cmdline_parse);
	RUN(test_next_word);
	UNIT_MAIN_END();
}
