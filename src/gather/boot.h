/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Reads how the target kernel is booted (facts/boot.h) below the root, UEFI variables through
 * libefivar. */
#include "facts/boot.h"
#include <stdint.h>
struct root;

/* root is the --root string (efivar needs a path, not an fd). */
int boot_gather(struct root *root, const char *kver, struct boot_state *b);
void boot_state_done(struct boot_state *b);

/* Every BLS entry below the root (boot/loader/entries, the ESP's), sorted. */
int boot_bls_entries(struct root *root, char ***ret, size_t *n);

/* A UEFI global variable (BootCurrent, Boot0003) through libefivar, once
 * boot_gather() has loaded it for this root; -EOPNOTSUPP without efivars. */
int boot_efi_get_variable(const char *name, uint8_t **data, size_t *size);

/* The BLS entries of kernel kver and their options with grubenv expanded
 * (facts/boot.h), as GRUB's blscfg will see them at the next boot. */
int boot_bls_effective(struct root *root, const char *kver, struct bls_effective **ret, size_t *n);
