/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: shellvars. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/acpi-dmar.h"
#include "acpi/acpi-ivrs.h"
#include "acpi/acpi-print.h"
#include "base/macro.h"
#include "base/textsafe.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/devices.h"
#include "decide/grub-edit.h"
#include "decide/kparams.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/rules.h"
#include "facts/cmdline.h"
#include "facts/cpuinfo.h"
#include "facts/efi-loadopt.h"
#include "facts/modconf.h"
#include "facts/modules.h"
#include "facts/shellvars.h"
#include "report/json.h"

#include "unit.h"

static void test_shellvars(void)
{
	static const char text[] = "A=1\n"
				   "B=\"$A two\" C='$A' # comment\n"
				   "if true; then D=x; fi\n"
				   "E=$(uname -r)\n"
				   "F=ok; G=\"a \\\n b\"\n"
				   "H=v cmd\n"
				   "true && I=1\n"
				   "J=${A}${B}\n";
	static const char text2[] = "f() { K=in; }\n"
				    "L=before\n"
				    "f\n"
				    "M=after\n"
				    "N=\"$L\"\n";
	_cleanup_(shenv_done) struct shenv env = {};
	const struct shvar *v;

	CHECK(shenv_source(&env, text, strlen(text), "t") == 0);
	v = shenv_get(&env, "B");
	CHECK(v && v->known && strcmp(v->value, "1 two") == 0);
	v = shenv_get(&env, "C");
	CHECK(v && v->known && strcmp(v->value, "$A") == 0);
	v = shenv_get(&env, "D");
	CHECK(v && !v->known && v->line == 3);
	v = shenv_get(&env, "E");
	CHECK(v && !v->known && strstr(v->why, "command substitution"));
	v = shenv_get(&env, "G");
	CHECK(v && v->known && strcmp(v->value, "a  b") == 0 && v->line == 5);
	CHECK(shenv_get(&env, "H") == NULL); /* only the command's environment */
	v = shenv_get(&env, "I");
	CHECK(v && !v->known);
	v = shenv_get(&env, "J");
	CHECK(v && v->known && strcmp(v->value, "11 two") == 0);
	CHECK(shenv_known(&env, "NEVER_SET") && !shenv_get(&env, "NEVER_SET"));

	/* calling f() may have changed anything before it, not what follows */
	CHECK(shenv_source(&env, text2, strlen(text2), "t2") == 0);
	v = shenv_get(&env, "B");
	CHECK(v && !v->known);
	v = shenv_get(&env, "L");
	CHECK(v && !v->known);
	v = shenv_get(&env, "M");
	CHECK(v && v->known && strcmp(v->value, "after") == 0);
	v = shenv_get(&env, "N");
	CHECK(v && !v->known);
	CHECK(!shenv_known(&env, "NEVER_SET"));
}

/* ---- cpuinfo ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_shellvars);
	UNIT_MAIN_END();
}
