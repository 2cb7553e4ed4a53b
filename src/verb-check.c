/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "iommu-setup.h"
#include "log.h"
#include "report.h"

int verb_check(struct context *ctx)
{
	struct check_report report;
	struct host host;
	int r;

	if (ctx->n_args > 0) {
		log_error("check takes no arguments (got \"%s\")", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	if (ctx->probe)
		return probe_device(ctx, ctx->probe);
	r = host_gather(ctx->root_fd, ctx->root, ctx->kernel, &host);
	if (r == -ENOENT) {
		log_error("--kernel %s: no such kernel under %s/lib/modules", ctx->kernel,
			  strcmp(ctx->root, "/") == 0 ? "" : ctx->root);
		host_done(&host);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to read the host: %m");
		host_done(&host);
		return EXIT_SYSTEM;
	}
	checks_run(&host, &report);

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_print_json(&j, &host, &report);
	} else
		report_print_text(stdout, &report, report_use_color(stdout), ctx->quiet);

	host_done(&host);
	return report.blocking ? EXIT_NOT_READY : EXIT_OK;
}
