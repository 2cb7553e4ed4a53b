/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: acpi. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/acpi-dmar.h"
#include "acpi/acpi-ivrs.h"
#include "acpi/acpi-print.h"
#include "base/macro.h"
#include "base/textsafe.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/devices.h"
#include "decide/grub-edit.h"
#include "decide/kparams.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/rules.h"
#include "facts/cmdline.h"
#include "facts/cpuinfo.h"
#include "facts/efi-loadopt.h"
#include "facts/modconf.h"
#include "facts/modules.h"
#include "facts/shellvars.h"
#include "report/json.h"

#include "slurp.h"
#include "tbuf.h"
#include "unit.h"

/* ---- table builders ---- */

static void test_dmar_header_only(void)
{
	_cleanup_(dmar_table_freep) struct dmar_table *d = NULL;
	struct tbuf t;

	dmar_header(&t, 0x05);
	finish(&t);
	CHECK(dmar(&t, &d, NULL) == 0);
	CHECK(d->n_structs == 0);
	CHECK(d->host_address_width == 38);
	CHECK(d->flags == 0x05);
	CHECK(acpi_checksum_ok(&d->header));
	CHECK(strcmp(d->header.oem_id, "TESTOE") == 0);
}

static void test_dmar_drhd(void)
{
	_cleanup_(dmar_table_freep) struct dmar_table *d = NULL;
	struct tbuf t;

	dmar_header(&t, 0x01);
	dmar_drhd_ioapic(&t);
	finish(&t);
	CHECK(dmar(&t, &d, NULL) == 0);
	CHECK(d->n_structs == 1);
	CHECK(d->structs[0].kind == DMAR_DRHD);
	CHECK(d->structs[0].register_base == 0xfed90000);
	CHECK(d->structs[0].n_scopes == 1);
	CHECK(d->scopes[0].type == DMAR_SCOPE_IOAPIC);
	CHECK(d->scopes[0].enumeration_id == 2);
	CHECK(d->scopes[0].n_path == 1);
	CHECK(d->scopes[0].path[0] == 0x1e && d->scopes[0].path[1] == 1);
	CHECK(d->scopes[0].offset == 64);
	CHECK(dmar_count_ioapic_scopes(d) == 1);
}

static void expect_dmar_error(struct tbuf *t, size_t offset, const char *needle, int line)
{
	struct dmar_table *d = NULL;
	struct acpi_error err = {};
	int r = dmar_parse(t->b, t->n, &d, &err);

	if (r != -EBADMSG || d || err.offset != offset || !strstr(err.message, needle)) {
		printf("FAIL (line %d): r=%d offset=%zu (want %zu) message \"%s\" (want \"%s\")\n",
		       line, r, err.offset, offset, err.message, needle);
		dmar_table_free(d);
		failed = true;
	}
}

static void test_dmar_struct_length_zero(void)
{
	struct tbuf t;

	dmar_header(&t, 0);
	put16(&t, 0);
	put16(&t, 0); /* a zero length would loop forever if believed */
	for (int i = 0; i < 12; i++)
		put8(&t, 0);
	finish(&t);
	expect_dmar_error(&t, 50, "shorter than", __LINE__);
}

static void test_dmar_struct_past_end(void)
{
	struct tbuf t;
	size_t at;

	dmar_header(&t, 0);
	at = dmar_drhd_ioapic(&t);
	set16(&t, at + 2, 200);
	finish(&t);
	expect_dmar_error(&t, at + 2, "runs past the end of the table", __LINE__);
}

static void test_dmar_drhd_too_short(void)
{
	struct tbuf t;

	dmar_header(&t, 0);
	put16(&t, 0);
	put16(&t, 12);
	for (int i = 0; i < 8; i++)
		put8(&t, 0);
	finish(&t);
	expect_dmar_error(&t, 50, "drhd structure (type 0) length 12 is shorter", __LINE__);
}

static void test_dmar_scope_too_short(void)
{
	struct tbuf t;
	size_t at;

	dmar_header(&t, 0);
	at = dmar_drhd_ioapic(&t);
	t.b[at + 16 + 1] = 4;
	finish(&t);
	expect_dmar_error(&t, at + 17, "device scope length 4 is shorter", __LINE__);
}

