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

void log_file_error(const struct file_error *err)
{
	if (err->file[0] && err->line)
		log_error("%s:%u: %s", err->file, err->line, err->message);
	else if (err->file[0])
		log_error("%s: %s", err->file, err->message);
	else
		log_error("%s", err->message);
}

int plan_for_request(struct context *ctx, bool for_apply, struct plan_input *in, struct plan *p)
{
	struct plan_request req = {
		.devices = ctx->devices,
		.n_devices = ctx->n_devices,
		.ids = ctx->ids,
		.n_ids = ctx->n_ids,
		.params = ctx->params,
		.n_params = ctx->n_params,
		.passthrough = ctx->passthrough	     ? 1
			       : ctx->no_passthrough ? 0
						     : -1,
		.allow_unsafe_interrupts = ctx->allow_unsafe_interrupts,
		.force = ctx->force,
		.initramfs = ctx->initramfs,
		.no_mkconfig = ctx->no_mkconfig,
		.no_initramfs = ctx->no_initramfs,
		.for_apply = for_apply,
	};
	struct file_error err;
	int r;

	r = plan_input_gather(ctx->root, ctx->kernel, in, &err);
	if (r == -EINVAL || (r == -ENOENT && err.message[0])) {
		log_file_error(&err);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		if (err.message[0])
			log_file_error(&err);
		log_root_error(ctx->root, r, "Failed to read the host");
		return exit_for_error(r);
	}
	r = plan_decide(in, &req, p, &err);
	if (r == -EINVAL || r == -ENOENT) {
		log_file_error(&err);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		if (err.message[0]) {
			/* a limit, a file the plan cannot edit with certainty: said there */
			log_file_error(&err);
			return exit_for_error(r);
		}
		log_root_error(ctx->root, r, "Failed to plan");
		return exit_for_error(r);
	}
	return EXIT_OK;
}

static void devs_json(struct json *j, const char *key, const struct plan_dev *d, size_t n)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		char id[16];

		json_object_begin(j, NULL);
		json_string(j, "address", d[i].addr);
		snprintf(id, sizeof(id), "%04x:%04x", d[i].vendor, d[i].device);
		json_string(j, "id", id);
		json_string(j, "why", d[i].why);
		json_object_end(j);
	}
	json_array_end(j);
}

static void render_json(const struct plan_input *in, const struct plan *p, bool pending)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "loader", loader_to_string(in->host.boot.loader));
	json_bool(&j, "incomplete", p->incomplete);
	json_array_begin(&j, "parameters");
	for (size_t i = 0; i < p->n_params; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "action",
			    p->params[i].op.kind == KOP_REMOVE	  ? "remove"
			    : p->params[i].op.kind == KOP_DROP	  ? "drop"
			    : p->params[i].op.kind == KOP_SET	  ? "set"
			    : p->params[i].op.kind == KOP_CORRECT ? "correct"
								  : "ensure");
		json_string(&j, "name", p->params[i].op.name);
		json_string(&j, "value", p->params[i].op.value);
		json_string(&j, "why", p->params[i].why);
		json_object_end(&j);
	}
	json_array_end(&j);
	devs_json(&j, "devices", p->devs, p->n_devs);
	devs_json(&j, "devices_removed", p->removed, p->n_removed);
	json_bool(&j, "by_address", p->by_address);
	json_array_begin(&j, "notes");
	for (size_t i = 0; i < p->n_notes; i++)
		json_string(&j, NULL, p->notes[i]);
	json_array_end(&j);
	json_string(&j, "modprobe", p->modprobe[0] ? p->modprobe : NULL);
	json_array_begin(&j, "files");
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];
		_cleanup_free_ char *o = planned_file_cmdline(f, false),
				    *n = planned_file_cmdline(f, true);

		json_object_begin(&j, NULL);
		json_string(&j, "path", f->path);
		json_string(&j, "holds", f->what);
		json_bool(&j, "changed", planned_file_changed(f));
		words_json(&j, "old_parameters", o);
		words_json(&j, "new_parameters", n);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "commands");
	for (size_t i = 0; i < p->n_commands; i++) {
		if (!plan_command_needed(p, &p->commands[i]))
			continue;
		json_object_begin(&j, NULL);
		json_string(&j, "command", p->commands[i].line);
		json_string(&j, "why", p->commands[i].why);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_bool(&j, "reboot_required", p->reboot_required);
	json_bool(&j, "changes_pending", pending);
	json_object_end(&j);
	json_finish(&j);
}

