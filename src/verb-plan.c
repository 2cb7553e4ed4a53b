/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * plan [REQUEST]: what apply would write (the kernel command line,
 * modprobe.d, the initramfs configuration) as unified diffs, and the
 * commands it would run, each decision explained by the vendor rule or fact
 * behind it; nothing is written (plan.c decides, this file renders).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg-edit.h"
#include "host.h"
#include "iommu-setup.h"
#include "json.h"
#include "log.h"
#include "macro.h"
#include "plan.h"

static void print_words(const char *label, const char *line)
{
	printf("  %-8s %s\n", label, line && *line ? line : "(none)");
}

/* a command line's parameters as a JSON array of "name=value" words; null without one */
static void words_json(struct json *j, const char *key, const char *line)
{
	struct kcmdline c;

	if (!line || kcmdline_parse(line, &c) < 0) {
		json_null(j, key);
		return;
	}
	json_array_begin(j, key);
	for (size_t k = 0; k < c.n; k++) {
		char w[1200];

		snprintf(w, sizeof(w), "%s%s%s", c.params[k].name, c.params[k].value ? "=" : "",
			 c.params[k].value ? c.params[k].value : "");
		json_string(j, NULL, w);
	}
	json_array_end(j);
	kcmdline_done(&c);
}

/* gathers the host and builds the plan; an exit status */
int plan_for_request(struct context *ctx, bool for_apply, struct host *h, struct plan *p)
{
	struct plan_request req = {
		.initramfs = ctx->initramfs,
		.no_mkconfig = ctx->no_mkconfig,
		.no_initramfs = ctx->no_initramfs,
		.for_apply = for_apply,
	};
	int r;

	r = host_gather(ctx->root_fd, ctx->root, ctx->kernel, h);
	if (r == -ENOENT) {
		log_error("--kernel %s: no such kernel below the root", ctx->kernel);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to read the host: %m");
		return EXIT_SYSTEM;
	}
	return plan_build(ctx, &req, h, p);
}

int verb_plan(struct context *ctx)
{
	static struct plan p;
	struct host h;
	bool pending;
	int ret;

	if (ctx->n_args > 0) {
		log_error("plan takes options, not \"%s\" (see --help)", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	ret = plan_for_request(ctx, false, &h, &p);
	if (ret != EXIT_OK) {
		host_done(&h);
		return ret;
	}
	pending = plan_pending(&p);

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "loader", loader_to_string(h.boot.loader));
		json_array_begin(&j, "parameters");
		for (size_t i = 0; i < p.n_params; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "action",
				    p.params[i].op.kind == KOP_REMOVE ? "remove" : "ensure");
			json_string(&j, "name", p.params[i].op.name);
			json_string(&j, "value", p.params[i].op.value);
			json_string(&j, "why", p.params[i].why);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "devices");
		for (size_t i = 0; i < p.n_devs; i++) {
			char id[16];

			json_object_begin(&j, NULL);
			json_string(&j, "address", p.devs[i].addr);
			snprintf(id, sizeof(id), "%04x:%04x", p.devs[i].vendor, p.devs[i].device);
			json_string(&j, "id", id);
			json_string(&j, "why", p.devs[i].why);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "notes");
		for (size_t i = 0; i < p.n_notes; i++)
			json_string(&j, NULL, p.notes[i]);
		json_array_end(&j);
		json_string(&j, "modprobe", p.modprobe[0] ? p.modprobe : NULL);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < p.n_files; i++) {
			struct planned_file *f = &p.files[i];
			_cleanup_free_ char *o = planned_file_cmdline(f, false),
					    *n = planned_file_cmdline(f, true);
			bool changed =
				f->old_len != f->new_len || memcmp(f->old, f->new, f->old_len) != 0;

			json_object_begin(&j, NULL);
			json_string(&j, "path", f->path);
			json_string(&j, "holds", f->what);
			json_bool(&j, "changed", changed);
			words_json(&j, "old_parameters", o);
			words_json(&j, "new_parameters", n);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "commands");
		for (size_t i = 0; i < p.n_commands; i++) {
			if (!plan_command_needed(&p, &p.commands[i]))
				continue;
			json_object_begin(&j, NULL);
			json_string(&j, "command", p.commands[i].line);
			json_string(&j, "why", p.commands[i].why);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_bool(&j, "reboot_required", pending && p.reboot_required);
		json_bool(&j, "changes_pending", pending);
		json_object_end(&j);
		json_finish(&j);
	} else {
		if (p.n_devs) {
			printf("Devices for vfio-pci:\n");
			for (size_t i = 0; i < p.n_devs; i++)
				printf("  %s %04x:%04x (%s)\n", p.devs[i].addr, p.devs[i].vendor,
				       p.devs[i].device, p.devs[i].why);
			putchar('\n');
		}
		printf("Kernel parameters (%s):%s\n", loader_to_string(h.boot.loader),
		       p.n_params ? "" : " none to change");
		for (size_t i = 0; i < p.n_params; i++)
			printf("  %s%s%s%s\n      %s\n",
			       p.params[i].op.kind == KOP_REMOVE ? "remove " : "",
			       p.params[i].op.name, p.params[i].op.value ? "=" : "",
			       p.params[i].op.value ? p.params[i].op.value : "", p.params[i].why);
		if (p.n_notes) {
			printf("\nNotes:\n");
			for (size_t i = 0; i < p.n_notes; i++)
				printf("  %s\n", p.notes[i]);
		}
		for (size_t i = 0; i < p.n_files; i++) {
			struct planned_file *f = &p.files[i];
			_cleanup_free_ char *o = NULL, *n = NULL, *diff = NULL;

			putchar('\n');
			if (f->old_len == f->new_len && memcmp(f->old, f->new, f->old_len) == 0) {
				printf("%s (%s): no change needed\n", f->path, f->what);
				continue;
			}
			printf("%s (%s%s):\n", f->path, f->what, f->created ? ", a new file" : "");
			if (planned_file_is_cmdline(f)) {
				o = planned_file_cmdline(f, false);
				n = planned_file_cmdline(f, true);
				print_words("before:", o);
				print_words("after:", n);
			}
			diff = unified_diff(f->path, f->old, f->old_len, f->new, f->new_len);
			if (diff && f->created) {
				/* patch(1) creates a file from /dev/null */
				char *nl = strchr(diff, '\n');

				printf("--- /dev/null%s", nl ? nl : "\n");
			} else if (diff)
				fputs(diff, stdout);
		}
		if (pending) {
			bool first = true;

			for (size_t i = 0; i < p.n_commands; i++) {
				if (!plan_command_needed(&p, &p.commands[i]))
					continue;
				printf("%s  %s\n      %s\n", first ? "\nThen apply runs:\n" : "",
				       p.commands[i].line, p.commands[i].why);
				first = false;
			}
		}
		printf("\n%s\n",
		       pending ? "Nothing was changed: `iommu-setup apply` would make these changes."
			       : "Nothing to change: the command line is already as planned.");
	}
	if (pending && ctx->exit_code)
		ret = EXIT_NOT_READY;
	plan_done(&p);
	memset(&p, 0, sizeof(p));
	host_done(&h);
	return ret;
}
