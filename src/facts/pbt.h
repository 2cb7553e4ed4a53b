/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox's proxmox-boot-tool: the ESPs it keeps in step, and what its status
 * says about them. Pure parsers; the file is read by gather/regen.c and the
 * status output by apply's read-back.
 *
 * etc/kernel/proxmox-boot-uuids lists one VFAT volume ID (XXXX-XXXX) a line,
 * as `proxmox-boot-tool init` writes it; `proxmox-boot-tool refresh` mounts
 * /dev/disk/by-uuid/ID for each and copies the kernels and initramfs images
 * to it, with systemd-boot entries whose options are the first line of
 * etc/kernel/cmdline, or (GRUB) runs update-grub with the ESP bound on /boot.
 * An ESP it cannot find or mount is skipped with a warning and the exit
 * status stays 0: only its status tells.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/file-error.h"

#define PBT_UUIDS_FILE "etc/kernel/proxmox-boot-uuids"
#define PBT_ESPS_MAX 16
#define PBT_UUID_SIZE 10 /* "ABCD-1234" and its NUL */

/*
 * The IDs of the file's text, in its order, each once. A line that is not an
 * ID (blank lines are skipped) or more than PBT_ESPS_MAX IDs is an error
 * naming the file and line: the ESPs iommu-setup would not read back are the
 * ones a boot may come from.
 */
int pbt_uuids_parse(const char *text, size_t len, char uuids[][PBT_UUID_SIZE], size_t max,
		    size_t *n, struct file_error *err);

/*
 * Does `proxmox-boot-tool status` say ESP uuid holds kernel kver? Its lines
 * are "ABCD-1234 is configured with: uefi (versions: 6.8.12-1-pve, …)" and
 * "… grub (versions: …)". false with the reason in why (the ESP was skipped,
 * or has other kernels).
 */
bool pbt_status_has(const char *status, const char *uuid, const char *kver, char *why, size_t n);
