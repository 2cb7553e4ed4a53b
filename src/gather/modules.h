/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Reads the target kernel's VFIO modules and modprobe.d (facts/modules.h) through libkmod below the
 * root. */
#include "facts/modules.h"

struct root;

/*
 * kver: --kernel, or NULL for the newest installed. live: the root is the
 * running system whose kernel is kver, so sys/module tells what is loaded.
 * Returns -ENOENT (with nothing else done) if kver was given and is not
 * installed.
 */
int modules_gather(struct root *root, const char *kver, const char *running,
		   struct modules_state *m);
void modules_state_done(struct modules_state *m);

/* The target kernel alone: kver if installed (else -ENOENT), or the newest; "" if none. */
int modules_target_kernel(struct root *root, const char *kver, char *ret, size_t n);

/*
 * The options modprobe would give module when loading it for kernel kver
 * below the root, read by libkmod from the root's modprobe.d (the kernel
 * command line left out): the independent reading that apply's read-back
 * holds the plan to. *ret malloc'ed, "" when none.
 */
int modules_libkmod_options(struct root *root, const char *kver, const char *module, char **ret);
