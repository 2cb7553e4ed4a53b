/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: modconf. */
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

static void test_modconf(void)
{
	static const char a[] = "# comment\n"
				"options vfio-pci ids=10de:1b80 \\\n"
				"  disable_vga=1\n"
				"  # a comment only in column 0 is one\n"
				"blacklist nouveau\n"
				"install vfio_pci /bin/false\n"
				"softdep\tnouveau pre: vfio-pci\n"
				"garbage line\n";
	static const char b[] = "options vfio_pci ids=8086:1572";
	struct modconf c = {};
	const struct modconf_entry *e = NULL;
	_cleanup_free_ char *v = NULL, *w = NULL;

	CHECK(modconf_parse(&c, "etc/modprobe.d/a.conf", a, strlen(a)) == 0);
	CHECK(c.n == 4);
	CHECK(c.entries[0].kind == MODCONF_OPTIONS && strcmp(c.entries[0].module, "vfio_pci") == 0);
	/* continued lines join; the entry says where it starts */
	CHECK(strcmp(c.entries[0].value, "ids=10de:1b80   disable_vga=1") == 0);
	CHECK(c.entries[0].line == 2);
	CHECK(c.entries[1].kind == MODCONF_BLACKLIST && c.entries[1].line == 5);
	CHECK(c.entries[2].kind == MODCONF_INSTALL && c.entries[3].kind == MODCONF_SOFTDEP);
	CHECK(modconf_parse(&c, "etc/modprobe.d/b.conf", b, strlen(b)) == 0);
	/* the last one given counts */
	v = modconf_param(&c, "vfio-pci", "ids", &e);
	CHECK(v && strcmp(v, "8086:1572") == 0 && strcmp(e->file, "etc/modprobe.d/b.conf") == 0);
	/* modprobe takes module.param words of the command line after every file */
	CHECK(modconf_add_cmdline(&c, "quiet vfio-pci.ids=1234:5678 modprobe.blacklist=a,b") == 0);
	w = modconf_param(&c, "vfio_pci", "ids", &e);
	CHECK(w && strcmp(w, "1234:5678") == 0 && e->file == NULL);
	CHECK(c.n == 8);
	modconf_done(&c);
}

/* sources with only GRUB defaults (and a drop-in) */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_modconf);
	UNIT_MAIN_END();
}
