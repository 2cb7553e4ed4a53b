/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* The one line iterator: the lines of a text of known length. Pure. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* One line: where it starts, its length without the '\n', whether a '\n'
 * ended it (the last line may lack one), and its number from 1. */
struct line {
	const char *p;
	size_t len;
	bool nl;
	unsigned no;
};

/*
 * The next line of text[0, len) at *pos, which moves past it; false at the
 * end of the text. Start with *pos = 0 and l zeroed, l->no counts:
 *
 *	struct line l = {};
 *	for (size_t pos = 0; line_next(text, len, &pos, &l);)
 */
static inline bool line_next(const char *text, size_t len, size_t *pos, struct line *l)
{
	const char *eol;

	if (*pos >= len)
		return false;
	l->p = text + *pos;
	eol = memchr(l->p, '\n', len - *pos);
	l->len = eol ? (size_t)(eol - l->p) : len - *pos;
	l->nl = eol != NULL;
	l->no++;
	*pos += l->len + l->nl;
	return true;
}
