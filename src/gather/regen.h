/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Gathers what the choice of regeneration commands depends on (facts/regen.h) below the root. */
#include "facts/regen.h"

struct host;
struct root;

int os_release_read(struct root *root, struct os_release *ret);

int esp_find(struct root *root, const struct host *h, const struct os_release *os,
	     struct esp_info *ret);

int regen_gather(struct root *root, const struct host *h, struct regen_facts *ret);

/* Does the host build its initramfs with dracut (its configuration
 * directory, or the dracut command, below the root)? */
bool host_uses_dracut(struct root *root);

/* Where a command is below the root: usr/sbin, usr/bin, sbin, bin. Fills
 * path ("/usr/sbin/dracut") and returns 0, or -ENOENT. */
int regen_find_command(struct root *root, const char *name, char *path, size_t n);
