/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: record. */
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
#include "unit.h"

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
		/* a request word belongs before the files, one word a line */
		{ "iommu-setup-record 2\nfile a trial created x\nrequest --force\nend\n", 3 },
		{ "iommu-setup-record 2\nrequest --ids 1\nend\n", 2 },
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

/* apply --trial's request and files: kept and read back; a record with more
 * request words than a request has is not one apply wrote */
static void test_record_trial(void)
{
	struct record rec = {}, back = {};
	struct record_file *f;
	char *text = NULL, *big = NULL;
	size_t len = 0;
	unsigned line = 0;
	FILE *m;

	CHECK(record_add_request(&rec, "--device=0000:01:00.0") == 0);
	CHECK(record_add_request(&rec, "--param=video=efifb:off vesafb:off") == 0);
	f = record_add_file(&rec, "boot/grub/custom.cfg", FILE_TRIAL, "the trial menu entry");
	CHECK(f && record_file_set_ours(f, "x\n", 2) == 0);
	f->created = true;
	CHECK(record_has_trial(&rec));
	CHECK(record_format(&rec, &text, &len) == 0);
	CHECK(record_parse(text, len, &back, &line) == 0);
	CHECK(back.n_request == 2 &&
	      strcmp(back.request[1], "--param=video=efifb:off vesafb:off") == 0);
	CHECK(back.n_files == 1 && back.files[0].kind == FILE_TRIAL && record_has_trial(&back));
	record_remove_file(&back, "boot/grub/custom.cfg");
	CHECK(back.n_files == 0 && !record_has_trial(&back));
	record_done(&back);
	free(text);
	record_done(&rec);

	m = open_memstream(&big, &len);
	CHECK(m);
	fputs("iommu-setup-record 2\n", m);
	for (int i = 0; i <= RECORD_REQUEST_MAX; i++)
		fputs("request --force\n", m);
	fputs("end\n", m);
	fclose(m);
	CHECK(record_parse(big, len, &back, &line) == -EBADMSG && line == RECORD_REQUEST_MAX + 2);
	free(big);
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
	CHECK(slurp(path, 1u << 20, &text, &len) >= 0);
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

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_record_roundtrip);
	RUN(test_record_malformed);
	RUN(test_record_trial);
	RUN(test_record_sample);
	RUN(test_cmdline_diff);
	RUN(test_lines);
	UNIT_MAIN_END();
}
