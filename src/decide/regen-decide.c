/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which commands regenerate what the next boot reads, decided from the facts
 * regen.c gathered (docs: boot-facts.md). Pure: facts in, commands with
 * their reasons out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "base/strbuf.h"
#include "decide/plan.h"
#include "decide/regen-decide.h"
#include "facts/host.h"
#include "facts/regen.h"

static struct plan_command *add_command(struct plan *p, enum command_kind kind)
{
	if (p->n_commands == PLAN_COMMANDS_MAX)
		return NULL;
	p->commands[p->n_commands] = (struct plan_command){ .kind = kind };
	return &p->commands[p->n_commands++];
}

/* The boot loader configuration: GRUB's grub.cfg, by family and firmware */
static int regen_bootcfg(const struct regen_facts *f, const struct host *h, bool for_apply,
			 struct plan *p, struct file_error *err)
{
	const struct os_release *os = &f->os;
	char target[600] = "boot/grub2/grub.cfg", why[640];
	const char *tool;
	struct plan_command *c;
	bool bls = h->boot.loader == LOADER_GRUB_BLS;

	if (h->boot.loader != LOADER_GRUB && !bls)
		return 0;
	if (os->family == OS_DEBIAN && f->update_grub[0]) {
		c = add_command(p, CMD_BOOTCFG);
		if (!c)
			return -E2BIG;
		if (plan_command_set(c, f->update_grub, NULL) < 0)
			return -E2BIG;
		snprintf(c->output, sizeof(c->output), "boot/grub/grub.cfg");
		snprintf(c->why, sizeof(c->why),
			 "%s: update-grub writes /boot/grub/grub.cfg for BIOS and UEFI alike "
			 "(the ESP holds a stub that loads it)",
			 os->pretty[0] ? os->pretty : "Debian family");
		return 0;
	}
	tool = f->grub2_mkconfig[0]  ? f->grub2_mkconfig
	       : f->grub_mkconfig[0] ? f->grub_mkconfig
				     : NULL;
	if (!tool) {
		if (!for_apply) {
			plan_note(p,
				  "WARNING: neither update-grub, grub2-mkconfig nor grub-mkconfig "
				  "is installed below the root: apply would refuse (--no-mkconfig "
				  "leaves grub.cfg alone)");
			return 0;
		}
		file_error_set(err, "", 0,
			       "neither update-grub, grub2-mkconfig nor grub-mkconfig is installed "
			       "below the root: grub.cfg cannot be regenerated (--no-mkconfig to "
			       "leave it alone)");
		return -ENOENT;
	}
	if (strstr(tool, "grub-mkconfig"))
		snprintf(target, sizeof(target), "boot/grub/grub.cfg");
	snprintf(why, sizeof(why), "%s, %s", os->pretty[0] ? os->pretty : "this system",
		 h->boot.uefi ? "UEFI" : "BIOS");

	if (f->esp_checked && strstr(tool, "grub2-mkconfig")) {
		const struct esp_info *e = &f->esp;
		char rel[600];

		if (e->dir[0]) {
			snprintf(rel, sizeof(rel), "boot/efi/EFI/%s/grub.cfg", e->dir);
			if (f->esp_cfg == 1) {
				snprintf(target, sizeof(target), "%.599s", rel);
				appendf(why, sizeof(why),
					": the full configuration lives on the ESP (RHEL 7/8 "
					"layout), /%s; %s",
					rel, e->how);
			} else if (f->esp_cfg == 0)
				appendf(why, sizeof(why),
					": /%s is a stub that loads /boot/grub2/grub.cfg (RHEL 9, "
					"Fedora 34+) and is never overwritten; %s",
					rel, e->how);
			else
				appendf(why, sizeof(why),
					": /%s does not exist, the configuration is "
					"/boot/grub2/grub.cfg; %s",
					rel, e->how);
		} else
			appendf(why, sizeof(why), ": %s; writing /boot/grub2/grub.cfg", e->how);
	}
	if (bls)
		appendf(why, sizeof(why),
			"; BLS entries were edited directly, so no --update-bls-cmdline (it "
			"would rewrite every entry's options)");
	c = add_command(p, CMD_BOOTCFG);
	if (!c)
		return -E2BIG;
	{
		char out[620];

		snprintf(out, sizeof(out), "/%s", target);
		if (plan_command_set(c, tool, "-o", out, NULL) < 0)
			return -E2BIG;
	}
	snprintf(c->output, sizeof(c->output), "%s", target);
	snprintf(c->why, sizeof(c->why), "%.639s", why);
	return 0;
}

