/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the choice of regeneration commands depends on: the distribution,
 * the commands installed, the ESP (docs: boot-facts.md). Gathered by
 * gather/regen.c, decided over by decide/regen-decide.c.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/file-error.h"
#include "facts/pbt.h"

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

/*
 * An installed kernel, as the initramfs decision counts them: lib/modules/KVER
 * holds its module index (modules.dep: a directory that removing the package
 * left behind does not count) and its image is boot/vmlinuz-KVER, or
 * lib/modules/KVER/vmlinuz where kernel-install keeps it (systemd-boot hosts
 * have no boot/vmlinuz-KVER). A kernel with modules and no image cannot boot
 * and has no initramfs to rebuild.
 */
struct installed_kernel {
	char kver[256];
	bool initrd_img;    /* boot/initrd.img-KVER exists (Debian's name) */
	bool initramfs_img; /* boot/initramfs-KVER.img exists (dracut's default name) */
	bool boot_image;    /* its image is boot/vmlinuz-KVER (else lib/modules/KVER/vmlinuz) */
};

#define REGEN_KERNELS_MAX 16

/* What the choice of commands depends on, gathered below the root. */
struct regen_facts {
	struct os_release os;
	/* the commands, "/usr/sbin/update-grub", "" when not installed */
	char update_grub[64], grub2_mkconfig[64], grub_mkconfig[64];
	char dracut[64], update_initramfs[64], lsinitrd[64], lsinitramfs[64];
	char mkinitramfs[64]; /* initramfs-tools' builder: a trial boot's own image */
	char kernel_install[64];
	bool itools;	    /* etc/initramfs-tools: the initramfs is initramfs-tools' */
	bool dracut_host;   /* etc/dracut.conf.d or the dracut command */
	bool dracut_module; /* this project's dracut module is installed */
	bool itools_hook;   /* this project's initramfs-tools hook is installed */
	bool initrd_img;    /* boot/initrd.img-KVER exists (Debian's name for the image) */
	/* the installed kernels, newest first (the target among them or not: a
	 * --kernel with no image is still the target) */
	struct installed_kernel kernels[REGEN_KERNELS_MAX];
	size_t n_kernels;
	size_t n_kernels_more; /* installed beyond REGEN_KERNELS_MAX, not listed */
	/* UEFI with grub2-mkconfig: the ESP, and its EFI/<dir>/grub.cfg */
	bool esp_checked;
	struct esp_info esp;
	int esp_cfg; /* -1 absent, 0 a stub that loads /boot/grub2/grub.cfg, 1 a full configuration */
	/* Proxmox: the ESPs proxmox-boot-tool keeps in step (facts/pbt.h); a
	 * bad etc/kernel/proxmox-boot-uuids leaves pbt_error.message set */
	char proxmox_boot_tool[64];
	char pbt_uuids[PBT_ESPS_MAX][PBT_UUID_SIZE];
	size_t n_pbt_uuids;
	struct file_error pbt_error;
	/* Pop!_OS: kernelstub writes the systemd-boot entry from
	 * etc/kernelstub/configuration at every kernel update */
	bool kernelstub;
};
