/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Edits of a kernel command line as a list of words, with the kernel's own
 * rules (names compare with '-' = '_'); pure. The decision is separate from
 * the text it is applied to: every editor (GRUB defaults, BLS options,
 * grubenv, /etc/kernel/cmdline) tokenises its own bytes, asks
 * kparams_decide() what to do with each word and what to append, and
 * applies that to its own bytes.
 */

#include <stdbool.h>
#include <stddef.h>

enum kop_kind {
	KOP_ENSURE, /* present exactly once with this value (IDs merged, options combined) */
	KOP_REMOVE, /* remove this value (only what was added: IDs and options one by one) */
};

struct kop {
	enum kop_kind kind;
	const char *name;  /* as it should be written when added: "vfio-pci.ids" */
	const char *value; /* NULL: a bare flag */
};

enum kword_action {
	KW_KEEP,
	KW_REPLACE,
	KW_DELETE,
};

struct kword {
	const char *text; /* the word as the kernel sees it, NULL when unknown (an expansion) */
	bool editable;	  /* its bytes can be rewritten */
	/* filled by kparams_decide() */
	enum kword_action action;
	char *replacement; /* with KW_REPLACE */
};

struct kedit {
	char **append; /* words to add at the end, in order */
	size_t n_append;
	bool changed;
	char error[256]; /* why the edit cannot be made with certainty */
};

/*
 * Decides the edits of words[0..n) for ops[0..m). Returns 0, -EINVAL with
 * ret->error when a word that must change cannot be edited (it comes from
 * an expansion), -ENOMEM.
 */
int kparams_decide(struct kword *words, size_t n, const struct kop *ops, size_t m,
		   struct kedit *ret);
void kedit_done(struct kword *words, size_t n, struct kedit *e);

/*
 * A whole command line as plain text ("a b=c ..."): words split as the kernel
 * splits them, edited in place (separators kept), additions appended with one
 * space. For BLS options, grubenv kernelopts and /etc/kernel/cmdline.
 */
int kparams_edit_line(const char *line, const struct kop *ops, size_t m, char **ret, char *error,
		      size_t error_size);

/* The parameters iommu-setup manages, and which ones take comma options. */
bool kparam_is_comma_list(const char *name);
/* ... or either of those or vfio-pci.ids: values are comma-separated sets */
bool kparam_takes_list(const char *name);
