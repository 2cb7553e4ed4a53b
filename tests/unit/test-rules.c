/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: rules. */
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

static void test_rules_parse(void)
{
	struct rule_set set = {};
	struct file_error err = {};
	const char *good = "# comment\n\n"
			   "cpu=intel -> param intel_iommu=on ; why \"VT-d\" ; ref \"doc\"\n"
			   "  requested pci=10de:* class=03* -> softdep nouveau pre: vfio-pci\r\n"
			   "present class=0403 kernel>=6.2 kernel<7 -> warn \"careful; really\"\n"
			   "always -> options vfio_iommu_type1 allow_unsafe_interrupts=1\n";
	static const struct {
		const char *text;
		unsigned line;
		const char *needle;
	} bad_rules[] = {
		{ "cpu=intel param x=1\n", 1, "no \"->\"" },
		{ "# ok\ncpu=arm -> param x=1\n", 2, "cpu=arm" },
		{ "pci=10de -> param x=1\n", 1, "pci= takes VVVV:DDDD" },
		{ "pci=10de:zz -> param x=1\n", 1, "pci= takes" },
		{ "class=3 -> param x=1\n", 1, "class= takes" },
		{ "kernel>=six -> param x=1\n", 1, "not a kernel version" },
		{ "gpu=yes -> param x=1\n", 1, "unknown match" },
		{ "-> param x=1\n", 1, "needs a match" },
		{ "always -> enable x=1\n", 1, "unknown action" },
		{ "always -> param a b\n", 1, "one NAME[=VALUE]" },
		{ "always -> softdep nouveau vfio-pci\n", 1, "pre:" },
		{ "always -> warn \"open\n", 1, "unterminated quote" },
		{ "always -> warn \"x\" trailing\n", 1, "unexpected" },
		{ "always -> param x=1 ; because \"y\"\n", 1, "why" },
		{ "always -> options vfio_pci\n", 1, "MODULE OPTION" },
	};

	CHECK(rules_parse(good, "t.rules", &set, &err) == 0);
	CHECK(set.n == 4);
	CHECK(strcmp(set.rules[0].cpu, "intel") == 0 && set.rules[0].action == RULE_PARAM);
	CHECK(strcmp(set.rules[0].arg, "intel_iommu=on") == 0 &&
	      strcmp(set.rules[0].why, "VT-d") == 0);
	CHECK(set.rules[0].line == 3 && strcmp(set.rules[0].ref, "doc") == 0);
	CHECK(set.rules[1].requested && set.rules[1].pci_vendor == 0x10de &&
	      set.rules[1].pci_device == -1 && set.rules[1].class_base == 3 &&
	      set.rules[1].class_sub == -1 && set.rules[1].action == RULE_SOFTDEP);
	CHECK(strcmp(set.rules[1].arg, "nouveau pre: vfio-pci") == 0);
	CHECK(set.rules[2].present && set.rules[2].class_base == 4 && set.rules[2].class_sub == 3 &&
	      strcmp(set.rules[2].kernel_min, "6.2") == 0 &&
	      strcmp(set.rules[2].kernel_below, "7") == 0);
	CHECK(strcmp(set.rules[2].arg, "careful; really") == 0);
	CHECK(set.rules[3].always && set.rules[3].action == RULE_OPTIONS);
	{
		char text[256];

		rule_format(&set.rules[1], text, sizeof(text));
		CHECK(strcmp(text,
			     "requested pci=10de:* class=03* -> softdep nouveau pre: vfio-pci") ==
		      0);
	}
	rule_set_done(&set);

	for (size_t i = 0; i < ARRAY_SIZE(bad_rules); i++) {
		memset(&err, 0, sizeof(err));
		if (rules_parse(bad_rules[i].text, "bad.rules", &set, &err) != -EINVAL ||
		    err.line != bad_rules[i].line || !strstr(err.message, bad_rules[i].needle)) {
			printf("    \"%s\": line %u \"%s\"\n", bad_rules[i].text, err.line,
			       err.message);
			failed = true;
		}
		rule_set_done(&set);
	}
}

/* ---- devices ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_rules_parse);
	UNIT_MAIN_END();
}
