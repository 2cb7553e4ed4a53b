/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: checks. */
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

#include "tbuf.h"
#include "unit.h"

static void test_checks_verdicts(void)
{
	_cleanup_(dmar_table_freep) struct dmar_table *d = NULL;
	struct check_report r;
	struct host h = {};
	struct tbuf t;

	cpuinfo_parse("vendor_id : GenuineIntel\nflags : vmx\n", &h.cpu);
	h.cpuinfo_found = true;
	/* a target kernel with every VFIO module */
	snprintf(h.modules.kver, sizeof(h.modules.kver), "6.1.0-13-amd64");
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		h.modules.mods[i] = (struct mod_info){ vfio_module_name(i), MOD_MODULE, -1 };
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.blocking && strcmp(r.blocking->id, "firmware.iommu_table") == 0);

	dmar_header(&t, 0x00);
	dmar_drhd_ioapic(&t);
	finish(&t);
	CHECK(dmar(&t, &d, NULL) == 0);
	h.dmar.present = true;
	h.dmar.dmar = d;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.fw.units == 1 && !r.fw.intr_remap);
	CHECK(r.blocking && strcmp(r.blocking->id, "firmware.interrupt_remapping") == 0);

	d->flags = DMAR_FLAG_INTR_REMAP;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(!r.blocking && r.fw.intr_remap);

	h.modules.mods[VFIO_MOD_VFIO_PCI].kind = MOD_MISSING;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.blocking && strcmp(r.blocking->id, "modules.vfio") == 0);

	h.cpu.vmx = false;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.blocking && strcmp(r.blocking->id, "cpu.virtualization") == 0);
	/* every check has its words; the list is not cut */
	for (size_t i = 0; i < r.n; i++)
		CHECK(r.items[i].summary && r.items[i].summary[0]);
	checks_done(&r);
}

/* ---- kernel parameter edits ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_checks_verdicts);
	UNIT_MAIN_END();
}
