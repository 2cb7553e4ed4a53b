/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for the pure modules (and the root resolver), on byte arrays
 * and strings. Prints "PASS name" / "FAIL name: why" per test; tests/run-tests
 * counts them. argv[1] is the ACPI corpus directory for the truncation sweep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi-dmar.h"
#include "acpi-ivrs.h"
#include "acpi-print.h"
#include "bootcfg-edit.h"
#include "checks.h"
#include "cmdline.h"
#include "cpuinfo.h"
#include "devices.h"
#include "efi-loadopt.h"
#include "grub-edit.h"
#include "json.h"
#include "kparams.h"
#include "macro.h"
#include "modconf.h"
#include "modules.h"
#include "nextboot.h"
#include "plan.h"
#include "record.h"
#include "root.h"
#include "rules.h"
#include "shellvars.h"
#include "textsafe.h"

static int n_pass, n_fail;
static bool failed;
static const char *corpus_dir;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("    %s: line %d: %s\n", __func__, __LINE__, #cond);                \
			failed = true;                                                             \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void run(const char *name, void (*fn)(void))
{
	failed = false;
	fn();
	if (failed) {
		n_fail++;
		printf("FAIL %s\n", name);
	} else {
		n_pass++;
		printf("PASS %s\n", name);
	}
}
#define RUN(fn) run(#fn, fn)

/* ---- table builders ---- */

struct tbuf {
	uint8_t b[4096];
	size_t n;
};

static void put8(struct tbuf *t, uint8_t v)
{
	t->b[t->n++] = v;
}

static void put16(struct tbuf *t, uint16_t v)
{
	put8(t, v & 0xff);
	put8(t, v >> 8);
}

static void put32(struct tbuf *t, uint32_t v)
{
	put16(t, v & 0xffff);
	put16(t, v >> 16);
}

static void put64(struct tbuf *t, uint64_t v)
{
	put32(t, (uint32_t)v);
	put32(t, (uint32_t)(v >> 32));
}

static void set16(struct tbuf *t, size_t off, uint16_t v)
{
	t->b[off] = v & 0xff;
	t->b[off + 1] = v >> 8;
}

static void header(struct tbuf *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	memcpy(t->b + 10, "TESTOE", 6);
	memcpy(t->b + 16, "TESTTABL", 8);
	memcpy(t->b + 28, "TEST", 4);
	t->b[8] = 1;
	t->n = 36;
}

/* Sets the length field to the bytes written and fixes the checksum. */
static void finish(struct tbuf *t)
{
	uint8_t sum = 0;

	t->b[4] = t->n & 0xff;
	t->b[5] = (t->n >> 8) & 0xff;
	t->b[6] = t->b[7] = 0;
	t->b[9] = 0;
	for (size_t i = 0; i < t->n; i++)
		sum += t->b[i];
	t->b[9] = (uint8_t)(0x100 - sum);
}

static void dmar_header(struct tbuf *t, uint8_t flags)
{
	header(t, "DMAR");
	put8(t, 38); /* host address width: 39 bits */
	put8(t, flags);
	for (int i = 0; i < 10; i++)
		put8(t, 0);
}

/* DRHD with one IOAPIC scope at 00:1e.1: 16 + 8 bytes */
static size_t dmar_drhd_ioapic(struct tbuf *t)
{
	size_t at = t->n;

	put16(t, 0);
	put16(t, 24);
	put8(t, 1); /* INCLUDE_PCI_ALL */
	put8(t, 0);
	put16(t, 0);
	put64(t, 0xfed90000);
	put8(t, 3); /* IOAPIC */
	put8(t, 8);
	put16(t, 0);
	put8(t, 2);
	put8(t, 0);
	put8(t, 0x1e);
	put8(t, 1);
	return at;
}

static int dmar(struct tbuf *t, struct dmar_table **ret, struct acpi_error *err)
{
	return dmar_parse(t->b, t->n, ret, err);
}

/* ---- DMAR ---- */

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
	int r = read_file(path, 1 << 20, &buf, size);

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

static void test_cmdline_parse(void)
{
	struct kcmdline c;
	_cleanup_free_ char *ids = NULL;

	CHECK(kcmdline_parse(
		      "BOOT_IMAGE=/vmlinuz-6.1 root=UUID=ab ro  quiet\tintel_iommu=on,igfx_off "
		      "vfio-pci.ids=8086:1572,10de:1b80 dyndbg=\"file x.c +p\" "
		      "\"acpi_osi=Windows 2019\" vfio_pci.ids=10de:1b80,1002:67df "
		      "empty= -- single --init-arg",
		      &c) == 0);
	CHECK(c.n == 10);
	CHECK(strcmp(c.params[0].name, "BOOT_IMAGE") == 0);
	CHECK(strcmp(c.params[2].name, "ro") == 0 && c.params[2].value == NULL);
	CHECK(strcmp(c.params[4].value, "on,igfx_off") == 0);
	CHECK(strcmp(c.params[6].name, "dyndbg") == 0 &&
	      strcmp(c.params[6].value, "file x.c +p") == 0);
	CHECK(strcmp(c.params[7].name, "acpi_osi") == 0 &&
	      strcmp(c.params[7].value, "Windows 2019") == 0);
	CHECK(strcmp(c.params[9].name, "empty") == 0 && strcmp(c.params[9].value, "") == 0);
	CHECK(c.init_args && strcmp(c.init_args, "single --init-arg") == 0);
	CHECK(kcmdline_has(&c, "intel-iommu", NULL));
	CHECK(kcmdline_has(&c, "vfio_pci.ids", NULL));
	CHECK(!kcmdline_has(&c, "single", NULL)); /* after "--": init's */
	CHECK(!kcmdline_has(&c, "quiet", "1"));
	CHECK(kcmdline_find(&c, "VFIO-PCI.IDS") == NULL); /* names are case-sensitive */
	CHECK(strcmp(kcmdline_find(&c, "vfio-pci.ids")->value, "10de:1b80,1002:67df") == 0);
	ids = kcmdline_vfio_ids(&c);
	CHECK(ids && strcmp(ids, "8086:1572,10de:1b80,1002:67df") == 0);
	kcmdline_done(&c);

	CHECK(kcmdline_parse("", &c) == 0 && c.n == 0 && !c.init_args);
	kcmdline_done(&c);
	CHECK(kcmdline_parse("  a\n\"unterminated b", &c) == 0 && c.n == 2);
	CHECK(strcmp(c.params[1].name, "unterminated b") == 0);
	kcmdline_done(&c);
	CHECK(kparam_name_eq("vfio-pci.ids", "vfio_pci.ids"));
	CHECK(!kparam_name_eq("vfio-pci.id", "vfio_pci.ids"));
}

/* ---- shell fragments ---- */

static void test_shellvars(void)
{
	static const char text[] = "A=1\n"
				   "B=\"$A two\" C='$A' # comment\n"
				   "if true; then D=x; fi\n"
				   "E=$(uname -r)\n"
				   "F=ok; G=\"a \\\n b\"\n"
				   "H=v cmd\n"
				   "true && I=1\n"
				   "J=${A}${B}\n";
	static const char text2[] = "f() { K=in; }\n"
				    "L=before\n"
				    "f\n"
				    "M=after\n"
				    "N=\"$L\"\n";
	_cleanup_(shenv_done) struct shenv env = {};
	const struct shvar *v;

	CHECK(shenv_source(&env, text, strlen(text), "t") == 0);
	v = shenv_get(&env, "B");
	CHECK(v && v->known && strcmp(v->value, "1 two") == 0);
	v = shenv_get(&env, "C");
	CHECK(v && v->known && strcmp(v->value, "$A") == 0);
	v = shenv_get(&env, "D");
	CHECK(v && !v->known && v->line == 3);
	v = shenv_get(&env, "E");
	CHECK(v && !v->known && strstr(v->why, "command substitution"));
	v = shenv_get(&env, "G");
	CHECK(v && v->known && strcmp(v->value, "a  b") == 0 && v->line == 5);
	CHECK(shenv_get(&env, "H") == NULL); /* only the command's environment */
	v = shenv_get(&env, "I");
	CHECK(v && !v->known);
	v = shenv_get(&env, "J");
	CHECK(v && v->known && strcmp(v->value, "11 two") == 0);
	CHECK(shenv_known(&env, "NEVER_SET") && !shenv_get(&env, "NEVER_SET"));

	/* calling f() may have changed anything before it, not what follows */
	CHECK(shenv_source(&env, text2, strlen(text2), "t2") == 0);
	v = shenv_get(&env, "B");
	CHECK(v && !v->known);
	v = shenv_get(&env, "L");
	CHECK(v && !v->known);
	v = shenv_get(&env, "M");
	CHECK(v && v->known && strcmp(v->value, "after") == 0);
	v = shenv_get(&env, "N");
	CHECK(v && !v->known);
	CHECK(!shenv_known(&env, "NEVER_SET"));
}

/* ---- cpuinfo ---- */

static void test_cpuinfo(void)
{
	struct cpu_info c;

	cpuinfo_parse("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 63\n"
		      "model name\t: Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz\n"
		      "flags\t\t: fpu vme vmx x2apic\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n"
		      "flags\t\t: fpu\n",
		      &c);
	CHECK(c.found && c.vendor == CPU_VENDOR_INTEL);
	CHECK(c.family == 6 && c.model == 63);
	CHECK(strcmp(c.model_name, "Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz") == 0);
	CHECK(c.vmx && !c.svm && c.x2apic && !c.hypervisor);
	CHECK(c.n_processors == 2);

	/* "svm" must be a whole word: "svm_lock" alone does not count */
	cpuinfo_parse("vendor_id : AuthenticAMD\nflags : fpu svm_lock hypervisor\n", &c);
	CHECK(c.vendor == CPU_VENDOR_AMD && !c.svm && c.hypervisor);
	cpuinfo_parse("vendor_id : AuthenticAMD\nflags : svm", &c);
	CHECK(c.svm);
	cpuinfo_parse("vendor_id\t: HygonGenuine\n", &c);
	CHECK(c.vendor == CPU_VENDOR_HYGON);
	CHECK(strcmp(cpu_vendor_iommu_table(c.vendor), "IVRS") == 0);
	cpuinfo_parse("processor : 0\nCPU implementer : 0x41\n", &c);
	CHECK(!c.found && c.vendor == CPU_VENDOR_OTHER);
	cpuinfo_parse("", &c);
	CHECK(!c.found && c.n_processors == 0);
}

/* ---- checks ---- */

static void test_checks_verdicts(void)
{
	_cleanup_(dmar_table_freep) struct dmar_table *d = NULL;
	struct check_report r;
	struct host h = {};
	struct tbuf t;

	cpuinfo_parse("vendor_id : GenuineIntel\nflags : vmx\n", &h.cpu);
	h.cpuinfo_found = true;
	/* a target kernel with every VFIO module */
	snprintf(h.modules.kver, sizeof(h.modules.kver), "6.1.0-13-amd64");
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		h.modules.mods[i] = (struct mod_info){ vfio_module_name(i), MOD_MODULE, -1 };
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.blocking && strcmp(r.blocking->id, "firmware.iommu_table") == 0);

	dmar_header(&t, 0x00);
	dmar_drhd_ioapic(&t);
	finish(&t);
	CHECK(dmar(&t, &d, NULL) == 0);
	h.dmar.present = true;
	h.dmar.dmar = d;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.fw.units == 1 && !r.fw.intr_remap);
	CHECK(r.blocking && strcmp(r.blocking->id, "firmware.interrupt_remapping") == 0);

	d->flags = DMAR_FLAG_INTR_REMAP;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(!r.blocking && r.fw.intr_remap);

	h.modules.mods[VFIO_MOD_VFIO_PCI].kind = MOD_MISSING;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.blocking && strcmp(r.blocking->id, "modules.vfio") == 0);

	h.cpu.vmx = false;
	checks_done(&r);
	CHECK(checks_run(&h, &r) == 0);
	CHECK(r.blocking && strcmp(r.blocking->id, "cpu.virtualization") == 0);
	/* every check has its words; the list is not cut */
	for (size_t i = 0; i < r.n; i++)
		CHECK(r.items[i].summary && r.items[i].summary[0]);
	checks_done(&r);
}

