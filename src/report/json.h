/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A minimal streaming JSON writer, output only. Valid UTF-8 is written as it
 * is; control characters (C0, DEL, C1) become \u00XX escapes and a byte that
 * is not UTF-8 becomes \udcNN (Python's "surrogateescape"), so the document
 * is valid UTF-8 whatever the root put into a string. Keys are NULL inside
 * arrays.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL → null */
void json_string_len(struct json *j, const char *key, const char *value, size_t len);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* 64-bit register values as "0x" + 16 upper-case hex digits, exact in every reader */
void json_hex64(struct json *j, const char *key, uint64_t value);
/* A document was begun in this process (main's --json failure document
 * is written only when none was). */
bool json_document_begun(void);
/* Ends the document with a newline. */
void json_finish(struct json *j);
