/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * modprobe.d as modprobe reads it (kmod's libkmod-config.c): the files in
 * modprobe's order (a name in etc/modprobe.d hides the same name in
 * run/ and usr/lib/, then every name sorted), each line joined with its
 * backslash continuations, '#' in the first column a comment, module names
 * with '-' read as '_', "options" accumulating in file order and the kernel
 * command line's module.param=value words after every file. Pure: texts
 * in, entries with their file and line out; the effective value of a module
 * parameter is the last one given.
 */

#include <stdbool.h>
#include <stddef.h>

enum modconf_kind {
	MODCONF_OPTIONS,
	MODCONF_SOFTDEP,
	MODCONF_BLACKLIST,
	MODCONF_INSTALL,
	MODCONF_REMOVE,
	MODCONF_ALIAS,
	MODCONF_WEAKDEP,
	_MODCONF_KIND_MAX,
};

struct modconf_entry {
	char *file; /* relative to the root; NULL for the kernel command line */
	unsigned line;
	enum modconf_kind kind;
	char *module; /* normalised: '_' for '-' (for an alias, the alias) */
	char *value;  /* options, "pre: a post: b", the command; NULL for blacklist */
};

struct modconf {
	struct modconf_entry *entries; /* in the order modprobe reads them */
	size_t n;
};

/* Appends the entries of one file (named file in messages). -ENOMEM only:
 * modprobe ignores a malformed line, and so does this. */
int modconf_parse(struct modconf *c, const char *file, const char *text, size_t len);
/* Appends module.param=value words of a kernel command line, as modprobe
 * takes them from /proc/cmdline (after every file). */
int modconf_add_cmdline(struct modconf *c, const char *cmdline);
void modconf_done(struct modconf *c);
/* Appends copies of src's entries to dst. */
int modconf_append(struct modconf *dst, const struct modconf *src);

const char *modconf_kind_to_string(enum modconf_kind k);
/* "vfio-pci" and "vfio_pci" alike */
bool module_name_eq(const char *a, const char *b);

/*
 * The value module's parameter param gets when modprobe loads it: the last
 * "param=value" among its options, malloc'ed (NULL when none or out of
 * memory; "" for a bare "param").
 * *where, when not NULL, gets the entry that set it.
 */
char *modconf_param(const struct modconf *c, const char *module, const char *param,
		    const struct modconf_entry **where);

/* The parameter of one options string, the last occurrence; malloc'ed, NULL
 * when absent (-ENOMEM is not distinguished: callers treat it as absent). */
char *options_param(const char *options, const char *param);