/* Is the host's initramfs dracut's (rather than initramfs-tools')? */
static bool uses_dracut(const struct regen_facts *f)
{
	return !f->itools && f->dracut[0];
}

/* The image dracut writes for a kernel: Debian (and a host that has
 * boot/initrd.img-K) names it initrd.img-K, dracut's default is initramfs-K.img */
static bool dracut_debian_name(const struct regen_facts *f, bool initrd_img)
{
	return f->os.family == OS_DEBIAN || initrd_img;
}

/* Does an installed kernel have an initramfs, under the name its tool writes? */
static bool kernel_has_image(const struct regen_facts *f, const struct installed_kernel *k)
{
	if (uses_dracut(f) && !dracut_debian_name(f, k->initrd_img))
		return k->initramfs_img;
	return k->initrd_img;
}

/*
 * The command that rebuilds one kernel's initramfs: dracut or initramfs-tools.
 * target: the target kernel's (initrd_img: its boot/initrd.img-K exists), or
 * with --all-kernels another installed kernel's. -ENOENT when neither tool is
 * installed.
 */
static int initramfs_command(const struct regen_facts *f, const char *kver, bool target,
			     bool initrd_img, struct plan *p)
{
	struct plan_command *c;

	if (uses_dracut(f)) {
		c = add_command(p, CMD_INITRAMFS);
		if (!c)
			return -E2BIG;
		if (dracut_debian_name(f, initrd_img)) {
			char img[300];

			snprintf(img, sizeof(img), "/boot/initrd.img-%s", kver);
			if (plan_command_set(c, f->dracut, "-f", "--kver", kver, img, NULL) < 0)
				return -E2BIG;
			snprintf(c->output, sizeof(c->output), "boot/initrd.img-%s", kver);
		} else {
			if (plan_command_set(c, f->dracut, "-f", "--kver", kver, NULL) < 0)
				return -E2BIG;
			snprintf(c->output, sizeof(c->output), "boot/initramfs-%s.img", kver);
		}
		snprintf(c->lister, sizeof(c->lister), "%s", f->lsinitrd);
		snprintf(c->lister_name, sizeof(c->lister_name), "lsinitrd");
		snprintf(c->kver, sizeof(c->kver), "%s", kver);
		if (target)
			snprintf(c->why, sizeof(c->why),
				 "dracut builds the initramfs of %s (the target kernel, not the "
				 "running one): vfio-pci and the modprobe.d file must be in it",
				 kver);
		else
			snprintf(c->why, sizeof(c->why),
				 "--all-kernels: dracut rebuilds the initramfs of %s too, another "
				 "installed kernel, so that booting it also brings the modprobe.d "
				 "file and the VFIO modules it has",
				 kver);
		return 0;
	}
	if (f->update_initramfs[0]) {
		c = add_command(p, CMD_INITRAMFS);
		if (!c)
			return -E2BIG;
		if (plan_command_set(c, f->update_initramfs, "-u", "-k", kver, NULL) < 0)
			return -E2BIG;
		snprintf(c->output, sizeof(c->output), "boot/initrd.img-%s", kver);
		snprintf(c->lister, sizeof(c->lister), "%s", f->lsinitramfs);
		snprintf(c->lister_name, sizeof(c->lister_name), "lsinitramfs");
		snprintf(c->kver, sizeof(c->kver), "%s", kver);
		if (target)
			snprintf(c->why, sizeof(c->why),
				 "initramfs-tools builds the initramfs of %s (the target kernel, "
				 "not the running one): vfio-pci and the modprobe.d file must be "
				 "in it",
				 kver);
		else
			snprintf(c->why, sizeof(c->why),
				 "--all-kernels: initramfs-tools updates the initramfs of %s too, "
				 "another installed kernel with /boot/initrd.img-%s (the kernels "
				 "update-initramfs -u -k all would update, one command each)",
				 kver, kver);
		return 0;
	}
	return -ENOENT;
}