static void test_dmar_scope_odd(void)
{
	struct tbuf t;
	size_t at;

	dmar_header(&t, 0);
	at = dmar_drhd_ioapic(&t);
	t.b[at + 16 + 1] = 7;
	finish(&t);
	expect_dmar_error(&t, at + 17, "half a path element", __LINE__);
}

static void test_dmar_scope_past_struct(void)
{
	struct tbuf t;
	size_t at;

	dmar_header(&t, 0);
	at = dmar_drhd_ioapic(&t);
	t.b[at + 16 + 1] = 10; /* 2 bytes more than the structure holds */
	put32(&t, 0);	       /* ... though the table goes on */
	finish(&t);
	expect_dmar_error(&t, at + 17, "runs past the end of its drhd structure", __LINE__);
}

static void test_dmar_truncated_struct_header(void)
{
	struct tbuf t;

	dmar_header(&t, 0);
	dmar_drhd_ioapic(&t);
	put16(&t, 1);
	finish(&t);
	expect_dmar_error(&t, 72, "truncated remapping structure", __LINE__);
}

static void test_dmar_header_lies(void)
{
	struct tbuf t;

	dmar_header(&t, 0);
	dmar_drhd_ioapic(&t);
	finish(&t);
	/* longer than the data */
	t.b[4] = 100;
	expect_dmar_error(&t, 72, "truncated: table length field says 100", __LINE__);
	/* shorter than the data */
	t.b[4] = 60;
	expect_dmar_error(&t, 60, "12 trailing bytes", __LINE__);
	/* shorter than the ACPI header */
	t.b[4] = 20;
	expect_dmar_error(&t, 4, "shorter than the 36-byte header", __LINE__);
	/* shorter than the DMAR header, consistent with the data */
	t.n = 40;
	finish(&t);
	expect_dmar_error(&t, 4, "shorter than the 48-byte DMAR header", __LINE__);
}

static void test_dmar_not_acpi(void)
{
	struct tbuf t;

	memset(&t, 0, sizeof(t));
	expect_dmar_error(&t, 0, "empty", __LINE__);
	memcpy(t.b,
	       "\x7f"
	       "ELF\x02\x01\x01",
	       7);
	t.n = 64;
	expect_dmar_error(&t, 0, "not an ACPI table", __LINE__);
	header(&t, "IVRS");
	t.n = 48;
	finish(&t);
	expect_dmar_error(&t, 0, "signature is \"IVRS\", expected \"DMAR\"", __LINE__);
	header(&t, "DMAR");
	t.n = 20;
	expect_dmar_error(&t, 20, "header alone needs 36", __LINE__);
}

static void test_dmar_bad_checksum(void)
{
	_cleanup_(dmar_table_freep) struct dmar_table *d = NULL;
	struct tbuf t;

	dmar_header(&t, 1);
	dmar_drhd_ioapic(&t);
	finish(&t);
	t.b[9] += 0x10;
	CHECK(dmar(&t, &d, NULL) == 0);
	CHECK(!acpi_checksum_ok(&d->header));
	CHECK(d->header.sum == 0x10);
	CHECK(d->n_structs == 1);
}

static void test_dmar_unknown_and_andd(void)
{
	_cleanup_(dmar_table_freep) struct dmar_table *d = NULL;
	struct tbuf t;

	dmar_header(&t, 0);
	put16(&t, 99);
	put16(&t, 12);
	put64(&t, 0);
	/* ANDD whose name fills the structure with no NUL */
	put16(&t, 4);
	put16(&t, 12);
	put8(&t, 0);
	put8(&t, 0);
	put8(&t, 0);
	put8(&t, 7);
	memcpy(t.b + t.n, "\\_SB", 4);
	t.n += 4;
	finish(&t);
	CHECK(dmar(&t, &d, NULL) == 0);
	CHECK(d->n_structs == 2);
	CHECK(d->structs[0].kind == DMAR_UNKNOWN && d->structs[0].type == 99);
	CHECK(d->counts[DMAR_UNKNOWN] == 1);
	CHECK(d->structs[1].kind == DMAR_ANDD);
	CHECK(d->structs[1].acpi_device_number == 7);
	CHECK(d->structs[1].object_name_len == 4);
	CHECK(memcmp(d->structs[1].object_name, "\\_SB", 4) == 0);
}

