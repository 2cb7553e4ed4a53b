/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names and small parsers of the host state: pure, shared by gathering and checks. */
#include <stddef.h>
#include <string.h>

#include "boot.h"
#include "cmdline.h"
#include "kernel.h"
#include "modules.h"

const char *group_type_to_string(enum group_type t)
{
	static const char *const names[_GROUP_TYPE_MAX] = {
		[GROUP_DMA] = "DMA",
		[GROUP_DMA_FQ] = "DMA-FQ",
		[GROUP_IDENTITY] = "identity",
		[GROUP_BLOCKED] = "blocked",
		[GROUP_UNMANAGED] = "unmanaged",
		[GROUP_OTHER] = "other",
	};

	return t >= 0 && t < _GROUP_TYPE_MAX ? names[t] : NULL;
}

int parse_kernel_bool(const char *s)
{
	/* kstrtobool(): first character decides */
	switch (s[0]) {
	case 'y':
	case 'Y':
	case '1':
		return 1;
	case 'n':
	case 'N':
	case '0':
		return 0;
	case 'o':
	case 'O':
		return s[1] == 'n' || s[1] == 'N' ? 1 : (s[1] == 'f' || s[1] == 'F') ? 0 : -1;
	default:
		return -1;
	}
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

const char *vfio_module_name(int i)
{
	return i >= 0 && i < _VFIO_MOD_MAX ? vfio_names[i] : NULL;
}
