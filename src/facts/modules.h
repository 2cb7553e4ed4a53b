/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The VFIO modules of the target kernel and the modprobe configuration that
 * applies to them, read through libkmod from below the root.
 */

#include <stdbool.h>
#include <stddef.h>

#include "facts/modconf.h"
#include "facts/sources.h"

enum mod_kind {
	MOD_MISSING,
	MOD_MODULE,
	MOD_BUILTIN,
};

enum {
	VFIO_MOD_VFIO,
	VFIO_MOD_VFIO_PCI,
	VFIO_MOD_VFIO_PCI_CORE,
	VFIO_MOD_VFIO_IOMMU_TYPE1,
	VFIO_MOD_IOMMUFD,
	_VFIO_MOD_MAX,
};

struct mod_info {
	const char *name;
	enum mod_kind kind;
	int loaded; /* 1 loaded, 0 not, -1 not known (the running kernel is not the target) */
};

struct modules_state {
	char kver[256]; /* the target kernel, "" when none is installed */
	bool kver_from_arg;
	char **kernels; /* installed under lib/modules, newest first */
	unsigned n_kernels;
	int error; /* libkmod could not read the kernel's indexes */
	struct mod_info mods[_VFIO_MOD_MAX];
	/* modprobe.d: every file modprobe reads, in its order, and what they say */
	struct src_file *conf_files;
	size_t n_conf_files;
	struct modconf all;
	/* the entries about VFIO (and every blacklist), for the report */
	struct modconf_entry *conf;
	unsigned n_conf;
	char **ignored_files; /* in modprobe.d but not *.conf: modprobe skips them */
	unsigned n_ignored;
};

const char *mod_kind_to_string(enum mod_kind k);
/* "vfio", "vfio_pci" … for VFIO_MOD_* */
const char *vfio_module_name(int i);
/* Is name (any spelling) one of ours? */
bool modules_is_vfio(const char *name);
/* Does a text name a VFIO module or iommufd? */
bool modules_mentions_vfio(const char *s);
/* Does an entry concern VFIO (or blacklist anything: guides blacklist the native driver)? */
bool modconf_entry_relevant(const struct modconf_entry *e);
