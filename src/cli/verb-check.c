/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "cli/output.h"
#include "decide/checks.h"
#include "gather/host.h"
#include "report/report.h"
#include "root/root.h"

int verb_check(struct context *ctx)
{
	struct check_report report;
	struct host host;
	int r, ret;

	if (ctx->n_args > 0) {
		log_error("check takes no arguments (got \"%s\")", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	r = host_gather(ctx->root, ctx->kernel, &host);
	if (r == -ENOENT) {
		log_error("--kernel %s: no such kernel under %s/lib/modules", ctx->kernel,
			  strcmp(ctx->root->path, "/") == 0 ? "" : ctx->root->path);
		host_done(&host);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_root_error(ctx->root, r, "Failed to read the host");
		host_done(&host);
		return exit_for_error(r);
	}
	r = checks_run(&host, &report);
	if (r < 0) {
		log_error_errno(r, "Failed to make the report: %m");
		checks_done(&report);
		host_done(&host);
		return EXIT_SYSTEM;
	}

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_print_json(&j, &host, &report);
	} else
		report_print_text(stdout, &report, output_use_color(STDOUT_FILENO), ctx->quiet);

	ret = report.blocking ? EXIT_NOT_READY : EXIT_OK;
	checks_done(&report);
	host_done(&host);
	return ret;
}