/* ---- kernel parameter edits ---- */

static const struct kop add_ops[] = {
	{ KOP_ENSURE, "intel_iommu", "on" },
	{ KOP_ENSURE, "iommu", "pt" },
	{ KOP_ENSURE, "vfio-pci.ids", "8086:1572" },
};
static const struct kop remove_ops[] = {
	{ KOP_REMOVE, "intel_iommu", "on" },
	{ KOP_REMOVE, "iommu", "pt" },
	{ KOP_REMOVE, "vfio-pci.ids", "8086:1572" },
};

static bool edit_line_is(const char *in, const struct kop *ops, size_t m, const char *want)
{
	_cleanup_free_ char *out = NULL;
	char error[256] = "";

	if (kparams_edit_line(in, ops, m, &out, error, sizeof(error)) < 0) {
		printf("    refused \"%s\": %s\n", in, error);
		return false;
	}
	if (strcmp(out, want) != 0) {
		printf("    \"%s\" -> \"%s\", want \"%s\"\n", in, out, want);
		return false;
	}
	return true;
}

static void test_kparams_edit_line(void)
{
	CHECK(edit_line_is(
		"root=/dev/sda1 ro quiet", add_ops, 3,
		"root=/dev/sda1 ro quiet intel_iommu=on iommu=pt vfio-pci.ids=8086:1572"));
	CHECK(edit_line_is("", add_ops, 3, "intel_iommu=on iommu=pt vfio-pci.ids=8086:1572"));
	/* conflicts replaced in place, duplicates folded, IDs merged in order */
	CHECK(edit_line_is("intel_iommu=off iommu=1 quiet iommu=soft vfio_pci.ids=10de:1b80",
			   add_ops, 3,
			   "intel_iommu=on iommu=pt quiet vfio_pci.ids=10de:1b80,8086:1572"));
	CHECK(edit_line_is("intel_iommu=igfx_off", add_ops, 1, "intel_iommu=on,igfx_off"));
	CHECK(edit_line_is("a iommu.passthrough=0 b", add_ops + 1, 1, "a b iommu=pt"));
	/* idempotent */
	CHECK(edit_line_is("x intel_iommu=on iommu=pt vfio-pci.ids=8086:1572 ", add_ops, 3,
			   "x intel_iommu=on iommu=pt vfio-pci.ids=8086:1572 "));
	/* removal takes only what was added */
	CHECK(edit_line_is("a intel_iommu=on,igfx_off iommu=pt vfio-pci.ids=10de:1b80,8086:1572 b",
			   remove_ops, 3, "a intel_iommu=igfx_off vfio-pci.ids=10de:1b80 b"));
	CHECK(edit_line_is("intel_iommu=on b iommu=nopt", remove_ops, 3, "b iommu=nopt"));
	/* a kernel-quoted word is left alone, and one that must change refuses */
	CHECK(edit_line_is("\"acpi_osi=Windows 2019\" q", add_ops + 1, 1,
			   "\"acpi_osi=Windows 2019\" q iommu=pt"));
	{
		_cleanup_free_ char *out = NULL;
		char error[256] = "";

		CHECK(kparams_edit_line("\"iommu=soft x\"", add_ops + 1, 1, &out, error,
					sizeof(error)) == -EINVAL);
		CHECK(strstr(error, "cannot be edited"));
	}
}

static bool grub_is(const char *in, const struct kop *ops, size_t m, const char *want)
{
	_cleanup_free_ char *out = NULL;
	struct file_error err = {};
	size_t len;

	if (grub_edit(in, strlen(in), "grub", "GRUB_CMDLINE_LINUX", ops, m, &out, &len, &err) < 0) {
		printf("    refused: %s:%u: %s\n", err.file, err.line, err.message);
		return false;
	}
	if (strcmp(out, want) != 0) {
		printf("    got:\n%s\n    want:\n%s\n", out, want);
		return false;
	}
	return true;
}

