/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a function's configuration space says about resetting and isolating
 * it: the capability lists (PCI Local Bus 3.0 §6.7, PCIe Base 4.0 §7.5.3,
 * §7.7.8, PCI PM 1.2 §3.2.4, PCI AF ECN). Pure: bytes in, facts out.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ACS Capability/Control bits (PCIe Base 4.0 §7.7.8.2) */
enum {
	ACS_SV = 1 << 0, /* source validation */
	ACS_TB = 1 << 1, /* translation blocking */
	ACS_RR = 1 << 2, /* P2P request redirect */
	ACS_CR = 1 << 3, /* P2P completion redirect */
	ACS_UF = 1 << 4, /* upstream forwarding */
	ACS_EC = 1 << 5, /* P2P egress control */
	ACS_DT = 1 << 6, /* direct translated P2P */
	/* what the kernel requires of a port before it isolates what is below
	 * it (drivers/pci/pci.c, REQ_ACS_FLAGS) */
	ACS_REQUIRED = ACS_SV | ACS_RR | ACS_CR | ACS_UF,
};

/* PCIe Device/Port Type (PCI Express Capabilities register, bits 7:4) */
enum {
	PCIE_TYPE_ENDPOINT = 0x0,
	PCIE_TYPE_LEGACY_ENDPOINT = 0x1,
	PCIE_TYPE_ROOT_PORT = 0x4,
	PCIE_TYPE_UPSTREAM = 0x5,
	PCIE_TYPE_DOWNSTREAM = 0x6,
	PCIE_TYPE_PCIE_TO_PCI = 0x7,
	PCIE_TYPE_PCI_TO_PCIE = 0x8,
	PCIE_TYPE_RC_ENDPOINT = 0x9,
	PCIE_TYPE_RC_EVENT = 0xa,
};

struct pci_caps {
	bool read;     /* a configuration space was there to read (64 bytes at least) */
	bool lists;    /* past the header (256 bytes): capabilities readable (not root: 64 bytes) */
	bool extended; /* it had the extended space (4 KiB: read as root) */
	bool pcie;     /* a PCI Express capability */
	int pcie_type; /* PCIE_TYPE_*, -1 without one */
	bool flr;      /* Device Capabilities: Function Level Reset */
	bool af_flr;   /* Advanced Features: FLR */
	bool pm;       /* a power management capability */
	bool no_soft_reset; /* PMCSR No_Soft_Reset: D3hot→D0 keeps the state (no PM reset) */
	bool acs;	    /* an ACS extended capability */
	uint16_t acs_cap, acs_ctrl;
	bool multifunction; /* header type bit 7 */
	bool malformed;	    /* a capability list that loops or points outside the space */
};

/* Reads the capability lists of a configuration space of len bytes. */
void pci_caps_parse(const uint8_t *cfg, size_t len, struct pci_caps *ret);

/*
 * Does the kernel count this port's ACS as isolating what is below it? The
 * flags it requires, less those the port does not implement (a missing
 * feature is hard-wired on, except egress control), must all be enabled.
 * No ACS capability: no.
 */
bool pci_caps_acs_isolates(const struct pci_caps *c);
/* "SV RR CR UF": the required ACS controls this port leaves off (buf n bytes) */
void pci_caps_acs_missing(const struct pci_caps *c, char *buf, size_t n);
