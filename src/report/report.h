/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "decide/checks.h"
#include "decide/trial.h"
#include "report/json.h"

/* Aligned "label : LEVEL  summary" lines with hints, then the verdict. */
void report_print_text(FILE *f, const struct check_report *r, bool color, bool quiet);
void report_print_json(struct json *j, const struct host *h, const struct check_report *r);
/* verify: the findings, then each device's verdict */
void report_print_verify_text(FILE *f, const struct check_report *r, bool color, bool quiet);
void report_verify_json(struct json *j, const struct host *h, const struct check_report *r);

/* The version of the --json contract (schema/iommu-setup-1.json); a key that
 * changes meaning or goes away means a new version. */
#define JSON_SCHEMA_ID "iommu-setup/1"
/* Opens a --json document with the keys every verb carries, Ansible's names:
 * schema, verb, changed, failed, msg. The caller adds its own and closes it. */
void report_json_begin(struct json *j, const char *verb, bool changed, bool failed,
		       const char *msg);
/* Only schema and verb, for a verb that knows changed, failed and msg at its end. */
void report_json_open(struct json *j, const char *verb);
/* A reboot is pending: the running kernel lacks the configured settings. */
bool report_reboot_pending(const struct check_report *r);

/* Why a trial boot is not possible (or that it is), and what to do: one
 * sentence for people. */
const char *report_trial_reason(enum grub_trial_verdict v);