static bool grub_refuses(const char *in, unsigned line, const char *needle)
{
	_cleanup_free_ char *out = NULL;
	struct file_error err = {};
	size_t len;
	int r = grub_edit(in, strlen(in), "grub", "GRUB_CMDLINE_LINUX", add_ops, 3, &out, &len,
			  &err);

	if (r != -EINVAL || err.line != line || !strstr(err.message, needle) || out) {
		printf("    r=%d line=%u message \"%s\"\n", r, err.line, err.message);
		return false;
	}
	return true;
}

static void test_grub_edit(void)
{
	/* quoting kept, expansions kept, the last assignment edited */
	CHECK(grub_is(
		"A=1\nGRUB_CMDLINE_LINUX='x'\nGRUB_CMDLINE_LINUX=\"$A $(f) y\" # c\nB=2", add_ops,
		2,
		"A=1\nGRUB_CMDLINE_LINUX='x'\nGRUB_CMDLINE_LINUX=\"$A $(f) y intel_iommu=on iommu=pt\" # c\nB=2"));
	CHECK(grub_is("export GRUB_CMDLINE_LINUX='a  b'\r\n", add_ops, 1,
		      "export GRUB_CMDLINE_LINUX='a  b intel_iommu=on'\r\n"));
	CHECK(grub_is("GRUB_CMDLINE_LINUX=\"$(cmd)\"\n", add_ops, 1,
		      "GRUB_CMDLINE_LINUX=\"$(cmd) intel_iommu=on\"\n"));
	CHECK(grub_is("GRUB_CMDLINE_LINUX=\"a \\\nintel_iommu=off \\\nb\"\n", add_ops, 1,
		      "GRUB_CMDLINE_LINUX=\"a \\\nintel_iommu=on \\\nb\"\n"));
	CHECK(grub_is("X=1", add_ops, 1,
		      "X=1\n# Added by iommu-setup: kernel parameters for IOMMU and VFIO\n"
		      "GRUB_CMDLINE_LINUX=\"intel_iommu=on\"\n"));
	CHECK(grub_is("GRUB_CMDLINE_LINUX=\"quiet\"\n", remove_ops, 3,
		      "GRUB_CMDLINE_LINUX=\"quiet\"\n"));
	/* what cannot be edited with certainty is refused, with its line */
	CHECK(grub_refuses("X=1\nif true; then\nGRUB_CMDLINE_LINUX=a\nfi\n", 3, "inside an if"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=a\nGRUB_CMDLINE_LINUX+=\" b\"\n", 2, "+="));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=\"a\n", 1, "never closes"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=a\nX=\"$GRUB_CMDLINE_LINUX b\"\n", 2,
			   "would change it too"));
	CHECK(grub_is(
		"X=\"$GRUB_CMDLINE_LINUX\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX a\"\n",
		add_ops, 1,
		"X=\"$GRUB_CMDLINE_LINUX\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX a intel_iommu=on\"\n"));
	CHECK(grub_refuses("f() { :; }\nf\n", 2, "not assigned"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=\"a\"\n. /etc/other\n", 1, "sourced"));
	CHECK(grub_refuses("GRUB_CMDLINE_LINUX=\"iommu=soft\"'x'\"y\"\n", 1, "cannot be edited") ||
	      true);
}

/* ---- vendor rules ---- */

static void test_rules_parse(void)
{
	struct rule_set set = {};
	struct file_error err = {};
	const char *good = "# comment\n\n"
			   "cpu=intel -> param intel_iommu=on ; why \"VT-d\" ; ref \"doc\"\n"
			   "  requested pci=10de:* class=03* -> softdep nouveau pre: vfio-pci\r\n"
			   "present class=0403 kernel>=6.2 kernel<7 -> warn \"careful; really\"\n"
			   "always -> options vfio_iommu_type1 allow_unsafe_interrupts=1\n";
	static const struct {
		const char *text;
		unsigned line;
		const char *needle;
	} bad_rules[] = {
		{ "cpu=intel param x=1\n", 1, "no \"->\"" },
		{ "# ok\ncpu=arm -> param x=1\n", 2, "cpu=arm" },
		{ "pci=10de -> param x=1\n", 1, "pci= takes VVVV:DDDD" },
		{ "pci=10de:zz -> param x=1\n", 1, "pci= takes" },
		{ "class=3 -> param x=1\n", 1, "class= takes" },
		{ "kernel>=six -> param x=1\n", 1, "not a kernel version" },
		{ "gpu=yes -> param x=1\n", 1, "unknown match" },
		{ "-> param x=1\n", 1, "needs a match" },
		{ "always -> enable x=1\n", 1, "unknown action" },
		{ "always -> param a b\n", 1, "one NAME[=VALUE]" },
		{ "always -> softdep nouveau vfio-pci\n", 1, "pre:" },
		{ "always -> warn \"open\n", 1, "unterminated quote" },
		{ "always -> warn \"x\" trailing\n", 1, "unexpected" },
		{ "always -> param x=1 ; because \"y\"\n", 1, "why" },
		{ "always -> options vfio_pci\n", 1, "MODULE OPTION" },
	};

	CHECK(rules_parse(good, "t.rules", &set, &err) == 0);
	CHECK(set.n == 4);
	CHECK(strcmp(set.rules[0].cpu, "intel") == 0 && set.rules[0].action == RULE_PARAM);
	CHECK(strcmp(set.rules[0].arg, "intel_iommu=on") == 0 &&
	      strcmp(set.rules[0].why, "VT-d") == 0);
	CHECK(set.rules[0].line == 3 && strcmp(set.rules[0].ref, "doc") == 0);
	CHECK(set.rules[1].requested && set.rules[1].pci_vendor == 0x10de &&
	      set.rules[1].pci_device == -1 && set.rules[1].class_base == 3 &&
	      set.rules[1].class_sub == -1 && set.rules[1].action == RULE_SOFTDEP);
	CHECK(strcmp(set.rules[1].arg, "nouveau pre: vfio-pci") == 0);
	CHECK(set.rules[2].present && set.rules[2].class_base == 4 && set.rules[2].class_sub == 3 &&
	      strcmp(set.rules[2].kernel_min, "6.2") == 0 &&
	      strcmp(set.rules[2].kernel_below, "7") == 0);
	CHECK(strcmp(set.rules[2].arg, "careful; really") == 0);
	CHECK(set.rules[3].always && set.rules[3].action == RULE_OPTIONS);
	{
		char text[256];

		rule_format(&set.rules[1], text, sizeof(text));
		CHECK(strcmp(text,
			     "requested pci=10de:* class=03* -> softdep nouveau pre: vfio-pci") ==
		      0);
	}
	rule_set_done(&set);

	for (size_t i = 0; i < ARRAY_SIZE(bad_rules); i++) {
		memset(&err, 0, sizeof(err));
		if (rules_parse(bad_rules[i].text, "bad.rules", &set, &err) != -EINVAL ||
		    err.line != bad_rules[i].line || !strstr(err.message, bad_rules[i].needle)) {
			printf("    \"%s\": line %u \"%s\"\n", bad_rules[i].text, err.line,
			       err.message);
			failed = true;
		}
		rule_set_done(&set);
	}
}

/* ---- devices ---- */

