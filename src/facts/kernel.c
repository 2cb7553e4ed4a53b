/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The running kernel's IOMMU state (kernel.h): names and the kernel's own bool syntax. */
#include <stddef.h>

#include "facts/kernel.h"

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
