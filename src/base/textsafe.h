/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Text from the root made safe for a terminal and for JSON. Pure.
 *
 * A terminal: every byte that could move the cursor, retitle the window or
 * forge a line is shown escaped: C0 controls but newline and tab (a carriage
 * return too), DEL, C1 controls (U+0080–U+009F, which some terminals obey),
 * ESC except a colour sequence (ESC [ digits and ';' m) when colours are on,
 * and every byte that is not part of valid UTF-8: "\xNN". Valid UTF-8 passes
 * as it is (café stays café).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence at s (n bytes available), 0 if the
 * bytes are not one, or -1 if they could still become one with more bytes.
 * Overlong forms, surrogates and code points above U+10FFFF are not valid.
 * *cp gets the code point. */
int utf8_sequence(const unsigned char *s, size_t n, uint32_t *cp);

struct textsafe {
	bool sgr;		/* colour sequences pass */
	unsigned char pend[32]; /* an unfinished sequence, held for the next bytes */
	size_t n_pend;
};

/*
 * Filters n bytes of in, appending the safe text to out (*out_len bytes
 * used of out_size; out_size must be at least 4 * (n + sizeof(st->pend))).
 * final: no more bytes come, so an unfinished sequence is escaped now.
 */
void textsafe_filter(struct textsafe *st, const char *in, size_t n, bool final, char *out,
		     size_t *out_len);

/* A copy of s with its control characters (newline too) as "\xNN": for a name
 * that is one line by nature (a driver, an interface). NULL on ENOMEM. */
char *text_escape_controls(const char *s);
