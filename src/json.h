/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A minimal streaming JSON writer, output only. Strings are written as
 * ASCII: control characters and bytes >= 0x7f become \u00XX escapes, so the
 * document is valid whatever firmware put into a table. Keys are NULL inside
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
/* Ends the document with a newline. */
void json_finish(struct json *j);
