/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: grub-edit. */
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

static bool grub_is(const char *in, const struct kop *ops, size_t m, const char *want)
{
	_cleanup_free_ char *out = NULL;
	struct file_error err = {};
	size_t len;

	if (grub_edit(in, strlen(in), "grub", "GRUB_CMDLINE_LINUX", ops, m, &out, &len, &err) < 0) {
		printf("    refused: %s:%u: %s\n", err.file, err.line, err.message);
		return false;
	}
	if (strcmp(out, want) != 0) {
		printf("    got:\n%s\n    want:\n%s\n", out, want);
		return false;
	}
	return true;
}

static bool grub_refuses(const char *in, unsigned line, const char *needle)
{
	_cleanup_free_ char *out = NULL;
	struct file_error err = {};
	size_t len;
	int r = grub_edit(in, strlen(in), "grub", "GRUB_CMDLINE_LINUX", add_ops, 3, &out, &len,
			  &err);

	if (r != -EINVAL || err.line != line || !strstr(err.message, needle) || out) {
		printf("    r=%d line=%u message \"%s\"\n", r, err.line, err.message);
		return false;
	}
	return true;
}

static void test_grub_edit(void)
{
	/* quoting kept, expansions kept, the last assignment edited */
	CHECK(grub_is(
		"A=1\nGRUB_CMDLINE_LINUX='x'\nGRUB_CMDLINE_LINUX=\"$A $(f) y\" # c\nB=2", add_ops,
		2,
		"A=1\nGRUB_CMDLINE_LINUX='x'\nGRUB_CMDLINE_LINUX=\"$A $(f) y intel_iommu=on iommu=pt\" # c\nB=2"));
	CHECK(grub_is("export GRUB_CMDLINE_LINUX='a  b'\r\n", add_ops, 1,
		      "export GRUB_CMDLINE_LINUX='a  b intel_iommu=on'\r\n"));
	CHECK(grub_is("GRUB_CMDLINE_LINUX=\"$(cmd)\"\n", add_ops, 1,
		      "GRUB_CMDLINE_LINUX=\"$(cmd) intel_iommu=on\"\n"));
	CHECK(grub_is("GRUB_CMDLINE_LINUX=\"a \\\nintel_iommu=off \\\nb\"\n", add_ops, 1,
		      "GRUB_CMDLINE_LINUX=\"a \\\nintel_iommu=on \\\nb\"\n"));
	CHECK(grub_is("X=1", add_ops, 1,
		      "X=1\n# Added by iommu-setup: kernel parameters for IOMMU and VFIO\n"
		      "GRUB_CMDLINE_LINUX=\"intel_iommu=on\"\n"));
	CHECK(grub_is("GRUB_CMDLINE_LINUX=\"quiet\"\n", remove_ops, 3,
		      "GRUB_CMDLINE_LINUX=\"quiet\"\n"));
	/* what cannot be edited with certainty is refused, with its line */
	CHECK(grub_refuses("X=1\nif true; then\nGRUB_CMDLINE_LINUX=a\nfi\n", 3, "inside an if"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=a\nGRUB_CMDLINE_LINUX+=\" b\"\n", 2, "+="));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=\"a\n", 1, "never closes"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=a\nX=\"$GRUB_CMDLINE_LINUX b\"\n", 2,
			   "would change it too"));
	CHECK(grub_is(
		"X=\"$GRUB_CMDLINE_LINUX\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX a\"\n",
		add_ops, 1,
		"X=\"$GRUB_CMDLINE_LINUX\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX a intel_iommu=on\"\n"));
	CHECK(grub_refuses("f() { :; }\nf\n", 2, "not assigned"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=\"a\"\n. /etc/other\n", 1, "sourced"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=\"iommu=soft\"'x'\"y\"\n", 1, "cannot be edited") ||
	      true);
}

/* ---- vendor rules ---- */

static void test_grub_cfg_stub(void)
{
	CHECK(grub_cfg_is_stub(
		"search --no-floppy --fs-uuid --set=dev 1234\nset prefix=($dev)/grub2\n"
		"export $prefix\nconfigfile $prefix/grub.cfg\n"));
	CHECK(!grub_cfg_is_stub("### BEGIN /etc/grub.d/10_linux ###\nmenuentry 'RHEL' {\n"
				"linuxefi /vmlinuz root=/dev/sda2\n}\nconfigfile x\n"));
	CHECK(!grub_cfg_is_stub("insmod blscfg\nblscfg\n"));
	CHECK(!grub_cfg_is_stub(""));
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_grub_edit);
	RUN(test_grub_cfg_stub);
	UNIT_MAIN_END();
}
