/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI functions (pdev.h): parsing a device argument and finding a device or group. */
#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "facts/pdev.h"

int pdev_parse_arg(const char *arg, char ret_addr[PCI_ADDR_SIZE], uint16_t *ret_vendor,
		   uint16_t *ret_device)
{
	char buf[32];
	unsigned dom = 0, bus, slot, fn, v, d;
	size_t n = strlen(arg);

	if (n >= sizeof(buf))
		return 0;
	/* libvirt's node device name: pci_0000_01_00_0 (pci_10000_e1_00_0) */
	if (n >= 16 && strncmp(arg, "pci_", 4) == 0 && arg[n - 2] == '_' && arg[n - 5] == '_' &&
	    arg[n - 8] == '_') {
		snprintf(buf, sizeof(buf), "%.*s:%.2s:%.2s.%c", (int)(n - 12), arg + 4, arg + n - 7,
			 arg + n - 4, arg[n - 1]);
		arg = buf;
		n = strlen(buf);
	}
	/* VVVV:DDDD */
	if (n == 9 && arg[4] == ':' && hex_parse(arg, 4, &v) == 0 &&
	    hex_parse(arg + 5, 4, &d) == 0) {
		*ret_vendor = (uint16_t)v;
		*ret_device = (uint16_t)d;
		return 2;
	}
	/* [DDDD:]BB:SS.F; the domain is 16 bits on most hosts, 32 with Intel VMD
	 * (10000:e1:00.0): 4 to 8 hex digits, as sysfs prints it ("%04x") */
	if (n > 7) {
		if (n < 12 || n > 16 || arg[n - 8] != ':' || hex_parse(arg, n - 8, &dom) < 0)
			return 0;
		arg += n - 7;
		n = 7;
	}
	if (n != 7 || arg[2] != ':' || arg[5] != '.' || hex_parse(arg, 2, &bus) < 0 ||
	    hex_parse(arg + 3, 2, &slot) < 0 || hex_parse(arg + 6, 1, &fn) < 0 || slot > 0x1f ||
	    fn > 7)
		return 0;
	snprintf(ret_addr, PCI_ADDR_SIZE, "%04x:%02x:%02x.%x", dom, bus, slot, fn);
	return 1;
}

const struct pdev *pdev_find(const struct pdev_list *l, const char *addr)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->devs[i].addr, addr) == 0)
			return &l->devs[i];
	return NULL;
}

const struct pdev_group *pdev_find_group(const struct pdev_list *l, int number)
{
	/* groups are sorted by number */
	unsigned lo = 0, hi = l->n_groups;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (l->groups[mid].number == number)
			return &l->groups[mid];
		if (l->groups[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *pdev_framebuffer(const struct pdev_list *l, const struct pdev *d)
{
	const struct iomem_range *r = d ? iomem_fb_in_bars(&l->fb, d->bars) : NULL;

	return r ? r->name : NULL;
}
