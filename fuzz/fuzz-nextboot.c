/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The next-boot planner (nextboot.c) over arbitrary boot configurations: an
 * etc/default/grub, a grub.d drop-in, a BLS entry, a grubenv and an
 * etc/kernel/cmdline, separated in the input by "\n%%\n". For any input the
 * planner refuses, or its edits give every line the planned parameters once
 * (recovery lines: never twice, never contradicted), keep every other word of
 * every line in its order, and leave nothing to change when planned again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/nextboot.h"

static const struct kop ops[] = {
	{ KOP_ENSURE, "intel_iommu", "on" },	  { KOP_ENSURE, "iommu", "pt" },
	{ KOP_REMOVE, "iommu.passthrough", "0" }, { KOP_SET, "vfio-pci.ids", "8086:1572" },
	{ KOP_REMOVE, "amd_iommu", "on" },
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static void set(struct src_file *f, const char *path, const char *p, size_t n)
{
	f->path = strdup(path);
	f->text = malloc(n + 1);
	if (!f->path || !f->text)
		abort();
	memcpy(f->text, p, n);
	f->text[n] = '\0';
	f->len = strlen(f->text); /* files are text: a NUL ends what the tools read */
}

/* the words of a line that are not about the rule, in order */
static char *others(const struct nextboot *nb, const struct kline *l)
{
	char *out;

	if (kline_other_words(nb, l, ops, N_OPS, &out) < 0)
		abort();
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "etc/default/grub", "etc/default/grub.d/50.cfg",
					     "boot/loader/entries/x-6.1.conf", "boot/grub2/grubenv",
					     "etc/kernel/cmdline" };
	struct boot_sources s = { .grub_entries = true }, e = { .grub_entries = true };
	struct src_file parts[5] = {};
	struct nb_plan p, again;
	struct nextboot before, after;
	struct file_error err;
	const char *d = (const char *)data, *end = d + size;
	size_t n = 0, created = 0;

	if (size > 16384)
		return 0;
	while (n < 5) {
		const char *sep = memmem(d, (size_t)(end - d), "\n%%\n", 4);
		const char *stop = sep ? sep : end;

		set(&parts[n], paths[n], d, (size_t)(stop - d));
		n++;
		if (!sep)
			break;
		d = sep + 4;
	}
	s.grub = parts[0];
	if (n > 1) {
		s.dropins = &parts[1];
		s.n_dropins = 1;
	}
	if (n > 2) {
		s.bls = &parts[2];
		s.n_bls = 1;
	}
	if (n > 3)
		s.grubenv = parts[3];
	if (n > 4)
		s.kernel_cmdline = parts[4];
	else
		s.kernel_cmdline.path = (char *)paths[4];

	if (nextboot_plan(&s, ops, N_OPS, "6.1", &p, &err) < 0)
		goto out;
	/* the edited configuration, read again from scratch */
	e = s;
	e.dropins = n > 1 ? malloc(sizeof(*e.dropins)) : NULL;
	e.bls = n > 2 ? malloc(sizeof(*e.bls)) : NULL;
	if ((n > 1 && !e.dropins) || (n > 2 && !e.bls))
		abort();
	if (n > 1)
		e.dropins[0] = parts[1];
	if (n > 2)
		e.bls[0] = parts[2];
	for (size_t i = 0; i < p.n_edits; i++) {
		const struct src_file *o = p.edits[i].src;
		struct src_file *t = o == &s.grub      ? &e.grub
				     : o == s.dropins  ? &e.dropins[0]
				     : o == s.bls      ? &e.bls[0]
				     : o == &s.grubenv ? &e.grubenv
						       : &e.kernel_cmdline;

		t->text = p.edits[i].text;
		t->len = p.edits[i].len;
		created += p.edits[i].created;
		if (!t->path)
			t->path = (char *)o->path;
	}
	if (nextboot_build(&s, &before) < 0 || nextboot_build(&e, &after) < 0)
		abort();
	for (size_t i = 0; i < after.n_line; i++) {
		struct kcmdline c;
		char *o1, *o2;

		if (kline_cmdline(&after, &after.line[i], &c) < 0)
			abort();
		for (size_t k = 0; k < N_OPS; k++)
			if (!kline_satisfies(&c, &ops[k], after.line[i].lenient, NULL, 0)) {
				fprintf(stderr, "line %zu breaks op %zu\n", i, k);
				abort();
			}
		kcmdline_done(&c);
		if (i < before.n_line) {
			o1 = others(&before, &before.line[i]);
			o2 = others(&after, &after.line[i]);
			if (strcmp(o1, o2) != 0) {
				fprintf(stderr, "other words: \"%s\" -> \"%s\"\n", o1, o2);
				abort();
			}
			free(o1);
			free(o2);
		}
	}
	if (after.n_line != before.n_line + created)
		abort();
	/* planned again: nothing more to do */
	if (nextboot_plan(&e, ops, N_OPS, "6.1", &again, &err) < 0) {
		fprintf(stderr, "re-plan refused: %s:%u: %s\n", err.file, err.line, err.message);
		abort();
	}
	if (again.n_edits) {
		fprintf(stderr, "re-plan edits %s\n", again.edits[0].src->path);
		abort();
	}
	nb_plan_done(&again);
	nextboot_done(&before);
	nextboot_done(&after);
	free(e.dropins);
	free(e.bls);
	nb_plan_done(&p);
out:
	for (size_t i = 0; i < n; i++)
		src_file_done(&parts[i]);
	return 0;
}
