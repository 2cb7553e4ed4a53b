/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "base/textsafe.h"

int utf8_sequence(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (n == 0)
		return -1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (i >= n)
			return -1;
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
		/* refuse as early as the second byte tells: overlong, surrogate, too large */
		if (i == 1 && ((len == 3 && s[0] == 0xe0 && s[1] < 0xa0) ||
			       (len == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
			       (len == 4 && s[0] == 0xf0 && s[1] < 0x90) ||
			       (len == 4 && s[0] == 0xf4 && s[1] >= 0x90)))
			return 0;
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return (int)len;
}

static void put_escaped(const unsigned char *s, size_t n, char *out, size_t *len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[(*len)++] = '\\';
		out[(*len)++] = 'x';
		out[(*len)++] = hex[s[i] >> 4];
		out[(*len)++] = hex[s[i] & 15];
	}
}

/* ESC [ [0-9;]* m: its length, 0 if the bytes are not one, -1 if unfinished */
static int sgr_sequence(const unsigned char *s, size_t n)
{
	size_t i;

	if (n < 2)
		return -1;
	if (s[1] != '[')
		return 0;
	for (i = 2; i < n && i < 24; i++) {
		if (s[i] == 'm')
			return (int)i + 1;
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != ';')
			return 0;
	}
	return i < 24 ? -1 : 0;
}

void textsafe_filter(struct textsafe *st, const char *in, size_t n, bool final, char *out,
		     size_t *out_len)
{
	unsigned char buf[sizeof(st->pend) + 256];
	size_t used = 0;

	out += *out_len;
	/* the held bytes first, then the new ones, a buffer at a time */
	while (st->n_pend || n) {
		size_t take = n < sizeof(buf) - st->n_pend ? n : sizeof(buf) - st->n_pend;
		size_t have = st->n_pend + take, i = 0;
		bool more = n > take || !final;

		memcpy(buf, st->pend, st->n_pend);
		memcpy(buf + st->n_pend, in, take);
		in += take;
		n -= take;
		st->n_pend = 0;
		while (i < have) {
			unsigned char c = buf[i];
			uint32_t cp;
			int k;

			if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
				out[used++] = (char)c;
				i++;
				continue;
			}
			if (c == 0x1b && st->sgr) {
				k = sgr_sequence(buf + i, have - i);
				if (k < 0 && more && have - i <= sizeof(st->pend))
					break; /* unfinished: wait for the rest */
				if (k > 0) {
					memcpy(out + used, buf + i, (size_t)k);
					used += (size_t)k;
					i += (size_t)k;
					continue;
				}
			}
			if (c < 0x80) {
				put_escaped(buf + i, 1, out, &used);
				i++;
				continue;
			}
			k = utf8_sequence(buf + i, have - i, &cp);
			if (k < 0 && more)
				break;
			if (k <= 0) {
				put_escaped(buf + i, 1, out, &used);
				i++;
			} else if (cp >= 0x80 && cp <= 0x9f) {
				put_escaped(buf + i, (size_t)k, out, &used);
				i += (size_t)k;
			} else {
				memcpy(out + used, buf + i, (size_t)k);
				used += (size_t)k;
				i += (size_t)k;
			}
		}
		/* what is left is an unfinished sequence (at most 4 or 24 bytes) */
		memcpy(st->pend, buf + i, have - i);
		st->n_pend = have - i;
		if (!n)
			break;
	}
	*out_len += used;
}

char *text_escape_controls(const char *s)
{
	size_t n = 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		n += (unsigned char)*p < 0x20 || *p == 0x7f ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *p = s; *p; p++) {
		size_t len = 0;

		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			put_escaped((const unsigned char *)p, 1, o, &len);
			o += len;
		} else
			*o++ = *p;
	}
	*o = '\0';
	return out;
}
