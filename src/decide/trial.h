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
#include "facts/efi-loadopt.h"

/* the trial entry's id: next_entry names it */
#define GRUB_TRIAL_ID "iommu-setup-trial"
/* on a BLS host, the trial entry's file next to the target's (blscfg
 * names an entry by its file name without .conf) */
#define BLS_TRIAL_FILE GRUB_TRIAL_ID ".conf"
/* its first line's start */
#define BLS_TRIAL_MARK "# iommu-setup apply --trial:"
/* the lines around it in custom.cfg */
#define GRUB_TRIAL_BEGIN "### BEGIN iommu-setup trial ###"
#define GRUB_TRIAL_END "### END iommu-setup trial ###"

enum grub_trial_verdict {
	GRUB_TRIAL_POSSIBLE,
	GRUB_TRIAL_NO_GRUBENV,
	GRUB_TRIAL_GRUBENV_INVALID,	   /* not a 1024-byte block with its header */
	GRUB_TRIAL_GRUBENV_CHECKSUM_FS,	   /* on Btrfs or ZFS */
	GRUB_TRIAL_GRUBENV_DISKFILTER,	   /* on LVM, RAID or an encrypted volume */
	GRUB_TRIAL_GRUBENV_FS_UNKNOWN,	   /* no mount holds it in mountinfo */
	GRUB_TRIAL_SAVEDEFAULT,		   /* GRUB_DEFAULT=saved, GRUB_SAVEDEFAULT=true */
	GRUB_TRIAL_DEFAULT_UNKNOWN,	   /* either depends on code we do not run */
	GRUB_TRIAL_NEXT_ENTRY_PENDING,	   /* next_entry already set, not to ours */
	GRUB_TRIAL_CFG_NO_NEXT_ENTRY,	   /* grub.cfg neither reads nor clears next_entry */
	GRUB_TRIAL_CFG_NO_CUSTOM,	   /* grub.cfg does not source custom.cfg */
	GRUB_TRIAL_NO_ENTRY,		   /* no menu entry boots the target kernel */
	GRUB_TRIAL_NOT_GRUB,		   /* an unknown loader */
	GRUB_TRIAL_NOTHING,		   /* the command line needs no change: nothing to try */
	GRUB_TRIAL_ESP_SYNC,		   /* proxmox-boot-tool copies the boot files to the ESPs */
	GRUB_TRIAL_NO_IMAGE_TOOL,	   /* no mkinitramfs for the trial's own initramfs */
	GRUB_TRIAL_NO_INITRAMFS,	   /* the initramfs must change, and --no-initramfs */
	GRUB_TRIAL_CFG_NO_BLSCFG,	   /* BLS: grub.cfg does not run blscfg */
	GRUB_TRIAL_BLS_DEFAULT_POSITION,   /* BLS: the default is not named by its id */
	GRUB_TRIAL_SDBOOT_NO_EFIVARS,	   /* systemd-boot: no efivarfs for LoaderEntryOneShot */
	GRUB_TRIAL_SDBOOT_ONESHOT_PENDING, /* systemd-boot: another one-shot is set */
	GRUB_TRIAL_SDBOOT_DEFAULT_POSITION, /* systemd-boot: no pattern names the default */
	GRUB_TRIAL_SDBOOT_SAVED,	    /* systemd-boot: default @saved (the last booted) */
	GRUB_TRIAL_SDBOOT_INITRAMFS,	    /* systemd-boot: the initramfs must change */
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
	/* GRUB reading BLS entries: the ids of the entries there are (their
	 * file names without .conf, the trial's left out) */
	bool bls;
	const char *const *bls_ids;
	size_t n_bls_ids;
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
 * A trial file (by its name: custom.cfg, the BLS trial entry or grubenv)
 * with the trial taken out, for commit and revert: custom.cfg without the
 * trial block (*ret NULL when nothing is left: the file goes), the BLS
 * trial entry gone (*ret NULL), grubenv without next_entry
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

/*
 * BLS (GRUB's blscfg, RHEL 8+ and Fedora): the trial entry is a copy of the
 * target kernel's entry (text) titled "iommu-setup trial: KVER", whose one
 * options line is the entry's options as GRUB would boot them ($variables
 * expanded from grubenv; as written when !expand: systemd-boot) edited by
 * ops; its file is BLS_TRIAL_FILE next to
 * the entry, and next_entry in grubenv names it. *from and *to get the
 * line before and after the edit. -EINVAL with error when the entry cannot
 * be copied with certainty ($kernelopts unset, no or too many options
 * lines, a NUL byte).
 */
int bls_trial_entry(const char *text, size_t len, const char *kver, bool expand,
		    const char *grubenv, size_t grubenv_len, const struct kop *ops, size_t m,
		    char **ret, char **from, char **to, char *error, size_t error_size);
/* The trial entry's command line: its options line (*ret malloc'ed);
 * -ENOENT when it has not exactly one. */
int bls_trial_args(const char *text, size_t len, char **ret);
/* Does the text start as a trial entry bls_trial_entry() wrote? */
bool bls_trial_entry_ours(const char *text, size_t len);
/* Does path name a BLS trial entry (by its file name)? */
bool bls_trial_path(const char *path);

/*
 * systemd-boot: the trial entry is a copy of the target's (bls_trial_entry()
 * without $variables: systemd-boot passes options as written), and the
 * LoaderEntryOneShot EFI variable names it (as `bootctl set-oneshot` sets
 * it): systemd-boot boots that entry once and deletes the variable when it
 * reads it. Its entry ids are file names, .conf included.
 */
#define SDBOOT_ONESHOT EFIVARS_DIR "/LoaderEntryOneShot-" SDBOOT_LOADER_GUID
#define SDBOOT_DEFAULT EFIVARS_DIR "/LoaderEntryDefault-" SDBOOT_LOADER_GUID

struct sdboot_trial_facts {
	bool efivars;		 /* sys/firmware/efi/efivars is there to write */
	const char *oneshot;	 /* LoaderEntryOneShot, NULL unset */
	bool oneshot_invalid;	 /* set, and not an entry name */
	const char *default_var; /* LoaderEntryDefault (bootctl set-default), NULL unset */
	bool default_invalid;
	const char *loader_conf; /* loader/loader.conf, NULL none */
	size_t loader_conf_len;
	const char *const *ids; /* the entries' ids (file names), the trial's left out */
	size_t n_ids;
};

/*
 * What systemd-boot boots by default must be named, never chosen by
 * position (its order puts the trial next to the target, by file name):
 * LoaderEntryDefault, else loader.conf's last "default", a glob matching an
 * entry there but not the trial. "@saved" (the last booted) would make the
 * trial the default once booted.
 */
enum grub_trial_verdict sdboot_trial_judge(const struct sdboot_trial_facts *f);
/* LoaderEntryOneShot's bytes as efivarfs holds them: the attributes
 * (non-volatile, boot and runtime access), then id in UTF-16LE with its NUL */
int sdboot_oneshot_value(const char *id, char **ret, size_t *ret_len);
/* Is path LoaderEntryOneShot's file below the root? */
bool sdboot_oneshot_path(const char *path);

/* May a record name path as a trial's file: the BLS trial entry in one of
 * bls_dirs, LoaderEntryOneShot, or a custom.cfg or grubenv below boot/? */
bool trial_file_path_valid(const char *path);
