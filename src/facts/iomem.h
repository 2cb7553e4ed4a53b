/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Memory claims that stop vfio-pci from reserving a device's BARs: the boot
 * framebuffer drivers' entries in /proc/iomem (efifb, vesafb, simplefb,
 * simpledrm, and the BOOTFB region sysfb registers), and the BARs of a
 * function from its sysfs "resource" file. Pure: text in, ranges out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOMEM_FB_MAX 16
#define PCI_BARS 7 /* BAR0-5 and the expansion ROM: the first lines of "resource" */

struct iomem_range {
	uint64_t start, end; /* inclusive, as the kernel prints them */
	char name[16];
};

struct iomem_fb {
	struct iomem_range r[IOMEM_FB_MAX];
	size_t n;
	bool found;  /* proc/iomem was read */
	bool hidden; /* every address read 0: the kernel hides them from non-root readers */
};

/* Is this /proc/iomem name one of a boot framebuffer? */
bool iomem_is_framebuffer(const char *name);
/*
 * The boot framebuffer claims of a /proc/iomem text. -EBADMSG with *line
 * for a line that is not "START-END : NAME", -E2BIG past IOMEM_FB_MAX.
 */
int iomem_parse_fb(const char *text, size_t len, struct iomem_fb *ret, unsigned *line);

/* IORESOURCE_MEM (include/linux/ioport.h) */
#define PCI_RES_MEM 0x200

struct pci_bar {
	uint64_t start, end, flags;
};

/*
 * A function's sysfs "resource" file: "0xSTART 0xEND 0xFLAGS" a line; the
 * first PCI_BARS lines are kept. -EBADMSG with *line for a bad line.
 */
int pci_resource_parse(const char *text, size_t len, struct pci_bar bars[PCI_BARS], unsigned *line);

/* The framebuffer claim inside one of the memory BARs, NULL when none */
const struct iomem_range *iomem_fb_in_bars(const struct iomem_fb *fb,
					   const struct pci_bar bars[PCI_BARS]);
