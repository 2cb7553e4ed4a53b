/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <string.h>

#include "base/textsafe.h"
#include "report/json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void indent(struct json *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void write_escaped(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default: {
			uint32_t cp;
			int k;

			if (c >= 0x20 && c < 0x7f) {
				fputc(c, f);
				break;
			}
			/* valid UTF-8 as it is (but C1 controls and DEL escaped, for a
			 * terminal); a byte that is not UTF-8 as \udcNN, the lone
			 * surrogate PEP 383 (Python's "surrogateescape") reads back as
			 * the byte: the document stays valid UTF-8 whatever the root
			 * put in a string */
			k = c < 0x80 ? 1 : utf8_sequence(p + i, len - i, &cp);
			if (c < 0x80 || (k > 0 && cp <= 0x9f)) {
				fprintf(f, "\\u%04x", c < 0x80 ? c : cp);
				i += (size_t)k - 1;
			} else if (k > 0) {
				fwrite(p + i, 1, (size_t)k, f);
				i += (size_t)k - 1;
			} else
				fprintf(f, "\\udc%02x", c);
		}
		}
	}
	fputc('"', f);
}

static void key(struct json *j, const char *k)
{
	int d = j->depth < JSON_MAX_DEPTH ? j->depth : JSON_MAX_DEPTH - 1;

	if (j->depth > 0) {
		if (j->need_comma[d])
			fputc(',', j->f);
		indent(j);
	}
	j->need_comma[d] = true;
	if (k) {
		write_escaped(j->f, k, strlen(k));
		fputs(": ", j->f);
	}
}

static unsigned documents;

bool json_document_begun(void)
{
	return documents > 0;
}

static void open_container(struct json *j, const char *k, char c)
{
	if (j->depth == 0)
		documents++;
	key(j, k);
	fputc(c, j->f);
	j->depth++;
	if (j->depth < JSON_MAX_DEPTH)
		j->need_comma[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	int d = j->depth < JSON_MAX_DEPTH ? j->depth : JSON_MAX_DEPTH - 1;
	bool had_items = j->need_comma[d];

	j->depth--;
	if (had_items)
		indent(j);
	fputc(c, j->f);
}

void json_object_begin(struct json *j, const char *k)
{
	open_container(j, k, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j, const char *k)
{
	open_container(j, k, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

void json_string_len(struct json *j, const char *k, const char *value, size_t len)
{
	key(j, k);
	write_escaped(j->f, value, len);
}

void json_string(struct json *j, const char *k, const char *value)
{
	if (!value) {
		json_null(j, k);
		return;
	}
	json_string_len(j, k, value, strlen(value));
}

void json_uint(struct json *j, const char *k, uint64_t value)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, value);
}

void json_int(struct json *j, const char *k, int64_t value)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, value);
}

void json_bool(struct json *j, const char *k, bool value)
{
	key(j, k);
	fputs(value ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}

void json_hex64(struct json *j, const char *k, uint64_t value)
{
	key(j, k);
	fprintf(j->f, "\"0x%016" PRIX64 "\"", value);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}
