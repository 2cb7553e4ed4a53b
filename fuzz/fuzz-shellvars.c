/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the shell-fragment evaluator (/etc/default/grub and its
 * drop-ins), the kernel command-line parser over the values it finds, and the
 * vendor-rules parser over the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide/rules.h"
#include "facts/cmdline.h"
#include "facts/shellvars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shenv env = {};
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (shenv_source(&env, text, size, "fuzz") >= 0) {
		for (size_t i = 0; i < env.n; i++) {
			struct kcmdline c;

			if (env.vars[i].known && env.vars[i].value &&
			    kcmdline_parse(env.vars[i].value, &c) >= 0) {
				free(kcmdline_vfio_ids(&c));
				kcmdline_done(&c);
			}
		}
		(void)shenv_known(&env, "GRUB_CMDLINE_LINUX");
	}
	shenv_done(&env);
	{
		struct rule_set set = {};
		struct file_error err;
		struct rule_host host = { "intel", 6, 85, "6.1.0" };
		struct rule_device dev = { 0x10de, 0x1e87, 0x030000, NULL, false };

		if (rules_parse(text, "fuzz", &set, &err) >= 0)
			for (size_t i = 0; i < set.n; i++) {
				char buf[2048];

				(void)rule_matches(&set.rules[i], &host, &dev, 1, &dev, 1);
				rule_format(&set.rules[i], buf, sizeof(buf));
			}
		rule_set_done(&set);
	}
	free(text);
	return 0;
}