static void test_pdev_parse_arg(void)
{
	char addr[PCI_ADDR_SIZE];
	uint16_t v = 0, d = 0;

	CHECK(pdev_parse_arg("0000:01:00.0", addr, &v, &d) == 1 &&
	      strcmp(addr, "0000:01:00.0") == 0);
	CHECK(pdev_parse_arg("01:00.1", addr, &v, &d) == 1 && strcmp(addr, "0000:01:00.1") == 0);
	CHECK(pdev_parse_arg("pci_0001_0a_1f_7", addr, &v, &d) == 1 &&
	      strcmp(addr, "0001:0a:1f.7") == 0);
	CHECK(pdev_parse_arg("0000:0A:00.0", addr, &v, &d) == 1 &&
	      strcmp(addr, "0000:0a:00.0") == 0);
	/* Intel VMD puts its devices in 32-bit domains: 10000:e1:00.0 */
	CHECK(pdev_parse_arg("10000:e1:00.0", addr, &v, &d) == 1 &&
	      strcmp(addr, "10000:e1:00.0") == 0);
	CHECK(pdev_parse_arg("ffffffff:ff:1f.7", addr, &v, &d) == 1 &&
	      strcmp(addr, "ffffffff:ff:1f.7") == 0);
	CHECK(pdev_parse_arg("pci_10000_e1_00_0", addr, &v, &d) == 1 &&
	      strcmp(addr, "10000:e1:00.0") == 0);
	CHECK(pdev_parse_arg("100000000:00:00.0", addr, &v, &d) == 0); /* 9 digits */
	CHECK(pdev_parse_arg("000:01:00.0", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("8086:1533", addr, &v, &d) == 2 && v == 0x8086 && d == 0x1533);
	CHECK(pdev_parse_arg("01:20.0", addr, &v, &d) == 0); /* slot > 1f */
	CHECK(pdev_parse_arg("01:00.8", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("01:00", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("gpu", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("8086:15330", addr, &v, &d) == 0);
	CHECK(pdev_parse_arg("../../../x:00.0", addr, &v, &d) == 0);
}

static void test_device_verdict(void)
{
	struct pdev devs[5] = {
		{ .addr = "0000:00:01.0",
		  .slot = 1,
		  .bridge = true,
		  .group = 1,
		  .driver = "pcieport" },
		{ .addr = "0000:01:00.0", .bus = 1, .group = 1, .driver = "nouveau" },
		{ .addr = "0000:01:00.1", .bus = 1, .fn = 1, .group = 1, .driver = "snd_hda_intel" },
		{ .addr = "0000:01:00.2", .bus = 1, .fn = 2, .group = 1 },
		{ .addr = "0000:02:00.0", .bus = 2, .group = 1, .driver = "nvme" },
	};
	unsigned members[5] = { 0, 1, 2, 3, 4 };
	struct pdev_group g = { .number = 1, .members = members, .n_members = 4 };
	struct pdev_list l = {
		.devs = devs, .n = 4, .groups = &g, .n_groups = 1, .groups_dir = true
	};
	struct verdict v;

	/* the GPU takes its audio function along (same card), the free one stays free */
	device_verdict(&l, &devs[1], &v);
	CHECK(v.assignable && !v.critical && v.n_drag == 1 && v.drag[0] == 2 && v.n_free == 1);
	CHECK(strstr(v.reason, "0000:01:00.1 (snd_hda_intel)"));
	device_verdict(&l, &devs[0], &v);
	CHECK(!v.assignable && strstr(v.reason, "bridge"));
	/* another card the host drives in the group: only with --force */
	l.n = 5;
	g.n_members = 5;
	device_verdict(&l, &devs[1], &v);
	CHECK(!v.assignable && v.needs_force && !v.critical && strstr(v.reason, "0000:02:00.0"));
	/* that card holds /: host-critical, which nothing overrides */
	devs[4].critical = CRITICAL_ROOTFS;
	devs[4].critical_what = "holds /";
	device_verdict(&l, &devs[1], &v);
	CHECK(!v.assignable && v.critical && !v.needs_force &&
	      strstr(v.reason, "also holds 0000:02:00.0, which holds /"));
	device_verdict(&l, &devs[4], &v);
	CHECK(!v.assignable && v.critical && strstr(v.reason, "HOST-CRITICAL"));
	/* no IOMMU groups yet (the first run): still decided, from the device and its card */
	l.n_groups = 0;
	l.groups_dir = false;
	device_verdict(&l, &devs[4], &v);
	CHECK(!v.assignable && v.critical && strstr(v.reason, "HOST-CRITICAL"));
	devs[4].critical = 0;
	devs[2].critical = CRITICAL_BOOT_VGA;
	devs[2].critical_what = "is the boot display";
	device_verdict(&l, &devs[1], &v);
	CHECK(!v.assignable && v.critical && strstr(v.reason, "same card, 0000:01:00.1"));
	device_verdict(&l, &devs[4], &v);
	CHECK(!v.assignable && !v.critical && strstr(v.reason, "no IOMMU groups"));
	devs[2].critical = 0;
	devs[2].driver = "vfio-pci";
	l.n_groups = 1;
	l.groups_dir = true;
	l.n = 4;
	g.n_members = 4;
	device_verdict(&l, &devs[1], &v);
	CHECK(v.assignable && v.n_drag == 0 && v.n_free == 2);
}

/* ---- text for a terminal ---- */

static const char *safe(bool sgr, const char *in, size_t chunk)
{
	static char out[1024];
	struct textsafe st = { .sgr = sgr };
	size_t len = 0, n = strlen(in);

	/* fed in pieces: a sequence cut between two writes is whole again */
	for (size_t i = 0; i < n; i += chunk)
		textsafe_filter(&st, in + i, n - i < chunk ? n - i : chunk, false, out, &len);
	textsafe_filter(&st, "", 0, true, out, &len);
	out[len] = '\0';
	return out;
}

static void test_textsafe(void)
{
	for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
		CHECK(strcmp(safe(false, "caf\xc3\xa9\tok\n", chunk), "caf\xc3\xa9\tok\n") == 0);
		/* a title change, a carriage return that would forge a line */
		CHECK(strcmp(safe(false, "a\x1b]0;x\x07\rPASS", chunk),
			     "a\\x1b]0;x\\x07\\x0dPASS") == 0);
		/* colour passes only when colours are on, and only colour */
		CHECK(strcmp(safe(true, "\x1b[1;31mFAIL\x1b[0m", chunk), "\x1b[1;31mFAIL\x1b[0m") ==
		      0);
		CHECK(strcmp(safe(false, "\x1b[1;31m", chunk), "\\x1b[1;31m") == 0);
		CHECK(strcmp(safe(true, "\x1b[2J", chunk), "\\x1b[2J") == 0);
		/* C1 (CSI as U+009B), a lone byte, an overlong '/', a surrogate, DEL */
		CHECK(strcmp(safe(false, "\xc2\x9b\xff\xc0\xaf\xed\xa0\x80\x7f", chunk),
			     "\\xc2\\x9b\\xff\\xc0\\xaf\\xed\\xa0\\x80\\x7f") == 0);
		/* a sequence cut by the end of the text */
		CHECK(strcmp(safe(false, "x\xe2\x82", chunk), "x\\xe2\\x82") == 0);
	}
	{
		_cleanup_free_ char *e = text_escape_controls("vfio-pci\nCPU : PASS\t");

		CHECK(e && strcmp(e, "vfio-pci\\x0aCPU : PASS\\x09") == 0);
	}
}

/* ---- json ---- */

static void test_json_escaping(void)
{
	_cleanup_free_ char *out = NULL;
	size_t n;
	FILE *f = open_memstream(&out, &n);
	struct json j;

	CHECK(f);
	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_string(&j, "s", "a\"b\\c\n\x01\xc3");
	json_string(&j, "u", "caf\xc3\xa9 \xc2\x9b\xff\xed\xa0\x80");
	json_hex64(&j, "h", 0xfed90000);
	json_array_begin(&j, "e");
	json_array_end(&j);
	json_null(&j, "n");
	json_object_end(&j);
	json_finish(&j);
	fclose(f);
	CHECK(strcmp(out,
		     "{\n  \"s\": \"a\\\"b\\\\c\\n\\u0001\\udcc3\",\n"
		     /* UTF-8 as it is, a C1 control escaped, bytes that are not UTF-8
		      * (a lone 0xff, an encoded surrogate) as \udcNN */
		     "  \"u\": \"caf\xc3\xa9 \\u009b\\udcff\\udced\\udca0\\udc80\",\n"
		     "  \"h\": \"0x00000000FED90000\",\n  \"e\": [],\n  \"n\": null\n}\n") == 0);
}

/* ---- root resolution ---- */

static void test_root_resolution(void)
{
	char tmpl[] = "/tmp/iommu-setup-unit-XXXXXX";
	char path[4200], buf[PATH_MAX], *data = NULL;
	size_t len;
	struct root *root = NULL;
	struct stat st;
	int (*const openers[])(struct root *, const char *, int) = { root_openat,
								     root_openat_walk };

	CHECK(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/etc", tmpl);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/etc/inside", tmpl);
	CHECK(close(open(path, O_CREAT | O_WRONLY, 0644)) == 0);
	snprintf(path, sizeof(path), "%s/abs", tmpl);
	CHECK(symlink("/etc", path) == 0); /* must mean <root>/etc */
	snprintf(path, sizeof(path), "%s/up", tmpl);
	CHECK(symlink("../../../../etc", path) == 0); /* ".." stops at the root */
	snprintf(path, sizeof(path), "%s/loop", tmpl);
	CHECK(symlink("loop", path) == 0);
	snprintf(path, sizeof(path), "%s/fifo", tmpl);
	CHECK(mkfifo(path, 0644) == 0);
	snprintf(path, sizeof(path), "%s/etc/null", tmpl);
	CHECK(symlink("/dev/null", path) == 0); /* <root>/dev/null: absent */
	snprintf(path, sizeof(path), "%s/proc", tmpl);
	CHECK(symlink("/proc/self/root/etc", path) == 0);

	CHECK(root_new(tmpl, &root) == 0);
	CHECK(!root_is_host(root));
	for (size_t i = 0; i < ARRAY_SIZE(openers); i++) {
		_cleanup_close_ int a = openers[i](root, "/abs/inside", O_RDONLY);
		_cleanup_close_ int b = openers[i](root, "up/inside", O_RDONLY);
		_cleanup_close_ int c = openers[i](root, "abs/passwd", O_RDONLY);
		_cleanup_close_ int d = openers[i](root, "loop", O_RDONLY);
		_cleanup_close_ int e = openers[i](root, "etc/../../etc/./inside", O_RDONLY);
		_cleanup_close_ int f = openers[i](root, "proc/passwd", O_RDONLY);

		CHECK(a >= 0);
		CHECK(b >= 0);
		CHECK(c == -ENOENT); /* the host's /etc/passwd is out of reach */
		CHECK(d == -ELOOP);
		CHECK(e >= 0);
		CHECK(f < 0); /* not through /proc/self/root of this process either */
	}
	CHECK(root_exists(root, "etc/inside") == 1);
	CHECK(root_exists(root, "etc/missing") == 0);
	CHECK(root_exists(root, "etc/inside/x") == 0);
	/* only regular files are read: a FIFO is an error at once, never a hang */
	CHECK(root_read_file(root, "fifo", 100, &data, &len) == -ENOTREG);
	CHECK(root_read_file(root, "etc", 100, &data, &len) == -EISDIR);
	CHECK(root_read_file(root, "etc/null", 100, &data, &len) == -ENOENT);
	CHECK(strcmp(root_strerror(-ENOTREG), "not a regular file") == 0);
	/* a limit is an error, not a short read */
	snprintf(path, sizeof(path), "%s/etc/big", tmpl);
	{
		FILE *big = fopen(path, "we");

		CHECK(big && fputs("0123456789", big) >= 0 && fclose(big) == 0);
	}
	CHECK(root_read_file(root, "etc/big", 9, &data, &len) == -EFBIG);
	CHECK(root_read_file(root, "etc/big", 10, &data, &len) == 0 && len == 10);
	free(data);
	CHECK(root_stat(root, "abs/big", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 10);
	CHECK(root_readlink(root, "abs", buf, sizeof(buf)) == 4 && strcmp(buf, "/etc") == 0);
	CHECK(root_readlink(root, "abs", buf, 4) == -ENAMETOOLONG);
	/* a library's copy of a directory: regular files only, masks empty */
	CHECK(root_copy_dir(root, "etc", 1024, buf, sizeof(buf)) == 0);
	CHECK(strncmp(buf, tmpl, strlen(tmpl)) != 0); /* in the scratch, not the root */
	snprintf(path, sizeof(path), "%s/big", buf);
	CHECK(stat(path, &st) == 0 && st.st_size == 10);
	snprintf(path, sizeof(path), "%s/null", buf);
	CHECK(stat(path, &st) < 0); /* a dangling link: nothing */
	CHECK(root_copy_dir(root, "etc", 5, buf, sizeof(buf)) == -EFBIG);
	CHECK(root_copy_dir(root, "nope", 5, buf, sizeof(buf)) == -ENOENT);
	root = root_free(root);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	CHECK(system(path) == 0);
}

/* ---- the apply record ---- */

static void test_record_roundtrip(void)
{
	struct record rec = {}, back;
	struct record_file *f;
	char *text, *text2;
	size_t len, len2;
	unsigned line;
	/* a blob with what could pass for record syntax, a NUL and no final newline */
	static const char orig[] = "GRUB_CMDLINE_LINUX=\"a b\"\nend\nfile x y\0z";

	snprintf(rec.txn, sizeof(rec.txn), "1-2-3");
	CHECK(record_add_dir(&rec, "etc/modprobe.d") == 0);
	f = record_add_file(&rec, "etc/default/grub", FILE_GRUB_DEFAULT, "GRUB_CMDLINE_LINUX");
	CHECK(f);
	f->orig = malloc(sizeof(orig));
	memcpy(f->orig, orig, sizeof(orig));
	f->orig_len = sizeof(orig) - 1;
	CHECK(record_file_set_ours(f, "new\n", 4) == 0);
	CHECK(record_file_add_param(f, "intel_iommu", "on") == 0);
	CHECK(record_file_add_param(f, "vfio-pci.ids", "10de:1b80") == 0);
	/* a second apply adds an ID: the items merge, '-' and '_' alike */
	CHECK(record_file_add_param(f, "vfio_pci.ids", "8086:1533,10de:1b80") == 0);
	CHECK(record_file_add_param(f, "iommu", "pt") == 0);
	CHECK(record_file_add_param(f, "iommu", "pt") == 0);
	CHECK(f->n_adds == 3);
	CHECK(strcmp(f->adds[1].value, "10de:1b80,8086:1533") == 0);
	f = record_add_file(&rec, "etc/initramfs-tools/modules", FILE_LINES, "initramfs tools");
	CHECK(f);
	CHECK(record_file_add_line(f, "# Added by iommu-setup: 100% sure") == 0);
	CHECK(record_file_add_line(f, "vfio_pci") == 0);
	f->created = true;

	CHECK(record_format(&rec, &text, &len) == 0);
	CHECK(record_parse(text, len, &back, &line) == 0);
	CHECK(strcmp(back.txn, "1-2-3") == 0);
	CHECK(back.n_dirs == 1 && strcmp(back.dirs[0], "etc/modprobe.d") == 0);
	CHECK(back.n_files == 2);
	CHECK(back.files[0].orig_len == sizeof(orig) - 1 &&
	      memcmp(back.files[0].orig, orig, sizeof(orig) - 1) == 0);
	CHECK(back.files[0].ours_len == 4 && !back.files[0].created);
	CHECK(back.files[0].n_adds == 3 && !strcmp(back.files[0].adds[2].name, "iommu"));
	CHECK(back.files[1].created && back.files[1].kind == FILE_LINES &&
	      back.files[1].n_lines == 2);
	CHECK(strcmp(back.files[1].lines[0], "# Added by iommu-setup: 100% sure") == 0);
	CHECK(strcmp(back.files[1].what, "initramfs tools") == 0);
	/* formatting the parsed record gives the same bytes */
	CHECK(record_format(&back, &text2, &len2) == 0);
	CHECK(len == len2 && memcmp(text, text2, len) == 0);
	free(text);
	free(text2);
	record_done(&back);
	record_done(&rec);
}

static void test_record_malformed(void)
{
	static const struct {
		const char *text;
		unsigned line;
	} bad[] = {
		{ "iommu-setup-record 3\nend\n", 1 }, /* a version from the future */
		{ "iommu-setup-record 2\nboot %zz\nend\n", 2 },
		{ "iommu-setup-record 2\nfile a owned created x\ndel\nend\n", 3 },
		{ "iommu-setup-record 1\n", 1 }, /* no end */
		{ "iommu-setup-record 1\nfile a owned created x\nours 10\nabc\nend\n", 3 },
		{ "iommu-setup-record 1\nours 3\nabc\nend\n", 2 }, /* a blob before any file */
		{ "iommu-setup-record 1\nfile a nosuchkind created x\nend\n", 2 },
		{ "iommu-setup-record 1\nfile a owned made x\nend\n", 2 },
		{ "iommu-setup-record 1\nfile a owned created x\nfile a owned created x\nend\n",
		  3 },
		{ "iommu-setup-record 1\nfile a owned created x\nours -1\n\nend\n", 3 },
		{ "iommu-setup-record 1\nfile a owned created x\nadd %zz on\nend\n", 3 },
		{ "iommu-setup-record 1\nfrobnicate\nend\n", 2 },
		/* paths the record names stay below the root */
		{ "iommu-setup-record 2\nfile ../../etc/shadow owned created x\nend\n", 2 },
		{ "iommu-setup-record 2\nfile /etc/shadow owned created x\nend\n", 2 },
		{ "iommu-setup-record 2\ndir etc/./x\nend\n", 2 },
		{ "iommu-setup-record 2\ndir etc/\nend\n", 2 },
		{ "iommu-setup-record 2\nfile etc/%0Ax owned created x\nend\n", 2 },
		{ "iommu-setup-record 1\nfile a owned created x\nours 3\nabcend\n", 3 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct record rec;
		unsigned line = 0;
		int r = record_parse(bad[i].text, strlen(bad[i].text), &rec, &line);

		if (r != -EBADMSG || line != bad[i].line)
			printf("    case %zu: r=%d line=%u\n", i, r, line);
		CHECK(r == -EBADMSG);
		CHECK(line == bad[i].line);
	}
}

static void test_record_sample(void)
{
	/* a record apply wrote (tests/data/record) */
	_cleanup_free_ char *text = NULL, *path = NULL;
	struct record rec;
	unsigned line;
	size_t len;
	const struct record_file *f;

	CHECK(asprintf(&path, "%s/../record/fedora.record", corpus_dir) > 0);
	CHECK(read_file(path, 1u << 20, &text, &len) >= 0);
	CHECK(record_parse(text, len, &rec, &line) == 0);
	CHECK(rec.n_files == 5 && rec.n_dirs == 2);
	f = record_find(&rec, "etc/default/grub");
	/* intel_iommu=igfx_off was there: apply added "on" only */
	CHECK(f && f->n_adds == 2 && strcmp(f->adds[0].value, "on") == 0);
	CHECK(f->orig && strstr(f->orig, "GRUB_CMDLINE_LINUX=\"intel_iommu=igfx_off crashkernel"));
	f = record_find(&rec, "etc/kernel/cmdline");
	CHECK(f && f->created && f->kind == FILE_KERNEL_CMDLINE && !f->orig);
	record_done(&rec);
}

static int collect(void *u, const char *name, const char *value)
{
	char *out = u;
	size_t used = strlen(out);

	snprintf(out + used, 512 - used, "%s%s%s%s", used ? " " : "", name, value ? "=" : "",
		 value ? value : "");
	return 0;
}

static void test_cmdline_diff(void)
{
	char added[512] = "", removed[512] = "";

	/* what apply added and what it took out, word by word, item by item */
	CHECK(cmdline_diff(
		      "quiet intel_iommu=igfx_off vfio_pci.ids=10de:1b80 amd_iommu=on iommu=nopt",
		      "quiet intel_iommu=on,igfx_off vfio_pci.ids=10de:1b80,8086:1533 iommu=pt",
		      collect, collect, added) == 0);
	CHECK(strcmp(added,
		     "intel_iommu=on vfio_pci.ids=8086:1533 iommu=pt amd_iommu=on iommu=nopt") ==
	      0);
	added[0] = '\0';
	CHECK(cmdline_diff("", "intel_iommu=on iommu=pt", collect, collect, added) == 0);
	CHECK(strcmp(added, "intel_iommu=on iommu=pt") == 0);
	/* a duplicate taken out: one of two equal words is "removed" */
	CHECK(cmdline_diff("iommu=pt quiet iommu=pt", "iommu=pt quiet", collect, collect,
			   removed) == 0);
	CHECK(strcmp(removed, "iommu=pt") == 0);
}

static int collect_line(void *u, const char *line)
{
	return collect(u, line, NULL);
}

/* ---- the rule, modprobe.d, the next boot, the plan ---- */

static bool holds(const char *line, struct kop op, bool lenient)
{
	struct kcmdline c;
	bool r;

	if (kcmdline_parse(line, &c) < 0)
		return false;
	r = kline_satisfies(&c, &op, lenient, NULL, 0);
	kcmdline_done(&c);
	return r;
}

static void test_kline_rule(void)
{
	const struct kop on = { KOP_ENSURE, "intel_iommu", "on" };
	const struct kop pt = { KOP_ENSURE, "iommu", "pt" };
	const struct kop ids = { KOP_SET, "vfio-pci.ids", "8086:1572,10de:1b80" };
	const struct kop fix = { KOP_CORRECT, "vfio-pci.ids", "8086:1572" };
	const struct kop no_pt0 = { KOP_REMOVE, "iommu.passthrough", "0" };
	const struct kop drop = { KOP_DROP, "vfio-pci.ids", NULL };

	/* once, with the planned value; other options of intel_iommu may stay */
	CHECK(holds("quiet intel_iommu=on", on, false));
	CHECK(holds("intel_iommu=on intel_iommu=igfx_off", on, false));
	CHECK(holds("intel_iommu=igfx_off,on", on, false));
	CHECK(!holds("intel_iommu=on intel_iommu=on", on, false));
	CHECK(!holds("intel_iommu=on,off", on, false));
	CHECK(!holds("quiet", on, false));
	/* recovery entries: absent is fine, twice or contradicted is not */
	CHECK(holds("quiet", on, true));
	CHECK(!holds("intel_iommu=off", on, true));
	CHECK(!holds("iommu=pt iommu=pt", pt, true));
	CHECK(!holds("iommu=soft", pt, false));
	/* the IDs as a set, and no more of them */
	CHECK(holds("vfio_pci.ids=10de:1b80,8086:1572", ids, false));
	CHECK(!holds("vfio-pci.ids=8086:1572", ids, false));
	CHECK(!holds("vfio-pci.ids=8086:1572,10de:1b80,1234:5678", ids, false));
	CHECK(holds("quiet", fix, false));
	CHECK(!holds("vfio-pci.ids=10de:1b80", fix, false));
	CHECK(holds("iommu.passthrough=1", no_pt0, false));
	CHECK(!holds("iommu.passthrough=0", no_pt0, false));
	CHECK(!holds("vfio_pci.ids=1", drop, false));
}

static void test_modconf(void)
{
	static const char a[] = "# comment\n"
				"options vfio-pci ids=10de:1b80 \\\n"
				"  disable_vga=1\n"
				"  # a comment only in column 0 is one\n"
				"blacklist nouveau\n"
				"install vfio_pci /bin/false\n"
				"softdep\tnouveau pre: vfio-pci\n"
				"garbage line\n";
	static const char b[] = "options vfio_pci ids=8086:1572";
	struct modconf c = {};
	const struct modconf_entry *e = NULL;
	_cleanup_free_ char *v = NULL, *w = NULL;

	CHECK(modconf_parse(&c, "etc/modprobe.d/a.conf", a, strlen(a)) == 0);
	CHECK(c.n == 4);
	CHECK(c.entries[0].kind == MODCONF_OPTIONS && strcmp(c.entries[0].module, "vfio_pci") == 0);
	/* continued lines join; the entry says where it starts */
	CHECK(strcmp(c.entries[0].value, "ids=10de:1b80   disable_vga=1") == 0);
	CHECK(c.entries[0].line == 2);
	CHECK(c.entries[1].kind == MODCONF_BLACKLIST && c.entries[1].line == 5);
	CHECK(c.entries[2].kind == MODCONF_INSTALL && c.entries[3].kind == MODCONF_SOFTDEP);
	CHECK(modconf_parse(&c, "etc/modprobe.d/b.conf", b, strlen(b)) == 0);
	/* the last one given counts */
	v = modconf_param(&c, "vfio-pci", "ids", &e);
	CHECK(v && strcmp(v, "8086:1572") == 0 && strcmp(e->file, "etc/modprobe.d/b.conf") == 0);
	/* modprobe takes module.param words of the command line after every file */
	CHECK(modconf_add_cmdline(&c, "quiet vfio-pci.ids=1234:5678 modprobe.blacklist=a,b") == 0);
	w = modconf_param(&c, "vfio_pci", "ids", &e);
	CHECK(w && strcmp(w, "1234:5678") == 0 && e->file == NULL);
	CHECK(c.n == 8);
	modconf_done(&c);
}

/* sources with only GRUB defaults (and a drop-in) */
static int plan_grub(const char *dflt, const char *dropin, const struct kop *ops, size_t m,
		     struct nb_plan *p, struct file_error *err)
{
	struct src_file in[2] = { { .path = "etc/default/grub", .text = (char *)dflt },
				  { .path = "etc/default/grub.d/50.cfg", .text = (char *)dropin } };
	struct boot_sources s = { .grub_entries = true, .grub = in[0] };

	s.grub.len = strlen(dflt);
	if (dropin) {
		in[1].len = strlen(dropin);
		s.dropins = &in[1];
		s.n_dropins = 1;
	}
	return nextboot_plan(&s, ops, m, NULL, p, err);
}

static void test_nextboot_decisions(void)
{
	const struct kop ops[] = {
		{ KOP_ENSURE, "intel_iommu", "on" },
		{ KOP_ENSURE, "iommu", "pt" },
	};
	struct file_error err = {};
	struct nb_plan p;

	/* intel_iommu=on already effective in _DEFAULT: left there; iommu=pt
	 * goes to GRUB_CMDLINE_LINUX, and intel_iommu=on is not added twice */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n"
			"GRUB_CMDLINE_LINUX=\"\"\n",
			NULL, ops, 2, &p, &err) == 0);
	CHECK(p.n_edits == 1);
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX=\"iommu=pt\"\n"));
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n"));
	CHECK(p.n_findings >= 2 && p.findings[0].kind == NB_ALREADY);
	nb_plan_done(&p);

	/* iommu=pt in both variables: the second occurrence goes */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet iommu=pt\"\n"
			"GRUB_CMDLINE_LINUX=\"iommu=pt intel_iommu=on\"\n",
			NULL, ops, 2, &p, &err) == 0);
	CHECK(p.n_edits == 1);
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"));
	CHECK(strstr(p.edits[0].text, "GRUB_CMDLINE_LINUX=\"iommu=pt intel_iommu=on\"\n"));
	nb_plan_done(&p);

	/* a wrong value is corrected where it lives: in the drop-in */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX=\"quiet\"\n",
			"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX intel_iommu=off iommu=pt\"\n",
			ops, 2, &p, &err) == 0);
	CHECK(p.n_edits == 1 && strcmp(p.edits[0].src->path, "etc/default/grub.d/50.cfg") == 0);
	CHECK(strcmp(p.edits[0].text,
		     "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX intel_iommu=on iommu=pt\"\n") == 0);
	nb_plan_done(&p);

	/* already right everywhere: nothing to edit */
	CHECK(plan_grub("GRUB_CMDLINE_LINUX=\"intel_iommu=on\"\n",
			"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX iommu=pt\"\n", ops, 2, &p,
			&err) == 0);
	CHECK(p.n_edits == 0);
	nb_plan_done(&p);

	/* a word the rule must change comes from another variable: refused, file:line */
	CHECK(plan_grub("X=\"intel_iommu=off\"\nGRUB_CMDLINE_LINUX=\"$X\"\n", NULL, ops, 2, &p,
			&err) == -EINVAL);
	CHECK(strcmp(err.file, "etc/default/grub") == 0 && err.line == 2);
}

