/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VFIO modules and their modprobe.d entries (modules.h): names and tests. */
#include <stddef.h>
#include <string.h>

#include "facts/cmdline.h"
#include "facts/modules.h"

bool modules_mentions_vfio(const char *s)
{
	return s && (strstr(s, "vfio") || strstr(s, "iommufd"));
}

static const char *const vfio_names[_VFIO_MOD_MAX] = {
	[VFIO_MOD_VFIO] = "vfio",
	[VFIO_MOD_VFIO_PCI] = "vfio_pci",
	[VFIO_MOD_VFIO_PCI_CORE] = "vfio_pci_core",
	[VFIO_MOD_VFIO_IOMMU_TYPE1] = "vfio_iommu_type1",
	[VFIO_MOD_IOMMUFD] = "iommufd",
};

const char *mod_kind_to_string(enum mod_kind k)
{
	switch (k) {
	case MOD_MISSING:
		return "missing";
	case MOD_MODULE:
		return "module";
	case MOD_BUILTIN:
		return "builtin";
	}
	return NULL;
}

bool modules_is_vfio(const char *name)
{
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		if (kparam_name_eq(name, vfio_names[i]))
			return true;
	return false;
}

const char *vfio_module_name(int i)
{
	return i >= 0 && i < _VFIO_MOD_MAX ? vfio_names[i] : NULL;
}

bool modconf_entry_relevant(const struct modconf_entry *e)
{
	/* options for our modules, softdeps and blacklists that involve them,
	 * and blacklists of anything (guides blacklist the native driver) */
	return e->kind != MODCONF_ALIAS &&
	       (modules_is_vfio(e->module) || modules_mentions_vfio(e->value) ||
		e->kind == MODCONF_BLACKLIST);
}
