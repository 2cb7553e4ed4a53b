/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Gathers the host (facts/host.h) read-only below the root. */
#include "facts/host.h"

struct root;

/*
 * Reads the host below root (root is the same directory as a path, for
 * the libraries that need one). kver: --kernel, or NULL for the newest
 * installed. Missing files are facts, not errors. Fails with -ENOENT when
 * kver is not installed, -ENOMEM when memory runs out.
 */
int host_gather(struct root *root, const char *kver, struct host *h);
void host_done(struct host *h);