/* a host in memory: an Intel CPU, GRUB defaults, vfio-pci a module */
static void fake_input(struct plan_input *in, const char *grub, const char *vfio_conf)
{
	static const char rules[] = "cpu=intel -> param intel_iommu=on\n"
				    "cpu=intel -> offer iommu=pt\n";
	struct file_error err;

	memset(in, 0, sizeof(*in));
	in->host.cpu.vendor = CPU_VENDOR_INTEL;
	in->host.cpu.found = in->host.cpuinfo_found = true;
	snprintf(in->host.modules.kver, sizeof(in->host.modules.kver), "6.1.0-13-amd64");
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		in->host.modules.mods[i] =
			(struct mod_info){ .name = vfio_module_name(i), .kind = MOD_MODULE };
	in->host.boot.loader = LOADER_GRUB;
	in->host.boot.sources.grub_entries = true;
	in->host.boot.sources.grub = (struct src_file){ .path = strdup("etc/default/grub"),
							.text = strdup(grub),
							.len = strlen(grub) };
	in->host.modules.conf_files = calloc(1, sizeof(struct src_file));
	if (vfio_conf) {
		in->host.modules.conf_files[0] =
			(struct src_file){ .path = strdup("etc/modprobe.d/vfio.conf"),
					   .text = strdup(vfio_conf),
					   .len = strlen(vfio_conf) };
		in->host.modules.n_conf_files = 1;
		modconf_parse(&in->host.modules.all, "etc/modprobe.d/vfio.conf", vfio_conf,
			      strlen(vfio_conf));
	}
	rules_parse(rules, "10-iommu.rules", &in->rules, &err);
	in->rules_found = true;
	snprintf(in->regen.update_grub, sizeof(in->regen.update_grub), "/usr/sbin/update-grub");
	snprintf(in->regen.update_initramfs, sizeof(in->regen.update_initramfs),
		 "/usr/sbin/update-initramfs");
	in->regen.itools = true;
	in->regen.os.family = OS_DEBIAN;
	in->itools_modules = (struct src_file){ .path = strdup("etc/initramfs-tools/modules") };
}

