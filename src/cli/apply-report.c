/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What apply and revert did, kept as they go and rendered at the end: the
 * only place their English for the report is made. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/apply.h"
#include "cli/log.h"
#include "decide/bootcfg-edit.h"
#include "report/json.h"
#include "report/report.h"

void outcome_done(struct outcome *o)
{
	for (size_t i = 0; i < o->n_checks; i++)
		free(o->checks[i].text);
	free(o->checks);
	for (size_t i = 0; i < o->n_notes; i++)
		free(o->notes[i]);
	free(o->notes);
	for (size_t i = 0; i < o->n_files; i++)
		free(o->files[i].diff);
	memset(o, 0, sizeof(*o));
}

void outcome_check(struct outcome *o, bool ok, const char *fmt, ...)
{
	void *n = realloc(o->checks, (o->n_checks + 1) * sizeof(*o->checks));
	va_list ap;
	int r;

	if (!n) {
		o->oom = true;
		return;
	}
	o->checks = n;
	va_start(ap, fmt);
	r = vasprintf(&o->checks[o->n_checks].text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		o->oom = true;
		return;
	}
	o->checks[o->n_checks++].ok = ok;
}

void outcome_note(struct outcome *o, const char *fmt, ...)
{
	char **n = realloc(o->notes, (o->n_notes + 1) * sizeof(*n));
	va_list ap;
	int r;

	if (!n) {
		o->oom = true;
		return;
	}
	o->notes = n;
	va_start(ap, fmt);
	r = vasprintf(&n[o->n_notes], fmt, ap);
	va_end(ap);
	if (r < 0)
		o->oom = true;
	else
		o->n_notes++;
}

void outcome_file(struct outcome *o, const char *path, const char *what, const char *action,
		  const char *how, const char *old, size_t old_len, const char *new, size_t new_len)
{
	typeof(o->files[0]) *f;

	/* the plan and the record hold at most PLAN_FILES_MAX files */
	assert(o->n_files < PLAN_FILES_MAX);
	f = &o->files[o->n_files++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->what, sizeof(f->what), "%s", what);
	snprintf(f->how, sizeof(f->how), "%s", how);
	snprintf(f->action, sizeof(f->action), "%s", action);
	f->diff = unified_diff(path, old, old ? old_len : 0, new, new ? new_len : 0);
	if (f->diff && (!old || !new)) {
		/* patch(1)'s way to say created or removed */
		char *nl = strchr(f->diff, '\n'), *d = NULL;

		if (nl && !old && asprintf(&d, "--- /dev/null%s", nl) < 0)
			d = NULL;
		else if (nl && !new &&asprintf(
				       &d, "%.*s+++ /dev/null%s", (int)(nl - f->diff + 1), f->diff,
				       strchr(nl + 1, '\n') ? strchr(nl + 1, '\n') : "\n") < 0)
			d = NULL;
		free(f->diff);
		f->diff = d;
	}
	if (!f->diff)
		o->oom = true;
}

static char *report_msg(const char *verb, const struct outcome *o, bool changed, bool failed,
			bool reboot, const char *nothing)
{
	char *m = NULL;
	int k;

	if (failed && o->rollback_failed)
		k = asprintf(&m,
			     "%s failed and its rollback too: the next run restores the files "
			     "from the journal: %s",
			     verb, log_last_error() ? log_last_error() : "see the messages");
	else if (failed)
		k = asprintf(&m, "%s failed and was rolled back, nothing was changed: %s", verb,
			     log_last_error() ? log_last_error() : "see the messages");
	else if (!changed)
		k = asprintf(&m, "%.*s", (int)strcspn(nothing, "\n"), nothing);
	else
		k = asprintf(&m, "%s %zu file%s, ran %zu command%s%s",
			     strcmp(verb, "revert") != 0 ? "changed" : "reverted", o->n_files,
			     o->n_files == 1 ? "" : "s", o->n_commands,
			     o->n_commands == 1 ? "" : "s", reboot ? "; reboot required" : "");
	return k < 0 ? NULL : m;
}

void apply_report(struct context *ctx, const char *verb, const struct outcome *o, bool changed,
		  bool failed, bool reboot, const char *nothing)
{
	if (ctx->json) {
		_cleanup_free_ char *msg = report_msg(verb, o, changed, failed, reboot, nothing);
		struct json j;

		json_init(&j, stdout);
		report_json_begin(&j, verb, changed, failed, msg ? msg : verb);
		json_bool(&j, "reboot_required", reboot);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < o->n_files; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "path", o->files[i].path);
			json_string(&j, "holds", o->files[i].what);
			json_bool(&j, "changed", true);
			json_string(&j, "action", o->files[i].action);
			json_string(&j, "detail", o->files[i].how);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "diff");
		for (size_t i = 0; i < o->n_files; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "path", o->files[i].path);
			json_string(&j, "unified", o->files[i].diff);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "commands");
		for (size_t i = 0; i < o->n_commands; i++)
			commands_json(&j, &o->commands[i].cmd, true, o->commands[i].status);
		json_array_end(&j);
		json_array_begin(&j, "verified");
		for (size_t i = 0; i < o->n_checks; i++) {
			json_object_begin(&j, NULL);
			json_bool(&j, "ok", o->checks[i].ok);
			json_string(&j, "what", o->checks[i].text);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "notes");
		for (size_t i = 0; i < o->n_notes; i++)
			json_string(&j, NULL, o->notes[i]);
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
		return;
	}
	if (failed)
		return;
	if (!changed) {
		printf("%s\n", nothing);
		return;
	}
	printf("\n%s:\n", strcmp(verb, "revert") != 0 ? "Changed" : "Reverted");
	for (size_t i = 0; i < o->n_files; i++)
		printf("  /%s (%s): %s\n", o->files[i].path, o->files[i].what, o->files[i].how);
	if (o->n_commands) {
		printf("Ran:\n");
		for (size_t i = 0; i < o->n_commands; i++)
			printf("  %s\n", o->commands[i].cmd.line);
	}
	if (o->n_checks) {
		printf("Next boot, read back:\n");
		for (size_t i = 0; i < o->n_checks; i++)
			printf("  %s %s\n", o->checks[i].ok ? "ok  " : "FAIL", o->checks[i].text);
	}
	for (size_t i = 0; i < o->n_notes; i++)
		printf("Note: %s\n", o->notes[i]);
	if (reboot)
		printf("\nReboot required: the running kernel does not have these settings yet.\n");
}

void apply_report_failed(struct context *ctx, const char *verb, struct outcome *o, bool rolled_back)
{
	if (!ctx->json)
		return; /* the error and the rollback were said on stderr */
	/* nothing it wrote is left: no file, no diff */
	for (size_t i = 0; i < o->n_files; i++)
		free(o->files[i].diff);
	o->n_files = 0;
	o->rollback_failed = !rolled_back;
	apply_report(ctx, verb, o, false, true, false, "");
}
