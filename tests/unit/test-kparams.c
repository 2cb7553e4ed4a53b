/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: kparams. */
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

#include "kops.h"
#include "unit.h"

static bool edit_line_is(const char *in, const struct kop *ops, size_t m, const char *want)
{
	_cleanup_free_ char *out = NULL;
	char error[256] = "";

	if (kparams_edit_line(in, ops, m, &out, error, sizeof(error)) < 0) {
		printf("    refused \"%s\": %s\n", in, error);
		return false;
	}
	if (strcmp(out, want) != 0) {
		printf("    \"%s\" -> \"%s\", want \"%s\"\n", in, out, want);
		return false;
	}
	return true;
}

static void test_kparams_edit_line(void)
{
	CHECK(edit_line_is(
		"root=/dev/sda1 ro quiet", add_ops, 3,
		"root=/dev/sda1 ro quiet intel_iommu=on iommu=pt vfio-pci.ids=8086:1572"));
	CHECK(edit_line_is("", add_ops, 3, "intel_iommu=on iommu=pt vfio-pci.ids=8086:1572"));
	/* conflicts replaced in place, duplicates folded, IDs merged in order */
	CHECK(edit_line_is("intel_iommu=off iommu=1 quiet iommu=soft vfio_pci.ids=10de:1b80",
			   add_ops, 3,
			   "intel_iommu=on iommu=pt quiet vfio_pci.ids=10de:1b80,8086:1572"));
	CHECK(edit_line_is("intel_iommu=igfx_off", add_ops, 1, "intel_iommu=on,igfx_off"));
	CHECK(edit_line_is("a iommu.passthrough=0 b", add_ops + 1, 1, "a b iommu=pt"));
	/* idempotent */
	CHECK(edit_line_is("x intel_iommu=on iommu=pt vfio-pci.ids=8086:1572 ", add_ops, 3,
			   "x intel_iommu=on iommu=pt vfio-pci.ids=8086:1572 "));
	/* removal takes only what was added */
	CHECK(edit_line_is("a intel_iommu=on,igfx_off iommu=pt vfio-pci.ids=10de:1b80,8086:1572 b",
			   remove_ops, 3, "a intel_iommu=igfx_off vfio-pci.ids=10de:1b80 b"));
	CHECK(edit_line_is("intel_iommu=on b iommu=nopt", remove_ops, 3, "b iommu=nopt"));
	/* a kernel-quoted word is left alone, and one that must change refuses */
	CHECK(edit_line_is("\"acpi_osi=Windows 2019\" q", add_ops + 1, 1,
			   "\"acpi_osi=Windows 2019\" q iommu=pt"));
	{
		_cleanup_free_ char *out = NULL;
		char error[256] = "";

		CHECK(kparams_edit_line("\"iommu=soft x\"", add_ops + 1, 1, &out, error,
					sizeof(error)) == -EINVAL);
		CHECK(strstr(error, "cannot be edited"));
	}
}

/* ---- the rule, modprobe.d, the next boot, the plan ---- */

static bool holds(const char *line, struct kop op, bool lenient)
{
	struct kcmdline c;
	bool r;

	if (kcmdline_parse(line, &c) < 0)
		return false;
	r = kline_satisfies(&c, &op, lenient, NULL, 0);
	kcmdline_done(&c);
	return r;
}

static void test_kline_rule(void)
{
	const struct kop on = { KOP_ENSURE, "intel_iommu", "on" };
	const struct kop pt = { KOP_ENSURE, "iommu", "pt" };
	const struct kop ids = { KOP_SET, "vfio-pci.ids", "8086:1572,10de:1b80" };
	const struct kop fix = { KOP_CORRECT, "vfio-pci.ids", "8086:1572" };
	const struct kop no_pt0 = { KOP_REMOVE, "iommu.passthrough", "0" };
	const struct kop drop = { KOP_DROP, "vfio-pci.ids", NULL };

	/* once, with the planned value; other options of intel_iommu may stay */
	CHECK(holds("quiet intel_iommu=on", on, false));
	CHECK(holds("intel_iommu=on intel_iommu=igfx_off", on, false));
	CHECK(holds("intel_iommu=igfx_off,on", on, false));
	CHECK(!holds("intel_iommu=on intel_iommu=on", on, false));
	CHECK(!holds("intel_iommu=on,off", on, false));
	CHECK(!holds("quiet", on, false));
	/* recovery entries: absent is fine, twice or contradicted is not */
	CHECK(holds("quiet", on, true));
	CHECK(!holds("intel_iommu=off", on, true));
	CHECK(!holds("iommu=pt iommu=pt", pt, true));
	CHECK(!holds("iommu=soft", pt, false));
	/* the IDs as a set, and no more of them */
	CHECK(holds("vfio_pci.ids=10de:1b80,8086:1572", ids, false));
	CHECK(!holds("vfio-pci.ids=8086:1572", ids, false));
	CHECK(!holds("vfio-pci.ids=8086:1572,10de:1b80,1234:5678", ids, false));
	CHECK(holds("quiet", fix, false));
	CHECK(!holds("vfio-pci.ids=10de:1b80", fix, false));
	CHECK(holds("iommu.passthrough=1", no_pt0, false));
	CHECK(!holds("iommu.passthrough=0", no_pt0, false));
	CHECK(!holds("vfio_pci.ids=1", drop, false));
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_kparams_edit_line);
	RUN(test_kline_rule);
	UNIT_MAIN_END();
}
