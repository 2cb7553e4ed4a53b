/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Kernel command lines, split the way the kernel splits them
 * (lib/cmdline.c next_arg(), kernel/params.c parameq()): words separated by
 * white space, double quotes group ("a b" or name="a b") and are removed,
 * "--" ends the kernel's parameters (the rest goes to init). Names compare
 * with '-' and '_' as the same character: vfio-pci.ids is vfio_pci.ids.
 * Pure code.
 */

#include <stdbool.h>
#include <stddef.h>

struct kparam {
	char *name;  /* as written, quotes removed */
	char *value; /* NULL for a bare "name"; "" for "name=" */
};

struct kcmdline {
	struct kparam *params;
	size_t n;
	char *init_args; /* what follows "--", NULL if none */
};

/* The kernel's isspace(): what separates the words of a command line. */
bool kcmdline_is_space(char c);

/*
 * The one word splitter: the next word of text[*pos, len) as next_arg()
 * delimits it (white space ends a word outside double quotes; a quote
 * toggles and stays in the span). The word is text[*start, *pos) after the
 * call; *open_quote (may be NULL) says a quote was left open. false at the
 * end of the text.
 */
bool kcmdline_next_word(const char *text, size_t len, size_t *pos, size_t *start, bool *open_quote);

int kcmdline_parse(const char *text, struct kcmdline *ret);
void kcmdline_done(struct kcmdline *c);

/* parameq(): equal names, '-' and '_' alike */
bool kparam_name_eq(const char *a, const char *b);

/* The last occurrence of name (the kernel and modprobe let the last one win), or NULL. */
const struct kparam *kcmdline_find(const struct kcmdline *c, const char *name);

/*
 * Is the word "name" or "name=value" present? value NULL matches any value
 * and a bare name; a value is compared exactly.
 */
bool kcmdline_has(const struct kcmdline *c, const char *name, const char *value);

/* The comma-separated options of every occurrence of name, in order, without
 * duplicates. Returns a newly allocated string ("" when none). */
char *kcmdline_items(const struct kcmdline *c, const char *name);
/* The same for vfio-pci.ids / vfio_pci.ids. */
char *kcmdline_vfio_ids(const struct kcmdline *c);
