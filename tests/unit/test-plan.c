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

static const struct param *planned_param(const struct plan *p, enum kop_kind kind, const char *name)
{
	for (size_t i = 0; i < p->n_params; i++)
		if (p->params[i].op.kind == kind && strcmp(p->params[i].name, name) == 0)
			return &p->params[i];
	return NULL;
}

static bool note_has(const struct plan *p, const char *a)
{
	for (size_t i = 0; i < p->n_notes; i++)
		if (strstr(p->notes[i], a))
			return true;
	return false;
}

/*
 * --hardware (an image built on another machine), decided on an AMD build
 * host (family 25) whose PCI devices include an Intel 5520 IOH, which a
 * "present" rule warns about:
 *   - any: the IOMMU rules of both vendors apply: intel_iommu=on is ensured,
 *     amd_iommu=on removed, iommu=pt offered once; a note says an AMD kernel
 *     ignores intel_iommu=on. Nothing comes from the build host: the present
 *     rule does not fire, no device is planned (the IDs are configured, not
 *     looked up), cpu-family= rules do not match, an ID rule (softdep igb for
 *     8086:1533) still does while a class= rule does not (no class is known);
 *     interrupt remapping is left undecided, in a note; --device is refused,
 *     pointing to --ids.
 *   - intel on the AMD host: intel_iommu=on, no amd_iommu removal.
 *   - amd: no intel_iommu=on.
 *   - no option in a chroot (running kernel 5.10.0-28-amd64, target
 *     6.1.0-13-amd64): the plan is for the AMD host as today, with the warning
 *     note first, naming --hardware any; on a live host: no such note.
 */
