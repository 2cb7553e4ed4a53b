/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the readers of the readiness facts, all of them over
 * bytes from the root: a configuration space (capability lists, ACS), a
 * proc/iomem text, a sysfs resource file, an EFI string variable; then the
 * framebuffer-in-BAR decision over what they gave; and proxmox-boot-tool's
 * ESP list and status output (facts/pbt.c).
 */
#include <stdlib.h>
#include <string.h>

#include "facts/efi-loadopt.h"
#include "facts/iomem.h"
#include "facts/pbt.h"
#include "facts/pcicfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pci_caps c;
	struct iomem_fb fb;
	struct pci_bar bars[PCI_BARS];
	char missing[64], out[64];
	unsigned line = 0;

	pci_caps_parse(data, size, &c);
	(void)pci_caps_acs_isolates(&c);
	pci_caps_acs_missing(&c, missing, sizeof(missing));
	(void)efivar_ascii_string(data, size, out, sizeof(out));
	if (iomem_parse_fb((const char *)data, size, &fb, &line) < 0)
		fb = (struct iomem_fb){};
	if (pci_resource_parse((const char *)data, size, bars, &line) == 0)
		(void)iomem_fb_in_bars(&fb, bars);
	{
		char ids[PBT_ESPS_MAX][PBT_UUID_SIZE], why[256];
		char *text = strndup((const char *)data, size);
		struct file_error err;
		size_t n = 0;

		if (pbt_uuids_parse((const char *)data, size, ids, PBT_ESPS_MAX, &n, &err) == 0)
			for (size_t i = 0; text && i < n; i++)
				(void)pbt_status_has(text, ids[i], "6.8.12-1-pve", why,
						     sizeof(why));
		free(text);
	}
	return 0;
}
