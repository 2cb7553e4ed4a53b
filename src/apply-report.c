/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What apply and revert did, kept as they go and rendered at the end: the
 * only place their English for the report is made. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "json.h"

void outcome_done(struct outcome *o)
{
	for (size_t i = 0; i < o->n_checks; i++)
		free(o->checks[i].text);
	free(o->checks);
	for (size_t i = 0; i < o->n_notes; i++)
		free(o->notes[i]);
	free(o->notes);
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

void outcome_file(struct outcome *o, const char *path, const char *what, const char *how)
{
	if (o->n_files == PLAN_FILES_MAX)
		return;
	snprintf(o->files[o->n_files].path, sizeof(o->files[0].path), "%s", path);
	snprintf(o->files[o->n_files].what, sizeof(o->files[0].what), "%s", what);
	snprintf(o->files[o->n_files].how, sizeof(o->files[0].how), "%s", how);
	o->n_files++;
}

void apply_report(struct context *ctx, const char *verb, const struct outcome *o, bool changed,
		  bool reboot, const char *nothing)
{
	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "command", verb);
		json_bool(&j, "changed", changed);
		json_bool(&j, "reboot_required", reboot);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < o->n_files; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "path", o->files[i].path);
			json_string(&j, "holds", o->files[i].what);
			json_string(&j, "action", o->files[i].how);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "commands");
		for (size_t i = 0; i < o->n_commands; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "command", o->commands[i].line);
			json_int(&j, "status", o->commands[i].status);
			json_object_end(&j);
		}
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
	if (!changed) {
		printf("%s\n", nothing);
		return;
	}
	printf("\n%s:\n", strcmp(verb, "apply") == 0 ? "Changed" : "Reverted");
	for (size_t i = 0; i < o->n_files; i++)
		printf("  /%s (%s): %s\n", o->files[i].path, o->files[i].what, o->files[i].how);
	if (o->n_commands) {
		printf("Ran:\n");
		for (size_t i = 0; i < o->n_commands; i++)
			printf("  %s\n", o->commands[i].line);
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