static void test_hardware(void)
{
	static const char rules[] = "cpu=intel -> param intel_iommu=on\n"
				    "cpu=amd -> forbid amd_iommu=on\n"
				    "cpu=intel -> offer iommu=pt\n"
				    "cpu=amd -> offer iommu=pt\n"
				    "present pci=8086:3405 -> warn \"IOH erratum 47\"\n"
				    "requested pci=8086:1533 -> softdep igb pre: vfio-pci\n"
				    "requested class=0200 -> hint \"a network card class hint\"\n"
				    "cpu=amd cpu-family=25 -> hint \"a Zen 3 hint\"\n";
	static struct plan_input in;
	static struct plan p;
	static struct pdev devs[2];
	char *ids[] = { "8086:1533" }, *dev[] = { "0000:00:14.0" };
	struct plan_request req = { .ids = ids, .n_ids = 1, .passthrough = -1 };
	struct file_error err;

	fake_input(&in, "GRUB_CMDLINE_LINUX=\"quiet\"\n", NULL);
	rule_set_done(&in.rules);
	CHECK(rules_parse(rules, "10-iommu.rules", &in.rules, &err) == 0);
	in.host.cpu.vendor = CPU_VENDOR_AMD;
	in.host.cpu.family = 25;
	in.host.live = true;
	devs[0] = (struct pdev){ .addr = "0000:00:14.0",
				 .vendor = 0x8086,
				 .device = 0x3405,
				 .class = 0x060000,
				 .group = -1,
				 .numa_node = -1 };
	devs[1] = (struct pdev){ .addr = "0000:01:00.0",
				 .vendor = 0x8086,
				 .device = 0x1533,
				 .class = 0x020000,
				 .group = -1,
				 .numa_node = -1 };
	in.pci.devs = devs;
	in.pci.n = 2;

	/* today's behaviour, the baseline: the AMD host's rules and its devices */
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(!planned_param(&p, KOP_ENSURE, "intel_iommu"));
	CHECK(planned_param(&p, KOP_REMOVE, "amd_iommu"));
	CHECK(note_has(&p, "IOH erratum 47") && note_has(&p, "a Zen 3 hint"));
	CHECK(note_has(&p, "a network card class hint"));
	CHECK(p.n_devs == 1 && strcmp(p.devs[0].addr, "0000:01:00.0") == 0);
	CHECK(p.hardware == PLAN_HARDWARE_SEEN && !p.hardware_unverified);
	/* live host: no warning about the hardware */
	CHECK(!note_has(&p, "--hardware"));
	plan_done(&p);

	/* --hardware any */
	req.hardware = PLAN_HARDWARE_ANY;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(p.hardware == PLAN_HARDWARE_ANY && !p.hardware_unverified);
	CHECK(planned_param(&p, KOP_ENSURE, "intel_iommu") &&
	      strcmp(planned_param(&p, KOP_ENSURE, "intel_iommu")->value, "on") == 0);
	CHECK(planned_param(&p, KOP_REMOVE, "amd_iommu"));
	CHECK(planned_param(&p, KOP_ENSURE, "iommu"));
	{
		size_t n = 0;

		for (size_t i = 0; i < p.n_params; i++)
			n += kparam_name_eq(p.params[i].name, "iommu");
		CHECK(n == 1);
	}
	CHECK(note_has(&p, "on an AMD target the kernel ignores it"));
	CHECK(!note_has(&p, "IOH erratum 47"));
	CHECK(!note_has(&p, "a Zen 3 hint"));
	CHECK(!note_has(&p, "a network card class hint"));
	CHECK(strstr(p.modprobe, "softdep igb pre: vfio-pci\n"));
	CHECK(p.n_devs == 0 && strcmp(p.ids, "8086:1533") == 0);
	CHECK(strstr(p.modprobe, "options vfio-pci ids=8086:1533\n"));
	CHECK(note_has(&p, "are not looked up below the root"));
	CHECK(!note_has(&p, "no PCI function below the root has this ID"));
	CHECK(note_has(&p, "interrupt remapping cannot be seen here") ||
	      note_has(&p, "whether the target has interrupt remapping cannot be seen here"));
	CHECK(!strstr(p.modprobe, "allow_unsafe_interrupts"));
	plan_done(&p);
	/* the opt-in is written as given: the target's remapping is unknown */
	req.allow_unsafe_interrupts = true;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(strstr(p.modprobe, "options vfio_iommu_type1 allow_unsafe_interrupts=1\n"));
	plan_done(&p);
	req.allow_unsafe_interrupts = false;
	/* --device: an address of the build host */
	req.devices = dev;
	req.n_devices = 1;
	CHECK(plan_decide(&in, &req, &p, &err) == -EINVAL);
	CHECK(strstr(err.message, "--device 0000:00:14.0") && strstr(err.message, "--ids"));
	req.n_devices = 0;

	/* --hardware intel on the AMD host */
	req.hardware = PLAN_HARDWARE_INTEL;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(planned_param(&p, KOP_ENSURE, "intel_iommu"));
	CHECK(!planned_param(&p, KOP_REMOVE, "amd_iommu"));
	CHECK(!note_has(&p, "on an AMD target"));
	CHECK(!note_has(&p, "IOH erratum 47") && p.n_devs == 0);
	plan_done(&p);
	/* --hardware amd: the AMD rules, not the host's family */
	req.hardware = PLAN_HARDWARE_AMD;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(!planned_param(&p, KOP_ENSURE, "intel_iommu"));
	CHECK(planned_param(&p, KOP_REMOVE, "amd_iommu"));
	CHECK(!note_has(&p, "a Zen 3 hint"));
	plan_done(&p);

	/* no option, in a chroot whose running kernel is not the target */
	req.hardware = PLAN_HARDWARE_SEEN;
	in.host.live = false;
	snprintf(in.host.kernel.release, sizeof(in.host.kernel.release), "5.10.0-28-amd64");
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(p.hardware_unverified);
	CHECK(p.n_notes > 0 && strcmp(p.notes[0], p.hardware_warning) == 0);
	CHECK(strncmp(p.notes[0],
		      "WARNING: the running kernel (5.10.0-28-amd64) is not the target "
		      "kernel (6.1.0-13-amd64)",
		      87) == 0);
	CHECK(strstr(p.notes[0], "an AMD CPU") && strstr(p.notes[0], "--hardware any") &&
	      strstr(p.notes[0], "kickstart %post"));
	/* ... and otherwise today's plan */
	CHECK(!planned_param(&p, KOP_ENSURE, "intel_iommu") && note_has(&p, "IOH erratum 47"));
	plan_done(&p);
	/* --hardware given in the chroot: no warning */
	req.hardware = PLAN_HARDWARE_ANY;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	CHECK(!p.hardware_unverified && !note_has(&p, "may not be the target's"));
	plan_done(&p);

	CHECK(plan_hardware_from_string("any") == PLAN_HARDWARE_ANY);
	CHECK(plan_hardware_from_string("amd") == PLAN_HARDWARE_AMD);
	CHECK(plan_hardware_from_string("seen") == -EINVAL);
	CHECK(plan_hardware_from_string("hygon") == -EINVAL);
	in.pci = (struct pdev_list){};
	fake_done(&in);
}

/* the initramfs commands of a plan, their lines joined by "; " */
static void initramfs_lines(const struct plan *p, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < p->n_commands; i++)
		if (p->commands[i].kind == CMD_INITRAMFS)
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? "; " : "",
				 p->commands[i].line);
}

static bool has_note(const struct plan *p, const char *a, const char *b)
{
	for (size_t i = 0; i < p->n_notes; i++)
		if (strstr(p->notes[i], a) && (!b || strstr(p->notes[i], b)))
			return true;
	return false;
}

static void add_kernel(struct plan_input *in, const char *kver, bool initrd_img, bool initramfs_img)
{
	struct installed_kernel *k = &in->regen.kernels[in->regen.n_kernels++];

	snprintf(k->kver, sizeof(k->kver), "%s", kver);
	k->initrd_img = initrd_img;
	k->initramfs_img = initramfs_img;
}

/*
 * --all-kernels, decided in words: the target kernel's initramfs is rebuilt
 * first, then every other installed kernel's that has one, one command each
 * (initramfs-tools: update-initramfs -u -k KVER, the kernels -k all would
 * update; dracut: dracut -f --kver KVER); a kernel without an initramfs gets
 * none, and the plan says so. Without the option, only the target's, and a
 * note names the other kernels and the option. With one kernel installed the
 * option changes nothing.
 */
