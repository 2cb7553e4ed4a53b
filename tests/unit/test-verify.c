/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify's pure decisions over hand-made PCI topologies */
#include <string.h>

#include "decide/verify.h"
#include "unit.h"

/* a port of the given PCIe type, with ACS (cap, ctrl) or none (acs < 0) */
static struct pdev port(const char *addr, const char *parent, int type, int acs_cap, int acs_ctrl)
{
	struct pdev d = { .group = -1, .bridge = true };

	snprintf(d.addr, sizeof(d.addr), "%s", addr);
	snprintf(d.parent, sizeof(d.parent), "%s", parent);
	d.caps = (struct pci_caps){
		.read = true, .lists = true, .extended = true, .pcie = type >= 0, .pcie_type = type
	};
	if (acs_cap >= 0) {
		d.caps.acs = true;
		d.caps.acs_cap = (uint16_t)acs_cap;
		d.caps.acs_ctrl = (uint16_t)acs_ctrl;
	}
	return d;
}

static struct pdev endpoint(const char *addr, const char *parent)
{
	struct pdev d = port(addr, parent, PCIE_TYPE_ENDPOINT, -1, 0);

	d.bridge = false;
	return d;
}

/* root port with ACS → switch upstream port → downstream port without ACS →
 * endpoint: the downstream port is what joins the group */
static void test_acs_switch(void)
{
	struct pdev devs[] = {
		port("0000:00:01.0", "", PCIE_TYPE_ROOT_PORT, 0x1f, 0x1d),
		port("0000:01:00.0", "0000:00:01.0", PCIE_TYPE_UPSTREAM, -1, 0),
		port("0000:02:01.0", "0000:01:00.0", PCIE_TYPE_DOWNSTREAM, -1, 0),
		endpoint("0000:03:00.0", "0000:02:01.0"),
	};
	struct pdev_list l = { .devs = devs, .n = 4 };
	const struct pdev *b = verify_acs_breaker(&l, &devs[3]);

	CHECK(b && strcmp(b->addr, "0000:02:01.0") == 0);
	/* with ACS on the downstream port, nothing above breaks it */
	devs[2] = port("0000:02:01.0", "0000:01:00.0", PCIE_TYPE_DOWNSTREAM, 0x1f, 0x1d);
	CHECK(verify_acs_breaker(&l, &devs[3]) == NULL);
	/* ... unless the root port leaves RR off */
	devs[0] = port("0000:00:01.0", "", PCIE_TYPE_ROOT_PORT, 0x1f, 0x19);
	b = verify_acs_breaker(&l, &devs[3]);
	CHECK(b && strcmp(b->addr, "0000:00:01.0") == 0);
}

/* a conventional PCI bridge: nothing below it is isolated */
static void test_acs_pci_bridge(void)
{
	struct pdev devs[] = {
		port("0000:00:1e.0", "", -1, -1, 0),
		endpoint("0000:05:00.0", "0000:00:1e.0"),
	};
	struct pdev_list l = { .devs = devs, .n = 2 };
	const struct pdev *b;

	devs[0].caps.pcie = false;
	b = verify_acs_breaker(&l, &devs[1]);
	CHECK(b && strcmp(b->addr, "0000:00:1e.0") == 0);
	/* a bridge whose config space could not be read: not known, not blamed */
	devs[0].caps.read = false;
	CHECK(verify_acs_breaker(&l, &devs[1]) == NULL);
}

/* reset methods: the kernel's attribute first, the config space without it,
 * unknown when neither could be read */
static void test_reset_methods(void)
{
	struct pdev d = endpoint("0000:03:00.0", "");
	const char *what;
	char buf[64];

	d.caps.flr = true;
	d.caps.pm = true;
	verify_reset_methods(&d, buf, sizeof(buf), &what);
	CHECK(strcmp(buf, "flr pm") == 0 && strcmp(what, "config space") == 0);
	d.caps.no_soft_reset = true;
	verify_reset_methods(&d, buf, sizeof(buf), &what);
	CHECK(strcmp(buf, "flr") == 0);
	d.reset_method_attr = true;
	d.reset_methods = (char *)"bus";
	verify_reset_methods(&d, buf, sizeof(buf), &what);
	CHECK(strcmp(buf, "bus") == 0 && strcmp(what, "reset_method") == 0);
	d.reset_method_attr = false;
	d.caps.lists = false;
	verify_reset_methods(&d, buf, sizeof(buf), &what);
	CHECK(buf[0] == '\0' && strcmp(what, "unknown") == 0);
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_acs_switch);
	RUN(test_acs_pci_bridge);
	RUN(test_reset_methods);
	UNIT_MAIN_END();
}