static void test_acpi_strings(void)
{
	char s[9];

	acpi_copy_string(s, (const uint8_t *)"\xd2\x04\x00\x00", 4);
	CHECK(strcmp(s, "  ") == 0);
	acpi_copy_string(s,
			 (const uint8_t *)"AB\x01"
					  "CDEFG",
			 8);
	CHECK(strcmp(s, "AB CDEFG") == 0);
}

/* ---- IVRS ---- */

static void ivrs_header(struct tbuf *t)
{
	header(t, "IVRS");
	put32(t, 0x00203041);
	put64(t, 0);
}

/* IVHD type 10h with the given extra entry bytes; returns the block offset */
static size_t ivhd10(struct tbuf *t, uint16_t devid, uint64_t base, const uint8_t *entries,
		     size_t n)
{
	size_t at = t->n;

	put8(t, 0x10);
	put8(t, 0xb0);
	put16(t, (uint16_t)(24 + n));
	put16(t, devid);
	put16(t, 0x40);
	put64(t, base);
	put16(t, 0);
	put16(t, 0);
	put32(t, 0);
	if (n)
		memcpy(t->b + t->n, entries, n);
	t->n += n;
	return at;
}

static void ivhd11(struct tbuf *t, uint16_t devid, uint64_t base)
{
	put8(t, 0x11);
	put8(t, 0x30);
	put16(t, 40);
	put16(t, devid);
	put16(t, 0x40);
	put64(t, base);
	put16(t, 0);
	put16(t, 0);
	put32(t, 0);
	put64(t, 0x246577efa2254afaULL);
	put64(t, 0);
}

static const uint8_t entries_ioapic[] = {
	0x03, 0x08, 0x00, 0x00,				/* start of range 00:01.0 */
	0x04, 0xfe, 0xff, 0x00,				/* end of range */
	0x48, 0x00, 0x00, 0xd7, 0x21, 0xa0, 0x00, 0x01, /* special: IOAPIC 0x21 at 00:14.0 */
	0x48, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x00, 0x02, /* special: HPET 0 */
};

static void expect_ivrs_error(struct tbuf *t, size_t offset, const char *needle, int line)
{
	struct ivrs_table *v = NULL;
	struct acpi_error err = {};
	int r = ivrs_parse(t->b, t->n, &v, &err);

	if (r != -EBADMSG || v || err.offset != offset || !strstr(err.message, needle)) {
		printf("FAIL (line %d): r=%d offset=%zu (want %zu) message \"%s\" (want \"%s\")\n",
		       line, r, err.offset, offset, err.message, needle);
		ivrs_table_free(v);
		failed = true;
	}
}

static void test_ivrs_basic(void)
{
	_cleanup_(ivrs_table_freep) struct ivrs_table *v = NULL;
	struct tbuf t;

	ivrs_header(&t);
	ivhd10(&t, 0x0002, 0xfd200000, entries_ioapic, sizeof(entries_ioapic));
	ivhd11(&t, 0x0002, 0xfd200000);
	finish(&t);
	CHECK(ivrs_parse(t.b, t.n, &v, NULL) == 0);
	CHECK(v->n_blocks == 2);
	CHECK(v->counts[IVRS_IVHD] == 2);
	CHECK(v->by_type[0x10] == 1 && v->by_type[0x11] == 1);
	CHECK(ivrs_count_iommus(v) == 1);
	CHECK(!v->blocks[0].preferred && v->blocks[1].preferred);
	CHECK(v->blocks[0].n_entries == 4);
	CHECK(v->entries[2].type == 0x48 && v->entries[2].handle == 0x21 &&
	      v->entries[2].source_device_id == 0xa0 && v->entries[2].variety == 1);
	CHECK(v->blocks[1].efr_image == 0x246577efa2254afaULL);
	/* the kernel reads the 11h block, which lists no IOAPIC here */
	CHECK(ivrs_count_special(v, IVHD_SPECIAL_IOAPIC) == 0);
	CHECK(IVINFO_PA_SIZE(v->ivinfo) == 48 && IVINFO_VA_SIZE(v->ivinfo) == 64);
}

