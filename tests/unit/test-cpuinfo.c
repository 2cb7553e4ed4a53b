/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: cpuinfo. */
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

static void test_cpuinfo(void)
{
	struct cpu_info c;

	cpuinfo_parse("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 63\n"
		      "model name\t: Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz\n"
		      "flags\t\t: fpu vme vmx x2apic\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n"
		      "flags\t\t: fpu\n",
		      &c);
	CHECK(c.found && c.vendor == CPU_VENDOR_INTEL);
	CHECK(c.family == 6 && c.model == 63);
	CHECK(strcmp(c.model_name, "Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz") == 0);
	CHECK(c.vmx && !c.svm && c.x2apic && !c.hypervisor);
	CHECK(c.n_processors == 2);

	/* "svm" must be a whole word: "svm_lock" alone does not count */
	cpuinfo_parse("vendor_id : AuthenticAMD\nflags : fpu svm_lock hypervisor\n", &c);
	CHECK(c.vendor == CPU_VENDOR_AMD && !c.svm && c.hypervisor);
	cpuinfo_parse("vendor_id : AuthenticAMD\nflags : svm", &c);
	CHECK(c.svm);
	cpuinfo_parse("vendor_id\t: HygonGenuine\n", &c);
	CHECK(c.vendor == CPU_VENDOR_HYGON);
	CHECK(strcmp(cpu_vendor_iommu_table(c.vendor), "IVRS") == 0);
	cpuinfo_parse("processor : 0\nCPU implementer : 0x41\n", &c);
	CHECK(!c.found && c.vendor == CPU_VENDOR_OTHER);
	cpuinfo_parse("", &c);
	CHECK(!c.found && c.n_processors == 0);
}

/* ---- checks ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_cpuinfo);
	UNIT_MAIN_END();
}
