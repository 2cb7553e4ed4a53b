/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "checks.h"
#include "json.h"

/* Aligned "label : LEVEL  summary" lines with hints, then the verdict. */
void report_print_text(FILE *f, const struct check_report *r, bool color, bool quiet);
void report_print_json(struct json *j, const struct host *h, const struct check_report *r);

/* Colour on a terminal only, and never when NO_COLOR is set (no-color.org). */
bool report_use_color(int fd);
