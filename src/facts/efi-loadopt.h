/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A UEFI Boot#### variable (EFI_LOAD_OPTION, UEFI spec 2.10 section 3.1.3):
 * its description, the partition of its hard-drive node and the file path of
 * its file-path node. Pure: bytes in, fields out.
 */

#include <stddef.h>
#include <stdint.h>

/* efivarfs below the root; a variable is the file NAME-GUID in it */
#define EFIVARS_DIR "sys/firmware/efi/efivars"
/* systemd-boot's variables (LoaderEntrySelected, LoaderEntryOneShot, ...) */
#define SDBOOT_LOADER_GUID "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

struct efi_load_option {
	uint32_t attributes;
	char description[128]; /* UTF-16 reduced to ASCII ('?' for the rest) */
	char part_guid[37];    /* the HD() node's GPT partition GUID, "" without one */
	uint32_t part_number;
	char path[256]; /* the File() node, "\EFI\redhat\shimx64.efi"; "" without one */
};

/* Returns 0, or -EBADMSG when the bytes are not a load option. */
int efi_load_option_parse(const uint8_t *buf, size_t len, struct efi_load_option *ret);

/* The directory below \EFI\ of path ("redhat"), in out; -ENOENT if path is not
 * \EFI\<dir>\<file> or dir is BOOT (the removable-media fallback). */
int efi_path_vendor_dir(const char *path, char *out, size_t n);

/* A GUID in EFI byte order (first three fields little-endian), as text. */
void efi_guid_to_string(const uint8_t g[16], char out[37]);

/*
 * A systemd-boot variable (LoaderEntrySelected) as efivarfs shows it: 4 bytes
 * of attributes, then a NUL-terminated UTF-16LE string. Printable ASCII only
 * (entry ids are file names); -EBADMSG otherwise, -E2BIG past n.
 */
int efivar_ascii_string(const uint8_t *buf, size_t len, char *out, size_t n);
