/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: sources FILE... in order with the shellvars evaluator and
 * prints, as JSON, what it knows of the variables named by -v NAME (default:
 * the GRUB ones). Used by tests/check-shellvars against the GRUB corpus.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "facts/shellvars.h"
#include "report/json.h"
#include "slurp.h"

int main(int argc, char *argv[])
{
	static const char *const grub_vars[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT",
						 "GRUB_ENABLE_BLSCFG", "GRUB_DISABLE_RECOVERY" };
	struct shenv env = {};
	struct json j;

	for (int i = 1; i < argc; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len;

		if (slurp(argv[i], 1 << 20, &text, &len) < 0) {
			perror(argv[i]);
			return 2;
		}
		if (shenv_source(&env, text, len, argv[i]) < 0)
			return 3;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(grub_vars); i++) {
		const struct shvar *v = shenv_get(&env, grub_vars[i]);

		json_object_begin(&j, grub_vars[i]);
		json_bool(&j, "known", shenv_known(&env, grub_vars[i]));
		json_string(&j, "value", v && v->known ? v->value : NULL);
		json_string(&j, "why",
			    v && !v->known  ? v->why
			    : env.uncertain ? env.uncertain_why
					    : NULL);
		json_uint(&j, "line", v ? v->line : 0);
		json_object_end(&j);
	}
	json_object_end(&j);
	json_finish(&j);
	shenv_done(&env);
	return 0;
}
