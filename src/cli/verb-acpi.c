/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi/acpi-print.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "gather/host.h"
#include "report/report.h"
#include "root/root.h"

static int decode_one(struct context *ctx, struct json *j, const char *path, const char *shown,
		      bool live, bool *first)
{
	_cleanup_free_ char *buf = NULL;
	struct fw_table t = {};
	size_t size;
	int r;

	r = live ? root_read_file(ctx->root, path, ACPI_TABLE_MAX, &buf, &size)
		 : read_file(path, ACPI_TABLE_MAX, &buf, &size);
	if (r == -EFBIG) {
		log_error("%s: larger than %u bytes, not a DMAR or IVRS table", shown,
			  ACPI_TABLE_MAX);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_error_errno(r, "%s: cannot read: %m", shown);
		return r == -ENOMEM ? EXIT_SYSTEM : EXIT_BAD_INPUT;
	}
	r = fw_table_decode(shown, (const uint8_t *)buf, size, NULL, &t);
	if (r < 0) {
		log_error_errno(r, "%s: %m", shown);
		return EXIT_SYSTEM;
	}

	if (t.error < 0) {
		log_error("%s: byte %zu: %s", shown, t.err.offset, t.err.message);
		if (ctx->json) {
			json_object_begin(j, NULL);
			json_string(j, "file", shown);
			json_object_begin(j, "error");
			json_uint(j, "offset", t.err.offset);
			json_string(j, "message", t.err.message);
			json_object_end(j);
			json_object_end(j);
		}
		return EXIT_BAD_INPUT;
	}

	{
		const struct acpi_header *h = t.dmar ? &t.dmar->header : &t.ivrs->header;

		if (!acpi_checksum_ok(h))
			log_warning(
				"%s: checksum is wrong (bytes sum to 0x%02X, not 0), decoding anyway",
				shown, h->sum);
	}
	if (ctx->json) {
		if (t.dmar)
			dmar_print_json(j, t.dmar);
		else
			ivrs_print_json(j, t.ivrs);
	} else {
		if (!*first)
			putchar('\n');
		printf("%s\n", shown);
		if (t.dmar)
			dmar_print_text(stdout, t.dmar);
		else
			ivrs_print_text(stdout, t.ivrs);
	}
	*first = false;
	fw_table_done(&t);
	return EXIT_OK;
}

int verb_acpi(struct context *ctx)
{
	static const char *const live[] = { ACPI_TABLES_DIR "/DMAR", ACPI_TABLES_DIR "/IVRS" };
	struct json j;
	bool first = true;
	int ret = EXIT_OK, found = 0;

	json_init(&j, stdout);
	if (ctx->json) {
		report_json_open(&j, "acpi");
		json_array_begin(&j, "tables");
	}

	if (ctx->n_args > 0)
		for (int i = 0; i < ctx->n_args; i++) {
			int k = decode_one(ctx, &j, ctx->args[i], ctx->args[i], false, &first);

			if (k > ret)
				ret = k;
		}
	else
		for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
			char shown[4096];
			int k, e;

			e = root_exists(ctx->root, live[i]);
			if (e == 0)
				continue;
			found++;
			snprintf(shown, sizeof(shown), "%s%s%s", ctx->root->path,
				 ctx->root->path[strlen(ctx->root->path) - 1] == '/' ? "" : "/",
				 live[i]);
			k = decode_one(ctx, &j, live[i], shown, true, &first);
			if (k > ret)
				ret = k;
		}

	if (ctx->json) {
		bool none = ctx->n_args == 0 && found == 0;

		json_array_end(&j);
		json_bool(&j, "changed", false);
		json_bool(&j, "failed", ret >= EXIT_BAD_INPUT);
		json_string(&j, "msg",
			    none ? "no DMAR or IVRS table: the firmware describes no IOMMU"
			    : ret >= EXIT_BAD_INPUT ? "a table could not be decoded (see \"error\")"
						    : "decoded");
		json_object_end(&j);
		json_finish(&j);
	}
	if (ctx->n_args == 0 && found == 0) {
		log_error("no DMAR or IVRS table in %s%s" ACPI_TABLES_DIR
			  ": the firmware describes no IOMMU (disabled in its setup?)",
			  ctx->root->path,
			  ctx->root->path[strlen(ctx->root->path) - 1] == '/' ? "" : "/");
		return EXIT_NOT_READY;
	}
	return ret;
}
