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

#include "facts/cmdline.h"

enum kop_kind {
	KOP_ENSURE, /* present exactly once with this value (IDs merged, options combined) */
	KOP_REMOVE, /* remove this value (only what was added: IDs and options one by one) */
	KOP_SET,    /* present exactly once with exactly this value (vfio-pci.ids: these devices) */
	KOP_CORRECT, /* where present: exactly once with exactly this value; absent is fine */
	KOP_DROP,    /* absent, whatever its value */
	_KOP_KIND_MAX,
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

/*
 * Does the command line c hold what op asks for? The rule every plan,
 * read-back and drift report judges by:
 *  - KOP_ENSURE: a parameter taking comma options (intel_iommu) has each of
 *    op's options exactly once over all its occurrences and none of their
 *    opposites (on/off); any other parameter occurs exactly once, with
 *    op's value (vfio-pci.ids: the same IDs);
 *  - KOP_SET: exactly once, with op's value (IDs as a set); KOP_CORRECT the
 *    same, or absent;
 *  - KOP_REMOVE: no occurrence with op's value (with comma options: none
 *    holds any of its options); KOP_DROP: no occurrence at all.
 * lenient (GRUB's recovery entries, which get GRUB_CMDLINE_LINUX alone):
 * absent is fine, twice or a conflicting value is not. When it does not
 * hold, why (if not NULL) says what is wrong, for people.
 */
bool kline_satisfies(const struct kcmdline *c, const struct kop *op, bool lenient, char *why,
		     size_t n);
/* The options of comma-list parameters that contradict item (on/off), or NULL. */
const char *kparam_opposite(const char *name, const char *item);
const char *kop_kind_to_string(enum kop_kind k);

/* The parameters iommu-setup manages, and which ones take comma options. */
bool kparam_is_comma_list(const char *name);
/* ... or either of those or vfio-pci.ids: values are comma-separated sets */
bool kparam_takes_list(const char *name);
