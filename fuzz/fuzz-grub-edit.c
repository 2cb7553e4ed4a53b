/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the /etc/default/grub editor. For any input it either
 * refuses, or gives a text that (1) an immediate second edit leaves as it
 * is, (2) leaves every other variable the evaluator can read unchanged,
 * and (3) the removal edit takes back to the same other variables.
 * A violation aborts, which the fuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide/grub-edit.h"
#include "facts/shellvars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct kop add[] = {
	{ KOP_ENSURE, "intel_iommu", "on" },
	{ KOP_ENSURE, "iommu", "pt" },
	{ KOP_ENSURE, "vfio-pci.ids", "8086:1572" },
};
static const struct kop del[] = {
	{ KOP_REMOVE, "intel_iommu", "on" },
	{ KOP_REMOVE, "iommu", "pt" },
	{ KOP_REMOVE, "vfio-pci.ids", "8086:1572" },
};

static void same_others(const char *a, size_t alen, const char *b, size_t blen)
{
	struct shenv ea = {}, eb = {};

	if (shenv_source(&ea, a, alen, "a") >= 0 && shenv_source(&eb, b, blen, "b") >= 0)
		for (size_t i = 0; i < ea.n; i++) {
			const struct shvar *va = &ea.vars[i], *vb;

			if (strcmp(va->name, "GRUB_CMDLINE_LINUX") == 0 || !va->known)
				continue;
			vb = shenv_get(&eb, va->name);
			if (!vb || !vb->known)
				abort();
			if ((va->value == NULL) != (vb->value == NULL) ||
			    (va->value && strcmp(va->value, vb->value) != 0))
				abort();
		}
	shenv_done(&ea);
	shenv_done(&eb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, *again = NULL, *back = NULL;
	size_t olen, alen, blen;
	struct file_error err;

	if (grub_edit((const char *)data, size, "fuzz", "GRUB_CMDLINE_LINUX", add, 3, &out, &olen,
		      &err) < 0)
		return 0;
	if (grub_edit(out, olen, "fuzz", "GRUB_CMDLINE_LINUX", add, 3, &again, &alen, &err) < 0 ||
	    alen != olen || memcmp(again, out, olen) != 0)
		abort();
	same_others((const char *)data, size, out, olen);
	if (grub_edit(out, olen, "fuzz", "GRUB_CMDLINE_LINUX", del, 3, &back, &blen, &err) >= 0)
		same_others((const char *)data, size, back, blen);
	free(out);
	free(again);
	free(back);
	return 0;
}
