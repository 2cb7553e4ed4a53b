/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * verify [BDF|ID...]: after the reboot apply asked for, is each device the
 * configuration gives to vfio-pci ready for a guest? Read-only, except the
 * live probe's attach of a ready device's group to a VFIO container (which
 * may load vfio_iommu_type1, as QEMU would).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "cli/output.h"
#include "cli/probe.h"
#include "decide/verify.h"
#include "facts/efi-loadopt.h"
#include "gather/plan-input.h"
#include "report/json.h"
#include "report/report.h"
#include "root/root.h"

#define LOADER_ENTRY_SELECTED EFIVARS_DIR "/LoaderEntrySelected-" SDBOOT_LOADER_GUID

/* the entry systemd-boot started, when it says; a variable no loader wrote is an error */
static int read_loader_entry(struct root *root, char *buf, size_t n)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = root_read_file(root, LOADER_ENTRY_SELECTED, 4096, &data, &len);

	buf[0] = '\0';
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = efivar_ascii_string((const uint8_t *)data, len, buf, n);
	if (r < 0)
		log_error("%s: not an entry name (UTF-16 text of printable characters)",
			  LOADER_ENTRY_SELECTED);
	return r;
}

static int add_device(struct verify_device *devs, size_t *n, const char *addr, const char *origin,
		      const struct configured_device *conf, size_t n_conf)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(devs[i].addr, addr) == 0)
			return 0;
	if (*n == VERIFY_DEVICES_MAX) {
		log_error("verify: more than %d devices", VERIFY_DEVICES_MAX);
		return -E2BIG;
	}
	devs[*n] = (struct verify_device){};
	snprintf(devs[*n].addr, sizeof(devs[*n].addr), "%s", addr);
	snprintf(devs[*n].origin, sizeof(devs[*n].origin), "%s", origin);
	for (size_t k = 0; k < n_conf; k++)
		if (strcmp(conf[k].addr, addr) == 0) {
			devs[*n].configured = true;
			/* where the configuration names it says more than "the command line" */
			snprintf(devs[*n].origin, sizeof(devs[*n].origin), "%s", conf[k].origin);
		}
	(*n)++;
	return 0;
}

int verb_verify(struct context *ctx)
{
	_cleanup_free_ struct configured_device *conf = NULL;
	_cleanup_free_ struct verify_device *devs = NULL;
	struct plan_input in = {};
	struct check_report report = {};
	struct file_error err;
	char entry[256];
	size_t n_conf = 0, n = 0;
	int r, ret;

	conf = calloc(VERIFY_DEVICES_MAX, sizeof(*conf));
	devs = calloc(VERIFY_DEVICES_MAX, sizeof(*devs));
	if (!conf || !devs)
		return log_error("Out of memory"), EXIT_SYSTEM;
	r = plan_input_gather(ctx->root, ctx->kernel, &in, &err);
	if (r < 0) {
		if (err.message[0])
			log_file_error(&err);
		else
			log_root_error(ctx->root, r, "Failed to read the host");
		plan_input_done(&in);
		return err.message[0] && r != -ENOMEM ? EXIT_BAD_INPUT : exit_for_error(r);
	}
	r = plan_configured_devices(&in, conf, VERIFY_DEVICES_MAX, &n_conf, &err);
	if (r < 0) {
		log_file_error(&err);
		plan_input_done(&in);
		return r == -ENOMEM ? EXIT_SYSTEM : EXIT_BAD_INPUT;
	}
	for (int a = 0; a < ctx->n_args && r >= 0; a++) {
		char addr[PCI_ADDR_SIZE];
		uint16_t v, d;
		unsigned found = 0;

		switch (pdev_parse_arg(ctx->args[a], addr, &v, &d)) {
		case 1:
			r = add_device(devs, &n, addr, "named on the command line", conf, n_conf);
			break;
		case 2:
			for (unsigned i = 0; i < in.pci.n && r >= 0; i++)
				if (in.pci.devs[i].vendor == v && in.pci.devs[i].device == d &&
				    !in.pci.devs[i].bridge) {
					r = add_device(devs, &n, in.pci.devs[i].addr,
						       "named on the command line", conf, n_conf);
					found++;
				}
			if (r >= 0 && !found) {
				log_error("verify: no PCI device with ID %04x:%04x", v, d);
				r = -EINVAL;
			}
			break;
		default:
			log_error(
				"verify: \"%s\" is neither a PCI address (0000:01:00.0) nor an ID "
				"(8086:10d3)",
				ctx->args[a]);
			r = -EINVAL;
		}
	}
	for (size_t k = 0; k < n_conf && ctx->n_args == 0 && r >= 0; k++)
		r = add_device(devs, &n, conf[k].addr, conf[k].origin, conf, n_conf);
	if (r >= 0)
		r = read_loader_entry(ctx->root, entry, sizeof(entry));
	if (r < 0) {
		plan_input_done(&in);
		return exit_for_error(r);
	}

	struct verify_input vin = {
		.host = &in.host,
		.pci = &in.pci,
		.rules = in.rules_found ? &in.rules : NULL,
		.loader_entry = entry[0] ? entry : NULL,
		.vendor_reset_loaded = root_exists(ctx->root, "sys/module/vendor_reset") > 0,
		.can_probe = root_is_host(ctx->root),
		.devs = devs,
		.n_devs = n,
	};

	/* the live probe: only the running kernel can say, and only for ours */
	for (size_t i = 0; i < n && root_is_host(ctx->root); i++) {
		const struct pdev *d = pdev_find(&in.pci, devs[i].addr);
		struct probe p = {};

		if (!d || !verify_probe_wanted(&vin, &devs[i]))
			continue;
		snprintf(p.addr, sizeof(p.addr), "%s", d->addr);
		snprintf(p.driver, sizeof(p.driver), "%s", d->driver);
		p.group = d->group;
		probe_attach(&p);
		devs[i].probe =
			(struct verify_probe){ .made = true, .step = p.step, .error = p.error };
		snprintf(devs[i].probe.explain, sizeof(devs[i].probe.explain), "%s", p.explain);
	}

	r = verify_run(&vin, &report);
	if (r < 0) {
		log_error_errno(r, "Failed to make the report: %m");
		checks_done(&report);
		plan_input_done(&in);
		return EXIT_SYSTEM;
	}
	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_verify_json(&j, &in.host, &report);
	} else {
		if (n == 0 && !ctx->quiet)
			printf("No device is configured for vfio-pci (and none was named): only the "
			       "host is verified.\n\n");
		report_print_verify_text(stdout, &report, output_use_color(STDOUT_FILENO),
					 ctx->quiet);
	}
	ret = report.blocking ? EXIT_NOT_READY : EXIT_OK;
	checks_done(&report);
	plan_input_done(&in);
	return ret;
}
