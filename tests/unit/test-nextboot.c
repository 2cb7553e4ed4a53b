/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: nextboot. */
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

static int plan_grub(const char *dflt, const char *dropin, const struct kop *ops, size_t m,
		     struct nb_plan *p, struct file_error *err)
{
	struct src_file in[2] = { { .path = "etc/default/grub", .text = (char *)dflt },
				  { .path = "etc/default/grub.d/50.cfg", .text = (char *)dropin } };
	struct boot_sources s = { .grub_entries = true, .grub = in[0] };

	s.grub.len = strlen(dflt);
	if (dropin) {
		in[1].len = strlen(dropin);
		s.dropins = &in[1];
		s.n_dropins = 1;
	}
	return nextboot_plan(&s, ops, m, NULL, p, err);
}

static void test_nextboot_decisions(void)
{
	const struct kop ops[] = {
		{ KOP_ENSURE, "intel_iommu", "on" },
		{ KOP_ENSURE, "iommu", "pt" },
	};
	struct file_error err = {};
	struct nb_plan p;

	/* intel_iommu=on already effective in _DEFAULT: left there; iommu=pt
	 * goes to GRUB_CMDLINE_LINUX, and intel_iommu=on is not added twice */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n"
			"GRUB_CMDLINE_LINUX=\"\"\n",
			NULL, ops, 2, &p, &err) == 0);
	CHECK(p.n_edits == 1);
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX=\"iommu=pt\"\n"));
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n"));
	CHECK(p.n_findings >= 2 && p.findings[0].kind == NB_ALREADY);
	nb_plan_done(&p);

	/* iommu=pt in both variables: the second occurrence goes */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"\n"
			"GRUB_CMDLINE_LINUX=\"iommu=pt intel_iommu=on\"\n",
			NULL, ops, 2, &p, &err) == 0);
	CHECK(p.n_edits == 1);
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"));
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX=\"iommu=pt intel_iommu=on\"\n"));
	nb_plan_done(&p);

	/* a wrong value is corrected where it lives: in the drop-in */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX=\"quiet\"\n",
			"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX intel_iommu=off iommu=pt\"\n",
			ops, 2, &p, &err) == 0);
	CHECK(p.n_edits == 1 && strcmp(p.edits[0].src->path, "etc/default/grub.d/50.cfg") == 0);
	CHECK(strcmp(p.edits[0].text,
		     "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX intel_iommu=on iommu=pt\"\n") == 0);
	nb_plan_done(&p);

	/* already right everywhere: nothing to edit */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX=\"intel_iommu=on\"\n",
			"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX iommu=pt\"\n", ops, 2, &p,
			&err) == 0);
	CHECK(p.n_edits == 0);
	nb_plan_done(&p);

	/* a word the rule must change comes from another variable: refused, file:line */
	CHECK(plan_grub("X=\"intel_iommu=off\"\nGRUB_CMDLINE_LINUX=\"$X\"\n", NULL, ops, 2, &p,
			&err) == -EINVAL);
	CHECK(strcmp(err.file, "etc/default/grub") == 0 && err.line == 2);
}

/* a host in memory: an Intel CPU, GRUB defaults, vfio-pci a module */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_nextboot_decisions);
	UNIT_MAIN_END();
}
