/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: what iommu-setup reads back from below the root after
 * writing it itself, or mangled by a crash, an editor, firmware or an
 * attacker: the apply record and the journal's list (parse, format, parse
 * again: the same; every path they name is a plain path below the root), the
 * UEFI load-option parser, and the terminal filter (nothing that is not
 * printable, a newline, a tab or valid UTF-8 gets through).
 */
#include <stdlib.h>
#include <string.h>

#include "base/path-util.h"
#include "base/textsafe.h"
#include "decide/journal.h"
#include "decide/record.h"
#include "facts/efi-loadopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const uint8_t *data, size_t size)
{
	struct record rec, back;
	unsigned line;
	char *text, *text2;
	size_t len, len2;

	if (record_parse((const char *)data, size, &rec, &line) != 0)
		return;
	for (size_t i = 0; i < rec.n_files; i++)
		if (!path_valid_below_root(rec.files[i].path))
			abort();
	for (size_t i = 0; i < rec.n_dirs; i++)
		if (!path_valid_below_root(rec.dirs[i]))
			abort();
	if (record_format(&rec, &text, &len) == 0) {
		if (record_parse(text, len, &back, &line) != 0)
			abort();
		if (record_format(&back, &text2, &len2) != 0 || len2 != len ||
		    memcmp(text, text2, len) != 0)
			abort();
		free(text2);
		record_done(&back);
		free(text);
	}
	record_done(&rec);
}

static void check_journal(const uint8_t *data, size_t size)
{
	struct journal j, back;
	unsigned line;
	char *text;
	size_t len;

	if (journal_parse((const char *)data, size, &j, &line) != 0)
		return;
	for (size_t i = 0; i < j.n_files; i++)
		if (!path_valid_below_root(j.files[i].path) || j.files[i].mode > 07777)
			abort();
	for (size_t i = 0; i < j.n_dirs; i++)
		if (!path_valid_below_root(j.dirs[i]))
			abort();
	if (journal_format(&j, &text, &len) == 0) {
		if (journal_parse(text, len, &back, &line) != 0 || back.n_files != j.n_files ||
		    back.n_dirs != j.n_dirs || strcmp(back.txn, j.txn) != 0)
			abort();
		journal_done(&back);
		free(text);
	}
	journal_done(&j);
}

static void check_textsafe(const uint8_t *data, size_t size)
{
	struct textsafe st = { .sgr = size && data[0] & 1 };
	char *out = malloc(4 * (size + 64) + 1);
	size_t len = 0, half = size / 2;

	if (!out)
		return;
	textsafe_filter(&st, (const char *)data, half, false, out, &len);
	textsafe_filter(&st, (const char *)data + half, size - half, true, out, &len);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = utf8_sequence((const unsigned char *)out + i, len - i, &cp);

		if (k <= 0 || (cp < 0x20 && cp != '\n' && cp != '\t' && !(cp == 0x1b && st.sgr)) ||
		    cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			abort();
		i += (size_t)k;
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct efi_load_option lo;
	char dir[64];

	if (efi_load_option_parse(data, size, &lo) == 0)
		(void)efi_path_vendor_dir(lo.path, dir, sizeof(dir));
	check_record(data, size);
	check_journal(data, size);
	check_textsafe(data, size);
	return 0;
}