static void fake_done(struct plan_input *in)
{
	boot_sources_done(&in->host.boot.sources);
	for (size_t i = 0; i < in->host.modules.n_conf_files; i++)
		src_file_done(&in->host.modules.conf_files[i]);
	free(in->host.modules.conf_files);
	modconf_done(&in->host.modules.all);
	rule_set_done(&in->rules);
	src_file_done(&in->itools_modules);
}

static const struct planned_file *planned_path(const struct plan *p, const char *path)
{
	for (size_t i = 0; i < p->n_files; i++)
		if (strcmp(p->files[i].path, path) == 0)
			return &p->files[i];
	return NULL;
}

static void test_plan_decide(void)
{
	static struct plan_input in;
	static struct plan p;
	char *ids[] = { "8086:1533" };
	struct plan_request req = { .ids = ids, .n_ids = 1, .passthrough = -1 };
	struct file_error err;
	const struct planned_file *f;

	/* the Ubuntu walk-through's _DEFAULT and a stale vfio.conf with other IDs */
	fake_input(
		&in,
		"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt\"\nGRUB_CMDLINE_LINUX=\"\"\n",
		"options vfio-pci ids=10de:1b80\n");
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	/* the parameters are effective already: etc/default/grub is not planned */
	CHECK(!planned_path(&p, "etc/default/grub"));
	/* vfio-pci gets exactly the request: the stale line is taken over */
	f = planned_path(&p, "etc/modprobe.d/vfio.conf");
	CHECK(f && f->kind == FILE_ADOPTED &&
	      strcmp(f->new, ADOPTED_MARK "options vfio-pci ids=10de:1b80\n") == 0);
	f = planned_path(&p, MODPROBE_FILE);
	CHECK(f && strstr(f->new, "\noptions vfio-pci ids=8086:1533\n"));
	CHECK(strcmp(p.ids, "8086:1533") == 0);
	/* not running this configuration: a reboot is needed */
	CHECK(p.reboot_required);
	plan_done(&p);

	/* the host asks for strict translation: iommu=pt is not offered, unless asked */
	src_file_done(&in.host.boot.sources.grub);
	in.host.boot.sources.grub = (struct src_file){
		.path = strdup("etc/default/grub"),
		.text = strdup("GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu.passthrough=0\"\n"),
	};
	in.host.boot.sources.grub.len = strlen(in.host.boot.sources.grub.text);
	req.n_ids = 0;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	for (size_t i = 0; i < p.n_params; i++)
		CHECK(!kparam_name_eq(p.params[i].name, "iommu"));
	CHECK(!planned_path(&p, "etc/default/grub"));
	plan_done(&p);
	req.passthrough = 1;
	CHECK(plan_decide(&in, &req, &p, &err) == 0);
	f = planned_path(&p, "etc/default/grub");
	CHECK(f && strcmp(f->new, "GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu=pt\"\n") == 0);
	plan_done(&p);

	/* no rules: apply refuses, naming where it looked */
	in.rules_found = false;
	snprintf(in.rules_dirs, sizeof(in.rules_dirs), "/usr/share/iommu-setup/rules.d");
	req.for_apply = true;
	CHECK(plan_decide(&in, &req, &p, &err) == -ENOENT);
	CHECK(strstr(err.message, "/usr/share/iommu-setup/rules.d"));
	req.for_apply = false;
	CHECK(plan_decide(&in, &req, &p, &err) == 0 && p.incomplete);
	plan_done(&p);
	/* a --param that is not one */
	{
		char *bad[] = { "video=efifb:off\"x" };

		in.rules_found = true;
		req.params = bad;
		req.n_params = 1;
		CHECK(plan_decide(&in, &req, &p, &err) == -EINVAL);
		CHECK(strstr(err.message, "--param"));
	}
	fake_done(&in);
}

