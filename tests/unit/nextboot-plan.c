/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helper: the next-boot planner (nextboot.c) over GRUB files given on
 * the command line, for tests/check-effective-grub.
 *
 *   nextboot-plan OUTDIR GRUB_DEFAULT [DROPIN...] -- OP...
 *
 * OP is +name[=value] (ensure), =name=value (set), -name[=value] (remove),
 * !name (drop). Every file the plan changes is written below OUTDIR under
 * its base name (drop-ins below OUTDIR/grub.d/); each finding is printed as
 * "KIND op-index where". Exit 0, or 2 with "file:line: message" on stderr
 * when the planner refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decide/nextboot.h"
#include "slurp.h"

static const char *const kinds[] = {
	[NB_ALREADY] = "already",     [NB_ADDED] = "added",	[NB_CORRECTED] = "corrected",
	[NB_DUPLICATE] = "duplicate", [NB_REMOVED] = "removed", [NB_CREATED_FILE] = "created",
};

static int load(const char *path, struct src_file *f)
{
	int r;

	*f = (struct src_file){ .path = strdup(path) };
	r = slurp(path, 1u << 20, &f->text, &f->len);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(-r));
	return r;
}

int main(int argc, char **argv)
{
	struct boot_sources s = { .grub_entries = true };
	struct kop ops[32];
	size_t m = 0;
	struct nb_plan p;
	struct file_error err = {};
	const char *out;
	int i = 3, r;

	if (argc < 4) {
		fprintf(stderr, "usage: %s OUTDIR GRUB_DEFAULT [DROPIN...] -- OP...\n", argv[0]);
		return 1;
	}
	out = argv[1];
	if (load(argv[2], &s.grub) < 0)
		return 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		s.dropins = realloc(s.dropins, (s.n_dropins + 1) * sizeof(*s.dropins));
		if (!s.dropins || load(argv[i], &s.dropins[s.n_dropins++]) < 0)
			return 1;
	}
	for (i++; i < argc && m < 32; i++) {
		char *a = argv[i], *eq;

		ops[m].kind = a[0] == '+'   ? KOP_ENSURE
			      : a[0] == '=' ? KOP_SET
			      : a[0] == '-' ? KOP_REMOVE
					    : KOP_DROP;
		eq = strchr(a + 1, '=');
		if (eq)
			*eq = '\0';
		ops[m].name = a + 1;
		ops[m].value = eq ? eq + 1 : NULL;
		m++;
	}
	r = nextboot_plan(&s, ops, m, NULL, &p, &err);
	if (r < 0) {
		if (r == -EINVAL)
			fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.message);
		else
			fprintf(stderr, "error: %s\n", strerror(-r));
		boot_sources_done(&s);
		return r == -EINVAL ? 2 : 1;
	}
	for (size_t k = 0; k < p.n_findings; k++)
		printf("%s %zu %s\n", kinds[p.findings[k].kind], p.findings[k].op,
		       p.findings[k].where);
	for (size_t k = 0; k < p.n_edits; k++) {
		const char *base = strrchr(p.edits[k].src->path, '/');
		char path[4096];
		FILE *f;

		base = base ? base + 1 : p.edits[k].src->path;
		if (p.edits[k].src != &s.grub) {
			snprintf(path, sizeof(path), "%s/grub.d", out);
			mkdir(path, 0755);
			snprintf(path, sizeof(path), "%s/grub.d/%s", out, base);
		} else
			snprintf(path, sizeof(path), "%s/%s", out, base);
		f = fopen(path, "w");
		if (!f || fwrite(p.edits[k].text, 1, p.edits[k].len, f) != p.edits[k].len ||
		    fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	nb_plan_done(&p);
	boot_sources_done(&s);
	return 0;
}
