/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * The unit tests' frame: each tests/unit/test-<module>.c is one program
 * that prints "PASS name" or "FAIL name" (with the failed CHECK indented)
 * per test and "unit: N passed, N failed" last; tests/ts/unit/<module>
 * runs it. argv[1], where a test needs data, is tests/data/acpi.
 */
#include <stdbool.h>
#include <stdio.h>

static int n_pass, n_fail;
static bool failed;
static const char *corpus_dir;


#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("    %s: line %d: %s\n", __func__, __LINE__, #cond);                \
			failed = true;                                                             \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void run(const char *name, void (*fn)(void))
{
	failed = false;
	fn();
	if (failed) {
		n_fail++;
		printf("FAIL %s\n", name);
	} else {
		n_pass++;
		printf("PASS %s\n", name);
	}
}
#define RUN(fn) run(#fn, fn)

#define UNIT_MAIN_BEGIN(argc, argv)                                                                \
	corpus_dir = (argc) > 1 ? (argv)[1] : NULL;                                                \
	/* results must reach the runner even when LeakSanitizer ends the process */              \
	setvbuf(stdout, NULL, _IOLBF, 0)

#define UNIT_MAIN_END()                                                                            \
	do {                                                                                       \
		printf("unit: %d passed, %d failed\n", n_pass, n_fail);                           \
		return n_fail ? 1 : 0;                                                             \
	} while (0)
