/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: grub-edit VAR FILE [+name[=value] | -name[=value]]... runs the
 * /etc/default/grub editor and writes the result to stdout; exit 2 with
 * "file:line: message" on stderr when it refuses. Used by
 * tests/check-grub-editor against the GRUB corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/grub-edit.h"
#include "slurp.h"

int main(int argc, char *argv[])
{
	_cleanup_free_ char *text = NULL, *out = NULL;
	struct kop ops[32];
	struct file_error err = {};
	size_t len, olen, m = 0;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: grub-edit VAR FILE [+name=value|-name=value]...\n");
		return 2;
	}
	if (slurp(argv[2], 1 << 20, &text, &len) < 0) {
		perror(argv[2]);
		return 3;
	}
	for (int i = 3; i < argc && m < ARRAY_SIZE(ops); i++) {
		char *eq = strchr(argv[i] + 1, '=');

		ops[m].kind = argv[i][0] == '-' ? KOP_REMOVE : KOP_ENSURE;
		if (eq)
			*eq = '\0';
		ops[m].name = argv[i] + 1;
		ops[m].value = eq ? eq + 1 : NULL;
		m++;
	}
	r = grub_edit(text, len, argv[2], argv[1], ops, m, &out, &olen, &err);
	if (r == -EINVAL) {
		fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.message);
		return 2;
	}
	if (r < 0)
		return 3;
	fwrite(out, 1, olen, stdout);
	return 0;
}
