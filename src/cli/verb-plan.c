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

#include "base/macro.h"
#include "cli/apply.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/plan.h"
#include "gather/host.h"
#include "gather/plan-input.h"
#include "report/json.h"
#include "report/report.h"

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

int detailed_exit(bool changes, bool reboot, bool fw_blocks)
{
	return fw_blocks ? EXIT_FIRMWARE
	       : changes ? EXIT_CHANGES
	       : reboot	 ? EXIT_REBOOT_PENDING
			 : EXIT_OK;
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
		.all_kernels = ctx->all_kernels,
		.for_apply = for_apply,
		.hardware = (enum plan_hardware)ctx->hardware,
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
		ctx->failure_code = err.code;
		return err.code && ctx->exit_code ? EXIT_REFUSED : EXIT_BAD_INPUT;
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

/* The file's change as a unified diff patch(1) applies (a created file comes
 * from /dev/null); NULL when unchanged or out of memory. */
char *planned_file_diff(const struct planned_file *f)
{
	char *diff = unified_diff(f->path, f->old, f->old_len, f->new, f->new_len);
	char *nl, *d = NULL;

	if (!diff || !f->created)
		return diff;
	nl = strchr(diff, '\n');
	if (asprintf(&d, "--- /dev/null%s", nl ? nl : "\n") < 0)
		d = NULL;
	free(diff);
	return d;
}

void commands_json(struct json *j, const struct plan_command *c, bool with_status, int status)
{
	json_object_begin(j, NULL);
	json_string(j, "command", c->line);
	json_array_begin(j, "argv");
	for (unsigned k = 0; k < c->argc; k++)
		json_string(j, NULL, c->args[k]);
	json_array_end(j);
	json_string(j, "kind", command_kind_name(c->kind));
	if (with_status)
		json_int(j, "status", status);
	else
		json_string(j, "why", c->why);
	json_object_end(j);
}

/* plan --trial: p turned into the trial's files; *verdict says whether */
int plan_for_trial(struct context *ctx, const struct plan_input *in, struct plan *p,
		   struct trial_files *t, enum grub_trial_verdict *verdict)
{
	const struct plan_command *bootcfg = NULL;
	struct file_error err;
	int r;

	for (size_t i = 0; i < p->n_commands; i++)
		if (p->commands[i].kind == CMD_BOOTCFG && p->commands[i].output[0])
			bootcfg = &p->commands[i];
	if ((in->host.boot.loader == LOADER_GRUB || in->host.boot.loader == LOADER_GRUB_BLS) &&
	    !bootcfg) {
		log_error("--trial: no grub.cfg is regenerated here (--no-mkconfig, or no "
			  "grub-mkconfig below the root)");
		return EXIT_BAD_INPUT;
	}
	r = trial_files_gather(ctx->root, bootcfg ? bootcfg->output : NULL, t, &err);
	if (r == -EINVAL || (r < 0 && err.message[0])) {
		log_file_error(&err);
		return r == -EINVAL ? EXIT_BAD_INPUT : exit_for_error(r);
	}
	if (r < 0) {
		log_root_error(ctx->root, r, "Failed to read the boot loader's files");
		return exit_for_error(r);
	}
	r = plan_trial(in, p, t, verdict, &err);
	if (r == -EINVAL) {
		log_file_error(&err);
		return EXIT_BAD_INPUT;
	}
	if (r < 0)
		return exit_for_error(r);
	if (*verdict != GRUB_TRIAL_POSSIBLE) {
		log_error("--trial: not possible here: %s", report_trial_reason(*verdict));
		ctx->failure_code = err.code;
		return ctx->exit_code ? EXIT_REFUSED : EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

static void render_json(const struct plan_input *in, const struct plan *p, bool pending,
			bool fw_blocks, bool trial)
{
	_cleanup_free_ char *msg = NULL;
	struct json j;

	if (asprintf(&msg, "%s%s%s", p->incomplete ? "INCOMPLETE (no vendor rules): " : "",
		     pending ? "changes pending: apply would change the files in \"diff\" and run "
			       "the commands in \"commands\""
			     : "nothing to change: the configuration is already as planned",
		     p->reboot_required ? "; reboot required" : "") < 0)
		msg = NULL;
	json_init(&j, stdout);
	report_json_begin(&j, "plan", pending, false, msg ? msg : "plan");
	json_bool(&j, "reboot_required", p->reboot_required);
	json_bool(&j, "firmware_blocker", fw_blocks);
	json_string(&j, "loader", loader_to_string(in->host.boot.loader));
	json_bool(&j, "incomplete", p->incomplete);
	json_string(&j, "hardware", plan_hardware_to_string(p->hardware));
	json_bool(&j, "hardware_unverified", p->hardware_unverified);
	if (trial) {
		json_object_begin(&j, "trial");
		json_string(&j, "verdict", grub_trial_verdict_to_string(GRUB_TRIAL_POSSIBLE));
		json_string(&j, "entry", GRUB_TRIAL_ID);
		json_object_end(&j);
	}
	json_array_begin(&j, "parameters");
	for (size_t i = 0; i < p->n_params; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "action", kop_kind_to_string(p->params[i].op.kind));
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
		bool changed = planned_file_changed(f);

		json_object_begin(&j, NULL);
		json_string(&j, "path", f->path);
		json_string(&j, "holds", f->what);
		json_bool(&j, "changed", changed);
		json_string(&j, "action",
			    !changed	 ? "unchanged"
			    : f->created ? "created"
					 : "changed");
		words_json(&j, "old_parameters", o);
		words_json(&j, "new_parameters", n);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "diff");
	for (size_t i = 0; i < p->n_files; i++) {
		_cleanup_free_ char *d = NULL;

		if (!planned_file_changed(&p->files[i]))
			continue;
		d = planned_file_diff(&p->files[i]);
		json_object_begin(&j, NULL);
		json_string(&j, "path", p->files[i].path);
		json_string(&j, "unified", d);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "commands");
	for (size_t i = 0; i < p->n_commands; i++)
		if (plan_command_needed(p, &p->commands[i]))
			commands_json(&j, &p->commands[i], false, 0);
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
}

static void render_text(const struct plan_input *in, const struct plan *p, bool pending, bool trial)
{
	if (trial)
		printf("Trial boot: %s. The default entry and the GRUB defaults stay as they "
		       "are; `apply --trial` writes it, and `commit` in the trial boot makes it "
		       "permanent.\n\n",
		       report_trial_reason(GRUB_TRIAL_POSSIBLE));
	/* the hardware may be the build host's: first, before anything it decided */
	if (p->hardware_unverified)
		printf("%s\n\n", p->hardware_warning);
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
	if (p->n_notes > (p->hardware_unverified ? 1u : 0u)) {
		printf("\nNotes:\n");
		for (size_t i = 0; i < p->n_notes; i++)
			if (!p->hardware_unverified ||
			    strcmp(p->notes[i], p->hardware_warning) != 0)
				printf("  %s\n", p->notes[i]);
	}
	{
		bool cmdline = false;

		for (size_t i = 0; i < p->n_files; i++)
			cmdline |= planned_file_is_cmdline(&p->files[i]);
		if (p->n_params && !cmdline && !trial)
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
		diff = planned_file_diff(f);
		if (diff)
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
	       trial	 ? "Nothing was changed."
	       : pending ? "Nothing was changed: `iommu-setup apply` would make these changes."
			 : "Nothing to change: the configuration is already as planned.",
	       p->reboot_required ? "\nReboot required: the running system does not have "
				    "this configuration yet."
				  : "");
}

int verb_plan(struct context *ctx)
{
	static struct plan p;
	static struct plan_input in;
	struct trial_files t = {};
	enum grub_trial_verdict verdict = GRUB_TRIAL_POSSIBLE;
	bool pending, fw_blocks;
	int ret;

	if (ctx->n_args > 0) {
		log_error("plan takes options, not \"%s\" (see --help)", ctx->args[0]);
		return EXIT_BAD_INPUT;
	}
	ret = plan_for_request(ctx, false, &in, &p);
	if (ret == EXIT_OK && ctx->trial)
		ret = plan_for_trial(ctx, &in, &p, &t, &verdict);
	trial_files_done(&t);
	if (ret != EXIT_OK) {
		plan_done(&p);
		plan_input_done(&in);
		return ret;
	}
	pending = plan_pending(&p);
	fw_blocks = plan_firmware_blocks(&in, &p);
	if (ctx->json)
		render_json(&in, &p, pending, fw_blocks, ctx->trial);
	else
		render_text(&in, &p, pending, ctx->trial);
	if (ctx->exit_code)
		ret = detailed_exit(pending, p.reboot_required, fw_blocks);
	plan_done(&p);
	plan_input_done(&in);
	return ret;
}