/*
 * The target kernel's initramfs and, with --all-kernels, every other installed
 * kernel's that has one (facts/regen.h says which kernels are installed).
 *
 * One command per kernel, the target's first, for both tools, rather than
 * their own every-kernel forms (update-initramfs -u -k all, dracut
 * --regenerate-all): each command then has one image, which apply copies into
 * the journal before it runs (and restores if anything fails), runs within
 * --command-timeout, lists afterwards (lsinitramfs, lsinitrd) and reports with
 * its exit status; a failure names its kernel. The kernels are the ones
 * update-initramfs -u -k all updates: it lists the installed kernels that
 * already have /boot/initrd.img-KVER and skips the others (initramfs-tools'
 * get_sorted_versions). A kernel without an initramfs is left without one, with
 * dracut too (dracut -f would create one): a kernel that boots without an
 * initramfs is not given one, and the plan says so. The target kernel is
 * rebuilt as without the option, image or not (update-initramfs -u -k K and
 * dracut -f --kver K create a missing one).
 *
 * Without --all-kernels, when other kernels are installed and the initramfs is
 * rebuilt, a note names them and the option: they would boot with an
 * initramfs that lacks this configuration.
 */
static int regen_initramfs(const struct regen_facts *f, const struct host *h,
			   const struct plan_request *req, struct plan *p)
{
	const char *kver = h->modules.kver;
	char with[1024] = "", without[1024] = "";
	size_t target_cmd;
	bool needed;
	int r;

	if (!kver[0])
		return 0;
	target_cmd = p->n_commands;
	r = initramfs_command(f, kver, true, f->initrd_img, p);
	if (r < 0)
		return r;
	needed = req->initramfs || plan_command_needed(p, &p->commands[target_cmd]);
	for (size_t i = 0; i < f->n_kernels; i++) {
		const struct installed_kernel *k = &f->kernels[i];
		bool image = kernel_has_image(f, k);
		char *list = image ? with : without;

		if (strcmp(k->kver, kver) == 0)
			continue;
		if (req->all_kernels && image) {
			r = initramfs_command(f, k->kver, false, k->initrd_img, p);
			if (r < 0)
				return r;
			continue;
		}
		appendf(list, sizeof(with), "%s%s", list[0] ? ", " : "", k->kver);
	}
	if (req->all_kernels && needed) {
		if (without[0])
			plan_note(p,
				  "--all-kernels: %s %s no initramfs (no /boot/%s): none is made "
				  "for %s, as update-initramfs -u -k all makes none",
				  without, strchr(without, ',') ? "have" : "has",
				  uses_dracut(f) && f->os.family != OS_DEBIAN ? "initramfs-KVER.img"
									      : "initrd.img-KVER",
				  strchr(without, ',') ? "them" : "it");
		if (f->n_kernels_more)
			plan_note(p,
				  "WARNING: --all-kernels: more than %d kernels are installed; the "
				  "initramfs of %zu older ones is not rebuilt",
				  REGEN_KERNELS_MAX, f->n_kernels_more);
	} else if (needed && with[0])
		plan_note(p,
			  "only the initramfs of %s (the target kernel) is rebuilt; the other "
			  "installed %s (%s) keep%s an initramfs without this configuration "
			  "until it is rebuilt: --all-kernels rebuilds %s too",
			  kver, strchr(with, ',') ? "kernels" : "kernel", with,
			  strchr(with, ',') ? "" : "s", strchr(with, ',') ? "theirs" : "its");
	return 0;
}