static void render_text(const struct plan_input *in, const struct plan *p, bool pending)
{
	if (p->n_devs) {
		printf("Devices for vfio-pci%s:\n", p->by_address ? " (bound by address)" : "");
		for (size_t i = 0; i < p->n_devs; i++)
			printf("  %s %04x:%04x (%s)\n", p->devs[i].addr, p->devs[i].vendor,
			       p->devs[i].device, p->devs[i].why);
		putchar('\n');
	}
	if (p->n_removed) {
		printf("No longer for vfio-pci (the request is the set of devices):\n");
		for (size_t i = 0; i < p->n_removed; i++)
			printf("  %s %04x:%04x\n", p->removed[i].addr, p->removed[i].vendor,
			       p->removed[i].device);
		putchar('\n');
	}
	printf("Kernel parameters (%s):%s\n", loader_to_string(in->host.boot.loader),
	       p->n_params ? "" : " none to change");
	for (size_t i = 0; i < p->n_params; i++) {
		const struct kop *op = &p->params[i].op;

		printf("  %s%s%s%s%s\n      %s\n",
		       op->kind == KOP_REMOVE ? "remove "
		       : op->kind == KOP_DROP ? "remove any "
					      : "",
		       op->name, op->value ? "=" : "", op->value ? op->value : "",
		       op->kind == KOP_CORRECT ? " (where it is given)" : "", p->params[i].why);
	}
	if (p->n_notes) {
		printf("\nNotes:\n");
		for (size_t i = 0; i < p->n_notes; i++)
			printf("  %s\n", p->notes[i]);
	}
	{
		bool cmdline = false;

		for (size_t i = 0; i < p->n_files; i++)
			cmdline |= planned_file_is_cmdline(&p->files[i]);
		if (p->n_params && !cmdline)
			printf("\nKernel command line: every boot entry already follows the plan; no "
			       "change needed\n");
	}
	for (size_t i = 0; i < p->n_files; i++) {
		const struct planned_file *f = &p->files[i];
		_cleanup_free_ char *o = NULL, *n = NULL, *diff = NULL;

		putchar('\n');
		if (!planned_file_changed(f)) {
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

		for (size_t i = 0; i < p->n_commands; i++) {
			if (!plan_command_needed(p, &p->commands[i]))
				continue;
			printf("%s  %s\n      %s\n", first ? "\nThen apply runs:\n" : "",
			       p->commands[i].line, p->commands[i].why);
			first = false;
		}
	}
	printf("\n%s%s%s\n", p->incomplete ? "INCOMPLETE (no vendor rules): " : "",
	       pending ? "Nothing was changed: `iommu-setup apply` would make these changes."
		       : "Nothing to change: the configuration is already as planned.",
	       p->reboot_required ? "\nReboot required: the running system does not have "
				    "this configuration yet."
				  : "");
}

int verb_plan(struct context *ctx)
{
	static struct plan p;
	static struct plan_input in;
	bool pending;
	int ret;

	if (ctx->n_args > 0) {
		log_error("plan takes options, not \"%s\" (see --help)", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	ret = plan_for_request(ctx, false, &in, &p);
	if (ret != EXIT_OK) {
		plan_input_done(&in);
		return ret;
	}
	pending = plan_pending(&p);
	if (ctx->json)
		render_json(&in, &p, pending);
	else
		render_text(&in, &p, pending);
	if (pending && ctx->exit_code)
		ret = EXIT_NOT_READY;
	plan_done(&p);
	plan_input_done(&in);
	return ret;
}
