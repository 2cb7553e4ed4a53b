/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "facts/pcicfg.h"

#define CAP_ID_PM 0x01
#define CAP_ID_EXP 0x10
#define CAP_ID_AF 0x13
#define EXT_CAP_ID_ACS 0x000d
/* a list longer than the space could hold is a loop */
#define CAPS_MAX 48
#define EXT_CAPS_MAX ((4096 - 256) / 8)

static unsigned rd8(const uint8_t *cfg, size_t off)
{
	return cfg[off];
}

static unsigned rd16(const uint8_t *cfg, size_t off)
{
	return (unsigned)cfg[off] | (unsigned)cfg[off + 1] << 8;
}

static uint32_t rd32(const uint8_t *cfg, size_t off)
{
	return (uint32_t)cfg[off] | (uint32_t)cfg[off + 1] << 8 | (uint32_t)cfg[off + 2] << 16 |
	       (uint32_t)cfg[off + 3] << 24;
}

static void parse_std(const uint8_t *cfg, size_t len, struct pci_caps *c)
{
	/* Status bit 4: the list exists; its pointer at 0x34 (0x14 for a CardBus bridge) */
	size_t off = (rd8(cfg, 0x0e) & 0x7f) == 2 ? 0x14 : 0x34;
	unsigned n = 0;

	if (!(rd16(cfg, 0x06) & (1u << 4)))
		return;
	off = rd8(cfg, off) & ~3u;
	while (off) {
		if (off < 0x40 || off + 8 > len || off + 8 > 256 || ++n > CAPS_MAX) {
			c->malformed = true;
			return;
		}
		switch (rd8(cfg, off)) {
		case CAP_ID_PM:
			c->pm = true;
			/* PMCSR at +4, bit 3 */
			c->no_soft_reset = rd16(cfg, off + 4) & (1u << 3);
			break;
		case CAP_ID_EXP:
			c->pcie = true;
			c->pcie_type = (int)((rd16(cfg, off + 2) >> 4) & 0xf);
			/* Device Capabilities at +4, bit 28 */
			c->flr = rd32(cfg, off + 4) & (1u << 28);
			break;
		case CAP_ID_AF:
			/* AF Capabilities at +3: bit 0 TP, bit 1 FLR; the kernel wants both */
			c->af_flr = (rd8(cfg, off + 3) & 3u) == 3u;
			break;
		}
		off = rd8(cfg, off + 1) & ~3u;
	}
}

static void parse_ext(const uint8_t *cfg, size_t len, struct pci_caps *c)
{
	size_t off = 0x100;
	unsigned n = 0;

	if (len < 0x100 + 4)
		return;
	c->extended = true;
	while (off) {
		uint32_t h;

		if (off < 0x100 || off + 8 > len || ++n > EXT_CAPS_MAX) {
			c->malformed = true;
			return;
		}
		h = rd32(cfg, off);
		/* an empty list reads 0 (or all ones behind a missing device) */
		if (h == 0 || h == 0xffffffffu)
			return;
		if ((h & 0xffff) == EXT_CAP_ID_ACS) {
			c->acs = true;
			c->acs_cap = (uint16_t)rd16(cfg, off + 4);
			c->acs_ctrl = (uint16_t)rd16(cfg, off + 6);
		}
		off = (h >> 20) & ~3u;
	}
}

void pci_caps_parse(const uint8_t *cfg, size_t len, struct pci_caps *ret)
{
	*ret = (struct pci_caps){ .pcie_type = -1 };
	if (!cfg || len < 64)
		return;
	ret->read = true;
	ret->lists = len >= 256;
	ret->multifunction = rd8(cfg, 0x0e) & 0x80;
	parse_std(cfg, len, ret);
	/* only PCI Express functions have the extended space */
	if (ret->pcie)
		parse_ext(cfg, len, ret);
}

static unsigned acs_wanted(const struct pci_caps *c)
{
	return ACS_REQUIRED & (c->acs_cap | ACS_EC);
}

bool pci_caps_acs_isolates(const struct pci_caps *c)
{
	if (!c->acs)
		return false;
	return (c->acs_ctrl & acs_wanted(c)) == acs_wanted(c);
}

void pci_caps_acs_missing(const struct pci_caps *c, char *buf, size_t n)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = { { ACS_SV, "SV" }, { ACS_RR, "RR" }, { ACS_CR, "CR" }, { ACS_UF, "UF" } };
	unsigned want = c->acs ? acs_wanted(c) : ACS_REQUIRED;
	size_t used = 0;

	if (n == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(want & names[i].bit) || (c->acs && (c->acs_ctrl & names[i].bit)))
			continue;
		int k = snprintf(buf + used, n - used, "%s%s", used ? " " : "", names[i].name);
		if (k < 0 || (size_t)k >= n - used)
			return;
		used += (size_t)k;
	}
}
