/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Readiness facts: capability lists, ACS, proc/iomem, BARs, EFI strings */
#include <errno.h>
#include <string.h>

#include "facts/efi-loadopt.h"
#include "facts/iomem.h"
#include "facts/pcicfg.h"
#include "unit.h"

static uint8_t cfg[4096];

/* a header with PM at 0x40 and PCI Express at 0x50; ACS at 0x100 when acs_ctrl >= 0 */
static void make(int type, bool flr, bool nosoftrst, int acs_cap, int acs_ctrl)
{
	memset(cfg, 0, sizeof(cfg));
	cfg[0x06] = 0x10; /* capabilities list */
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x01, cfg[0x41] = 0x50;
	cfg[0x44] = nosoftrst ? 0x08 : 0;
	cfg[0x50] = 0x10, cfg[0x51] = 0;
	cfg[0x52] = (uint8_t)(0x02 | type << 4);
	cfg[0x57] = flr ? 0x10 : 0; /* bit 28 of Device Capabilities */
	if (acs_ctrl >= 0) {
		cfg[0x100] = 0x0d, cfg[0x102] = 0x01;
		cfg[0x104] = (uint8_t)acs_cap;
		cfg[0x106] = (uint8_t)acs_ctrl;
	}
}

static void test_endpoint_flr(void)
{
	struct pci_caps c;

	make(PCIE_TYPE_ENDPOINT, true, false, 0, -1);
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(c.read && c.pcie && c.pcie_type == PCIE_TYPE_ENDPOINT);
	CHECK(c.flr && c.pm && !c.no_soft_reset && !c.acs && !c.malformed);
	make(PCIE_TYPE_ENDPOINT, false, true, 0, -1);
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(!c.flr && c.pm && c.no_soft_reset);
	/* 256 bytes (a non-root reader): no extended space, so no ACS either */
	make(PCIE_TYPE_ROOT_PORT, false, false, 0x1f, 0x1d);
	pci_caps_parse(cfg, 256, &c);
	CHECK(!c.extended && !c.acs);
	/* shorter than the header: nothing known */
	pci_caps_parse(cfg, 32, &c);
	CHECK(!c.read && c.pcie_type == -1);
}

static void test_acs(void)
{
	struct pci_caps c;
	char miss[64];

	/* every required control on */
	make(PCIE_TYPE_ROOT_PORT, false, false, 0x1f, 0x1d);
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(c.acs && c.acs_cap == 0x1f && c.acs_ctrl == 0x1d);
	CHECK(pci_caps_acs_isolates(&c));
	/* RR implemented but off: not isolated, and RR is named */
	make(PCIE_TYPE_ROOT_PORT, false, false, 0x1f, 0x19);
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(!pci_caps_acs_isolates(&c));
	pci_caps_acs_missing(&c, miss, sizeof(miss));
	CHECK(strcmp(miss, "RR") == 0);
	/* a feature the port does not implement counts as hard-wired on (the kernel's rule) */
	make(PCIE_TYPE_DOWNSTREAM, false, false, 0x01, 0x01);
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(pci_caps_acs_isolates(&c));
	/* no ACS capability: never isolated; all four named */
	make(PCIE_TYPE_ROOT_PORT, false, false, 0, -1);
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(!c.acs && !pci_caps_acs_isolates(&c));
	pci_caps_acs_missing(&c, miss, sizeof(miss));
	CHECK(strcmp(miss, "SV RR CR UF") == 0);
}

static void test_malformed(void)
{
	struct pci_caps c;

	/* a list that points at itself ends, marked */
	make(PCIE_TYPE_ENDPOINT, true, false, 0, -1);
	cfg[0x51] = 0x50;
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(c.malformed);
	/* one that points into the header */
	make(PCIE_TYPE_ENDPOINT, true, false, 0, -1);
	cfg[0x41] = 0x10;
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(c.malformed);
	/* an extended list that loops */
	make(PCIE_TYPE_ROOT_PORT, false, false, 0x1f, 0x1d);
	cfg[0x103] = 0x10; /* next = 0x100 */
	pci_caps_parse(cfg, sizeof(cfg), &c);
	CHECK(c.malformed);
}

