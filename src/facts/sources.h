/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The texts the next boot is made from, as gathered below the root: every
 * place a kernel command line is configured, in the order the boot tools
 * read them. Filled by the gather step (gather/boot.c); everything that decides
 * reads these and nothing else. Pure data.
 */

#include <stdbool.h>
#include <stddef.h>

enum file_kind {
	FILE_GRUB_DEFAULT,   /* a GRUB defaults file: what names the variable */
	FILE_BLS_ENTRY,	     /* a BLS entry's options line */
	FILE_GRUBENV,	     /* grubenv kernelopts */
	FILE_KERNEL_CMDLINE, /* etc/kernel/cmdline */
	FILE_OWNED,	     /* a file iommu-setup writes whole (modprobe.d, dracut.conf.d) */
	FILE_LINES,	     /* a list of lines iommu-setup adds to (initramfs-tools/modules) */
	FILE_ADOPTED,	     /* another file whose lines iommu-setup took over (modprobe.d) */
	FILE_TRIAL,	     /* the trial boot's custom.cfg block and grubenv next_entry
			      * (apply --trial; commit and revert take them out) */
	FILE_TRIAL_IMAGE,    /* the trial's own initramfs (the record: its path, and as
			      * "ours" what it was built from: plan_initramfs_inputs()) */
	_FILE_KIND_MAX,
};

struct src_file {
	char *path; /* relative to the root */
	char *text; /* NUL-terminated; NULL: the file does not exist */
	size_t len;
};

struct boot_sources {
	/* etc/default/grub (or etc/sysconfig/grub) and the grub.d drop-ins the
	 * generator sources after it (Debian's grub-mkconfig only), in order */
	struct src_file grub;
	struct src_file *dropins;
	size_t n_dropins;
	bool grub_entries; /* GRUB's entries are generated from them (loader GRUB or GRUB with BLS) */
	/* BLS entries (sorted by path) and the grubenv their $variables come from */
	struct src_file *bls;
	size_t n_bls;
	struct src_file grubenv;
	/* what kernel-install gives kernels installed later */
	struct src_file kernel_cmdline;
};

void src_file_done(struct src_file *f);
void boot_sources_done(struct boot_sources *s);
int src_file_copy(struct src_file *dst, const struct src_file *src);