static void test_lines(void)
{
	char out[512] = "", *lines[] = { "vfio", "vfio_pci" }, *rest = NULL;

	CHECK(lines_added("# x\nvfio\n", "# x\nvfio\nvfio_pci\n# new", collect_line, out) == 0);
	CHECK(strcmp(out, "vfio_pci # new") == 0);
	/* the first match of each goes, the rest stays byte for byte */
	CHECK(lines_remove("a\nvfio\nb\nvfio\nvfio_pci", lines, 2, &rest) == 0);
	CHECK(strcmp(rest, "a\nb\nvfio\n") == 0);
	free(rest);
}

/* a Boot#### variable as firmware stores it: HD(1,GPT,...) / File(\EFI\redhat\shimx64.efi) */
static size_t load_option(uint8_t *b, const char *desc, const char *path)
{
	static const uint8_t guid[16] = { 0xa4, 0x56, 0x6e, 0x0a, 0x2c, 0x5e, 0x6a, 0x4b,
					  0x9d, 0x3e, 0x6f, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e };
	size_t n = 6, dp;

	b[0] = 1, b[1] = b[2] = b[3] = 0;
	for (const char *c = desc;; c++) {
		b[n++] = (uint8_t)*c, b[n++] = 0;
		if (!*c)
			break;
	}
	dp = n;
	memset(b + n, 0, 42);
	b[n] = 4, b[n + 1] = 1, b[n + 2] = 42, b[n + 4] = 1;
	memcpy(b + n + 24, guid, 16);
	b[n + 40] = 2, b[n + 41] = 2;
	n += 42;
	b[n] = 4, b[n + 1] = 4, b[n + 2] = (uint8_t)(4 + 2 * (strlen(path) + 1)), b[n + 3] = 0;
	n += 4;
	for (const char *c = path;; c++) {
		b[n++] = (uint8_t)*c, b[n++] = 0;
		if (!*c)
			break;
	}
	b[n] = 0x7f, b[n + 1] = 0xff, b[n + 2] = 4, b[n + 3] = 0;
	n += 4;
	b[4] = (uint8_t)(n - dp), b[5] = 0;
	return n;
}

