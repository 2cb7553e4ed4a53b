/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Editing the kernel command line in /etc/default/grub (or a drop-in), a
 * shell fragment that grub-mkconfig sources. Only the bytes of the target
 * variable's last assignment change: comments, other variables, quoting
 * style, $(...) and $VAR expansions, line continuations, CRLF and a missing
 * final newline are kept. Pure: text in, text out.
 */

#include <stddef.h>

#include "base/file-error.h"
#include "decide/kparams.h"

/*
 * Applies ops to variable var of text (named file in messages). *ret gets
 * the new text (NUL-terminated, *ret_len bytes), equal to text when nothing
 * needs to change. -EINVAL with err filled when the file cannot be edited
 * with certainty; nothing is returned then.
 */
int grub_edit(const char *text, size_t len, const char *file, const char *var,
	      const struct kop *ops, size_t m, char **ret, size_t *ret_len, struct file_error *err);

/* The kernel words of variable var's last assignment in text, as the editor
 * sees them: text NULL for a word made by an expansion (self_ref: exactly
 * $var or ${var}, the value the assignment appends to). *ret_n is 0 when
 * the file does not assign var. -EINVAL with err when it cannot be read
 * with certainty. */
#include <stdbool.h>
struct gword {
	char *text;
	bool editable;
	bool self_ref;
};
int grub_var_words(const char *text, size_t len, const char *file, const char *var,
		   struct gword **ret, size_t *ret_n, struct file_error *err);
void gwords_free(struct gword *w, size_t n);
