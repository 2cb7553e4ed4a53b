/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The other places a kernel command line lives, edited with the same
 * parameter semantics (kparams.c). Pure: text in, text out; -EINVAL with
 * error filled when the edit cannot be made with certainty.
 *
 * Which of them apply on which distribution is decided in decide/plan.c
 * (docs: RHEL 8 kernelopts in grubenv; RHEL 9+/Fedora BLS options and
 * /etc/kernel/cmdline; systemd-boot and Proxmox /etc/kernel/cmdline).
 */

#include <stdbool.h>
#include <stddef.h>

#include "decide/kparams.h"

/* A BLS entry's keys (a .conf file in boot/loader/entries): the one reader
 * of them; "options" lines add up. */
struct bls_keys {
	char version[256], linux_path[512];
	const char *opt[8]; /* the options lines' values, in the text */
	size_t opt_len[8];
	size_t n_opt;
	unsigned first_line;
};
void bls_read(const char *text, size_t len, struct bls_keys *k);
/* Is the entry (its version and linux keys) for kernel kver? */
bool bls_is_for(const char *version, const char *linux_path, const char *kver);
/* Its options lines joined, $name and ${name} expanded from grubenv (text,
 * len; NULL: none) as GRUB's blscfg does (an unset one is empty); *unknown
 * when $kernelopts is unset. NULL when memory runs out. */
char *bls_options_expand(const struct bls_keys *k, const char *grubenv, size_t grubenv_len,
			 bool *unknown);

/* A BLS entry: its "options" line. */
int bls_entry_edit(const char *text, const struct kop *ops, size_t m, char **ret, char *error,
		   size_t error_size);
/* Does the entry take its options from grubenv ($kernelopts, RHEL 8)? */
int bls_entry_uses_kernelopts(const char *text);

/* grubenv: the kernelopts variable, keeping the 1024-byte block that
 * grub2-editenv writes (refused when the result would not fit). */
int grubenv_edit(const char *text, size_t len, const struct kop *ops, size_t m, char **ret,
		 size_t *ret_len, char *error, size_t error_size);

/* /etc/kernel/cmdline: its first line. */
int kernel_cmdline_edit(const char *text, const struct kop *ops, size_t m, char **ret, char *error,
			size_t error_size);

/* The words of a text's command line, for reports: BLS options, grubenv
 * kernelopts, or the first line. NULL when there is none. */
char *bls_entry_options(const char *text);
char *grubenv_get_value(const char *text, size_t len, const char *key);
/* Is the line p[0, len) a GRUB "linux", "linuxefi" or "linux16" command?
 * *args is then the offset of its first word (the kernel image). */
bool grub_linux_command(const char *p, size_t len, size_t *args);
/* Does the '#' padding of a grubenv block start at byte at? It runs to the
 * end; a line that starts with '#' and ends before is a comment
 * (grub-editenv create writes a WARNING line), and variables follow it. */
bool grubenv_at_padding(const char *text, size_t len, size_t at);

/* Unified diff of two texts (3 lines of context), labelled a/PATH and b/PATH. */
char *unified_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen);

/* Is text a GRUB configuration stub (search ...; set prefix=...; configfile
 * ...), as anaconda and grub-install put on the ESP, rather than a generated
 * configuration (menu entries or blscfg)? */
#include <stdbool.h>
bool grub_cfg_is_stub(const char *text);