/*
 * Proxmox VE on ZFS or Btrfs boots from the ESPs in
 * etc/kernel/proxmox-boot-uuids, not from /boot: `proxmox-boot-tool refresh`
 * copies the kernels and initramfs images to each and writes its
 * systemd-boot entries from the first line of etc/kernel/cmdline, or (GRUB:
 * BIOS, Secure Boot) runs update-grub with the ESP bound on /boot. Both
 * command-line files are edited (nextboot.c reads them both), so whichever
 * mode an ESP is in gets the parameters. It runs last, after the initramfs
 * is rebuilt, which it copies; update-grub is not planned on its own, as
 * /boot/grub/grub.cfg is not what boots. apply reads each ESP back through
 * `proxmox-boot-tool status`, since refresh skips an ESP it cannot mount and
 * still exits 0.
 */
static int regen_esp_sync(const struct regen_facts *f, const struct host *h,
			  const struct plan_request *req, struct plan *p, struct file_error *err)
{
	char list[PBT_ESPS_MAX * (PBT_UUID_SIZE + 2)] = "";
	struct plan_command *c;

	for (size_t i = 0; i < f->n_pbt_uuids; i++)
		appendf(list, sizeof(list), "%s%s", i ? ", " : "", f->pbt_uuids[i]);
	if (!f->proxmox_boot_tool[0]) {
		if (!req->for_apply) {
			plan_note(
				p,
				"WARNING: /%s lists the ESPs %s, but proxmox-boot-tool is not "
				"installed below the root: apply would refuse (--no-mkconfig leaves "
				"the ESPs alone)",
				PBT_UUIDS_FILE, list);
			return 0;
		}
		file_error_set(
			err, PBT_UUIDS_FILE, 0,
			"lists the ESPs %s, but proxmox-boot-tool is not installed below the "
			"root: they cannot be brought in step (--no-mkconfig to leave them "
			"alone)",
			list);
		return -ENOENT;
	}
	c = add_command(p, CMD_ESP_SYNC);
	if (!c || plan_command_set(c, f->proxmox_boot_tool, "refresh", NULL) < 0)
		return -E2BIG;
	snprintf(c->kver, sizeof(c->kver), "%s", h->modules.kver);
	snprintf(c->why, sizeof(c->why),
		 "Proxmox VE boots from the ESP%s in /%s (%s), not from /boot: refresh copies "
		 "the kernels and initramfs images to each and writes its systemd-boot entries "
		 "from the first line of /etc/kernel/cmdline, or runs update-grub on it (GRUB); "
		 "it runs after the initramfs is rebuilt, and its status is read back",
		 f->n_pbt_uuids > 1 ? "s" : "", PBT_UUIDS_FILE, list);
	return 0;
}

/*
 * systemd-boot with kernel-install (Debian 12's systemd-boot package, Fedora,
 * Arch): the target kernel's entry is written by `kernel-install add KVER
 * IMAGE INITRD`, from etc/kernel/cmdline, with the kernel and the initramfs
 * copied to the boot partition, as a kernel update does; an entry edited
 * alone would be rewritten by the next kernel-install run, and the
 * initramfs on the boot partition is its copy, not the one rebuilt in /boot.
 * etc/kernel/cmdline is edited (and made from the entry when missing: without
 * it kernel-install takes the running command line), the entry too (its read
 * back then is kernel-install's). It runs after the initramfs is rebuilt and
 * is given that image.
 */
