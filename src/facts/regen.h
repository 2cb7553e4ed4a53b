/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the choice of regeneration commands depends on: the distribution,
 * the commands installed, the ESP (docs: boot-facts.md). Gathered by
 * gather/regen.c, decided over by decide/regen-decide.c.
 */

#include <stdbool.h>
#include <stddef.h>

enum os_family {
	OS_UNKNOWN,
	OS_DEBIAN, /* Debian, Ubuntu, Proxmox: update-grub, initramfs-tools */
	OS_RHEL,   /* RHEL, CentOS, Rocky, Alma, Oracle, Fedora: grub2-mkconfig, dracut */
	OS_SUSE,
	OS_ARCH,
};

struct os_release {
	enum os_family family;
	char id[64];
	char version_id[64];
	char pretty[128];
};

/* The ESP and the distribution's directory on it, and how each was found. */
struct esp_info {
	bool mounted;	       /* boot/efi is a mount point in proc/self/mountinfo */
	char source[128];      /* its device, as mountinfo names it */
	int blkid;	       /* 1 libblkid says it is an ESP, 0 it is not, -1 not checked */
	char part_uuid[40];    /* its GPT partition GUID, from libblkid */
	char boot_current[16]; /* "Boot0003", "" when unknown */
	char loader_path[256]; /* that option's file, \EFI\redhat\shimx64.efi */
	char loader_part[40];  /* that option's partition GUID */
	char dir[64];	       /* the chosen EFI/<dir>, "" when none */
	char how[640];	       /* how dir was chosen, and what disagreed */
};

/* What the choice of commands depends on, gathered below the root. */
struct regen_facts {
	struct os_release os;
	/* the commands, "/usr/sbin/update-grub", "" when not installed */
	char update_grub[64], grub2_mkconfig[64], grub_mkconfig[64];
	char dracut[64], update_initramfs[64], lsinitrd[64], lsinitramfs[64];
	bool itools;	    /* etc/initramfs-tools: the initramfs is initramfs-tools' */
	bool dracut_host;   /* etc/dracut.conf.d or the dracut command */
	bool dracut_module; /* this project's dracut module is installed */
	bool initrd_img;    /* boot/initrd.img-KVER exists (Debian's name for the image) */
	/* UEFI with grub2-mkconfig: the ESP, and its EFI/<dir>/grub.cfg */
	bool esp_checked;
	struct esp_info esp;
	int esp_cfg; /* -1 absent, 0 a stub that loads /boot/grub2/grub.cfg, 1 a full configuration */
};
