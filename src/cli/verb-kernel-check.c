/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kernel-check KVER: will kernel KVER, installed after apply, boot with what
 * apply configured? Run by the kernel-install plugin and the postinst.d hook
 * (kernel/): nothing on standard output when it will, exactly one line naming
 * the gaps when it will not (exit 1). Without an apply record there is no
 * configuration to keep: nothing, exit 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "decide/checks.h"
#include "decide/kernel-check.h"
#include "decide/record.h"
#include "gather/host.h"
#include "root/root.h"

/* the record as apply keeps it; 0 and an empty record when there is none */
static int read_record(struct root *root, struct record *rec)
{
	_cleanup_free_ char *text = NULL;
	unsigned line = 0;
	size_t len;
	int r;

	r = root_read_file(root, STATE_DIR "/record", 64u << 20, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_root_error(root, r, "Failed to read the apply record");
	r = record_parse(text, len, rec, &line);
	if (r == -EBADMSG)
		log_error("/%s/record:%u: not a valid record", STATE_DIR, line);
	else if (r < 0)
		log_error_errno(r, "/%s/record: %m", STATE_DIR);
	return r;
}

int verb_kernel_check(struct context *ctx)
{
	_cleanup_free_ char *gaps = NULL;
	struct check_report report = {};
	struct record rec = {};
	struct host host = {};
	const char *kver;
	int r, ret;

	if (ctx->n_args != 1) {
		log_error("kernel-check takes one kernel version (got %d arguments)", ctx->n_args);
		return EXIT_BAD_INPUT;
	}
	kver = ctx->args[0];
	if (!*kver || strchr(kver, '/') || strlen(kver) >= sizeof(host.modules.kver) ||
	    strcmp(kver, ".") == 0 || strcmp(kver, "..") == 0) {
		log_error("kernel-check: invalid kernel version \"%s\"", kver);
		return EXIT_BAD_INPUT;
	}

	r = read_record(ctx->root, &rec);
	if (r < 0) {
		record_done(&rec);
		return exit_for_error(r);
	}
	if (rec.n_files == 0) {
		/* never applied, or reverted: nothing to keep */
		record_done(&rec);
		return EXIT_OK;
	}

	r = host_gather(ctx->root, kver, &host);
	if (r == -ENOENT) {
		log_error("kernel %s: no such kernel under %s/lib/modules", kver,
			  strcmp(ctx->root->path, "/") == 0 ? "" : ctx->root->path);
		ret = EXIT_BAD_INPUT;
		goto finish;
	}
	if (r < 0) {
		log_root_error(ctx->root, r, "Failed to read the host");
		ret = exit_for_error(r);
		goto finish;
	}
	r = checks_run(&host, &report);
	if (r >= 0)
		r = kernel_check_gaps(&host, &report, &rec, &gaps);
	if (r < 0) {
		log_error_errno(r, "Failed to check kernel %s: %m", kver);
		ret = EXIT_SYSTEM;
		goto finish;
	}
	if (gaps)
		printf("iommu-setup: kernel %s: %s\n", kver, gaps);
	ret = gaps ? EXIT_NOT_READY : EXIT_OK;
finish:
	checks_done(&report);
	host_done(&host);
	record_done(&rec);
	return ret;
}
