/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the /proc/cpuinfo parser and the checks over its result. */
#include <stdlib.h>
#include <string.h>

#include "decide/checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_report r;
	struct host h = { .cpuinfo_found = true };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cpuinfo_parse(text, &h.cpu);
	checks_run(&h, &r);
	checks_done(&r);
	free(text);
	return 0;
}
