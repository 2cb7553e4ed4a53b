/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: devices. */
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

static void test_pdev_parse_arg(void)
{
	char addr[PCI_ADDR_SIZE];
	uint16_t v = 0, d = 0;

	CHECK(pdev_parse_arg("0000:01:00.0", addr, &v, &d) == 1 &&
	      strcmp(addr, "0000:01:00.0") == 0);
	CHECK(pdev_parse_arg("01:00.1", addr, &v, &d) == 1 && strcmp(addr, "0000:01:00.1") == 0);
	CHECK(pdev_parse_arg("pci_0001_0a_1f_7", addr, &v, &d) == 1 &&
	      strcmp(addr, "0001:0a:1f.7") == 0);
	CHECK(pdev_parse_arg("0000:0A:00.0", addr, &v, &d) == 1 &&
	      strcmp(addr, "0000:0a:00.0") == 0);
	/* Intel VMD puts its devices in 32-bit domains: 10000:e1:00.0 */
	CHECK(pdev_parse_arg("10000:e1:00.0", addr, &v, &d) == 1 &&
	      strcmp(addr, "10000:e1:00.0") == 0);
	CHECK(pdev_parse_arg("ffffffff:ff:1f.7", addr, &v, &d) == 1 &&
	      strcmp(addr, "ffffffff:ff:1f.7") == 0);
	CHECK(pdev_parse_arg("pci_10000_e1_00_0", addr, &v, &d) == 1 &&
	      strcmp(addr, "10000:e1:00.0") == 0);
	CHECK(pdev_parse_arg("100000000:00:00.0", addr, &v, &d) == 0); /* 9 digits */
	CHECK(pdev_parse_arg("000:01:00.0", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("8086:1533", addr, &v, &d) == 2 && v == 0x8086 && d == 0x1533);
	CHECK(pdev_parse_arg("01:20.0", addr, &v, &d) == 0); /* slot > 1f */
	CHECK(pdev_parse_arg("01:00.8", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("01:00", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("gpu", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("8086:15330", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("../../../x:00.0", addr, &v, &d) == 0);
}

static void test_device_verdict(void)
{
	struct pdev devs[5] = {
		{ .addr = "0000:00:01.0",
		  .slot = 1,
		  .bridge = true,
		  .group = 1,
		  .driver = "pcieport" },
		{ .addr = "0000:01:00.0", .bus = 1, .group = 1, .driver = "nouveau" },
		{ .addr = "0000:01:00.1", .bus = 1, .fn = 1, .group = 1, .driver = "snd_hda_intel" },
		{ .addr = "0000:01:00.2", .bus = 1, .fn = 2, .group = 1 },
		{ .addr = "0000:02:00.0", .bus = 2, .group = 1, .driver = "nvme" },
	};
	unsigned members[5] = { 0, 1, 2, 3, 4 };
	struct pdev_group g = { .number = 1, .members = members, .n_members = 4 };
	struct pdev_list l = {
		.devs = devs, .n = 4, .groups = &g, .n_groups = 1, .groups_dir = true
	};
	struct verdict v;

	/* the GPU takes its audio function along (same card), the free one stays free */
	device_verdict(&l, &devs[1], &v);
	CHECK(v.assignable && !v.critical && v.n_drag == 1 && v.drag[0] == 2 && v.n_free == 1);
	CHECK(strstr(v.reason, "0000:01:00.1 (snd_hda_intel)"));
	device_verdict(&l, &devs[0], &v);
	CHECK(!v.assignable && strstr(v.reason, "bridge"));
	/* another card the host drives in the group: only with --force */
	l.n = 5;
	g.n_members = 5;
	device_verdict(&l, &devs[1], &v);
	CHECK(!v.assignable && v.needs_force && !v.critical && strstr(v.reason, "0000:02:00.0"));
	/* that card holds /: host-critical, which nothing overrides */
	devs[4].critical = CRITICAL_ROOTFS;
	devs[4].critical_what = "holds /";
	device_verdict(&l, &devs[1], &v);
	CHECK(!v.assignable && v.critical && !v.needs_force &&
	      strstr(v.reason, "also holds 0000:02:00.0, which holds /"));
	device_verdict(&l, &devs[4], &v);
	CHECK(!v.assignable && v.critical && strstr(v.reason, "HOST-CRITICAL"));
	/* no IOMMU groups yet (the first run): still decided, from the device and its card */
	l.n_groups = 0;
	l.groups_dir = false;
	device_verdict(&l, &devs[4], &v);
	CHECK(!v.assignable && v.critical && strstr(v.reason, "HOST-CRITICAL"));
	devs[4].critical = 0;
	devs[2].critical = CRITICAL_BOOT_VGA;
	devs[2].critical_what = "is the boot display";
	device_verdict(&l, &devs[1], &v);
	CHECK(!v.assignable && v.critical && strstr(v.reason, "same card, 0000:01:00.1"));
	device_verdict(&l, &devs[4], &v);
	CHECK(!v.assignable && !v.critical && strstr(v.reason, "no IOMMU groups"));
	devs[2].critical = 0;
	devs[2].driver = "vfio-pci";
	l.n_groups = 1;
	l.groups_dir = true;
	l.n = 4;
	g.n_members = 4;
	device_verdict(&l, &devs[1], &v);
	CHECK(v.assignable && v.n_drag == 0 && v.n_free == 2);
}

/* ---- text for a terminal ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_pdev_parse_arg);
	RUN(test_device_verdict);
	UNIT_MAIN_END();
}
