/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A trial boot on a grub-mkconfig host (issue 18, the GRUB half): the
 * planned parameters boot once, from a menu entry of their own, and the
 * default entry stays as it is until the trial is committed. Pure.
 *
 * How GRUB boots an entry once (grub-reboot, 00_header): grub.cfg loads
 * grubenv; when next_entry is set it boots that entry, clears next_entry
 * and writes grubenv back with save_env. The trial entry lives in the
 * custom.cfg next to grub.cfg, which 41_custom's block of grub.cfg sources
 * at boot (it is not copied into grub.cfg: no grub-mkconfig run is needed),
 * between our two marker lines, as a copy of the target kernel's entry in
 * the generated grub.cfg with the planned parameters on its linux line.
 *
 * What defeats a one-shot, refused rather than pretended:
 *  - no grubenv: 00_header loads it only when it exists ("[ -s ]"), so
 *    next_entry would never be read;
 *  - a grubenv GRUB cannot write: save_env refuses on LVM and RAID
 *    ("diskfilter writes are not supported"), on checksumming file systems
 *    (Btrfs, ZFS) and through encryption (the GRUB manual, "Environment
 *    block": plain disks only). The trial entry would then stay the one
 *    that boots, on every reset;
 *  - GRUB_DEFAULT=saved with GRUB_SAVEDEFAULT=true: the trial entry, once
 *    booted, becomes the saved default;
 *  - a grub.cfg that does not clear next_entry (not made by 00_header) or
 *    does not source custom.cfg (no 41_custom);
 *  - a next_entry already set: someone's one-shot is pending.
 */

#include <stdbool.h>
#include <stddef.h>

#include "decide/kparams.h"
#include "facts/cmdline.h"

/* the trial entry's id: next_entry names it */
#define GRUB_TRIAL_ID "iommu-setup-trial"
/* the lines around it in custom.cfg */
#define GRUB_TRIAL_BEGIN "### BEGIN iommu-setup trial ###"
#define GRUB_TRIAL_END "### END iommu-setup trial ###"

enum grub_trial_verdict {
	GRUB_TRIAL_POSSIBLE,
	GRUB_TRIAL_NO_GRUBENV,
	GRUB_TRIAL_GRUBENV_INVALID,	/* not a 1024-byte block with its header */
	GRUB_TRIAL_GRUBENV_CHECKSUM_FS, /* on Btrfs or ZFS */
	GRUB_TRIAL_GRUBENV_DISKFILTER,	/* on LVM, RAID or an encrypted volume */
	GRUB_TRIAL_GRUBENV_FS_UNKNOWN,	/* no mount holds it in mountinfo */
	GRUB_TRIAL_SAVEDEFAULT,		/* GRUB_DEFAULT=saved, GRUB_SAVEDEFAULT=true */
	GRUB_TRIAL_DEFAULT_UNKNOWN,	/* either depends on code we do not run */
	GRUB_TRIAL_NEXT_ENTRY_PENDING,	/* next_entry already set, not to ours */
	GRUB_TRIAL_CFG_NO_NEXT_ENTRY,	/* grub.cfg neither reads nor clears next_entry */
	GRUB_TRIAL_CFG_NO_CUSTOM,	/* grub.cfg does not source custom.cfg */
	GRUB_TRIAL_NO_ENTRY,		/* no menu entry boots the target kernel */
	GRUB_TRIAL_NOT_GRUB,		/* BLS entries or systemd-boot (not built yet) */
	GRUB_TRIAL_NOTHING,		/* the command line needs no change: nothing to try */
	GRUB_TRIAL_ESP_SYNC,		/* proxmox-boot-tool copies the boot files to the ESPs */
	GRUB_TRIAL_NO_IMAGE_TOOL,	/* no mkinitramfs for the trial's own initramfs */
	GRUB_TRIAL_NO_INITRAMFS,	/* the initramfs must change, and --no-initramfs */
	_GRUB_TRIAL_VERDICT_MAX,
};

/* What the gatherer found; strings NULL when unknown or unset. */
struct grub_trial_facts {
	const char *grubenv; /* NULL: there is none */
	size_t grubenv_len;
	const char *grub_cfg; /* the generated grub.cfg */
	size_t grub_cfg_len;
	const char *grub_default;     /* GRUB_DEFAULT as the shell sees it */
	const char *grub_savedefault; /* GRUB_SAVEDEFAULT */
	bool default_unknown;	      /* either is set by code we do not run ($(...)) */
	const char *env_fstype;	      /* the file system grubenv is on ("ext4"), NULL unknown */
	const char *env_source;	      /* its device ("/dev/sda2", "/dev/mapper/vg-boot") */
	const char *kver;	      /* the target kernel */
};

enum grub_trial_verdict grub_trial_judge(const struct grub_trial_facts *f);
/* "possible", "no-grubenv", ...: the JSON name of a verdict */
const char *grub_trial_verdict_to_string(enum grub_trial_verdict v);

/* A menu entry of a generated grub.cfg: byte offsets into its text. */
struct grub_cfg_entry {
	size_t start, end;	     /* the "menuentry" line to after its "}" line */
	size_t args_start, args_end; /* the linux line's words after the kernel image */
	unsigned line;		     /* of the menuentry */
	unsigned depth;		     /* 0 top level, 1 in a submenu */
};

/*
 * The entry that boots kernel kver with its normal line: the first
 * menuentry, at any depth, whose linux line loads .../vmlinuz-KVER and whose
 * title does not say "(recovery mode)". -ENOENT when there is none, -EINVAL
 * when the braces do not pair up.
 */
int grub_cfg_find_entry(const char *cfg, size_t len, const char *kver, struct grub_cfg_entry *ret);

/*
 * The trial entry: entry e of cfg with the title "iommu-setup trial: KVER",
 * the id GRUB_TRIAL_ID and its linux line's words edited by ops (kparams:
 * the same edit as every other place a command line lives), between the
 * marker lines. -EINVAL with error when the words cannot be edited.
 */
int grub_trial_entry(const char *cfg, const struct grub_cfg_entry *e, const char *kver,
		     const struct kop *ops, size_t m, char **ret, char *error, size_t error_size);

/*
 * The trial block with the image named from_base (a file name, as
 * "initrd.img-6.1.0-13-amd64") on its initrd line replaced by to_base, in
 * the same directory: the trial boots an initramfs of its own. -ENOENT
 * when no initrd line names it.
 */
int grub_trial_block_initrd(const char *block, const char *from_base, const char *to_base,
			    char **ret);

/*
 * custom.cfg with the trial block (between the markers) replaced by block,
 * or taken out when block is NULL; the rest of the file as it was. text
 * NULL: there is no custom.cfg. *ret is NULL when nothing is left (the file
 * can be removed). -EINVAL with error when the markers do not pair up.
 */
int grub_custom_cfg_set(const char *text, size_t len, const char *block, char **ret, char *error,
			size_t error_size);
/* Does custom.cfg hold a trial block? */
bool grub_custom_cfg_has_trial(const char *text, size_t len);

/*
 * grubenv with variable key set to value (value NULL: unset), keeping the
 * 1024-byte block grub-editenv writes and every other variable; -EINVAL
 * with error when it is not an environment block, the result would not
 * fit, or value holds a character grubenv would have to escape.
 */
int grubenv_set(const char *text, size_t len, const char *key, const char *value, char **ret,
		size_t *ret_len, char *error, size_t error_size);

/*
 * The trial entry's command line: the words after the kernel image on the
 * linux line of custom.cfg's trial block (*ret malloc'ed); -ENOENT when
 * there is no block or it has no linux line.
 */
int grub_custom_cfg_trial_args(const char *text, size_t len, char **ret);

/*
 * A trial file (by its name: custom.cfg or grubenv) with the trial taken
 * out, for commit and revert: custom.cfg without the trial block (*ret
 * NULL when nothing is left: the file goes), grubenv without next_entry
 * when it still names the trial entry, and as it is otherwise (GRUB
 * cleared it when it booted the trial). -EINVAL with error for another
 * file, a grubenv that is not one, or unpaired markers.
 */
int grub_trial_undo(const char *path, const char *text, size_t len, char **ret, size_t *ret_len,
		    char *error, size_t error_size);

/*
 * Is the running boot the trial entry's? Every word of the trial's line is
 * on the running line, and every word of the running line but BOOT_IMAGE
 * and initrd= (which the loader adds) is on the trial's, or stands for one
 * of the trial's words that GRUB expands ($vt_handoff on Ubuntu: one word
 * or none each).
 */
bool trial_cmdline_booted(const struct kcmdline *running, const struct kcmdline *trial);
