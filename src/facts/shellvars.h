/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a POSIX shell would have in its variables after sourcing a
 * configuration fragment such as /etc/default/grub — as far as that can be
 * known without running anything. Plain assignments are evaluated, with
 * quotes, escapes, line continuations and $NAME / ${NAME} references to
 * earlier values; anything whose value depends on running code (command
 * substitution, an assignment inside an if or after &&, a function call, a
 * sourced file, bash-only syntax) leaves the variable "unknown", with the
 * line and the reason. Pure code: text in, values out.
 */

#include <stdbool.h>
#include <stddef.h>

struct shvar {
	char *name;
	char *value;	 /* NULL: unset (when known) */
	bool known;	 /* false: the value cannot be determined without running the shell */
	const char *why; /* when !known */
	char *file;	 /* where it was last assigned */
	unsigned line;
	/* the last assignment: its value's raw bytes in that file's text, and whether
	 * an editor may rewrite them (a plain NAME=value at top level, nothing later
	 * that could change the variable) */
	size_t value_start, value_end;
	bool editable;
	const char *edit_why; /* when !editable */
	/* the assignments the value is made of, oldest first: the last one, and
	 * before it those it appends to (NAME="$NAME more", as grub.d drop-ins do) */
	struct shassign {
		char *file;
		unsigned line;
	} * chain;
	size_t n_chain;
};

struct shenv {
	struct shvar *vars;
	size_t n, alloc;
	char **functions;
	size_t n_functions;
	/* from here on, any variable may have been changed by code we do not run */
	bool uncertain;
	const char *uncertain_why;
	char *uncertain_file;
	unsigned uncertain_line;
	/* a quote that never closes: where it opened (0: none) */
	unsigned unterminated_line;
	/* set watch before sourcing: watch_line is where the variable's last value
	 * is used by something else (0: nowhere) */
	const char *watch;
	unsigned watch_line;
};

/* Evaluates text as sourced after whatever env already holds (call it
 * again for each drop-in, in order). file names the text in reasons. */
int shenv_source(struct shenv *env, const char *text, size_t len, const char *file);
void shenv_done(struct shenv *env);

/* The variable, or NULL when it was never assigned. A NULL result while
 * env->uncertain is set means "unknown", not "unset": check shenv_known(). */
const struct shvar *shenv_get(const struct shenv *env, const char *name);
bool shenv_known(const struct shenv *env, const char *name);