static void test_efi_load_option(void)
{
	uint8_t b[512];
	size_t n = load_option(b, "Red Hat Enterprise Linux", "\\EFI\\redhat\\shimx64.efi");
	struct efi_load_option lo;
	char dir[64];

	CHECK(efi_load_option_parse(b, n, &lo) == 0);
	CHECK(strcmp(lo.description, "Red Hat Enterprise Linux") == 0);
	CHECK(strcmp(lo.path, "\\EFI\\redhat\\shimx64.efi") == 0);
	CHECK(strcmp(lo.part_guid, "0a6e56a4-5e2c-4b6a-9d3e-6f1a2b3c4d5e") == 0);
	CHECK(lo.part_number == 1);
	CHECK(efi_path_vendor_dir(lo.path, dir, sizeof(dir)) == 0 && strcmp(dir, "redhat") == 0);
	CHECK(efi_path_vendor_dir("\\EFI\\BOOT\\BOOTX64.EFI", dir, sizeof(dir)) == -ENOENT);
	CHECK(efi_path_vendor_dir("\\EFI\\ubuntu", dir, sizeof(dir)) == -ENOENT);
	CHECK(efi_path_vendor_dir("/efi/debian/grubx64.efi", dir, sizeof(dir)) == 0 &&
	      strcmp(dir, "debian") == 0);
	/* every truncation is refused, none read past the end */
	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, b, k);
		CHECK(efi_load_option_parse(copy, k, &lo) == -EBADMSG);
		free(copy);
	}
	/* a node claiming more than there is */
	b[6 + 2 * 25 + 2] = 200;
	CHECK(efi_load_option_parse(b, n, &lo) == -EBADMSG);
}

static void test_grub_cfg_stub(void)
{
	CHECK(grub_cfg_is_stub(
		"search --no-floppy --fs-uuid --set=dev 1234\nset prefix=($dev)/grub2\n"
		"export $prefix\nconfigfile $prefix/grub.cfg\n"));
	CHECK(!grub_cfg_is_stub("### BEGIN /etc/grub.d/10_linux ###\nmenuentry 'RHEL' {\n"
				"linuxefi /vmlinuz root=/dev/sda2\n}\nconfigfile x\n"));
	CHECK(!grub_cfg_is_stub("insmod blscfg\nblscfg\n"));
	CHECK(!grub_cfg_is_stub(""));
}

int main(int argc, char *argv[])
{
	corpus_dir = argc > 1 ? argv[1] : NULL;
	/* results must reach the runner even when LeakSanitizer ends the process */
	setvbuf(stdout, NULL, _IOLBF, 0);

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
	RUN(test_cmdline_parse);
	RUN(test_shellvars);
	RUN(test_cpuinfo);
	RUN(test_checks_verdicts);
	RUN(test_kparams_edit_line);
	RUN(test_grub_edit);
	RUN(test_rules_parse);
	RUN(test_pdev_parse_arg);
	RUN(test_device_verdict);
	RUN(test_textsafe);
	RUN(test_json_escaping);
	RUN(test_root_resolution);
	RUN(test_record_roundtrip);
	RUN(test_record_malformed);
	RUN(test_record_sample);
	RUN(test_cmdline_diff);
	RUN(test_kline_rule);
	RUN(test_modconf);
	RUN(test_nextboot_decisions);
	RUN(test_plan_decide);
	RUN(test_lines);
	RUN(test_efi_load_option);
	RUN(test_grub_cfg_stub);

	printf("unit: %d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