static void test_ivrs_two_units(void)
{
	_cleanup_(ivrs_table_freep) struct ivrs_table *v = NULL;
	struct tbuf t;

	ivrs_header(&t);
	ivhd10(&t, 0x0002, 0xfd200000, entries_ioapic, sizeof(entries_ioapic));
	ivhd10(&t, 0x4002, 0xfd300000, entries_ioapic, 8);
	finish(&t);
	CHECK(ivrs_parse(t.b, t.n, &v, NULL) == 0);
	CHECK(ivrs_count_iommus(v) == 2);
	CHECK(ivrs_count_special(v, IVHD_SPECIAL_IOAPIC) == 1);
	CHECK(ivrs_count_special(v, IVHD_SPECIAL_HPET) == 1);
}

static void test_ivrs_lies(void)
{
	struct tbuf t;
	size_t at;

	/* IVHD shorter than its fixed fields */
	ivrs_header(&t);
	at = ivhd10(&t, 2, 0, NULL, 0);
	set16(&t, at + 2, 20);
	finish(&t);
	expect_ivrs_error(&t, at + 2, "ivhd block (type 10h) length 20 is shorter", __LINE__);

	/* block header cut: 2 bytes left */
	ivrs_header(&t);
	put16(&t, 0x10);
	finish(&t);
	expect_ivrs_error(&t, 48, "truncated IVRS block", __LINE__);

	/* block longer than the table */
	ivrs_header(&t);
	at = ivhd10(&t, 2, 0, entries_ioapic, 8);
	set16(&t, at + 2, 64);
	finish(&t);
	expect_ivrs_error(&t, at + 2, "runs past the end of the table", __LINE__);

	/* an 8-byte entry with 4 bytes left in its block */
	ivrs_header(&t);
	at = ivhd10(&t, 2, 0, entries_ioapic, 12);
	set16(&t, at + 2, 24 + 12);
	t.b[at + 24 + 8] = 0x48;
	finish(&t);
	expect_ivrs_error(&t, at + 32, "type 48h needs 8 bytes but only 4 are left", __LINE__);

	/* IVMD too short */
	ivrs_header(&t);
	put8(&t, 0x21);
	put8(&t, 0x08);
	put16(&t, 16);
	put64(&t, 0);
	put32(&t, 0);
	finish(&t);
	expect_ivrs_error(&t, 50, "ivmd block (type 21h) length 16", __LINE__);
}

static void test_ivrs_hid_entries(void)
{
	_cleanup_(ivrs_table_freep) struct ivrs_table *v = NULL;
	uint8_t e[22 + 9] = { 0xf0, 0xa5, 0x00, 0x40 };
	struct tbuf t;
	size_t at;

	memcpy(e + 4, "AMDI0020", 8);
	e[20] = 2;
	e[21] = 9;
	memcpy(e + 22, "\\_SB.FUR0", 9);
	ivrs_header(&t);
	ivhd10(&t, 2, 0xfe000000, e, sizeof(e));
	finish(&t);
	CHECK(ivrs_parse(t.b, t.n, &v, NULL) == 0);
	CHECK(v->n_entries == 1);
	CHECK(v->entries[0].hid.is_string && strcmp(v->entries[0].hid.str, "AMDI0020") == 0);
	CHECK(!v->entries[0].cid.is_string && v->entries[0].cid.value == 0);
	CHECK(v->entries[0].uid_length == 9 && memcmp(v->entries[0].uid, "\\_SB.FUR0", 9) == 0);

	/* a UID length that runs past the block */
	e[21] = 12;
	ivrs_header(&t);
	at = ivhd10(&t, 2, 0xfe000000, e, sizeof(e));
	finish(&t);
	expect_ivrs_error(&t, at + 24 + 21, "UID length 12 runs past", __LINE__);

	/* the fixed part cut short */
	ivrs_header(&t);
	at = ivhd10(&t, 2, 0xfe000000, e, 16);
	finish(&t);
	expect_ivrs_error(&t, at + 24, "needs 22 bytes but only 16", __LINE__);
}

