/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: plan. */
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

static void fake_input(struct plan_input *in, const char *grub, const char *vfio_conf)
{
	static const char rules[] = "cpu=intel -> param intel_iommu=on\n"
				    "cpu=intel -> offer iommu=pt\n";
	struct file_error err;

	memset(in, 0, sizeof(*in));
	in->host.cpu.vendor = CPU_VENDOR_INTEL;
	in->host.cpu.found = in->host.cpuinfo_found = true;
	snprintf(in->host.modules.kver, sizeof(in->host.modules.kver), "6.1.0-13-amd64");
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		in->host.modules.mods[i] =
			(struct mod_info){ .name = vfio_module_name(i), .kind = MOD_MODULE };
	in->host.boot.loader = LOADER_GRUB;
	in->host.boot.sources.grub_entries = true;
	in->host.boot.sources.grub = (struct src_file){ .path = strdup("etc/default/grub"),
							.text = strdup(grub),
							.len = strlen(grub) };
	in->host.modules.conf_files = calloc(1, sizeof(struct src_file));
	if (vfio_conf) {
		in->host.modules.conf_files[0] =
			(struct src_file){ .path = strdup("etc/modprobe.d/vfio.conf"),
					   .text = strdup(vfio_conf),
					   .len = strlen(vfio_conf) };
		in->host.modules.n_conf_files = 1;
		modconf_parse(&in->host.modules.all, "etc/modprobe.d/vfio.conf", vfio_conf,
			      strlen(vfio_conf));
	}
	rules_parse(rules, "10-iommu.rules", &in->rules, &err);
	in->rules_found = true;
	snprintf(in->regen.update_grub, sizeof(in->regen.update_grub), "/usr/sbin/update-grub");
	snprintf(in->regen.update_initramfs, sizeof(in->regen.update_initramfs),
		 "/usr/sbin/update-initramfs");
	in->regen.itools = true;
	in->regen.os.family = OS_DEBIAN;
	in->itools_modules = (struct src_file){ .path = strdup("etc/initramfs-tools/modules") };
}

static void fake_done(struct plan_input *in)
{
	boot_sources_done(&in->host.boot.sources);
	for (size_t i = 0; i < in->host.modules.n_conf_files; i++)
		src_file_done(&in->host.modules.conf_files[i]);
	free(in->host.modules.conf_files);
	modconf_done(&in->host.modules.all);
	rule_set_done(&in->rules);
	src_file_done(&in->itools_modules);
}

static const struct planned_file *planned_path(const struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	return NULL;
}

static void test_plan_decide(void)
{
	static struct plan_input in;
	static struct plan p;
	char *ids[] = { "8086:1533" };
	struct plan_request req = { .ids = ids, .n_ids = 1, .passthrough = -1 };
	struct file_error err;
	const struct planned_file *f;

	/* the Ubuntu walk-through's _DEFAULT and a stale vfio.conf with other IDs */
	fake_input(
		&in,
		"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt\"\nGRUB_CMDLINE_LINUX=\"\"\n",
		"options vfio-pci ids=10de:1b80\n");
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	/* the parameters are effective already: etc/default/grub is not planned */
	CHECK(!planned_path(&p, "etc/default/grub"));
	/* vfio-pci gets exactly the request: the stale line is taken over */
	f = planned_path(&p, "etc/modprobe.d/vfio.conf");
	CHECK(f && f->kind == FILE_ADOPTED &&
	      strcmp(f->new, ADOPTED_MARK "options vfio-pci ids=10de:1b80\n") == 0);
	f = planned_path(&p, MODPROBE_FILE);
	CHECK(f && strstr(f->new, "\noptions vfio-pci ids=8086:1533\n"));
	CHECK(strcmp(p.ids, "8086:1533") == 0);
	/* not running this configuration: a reboot is needed */
	CHECK(p.reboot_required);
	plan_done(&p);

	/* the host asks for strict translation: iommu=pt is not offered, unless asked */
	src_file_done(&in.host.boot.sources.grub);
	in.host.boot.sources.grub = (struct src_file){
		.path = strdup("etc/default/grub"),
		.text = strdup("GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu.passthrough=0\"\n"),
	};
	in.host.boot.sources.grub.len = strlen(in.host.boot.sources.grub.text);
	req.n_ids = 0;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	for (size_t i = 0; i < p.n_params; i++)
		CHECK(!kparam_name_eq(p.params[i].name, "iommu"));
	CHECK(!planned_path(&p, "etc/default/grub"));
	plan_done(&p);
	req.passthrough = 1;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	f = planned_path(&p, "etc/default/grub");
	CHECK(f && strcmp(f->new, "GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu=pt\"\n") == 0);
	plan_done(&p);

	/* no rules: apply refuses, naming where it looked */
	in.rules_found = false;
	snprintf(in.rules_dirs, sizeof(in.rules_dirs), "/usr/share/iommu-setup/rules.d");
	req.for_apply = true;
	CHECK(plan_decide(&in, &req, &p, &err) == -ENOENT);
	CHECK(strstr(err.message, "/usr/share/iommu-setup/rules.d"));
	req.for_apply = false;
	CHECK(plan_decide(&in, &req, &p, &err) == 0 && p.incomplete);
	plan_done(&p);
	/* a --param that is not one */
	{
		char *bad[] = { "video=efifb:off\"x" };

		in.rules_found = true;
		req.params = bad;
		req.n_params = 1;
		CHECK(plan_decide(&in, &req, &p, &err) == -EINVAL);
		CHECK(strstr(err.message, "--param"));
	}
	fake_done(&in);
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_plan_decide);
	UNIT_MAIN_END();
}
