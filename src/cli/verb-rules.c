/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rules: the effective vendor rules (rules-load.c) and where each comes
 * from; exit status 2 when there are none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "decide/rules.h"
#include "gather/rules-load.h"
#include "report/json.h"
#include "report/report.h"
#include "root/root.h"

int verb_rules(struct context *ctx)
{
	struct rules_origin o;
	struct file_error err = {};
	struct rules_file *files;
	struct rule_set set;
	size_t n;
	int r;

	if (ctx->n_args > 0) {
		log_error("rules takes no arguments");
		return EXIT_BAD_INPUT;
	}
	r = rules_gather(ctx->root, &set, &o, &err);
	if (r == -EINVAL) {
		log_error("%s:%u: %s", err.file, err.line, err.message);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_error_errno(r, "%s: %s", err.file[0] ? err.file : "rules", err.message);
		return EXIT_SYSTEM;
	}
	files = o.files;
	n = o.n_files;
	if (!o.found) {
		log_error("no vendor rules: none in %s", o.looked);
		rule_set_done(&set);
		rules_origin_done(&o);
		return EXIT_BAD_INPUT;
	}

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_json_begin(&j, "rules", false, false, "the effective vendor rules");
		json_array_begin(&j, "files");
		for (size_t i = 0; i < n; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "name", files[i].name);
			json_string(&j, "path", files[i].path);
			json_string(&j, "origin", files[i].origin);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "rules");
		for (size_t i = 0; i < set.n; i++) {
			const struct rule *ru = &set.rules[i];
			char text[1024];

			rule_format(ru, text, sizeof(text));
			json_object_begin(&j, NULL);
			json_string(&j, "file", ru->file);
			json_uint(&j, "line", ru->line);
			json_string(&j, "rule", text);
			json_string(&j, "action", rule_action_to_string(ru->action));
			json_string(&j, "argument", ru->arg);
			json_string(&j, "why", ru->why[0] ? ru->why : NULL);
			json_string(&j, "ref", ru->ref[0] ? ru->ref : NULL);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else {
		for (size_t i = 0; i < n; i++) {
			printf("%s%s", i ? "\n" : "", files[i].path);
			if (strcmp(files[i].origin, "etc") == 0)
				printf(" (local, replaces the shipped %s)\n", files[i].name);
			else if (strcmp(files[i].origin, "masked") == 0) {
				printf(" -> /dev/null: %s is disabled\n", files[i].name);
				continue;
			} else
				printf(" (shipped)\n");
			for (size_t k = 0; k < set.n; k++) {
				const struct rule *ru = &set.rules[k];
				char text[1024];

				if (strcmp(ru->file, files[i].shown) != 0)
					continue;
				rule_format(ru, text, sizeof(text));
				printf("  %u: %s\n", ru->line, text);
				if (ru->why[0])
					printf("      why: %s\n", ru->why);
				if (ru->ref[0])
					printf("      ref: %s\n", ru->ref);
			}
		}
	}
	rule_set_done(&set);
	rules_origin_done(&o);
	return EXIT_OK;
}
