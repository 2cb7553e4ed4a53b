/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * After the reboot: is each device the configuration gives to vfio-pci ready
 * for a guest, and if not, why? Pure: the gathered host, PCI functions,
 * rules and the probes' outcomes in, findings out (a check report, so that
 * `verify` has `check`'s text and JSON and its finding codes).
 */

#include "decide/checks.h"
#include "decide/rules.h"
#include "facts/modconf.h"
#include "facts/pdev.h"

#define VERIFY_DEVICES_MAX 64

/* What the live probe (a VFIO container attach) found; filled by the caller */
struct verify_probe {
	bool made;
	const char *step; /* the step that failed, NULL when it attached */
	int error;
	char explain[400];
};

struct verify_device {
	char addr[PCI_ADDR_SIZE];
	/* where it comes from: "vfio-pci.ids on the configured command line",
	 * "etc/iommu-setup/vfio-devices.conf", "the command line" */
	char origin[96];
	bool configured; /* the configuration gives it to vfio-pci at boot */
	struct verify_probe probe;
};

struct verify_input {
	const struct host *host;
	const struct pdev_list *pci;
	const struct rule_set *rules;
	const char *loader_entry; /* LoaderEntrySelected (systemd-boot), NULL unknown */
	bool vendor_reset_loaded; /* sys/module/vendor_reset */
	bool can_probe;		  /* the root is the running host: the kernel can be asked */
	struct verify_device *devs;
	size_t n_devs;
};

/*
 * Should the device be probed? It is there, on vfio-pci, on a live host with
 * an IOMMU group, and its group is viable: the kernel is asked only then.
 */
bool verify_probe_wanted(const struct verify_input *in, const struct verify_device *v);

/*
 * The host's checks (checks_run), then what the running boot lacks of the
 * configured command line (naming the entry that was booted), then for each
 * device in order: present, driver, group, framebuffer, reset, ACS, probe.
 * A device is ready when none of its findings is a FAIL. 0 or -ENOMEM.
 */
int verify_run(const struct verify_input *in, struct check_report *ret);
/*
 * What can be known before the first reboot, for `check`: each device's
 * boot framebuffer, reset and ACS findings, appended to a report that
 * checks_run() made. 0 or -ENOMEM.
 */
int verify_readiness(const struct verify_input *in, struct check_report *ret);
/* the ACS finding's explanation of a group (for `devices`): the first
 * bridge above d, nearest first, that does not isolate; NULL when none */
const struct pdev *verify_acs_breaker(const struct pdev_list *l, const struct pdev *d);
/* "flr", "af_flr", "pm", "bus" … as the kernel would try them; *what says
 * where that came from ("reset_method", "config space") */
void verify_reset_methods(const struct pdev *d, char *buf, size_t n, const char **what);