static void test_ivrs_unknown_block(void)
{
	_cleanup_(ivrs_table_freep) struct ivrs_table *v = NULL;
	struct tbuf t;

	ivrs_header(&t);
	put8(&t, 0x51);
	put8(&t, 0);
	put16(&t, 8);
	put32(&t, 0);
	ivhd10(&t, 2, 0xfe000000, entries_ioapic, sizeof(entries_ioapic));
	finish(&t);
	CHECK(ivrs_parse(t.b, t.n, &v, NULL) == 0);
	CHECK(v->n_blocks == 2);
	CHECK(v->blocks[0].kind == IVRS_UNKNOWN && v->blocks[0].length == 8);
	CHECK(v->counts[IVRS_UNKNOWN] == 1);
	CHECK(v->blocks[1].offset == 56);
}

static void test_ivrs_entry_sizes(void)
{
	CHECK(ivrs_entry_size(0x00) == 4);
	CHECK(ivrs_entry_size(0x04) == 4);
	CHECK(ivrs_entry_size(0x42) == 8);
	CHECK(ivrs_entry_size(0x48) == 8);
	CHECK(ivrs_entry_size(0x80) == 16);
	CHECK(ivrs_entry_size(0xc0) == 32);
	CHECK(ivrs_entry_size(0xf0) == 0);
}

/* ---- truncation sweep over the corpus ---- */

static int load(const char *path, uint8_t **ret, size_t *size)
{
	_cleanup_free_ char *buf = NULL;
	int r = slurp(path, 1 << 20, &buf, size);

	if (r < 0)
		return r;
	*ret = (uint8_t *)TAKE_PTR(buf);
	return 0;
}

/*
 * Every prefix of every corpus table, with the header length made to agree
 * with it and the checksum fixed, must either decode or be refused with
 * -EBADMSG and an offset inside the data: never crash (ASan watches), never
 * report an offset past the end.
 */
static void test_truncation_sweep(void)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	unsigned tables = 0, refused = 0;

	CHECK(corpus_dir);
	d = opendir(corpus_dir);
	CHECK(d);
	while ((de = readdir(d))) {
		char path[4096];
		_cleanup_free_ uint8_t *buf = NULL;
		size_t size;
		bool is_ivrs;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/DMAR.bin", corpus_dir, de->d_name);
		is_ivrs = access(path, F_OK) != 0;
		if (is_ivrs)
			snprintf(path, sizeof(path), "%s/%s/IVRS.bin", corpus_dir, de->d_name);
		if (load(path, &buf, &size) < 0)
			continue;
		tables++;
		for (size_t len = 0; len <= size; len++) {
			struct tbuf t;
			struct acpi_error err = {};
			int r;

			memcpy(t.b, buf, len);
			t.n = len;
			if (len >= 36)
				finish(&t);
			if (is_ivrs) {
				struct ivrs_table *v = NULL;

				r = ivrs_parse(t.b, t.n, &v, &err);
				ivrs_table_free(v);
			} else {
				struct dmar_table *dm = NULL;

				r = dmar_parse(t.b, t.n, &dm, &err);
				dmar_table_free(dm);
			}
			CHECK(r == 0 || r == -EBADMSG);
			if (r < 0) {
				refused++;
				CHECK(err.offset <= len);
				CHECK(err.message[0]);
			}
			CHECK(len != size || r == 0);
		}
	}
	CHECK(tables == 31);
	CHECK(refused > 0);
}

/* ---- kernel command line ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_dmar_header_only);
	RUN(test_dmar_drhd);
	RUN(test_dmar_struct_length_zero);
	RUN(test_dmar_struct_past_end);
	RUN(test_dmar_drhd_too_short);
	RUN(test_dmar_scope_too_short);
	RUN(test_dmar_scope_odd);
	RUN(test_dmar_scope_past_struct);
	RUN(test_dmar_truncated_struct_header);
	RUN(test_dmar_header_lies);
	RUN(test_dmar_not_acpi);
	RUN(test_dmar_bad_checksum);
	RUN(test_dmar_unknown_and_andd);
	RUN(test_acpi_strings);
	RUN(test_ivrs_basic);
	RUN(test_ivrs_two_units);
	RUN(test_ivrs_lies);
	RUN(test_ivrs_hid_entries);
	RUN(test_ivrs_unknown_block);
	RUN(test_ivrs_entry_sizes);
	RUN(test_truncation_sweep);
	UNIT_MAIN_END();
}