static void test_iomem(void)
{
	static const char text[] = "00000000-00000fff : Reserved\n"
				   "e0000000-efffffff : PCI Bus 0000:00\n"
				   "  e0000000-efffffff : 0000:01:00.0\n"
				   "    e0000000-e07e8fff : efifb\n"
				   "  f0000000-f0ffffff : BOOTFB\n";
	struct iomem_fb fb;
	unsigned line = 0;
	struct pci_bar bars[PCI_BARS] = { { 0xe0000000, 0xefffffff, 0x14220c } };

	CHECK(iomem_parse_fb(text, strlen(text), &fb, &line) == 0);
	CHECK(fb.n == 2 && !fb.hidden);
	CHECK(strcmp(fb.r[0].name, "efifb") == 0 && fb.r[0].start == 0xe0000000 &&
	      fb.r[0].end == 0xe07e8fff);
	CHECK(strcmp(iomem_fb_in_bars(&fb, bars)->name, "efifb") == 0);
	/* an I/O BAR over the same numbers is not memory */
	bars[0].flags = 0x40101;
	CHECK(iomem_fb_in_bars(&fb, bars) == NULL);
	/* a claim that does not touch the BAR */
	bars[0] = (struct pci_bar){ 0xd0000000, 0xdfffffff, 0x200 };
	CHECK(iomem_fb_in_bars(&fb, bars) == NULL);
	/* a line that is not START-END : NAME, named */
	CHECK(iomem_parse_fb("0-1 : a\nzz\n", 10, &fb, &line) == -EBADMSG && line == 2);
	CHECK(iomem_parse_fb("2-1 : a\n", 8, &fb, &line) == -EBADMSG && line == 1);
	/* what a non-root reader sees */
	CHECK(iomem_parse_fb("00000000-00000000 : efifb\n", 26, &fb, &line) == 0 && fb.hidden);
}

static void test_iomem_limit(void)
{
	char text[2048] = "";
	struct iomem_fb fb;
	unsigned line = 0;

	for (int i = 0; i <= IOMEM_FB_MAX; i++)
		strcat(text, "10-20 : efifb\n");
	CHECK(iomem_parse_fb(text, strlen(text), &fb, &line) == -E2BIG && line == IOMEM_FB_MAX + 1);
}

static void test_resource(void)
{
	static const char text[] = "0x00000000e0000000 0x00000000efffffff 0x000000000014220c\n"
				   "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
	struct pci_bar bars[PCI_BARS];
	unsigned line = 0;

	CHECK(pci_resource_parse(text, strlen(text), bars, &line) == 0);
	CHECK(bars[0].start == 0xe0000000 && bars[0].end == 0xefffffff &&
	      bars[0].flags == 0x14220c);
	CHECK(bars[1].start == 0 && bars[1].end == 0);
	CHECK(pci_resource_parse("0x1 0x2\n", 8, bars, &line) == -EBADMSG && line == 1);
	CHECK(pci_resource_parse("0x5 0x2 0x0\n", 12, bars, &line) == -EBADMSG);
	CHECK(pci_resource_parse("0x10000000000000000 0x2 0x0\n", 28, bars, &line) == -EBADMSG);
}

static void test_efivar_string(void)
{
	static const uint8_t good[] = { 6, 0, 0, 0, 'a', 0, '.', 0, 'c', 0, 0, 0 };
	static const uint8_t ctl[] = { 6, 0, 0, 0, 'a', 0, 1, 0, 0, 0 };
	char out[8];

	CHECK(efivar_ascii_string(good, sizeof(good), out, sizeof(out)) == 0);
	CHECK(strcmp(out, "a.c") == 0);
	CHECK(efivar_ascii_string(ctl, sizeof(ctl), out, sizeof(out)) == -EBADMSG);
	CHECK(efivar_ascii_string(good, 5, out, sizeof(out)) == -EBADMSG);
	CHECK(efivar_ascii_string(good, sizeof(good), out, 3) == -E2BIG);
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_endpoint_flr);
	RUN(test_acs);
	RUN(test_malformed);
	RUN(test_iomem);
	RUN(test_iomem_limit);
	RUN(test_resource);
	RUN(test_efivar_string);
	UNIT_MAIN_END();
}
