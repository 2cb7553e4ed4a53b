/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: textsafe. */
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

static const char *safe(bool sgr, const char *in, size_t chunk)
{
	static char out[1024];
	struct textsafe st = { .sgr = sgr };
	size_t len = 0, n = strlen(in);

	/* fed in pieces: a sequence cut between two writes is whole again */
	for (size_t i = 0; i < n; i += chunk)
		textsafe_filter(&st, in + i, n - i < chunk ? n - i : chunk, false, out, &len);
	textsafe_filter(&st, "", 0, true, out, &len);
	out[len] = '\0';
	return out;
}

static void test_textsafe(void)
{
	for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
		CHECK(strcmp(safe(false, "caf\xc3\xa9\tok\n", chunk), "caf\xc3\xa9\tok\n") == 0);
		/* a title change, a carriage return that would forge a line */
		CHECK(strcmp(safe(false, "a\x1b]0;x\x07\rPASS", chunk),
			     "a\\x1b]0;x\\x07\\x0dPASS") == 0);
		/* colour passes only when colours are on, and only colour */
		CHECK(strcmp(safe(true, "\x1b[1;31mFAIL\x1b[0m", chunk), "\x1b[1;31mFAIL\x1b[0m") ==
		      0);
		CHECK(strcmp(safe(false, "\x1b[1;31m", chunk), "\\x1b[1;31m") == 0);
		CHECK(strcmp(safe(true, "\x1b[2J", chunk), "\\x1b[2J") == 0);
		/* C1 (CSI as U+009B), a lone byte, an overlong '/', a surrogate, DEL */
		CHECK(strcmp(safe(false, "\xc2\x9b\xff\xc0\xaf\xed\xa0\x80\x7f", chunk),
			     "\\xc2\\x9b\\xff\\xc0\\xaf\\xed\\xa0\\x80\\x7f") == 0);
		/* a sequence cut by the end of the text */
		CHECK(strcmp(safe(false, "x\xe2\x82", chunk), "x\\xe2\\x82") == 0);
	}
	{
		_cleanup_free_ char *e = text_escape_controls("vfio-pci\nCPU : PASS\t");

		CHECK(e && strcmp(e, "vfio-pci\\x0aCPU : PASS\\x09") == 0);
	}
}

/* ---- json ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_textsafe);
	UNIT_MAIN_END();
}
