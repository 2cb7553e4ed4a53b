/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The next boot's kernel command lines, as the boot tools will assemble them
 * from the sources (sources.h), and the edits that make each of them follow
 * a rule (kparams.h: kline_satisfies). Pure.
 *
 * A line is what one kind of boot entry gets:
 *   - GRUB's normal entries: GRUB_CMDLINE_LINUX then GRUB_CMDLINE_LINUX_DEFAULT,
 *     after etc/default/grub and every drop-in were sourced;
 *   - GRUB's recovery entries: GRUB_CMDLINE_LINUX alone (judged leniently:
 *     a parameter may be absent, never twice or contradicted);
 *   - each BLS entry: its options with grubenv's $variables expanded;
 *   - etc/kernel/cmdline, which kernel-install gives kernels installed later.
 * A line is made of segments, each a place its words are written: the last
 * assignment of a GRUB variable in one file (a drop-in that appends to the
 * variable adds a segment after the one it appends to), a BLS entry's
 * options, grubenv's kernelopts, etc/kernel/cmdline.
 *
 * The planner decides over the effective line: a parameter already right is
 * left where it is, wherever that is; a missing one is added to the line's
 * last segment of its own (GRUB_CMDLINE_LINUX's, the entry's, kernelopts);
 * a wrong value is corrected where it lives; a second occurrence is taken
 * out. Then it reads every line again from the edited texts and refuses the
 * whole edit unless each line follows the rule and kept every other word.
 */

#include <stdbool.h>
#include <stddef.h>

#include "base/file-error.h"
#include "decide/kparams.h"
#include "facts/sources.h"

/* The kernel's command line buffer on x86 (arch/x86/include/asm/setup.h,
 * COMMAND_LINE_SIZE 2048 since Linux 2.6.23), the terminating NUL included;
 * the boot loader's words count. iommu-setup handles x86 hosts only. */
#define COMMAND_LINE_SIZE 2048

struct kword_at {
	char *text; /* NULL: made by an expansion we cannot read */
	bool editable;
	bool self_ref; /* $VAR of the variable itself: the segment before */
};

struct kseg {
	enum file_kind kind;
	const struct src_file *src;
	char var[32]; /* GRUB_CMDLINE_LINUX, "options", "kernelopts", "" (etc/kernel/cmdline) */
	unsigned line;
	bool missing;	 /* not written anywhere yet: an edit creates it */
	bool unreadable; /* err says why */
	struct file_error err;
	struct kword_at *w;
	size_t n;
};

enum kline_kind {
	KLINE_GRUB,	     /* GRUB's normal entries */
	KLINE_GRUB_RECOVERY, /* GRUB's recovery entries */
	KLINE_BLS,	     /* a BLS entry */
	KLINE_KERNEL_CMDLINE,
	_KLINE_KIND_MAX,
};

struct kline {
	enum kline_kind kind;
	const struct src_file *src; /* the BLS entry, etc/kernel/cmdline, etc/default/grub */
	bool lenient;
	struct kline_tok {
		size_t seg, word;
	} * t;
	size_t n_t;
	size_t append; /* the segment that gets new words */
	/* the whole line as the boot tools produce it; NULL when that depends on
	 * code we do not run (command substitution), and the readable words count */
	char *evaluated;
	/* a BLS entry's version and linux path, to tell its kernel */
	char version[256], linux_path[512];
};

struct nextboot {
	struct kseg *seg;
	size_t n_seg;
	struct kline *line;
	size_t n_line;
};

int nextboot_build(const struct boot_sources *s, struct nextboot *ret);
void nextboot_done(struct nextboot *nb);
/* The words of a line: evaluated when known, else the readable ones. */
int kline_cmdline(const struct nextboot *nb, const struct kline *l, struct kcmdline *ret);
/* "GRUB's normal entries (GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT)", a path … */
void kline_describe(const struct kline *l, char *buf, size_t n);
/* Is the line one of kernel kver's? (GRUB's and kernel-install's lines are every kernel's) */
bool kline_is_for(const struct kline *l, const char *kver);

/* What the planner found, for the plan to explain. */
enum nb_finding_kind {
	NB_ALREADY,	 /* the parameter is already as planned there */
	NB_ADDED,	 /* added to the line's own segment */
	NB_CORRECTED,	 /* a wrong value corrected where it lives */
	NB_DUPLICATE,	 /* a second occurrence taken out */
	NB_REMOVED,	 /* a forbidden value taken out */
	NB_CREATED_FILE, /* etc/kernel/cmdline created from the target kernel's entry */
	_NB_FINDING_MAX,
};

struct nb_finding {
	enum nb_finding_kind kind;
	size_t op; /* index into the rule */
	char line[160];
	char where[600]; /* file:line (variable) */
};

struct nb_edit {
	const struct src_file *src;
	enum file_kind kind;
	char what[96]; /* the variables or key edited */
	char *text;    /* the new text */
	size_t len;
	bool created;
};

struct nb_plan {
	struct nb_edit *edits; /* only files whose text changes, in source order */
	size_t n_edits;
	struct nb_finding *findings;
	size_t n_findings;
};

/*
 * The edits of the sources after which every line of s holds the rule ops
 * (kline_satisfies; recovery lines leniently) and every other word it had.
 * kver: the target kernel, whose BLS entry seeds a missing
 * etc/kernel/cmdline when the entries have options of their own.
 * -EINVAL with err when that cannot be done with certainty.
 */
int nextboot_plan(const struct boot_sources *s, const struct kop *rule, size_t m, const char *kver,
		  struct nb_plan *ret, struct file_error *err);
void nb_plan_done(struct nb_plan *p);

/* The words of a line that are not about the parameters of ops, in their
 * order, each followed by a blank (malloc'ed). */
int kline_other_words(const struct nextboot *nb, const struct kline *l, const struct kop *ops,
		      size_t m, char **ret);
/* Which parameters do ops judge, rule and conflicts alike (for the
 * unrelated-words check and for reports). */
bool kop_names(const struct kop *ops, size_t m, const char *name);