static int regen_kernel_install(const struct regen_facts *f, const struct host *h, struct plan *p)
{
	const char *kver = h->modules.kver;
	const struct installed_kernel *k = NULL;
	char image[300], initrd_abs[620] = "";
	struct plan_command *c;

	if (!kver[0])
		return 0;
	for (size_t i = 0; i < f->n_kernels; i++)
		if (strcmp(f->kernels[i].kver, kver) == 0)
			k = &f->kernels[i];
	if (!k) {
		plan_note(p,
			  "WARNING: kernel %s has no image (boot/vmlinuz-%s or "
			  "lib/modules/%s/vmlinuz): kernel-install cannot write its entry, which "
			  "is edited in place",
			  kver, kver, kver);
		return 0;
	}
	snprintf(image, sizeof(image),
		 k->boot_image ? "/boot/vmlinuz-%s" : "/lib/modules/%s/vmlinuz", kver);
	/* the image the plan rebuilds, else the one the kernel has */
	for (size_t i = 0; i < p->n_commands && !initrd_abs[0]; i++)
		if (p->commands[i].kind == CMD_INITRAMFS && strcmp(p->commands[i].kver, kver) == 0)
			snprintf(initrd_abs, sizeof(initrd_abs), "/%s", p->commands[i].output);
	if (!initrd_abs[0] && k->initrd_img)
		snprintf(initrd_abs, sizeof(initrd_abs), "/boot/initrd.img-%s", kver);
	else if (!initrd_abs[0] && k->initramfs_img)
		snprintf(initrd_abs, sizeof(initrd_abs), "/boot/initramfs-%s.img", kver);
	if (!initrd_abs[0])
		plan_note(
			p,
			"WARNING: %s has no initramfs under /boot (initrd.img-%s, "
			"initramfs-%s.img): kernel-install add is given none, so the VFIO modules "
			"and modprobe.d reach the boot partition only if one of its plugins "
			"builds an image (dracut's does)",
			kver, kver, kver);
	c = add_command(p, CMD_ESP_SYNC);
	if (!c || plan_command_set(c, f->kernel_install, "add", kver, image,
				   initrd_abs[0] ? initrd_abs : NULL, NULL) < 0)
		return -E2BIG;
	snprintf(c->kver, sizeof(c->kver), "%s", kver);
	snprintf(c->why, sizeof(c->why),
		 "systemd-boot: kernel-install writes the entry of %s from /etc/kernel/cmdline "
		 "and copies the kernel%s to the boot partition, as a kernel update does (an "
		 "entry edited alone would be rewritten by the next one); it runs after the "
		 "initramfs is rebuilt",
		 kver, initrd_abs[0] ? " and its initramfs" : "");
	return 0;
}

/* Pop!_OS: kernelstub writes the one systemd-boot entry from its own
 * configuration (etc/kernelstub/configuration, JSON) whenever a kernel is
 * installed, so an edit of the entry or of etc/kernel/cmdline would be lost
 * at the next update. Not supported: refused with the kernelstub command that
 * does it instead; once the entry has the parameters, plan and apply find
 * nothing to edit on the command line and do the rest. */
static int regen_kernelstub(const struct regen_facts *f, const struct plan_request *req,
			    struct plan *p, struct file_error *err)
{
	char add[1024] = "", drop[512] = "";
	bool cmdline = false, fits;

