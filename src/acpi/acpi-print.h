/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "acpi/acpi-dmar.h"
#include "acpi/acpi-ivrs.h"
#include "report/json.h"

/* JSON: the field names and values of the ACPI corpus's expected.json. */
void dmar_print_json(struct json *j, const struct dmar_table *t);
void ivrs_print_json(struct json *j, const struct ivrs_table *t);

/* A summary for administrators: units, segments, interrupt remapping, reserved regions. */
void dmar_print_text(FILE *f, const struct dmar_table *t);
void ivrs_print_text(FILE *f, const struct ivrs_table *t);
