/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * How the target kernel is booted: firmware mode, Secure Boot, the boot
 * loader and where its kernel command line is configured.
 */

#include <stdbool.h>
#include <stddef.h>

#include "facts/cmdline.h"
#include "facts/shellvars.h"
#include "facts/sources.h"

enum loader {
	LOADER_UNKNOWN,
	LOADER_GRUB,	     /* grub.cfg entries generated from /etc/default/grub */
	LOADER_GRUB_BLS,     /* GRUB reading BLS entries (RHEL 8+, Fedora) */
	LOADER_SYSTEMD_BOOT, /* systemd-boot, entries from kernel-install */
	_LOADER_MAX,
};

struct boot_state {
	bool uefi;
	bool efivar;	 /* libefivar was there to read UEFI variables */
	int secure_boot; /* 1 on, 0 off, -1 unknown */
	int setup_mode;
	enum loader loader;

	/* the configured command line of the target kernel's default entry */
	bool configured_found;
	bool configured_known; /* false: it depends on code we do not run */
	char configured_file[600];
	char configured_how[160]; /* "GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT" … */
	char configured_why[256]; /* when !configured_known */
	char *configured_raw;
	struct kcmdline configured;

	/* what new kernels will get from kernel-install (etc/kernel/cmdline) */
	char *kernel_cmdline;

	/* /etc/default/grub and its drop-ins, sourced */
	bool grub_default;
	char grub_default_file[64];
	struct shenv grub_env;
	unsigned n_bls_entries;
	char bls_entry[600]; /* the target kernel's entry, "" if none */
	bool bls_kernelopts; /* its options use $kernelopts (RHEL 8) */

	/* the texts of all of it, for the decisions (nextboot.h) */
	struct boot_sources sources;
};

const char *loader_to_string(enum loader l);

/* where BLS entries are read from, below the root */
#define BLS_DIRS_N 3
extern const char *const bls_dirs[BLS_DIRS_N];
/* where systemd-boot's loader.conf is, below the root (the ESP's first) */
#define LOADER_CONFS_N 3
extern const char *const loader_confs[LOADER_CONFS_N];

/* The BLS entries of kernel kver and their options with grubenv expanded,
 * as GRUB's blscfg will see them at the next boot. */
struct bls_effective {
	char path[600];
	char *options;
	bool unknown; /* $kernelopts is not in grubenv */
};
