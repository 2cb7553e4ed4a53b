/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the target kernel is booted (boot.h): names. */
#include <stddef.h>

#include "facts/boot.h"

const char *loader_to_string(enum loader l)
{
	static const char *const names[_LOADER_MAX] = {
		[LOADER_UNKNOWN] = "unknown",
		[LOADER_GRUB] = "grub",
		[LOADER_GRUB_BLS] = "grub-bls",
		[LOADER_SYSTEMD_BOOT] = "systemd-boot",
	};

	return l >= 0 && l < _LOADER_MAX ? names[l] : NULL;
}

const char *const loader_confs[LOADER_CONFS_N] = {
	"boot/efi/loader/loader.conf",
	"efi/loader/loader.conf",
	"boot/loader/loader.conf",
};

const char *const bls_dirs[BLS_DIRS_N] = {
	"boot/loader/entries",
	"boot/efi/loader/entries",
	"efi/loader/entries",
};
