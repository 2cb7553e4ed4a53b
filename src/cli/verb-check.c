/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "cli/output.h"
#include "decide/checks.h"
#include "decide/verify.h"
#include "gather/plan-input.h"
#include "report/report.h"
#include "root/root.h"

/* The devices the configuration gives to vfio-pci, judged for what can be
 * known before the reboot (boot framebuffer, reset, ACS): verify's findings */
static int readiness(struct context *ctx, struct plan_input *in, struct check_report *report)
{
	_cleanup_free_ struct configured_device *conf = NULL;
	_cleanup_free_ struct verify_device *devs = NULL;
	struct file_error err;
	size_t n = 0;
	int r;

	conf = calloc(VERIFY_DEVICES_MAX, sizeof(*conf));
	devs = calloc(VERIFY_DEVICES_MAX, sizeof(*devs));
	if (!conf || !devs)
		return -ENOMEM;
	r = plan_configured_devices(in, conf, VERIFY_DEVICES_MAX, &n, &err);
	if (r < 0) {
		log_file_error(&err);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(devs[i].addr, sizeof(devs[i].addr), "%s", conf[i].addr);
		snprintf(devs[i].origin, sizeof(devs[i].origin), "%s", conf[i].origin);
		devs[i].configured = true;
	}

	struct verify_input vin = {
		.host = &in->host,
		.pci = &in->pci,
		.rules = in->rules_found ? &in->rules : NULL,
		.vendor_reset_loaded = root_exists(ctx->root, "sys/module/vendor_reset") > 0,
		.devs = devs,
		.n_devs = n,
	};

	return verify_readiness(&vin, report);
}

int verb_check(struct context *ctx)
{
	struct check_report report;
	struct plan_input in;
	struct file_error err;
	int r, ret;

	if (ctx->n_args > 0) {
		log_error("check takes no arguments (got \"%s\")", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	r = plan_input_gather(ctx->root, ctx->kernel, &in, &err);
	if (r == -ENOENT && ctx->kernel && !err.file[0]) {
		log_error("--kernel %s: no such kernel under %s/lib/modules", ctx->kernel,
			  strcmp(ctx->root->path, "/") == 0 ? "" : ctx->root->path);
		plan_input_done(&in);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		if (err.message[0])
			log_file_error(&err);
		else
			log_root_error(ctx->root, r, "Failed to read the host");
		plan_input_done(&in);
		return err.message[0] && r != -ENOMEM ? EXIT_BAD_INPUT : exit_for_error(r);
	}
	r = checks_run(&in.host, &report);
	if (r >= 0)
		r = readiness(ctx, &in, &report);
	if (r == -EINVAL || r == -E2BIG) {
		checks_done(&report);
		plan_input_done(&in);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to make the report: %m");
		checks_done(&report);
		plan_input_done(&in);
		return EXIT_SYSTEM;
	}

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_print_json(&j, &in.host, &report);
	} else
		report_print_text(stdout, &report, output_use_color(STDOUT_FILENO), ctx->quiet);

	ret = report.blocking ? EXIT_NOT_READY : EXIT_OK;
	checks_done(&report);
	plan_input_done(&in);
	return ret;
}
