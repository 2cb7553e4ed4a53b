/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PCI functions as sysfs shows them below the root (sys/bus/pci/devices). */

#include <stdbool.h>
#include <stdint.h>

#include "facts/iomem.h"
#include "facts/pcicfg.h"

enum {
	CRITICAL_ROOTFS = 1 << 0,   /* storage behind / */
	CRITICAL_BOOTFS = 1 << 1,   /* storage behind /boot or /boot/efi */
	CRITICAL_BOOT_VGA = 1 << 2, /* the firmware's console display */
	CRITICAL_ROUTE = 1 << 3,    /* the NIC carrying the default route */
};

/* a canonical PCI address, "0000:01:00.0" to "ffffffff:ff:1f.7" (VMD domains
 * are 32 bits), and its NUL */
#define PCI_ADDR_SIZE 17

struct pdev {
	char addr[PCI_ADDR_SIZE]; /* 0000:01:00.0 */
	unsigned domain, bus, slot, fn;
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class; /* 0x030000 */
	char *driver;	/* NULL: no driver bound */
	char *modalias;
	char **modules; /* that could drive it (modalias lookup), NULL-terminated */
	int group;	/* -1: in no IOMMU group */
	int numa_node;	/* -1 */
	bool rom;
	char *reset_methods;	/* sysfs reset_method (kernel 5.15+); NULL when absent */
	bool reset_method_attr; /* the attribute exists (an empty one: no reset at all) */
	struct pci_caps caps;	/* from its configuration space */
	struct pci_bar bars[PCI_BARS];
	char parent[PCI_ADDR_SIZE]; /* the bridge above it, "" on a root bus */
	char *driver_module;	    /* the module of its driver (drivers/NAME/module) */
	int driver_builtin;	    /* 1 built into the kernel, 0 a loadable module, -1 unknown */
	int sriov_total, sriov_num; /* -1 unless an SR-IOV physical function */
	char physfn[PCI_ADDR_SIZE]; /* a VF's PF, "" otherwise */
	bool boot_vga;
	bool bridge; /* bridges never count in a group and are never assigned */
	char *netdev;
	unsigned critical;   /* CRITICAL_* */
	char *critical_what; /* "/ on nvme0n1p2", "default route via eno1" … */
	char *vendor_name, *device_name, *class_name, *subsys_name; /* NULL: not in pci.ids */
};

struct pdev_group {
	int number;
	char type[16];	   /* default domain type, "" when the kernel does not say */
	unsigned *members; /* indices into pci_list.devs, address order */
	unsigned n_members;
};

struct pdev_list {
	struct pdev *devs; /* sorted by address */
	unsigned n;
	struct pdev_group *groups; /* sorted by number */
	unsigned n_groups;
	bool groups_dir;    /* sys/kernel/iommu_groups exists */
	bool names;	    /* a PCI ID database was found */
	struct iomem_fb fb; /* the boot framebuffers' claims in proc/iomem */
};

const struct pdev *pdev_find(const struct pdev_list *l, const char *addr);
/* The name of the boot framebuffer that claims memory in d's BARs, NULL when none (or d NULL) */
const char *pdev_framebuffer(const struct pdev_list *l, const struct pdev *d);
const struct pdev_group *pdev_find_group(const struct pdev_list *l, int number);

/*
 * Parses a device argument: 0000:01:00.0, 01:00.0, 10000:e1:00.0 (a 32-bit
 * domain), pci_0000_01_00_0 into a
 * canonical address (1, ret_addr filled), or VVVV:DDDD (2, *ret_vendor and
 * *ret_device set). 0 if it is neither. Pure.
 */
int pdev_parse_arg(const char *arg, char ret_addr[PCI_ADDR_SIZE], uint16_t *ret_vendor,
		   uint16_t *ret_device);