static void test_all_kernels(void)
{
	static struct plan_input in;
	static struct plan p;
	char *ids[] = { "8086:1533" };
	struct plan_request req = { .ids = ids, .n_ids = 1, .passthrough = -1 };
	struct file_error err;
	char one[2048], all[2048];
	size_t notes_one;

	/* Debian, initramfs-tools: the target (newest) and an older kernel, both with
	 * /boot/initrd.img-KVER; the request creates the modprobe.d file, which goes
	 * into the initramfs */
	fake_input(&in, "GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu=pt\"\n", NULL);
	in.regen.initrd_img = true;
	add_kernel(&in, "6.1.0-13-amd64", true, false);
	add_kernel(&in, "6.1.0-12-amd64", true, false);

	/* without the option: the target's alone, and a note naming the other and
	 * the option */
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, one, sizeof(one));
	CHECK(strcmp(one, "/usr/sbin/update-initramfs -u -k 6.1.0-13-amd64") == 0);
	CHECK(has_note(&p, "only the initramfs of 6.1.0-13-amd64 (the target kernel) is rebuilt",
		       "(6.1.0-12-amd64)"));
	CHECK(has_note(&p, "only the initramfs of", "--all-kernels"));
	plan_done(&p);

	/* --all-kernels: one update-initramfs per kernel, the target first, each with
	 * its image as output and its reason */
	req.all_kernels = true;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, all, sizeof(all));
	CHECK(strcmp(all, "/usr/sbin/update-initramfs -u -k 6.1.0-13-amd64; "
			  "/usr/sbin/update-initramfs -u -k 6.1.0-12-amd64") == 0);
	CHECK(!has_note(&p, "only the initramfs of", NULL));
	for (size_t i = 0; i < p.n_commands; i++)
		if (p.commands[i].kind == CMD_INITRAMFS &&
		    strcmp(p.commands[i].kver, "6.1.0-12-amd64") == 0)
			CHECK(strcmp(p.commands[i].output, "boot/initrd.img-6.1.0-12-amd64") == 0 &&
			      strstr(p.commands[i].why, "--all-kernels") &&
			      plan_command_needed(&p, &p.commands[i]));
	plan_done(&p);

	/* a third kernel without /boot/initrd.img-KVER gets no command (as -k all
	 * skips it), and the plan says so */
	add_kernel(&in, "5.10.0-9-amd64", false, false);
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, all, sizeof(all));
	CHECK(!strstr(all, "5.10.0-9-amd64"));
	CHECK(has_note(&p, "5.10.0-9-amd64 has no initramfs", "none is made"));
	plan_done(&p);
	in.regen.n_kernels--;

	/* dracut (RHEL): dracut -f --kver per kernel, the target first, the image
	 * dracut names initramfs-KVER.img */
	in.regen.itools = false;
	in.regen.os.family = OS_RHEL;
	in.regen.initrd_img = false;
	snprintf(in.regen.dracut, sizeof(in.regen.dracut), "/usr/bin/dracut");
	in.regen.update_initramfs[0] = '\0';
	in.regen.n_kernels = 0;
	/* the older listed first: the target's command comes first all the same */
	add_kernel(&in, "6.1.0-12-amd64", false, true);
	add_kernel(&in, "6.1.0-13-amd64", false, true);
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, all, sizeof(all));
	CHECK(strcmp(all, "/usr/bin/dracut -f --kver 6.1.0-13-amd64; "
			  "/usr/bin/dracut -f --kver 6.1.0-12-amd64") == 0);
	for (size_t i = 0; i < p.n_commands; i++)
		if (p.commands[i].kind == CMD_INITRAMFS &&
		    strcmp(p.commands[i].kver, "6.1.0-12-amd64") == 0)
			CHECK(strcmp(p.commands[i].output, "boot/initramfs-6.1.0-12-amd64.img") ==
			      0);
	plan_done(&p);
	req.all_kernels = false;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, one, sizeof(one));
	CHECK(strcmp(one, "/usr/bin/dracut -f --kver 6.1.0-13-amd64") == 0);
	CHECK(has_note(&p, "only the initramfs of 6.1.0-13-amd64", "--all-kernels"));
	plan_done(&p);

	/* one kernel installed: the option changes nothing, commands nor notes */
	in.regen.n_kernels = 0;
	add_kernel(&in, "6.1.0-13-amd64", false, true);
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, one, sizeof(one));
	notes_one = p.n_notes;
	CHECK(!has_note(&p, "only the initramfs of", NULL));
	plan_done(&p);
	req.all_kernels = true;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	initramfs_lines(&p, all, sizeof(all));
	CHECK(strcmp(one, all) == 0 && p.n_notes == notes_one);
	plan_done(&p);
	fake_done(&in);
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_plan_decide);
	RUN(test_all_kernels);
	RUN(test_hardware);
	UNIT_MAIN_END();
}