	if (!f->kernelstub)
		return 0;
	for (size_t i = 0; i < p->n_files; i++)
		cmdline |=
			planned_file_is_cmdline(&p->files[i]) && planned_file_changed(&p->files[i]);
	if (!cmdline)
		return 0;
	for (size_t i = 0; i < p->n_params; i++) {
		const struct param *q = &p->params[i];
		bool adds = q->op.kind == KOP_ENSURE || q->op.kind == KOP_SET;
		char *to = adds ? add : drop;

		if (!adds && q->op.kind != KOP_REMOVE && q->op.kind != KOP_DROP)
			continue;
		appendf(to, adds ? sizeof(add) : sizeof(drop), "%s%s%s%s", to[0] ? " " : "",
			q->name, q->value[0] ? "=" : "", q->value);
	}
	/* the lists fit their buffers (else the parameters are the plan's list) */
	fits = strlen(add) + 1 < sizeof(add) && strlen(drop) + 1 < sizeof(drop);
	if (!req->for_apply) {
		if (fits)
			plan_note(
				p,
				"WARNING: kernelstub (etc/kernelstub/configuration) writes this "
				"host's boot entry at every kernel update and would undo a "
				"command-line edit: apply refuses; run kernelstub -a \"%s\"%s%s%s "
				"first",
				add, drop[0] ? " -d \"" : "", drop, drop[0] ? "\"" : "");
		else
			plan_note(p,
				  "WARNING: kernelstub (etc/kernelstub/configuration) writes this "
				  "host's boot entry at every kernel update and would undo a "
				  "command-line edit: apply refuses; add the parameters above with "
				  "kernelstub -a (remove those taken out with -d) first");
		return 0;
	}
	/* the message has room for the usual few parameters; more are in the plan */
	if (!fits || strlen(add) + strlen(drop) > 120)
		return file_error_set(
			err, "etc/kernelstub/configuration", 0,
			"kernelstub writes this host's boot entry from this file at "
			"every kernel update and would undo iommu-setup's edit: add "
			"the parameters iommu-setup plan lists with kernelstub -a (and "
			"remove those it takes out with -d), then apply again");
	file_error_set(err, "etc/kernelstub/configuration", 0,
		       "kernelstub writes this host's boot entry from this file at every kernel "
		       "update and would undo iommu-setup's edit: run kernelstub -a \"%s\"%s%s%s, "
		       "then apply again for modprobe.d and the initramfs",
		       add, drop[0] ? " -d \"" : "", drop, drop[0] ? "\"" : "");
	return -EINVAL;
}

int regen_decide(const struct regen_facts *f, const struct host *h, const struct plan_request *req,
		 struct plan *p, struct file_error *err)
{
	bool pbt = f->n_pbt_uuids > 0;
	int r;

	if (f->pbt_error.message[0]) {
		*err = f->pbt_error;
		return -EINVAL;
	}
	r = regen_kernelstub(f, req, p, err);
	if (r < 0)
		return r;
	if (req->no_mkconfig) {
		if (pbt)
			plan_note(
				p,
				"--no-mkconfig: proxmox-boot-tool refresh is not run; run it "
				"yourself before booting, or the ESPs keep the old configuration");
		else if (h->boot.loader == LOADER_SYSTEMD_BOOT && f->kernel_install[0])
			plan_note(p,
				  "--no-mkconfig: kernel-install add is not run; the entry is "
				  "edited in place and the boot partition keeps the old initramfs");
		else if (h->boot.loader == LOADER_GRUB || h->boot.loader == LOADER_GRUB_BLS)
			plan_note(p,
				  "--no-mkconfig: grub.cfg is not regenerated; run grub-mkconfig "
				  "yourself before booting");
	} else if (!pbt) {
		r = regen_bootcfg(f, h, req->for_apply, p, err);
		if (r < 0)
			return r;
	}
	r = req->no_initramfs ? -ENOENT : regen_initramfs(f, h, req, p);
	if (r >= 0 || r == -ENOENT) {
		int k = 0;

		if (pbt && !req->no_mkconfig)
			k = regen_esp_sync(f, h, req, p, err);
		else if (h->boot.loader == LOADER_SYSTEMD_BOOT && f->kernel_install[0] &&
			 !f->kernelstub && !req->no_mkconfig)
			k = regen_kernel_install(f, h, p);

		if (k < 0)
			return k;
		if (req->no_initramfs)
			return 0;
	}
	if (r == -ENOENT && (p->modprobe[0] || req->initramfs)) {
		plan_note(p, "WARNING: neither dracut nor update-initramfs is installed below the "
			     "root: the initramfs cannot be rebuilt");
		if (req->initramfs && req->for_apply) {
			file_error_set(err, "", 0,
				       "--initramfs: neither dracut nor update-initramfs is "
				       "installed below the root");
			return -ENOENT;
		}
		return 0;
	}
	if (r >= 0 && req->initramfs)
		for (size_t i = 0; i < p->n_commands; i++)
			if (p->commands[i].kind == CMD_INITRAMFS)
				p->commands[i].forced = true;
	return r == -ENOENT ? 0 : r;
}
