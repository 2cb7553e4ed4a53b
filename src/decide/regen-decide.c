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

/* The target kernel's initramfs: dracut or initramfs-tools */
static int regen_initramfs(const struct regen_facts *f, const struct host *h, struct plan *p)
{
	const char *kver = h->modules.kver;
	struct plan_command *c;

	if (!kver[0])
		return 0;
	if (!f->itools && f->dracut[0]) {
		c = add_command(p, CMD_INITRAMFS);
		if (!c)
			return -E2BIG;
		/* the image the distribution boots: Debian names it initrd.img-K */
		if (f->os.family == OS_DEBIAN || f->initrd_img) {
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
		snprintf(c->why, sizeof(c->why),
			 "dracut builds the initramfs of %s (the target kernel, not the running "
			 "one): vfio-pci and the modprobe.d file must be in it",
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
		snprintf(c->why, sizeof(c->why),
			 "initramfs-tools builds the initramfs of %s (the target kernel, not the "
			 "running one): vfio-pci and the modprobe.d file must be in it",
			 kver);
		return 0;
	}
	return -ENOENT;
}

int regen_decide(const struct regen_facts *f, const struct host *h, const struct plan_request *req,
		 struct plan *p, struct file_error *err)
{
	int r;

	if (req->no_mkconfig) {
		if (h->boot.loader == LOADER_GRUB || h->boot.loader == LOADER_GRUB_BLS)
			plan_note(p,
				  "--no-mkconfig: grub.cfg is not regenerated; run grub-mkconfig "
				  "yourself before booting");
	} else {
		r = regen_bootcfg(f, h, req->for_apply, p, err);
		if (r < 0)
			return r;
	}
	if (req->no_initramfs)
		return 0;
	r = regen_initramfs(f, h, p);
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
