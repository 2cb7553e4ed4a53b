/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: kernel-check (decide/kernel-check.c), the gaps of a kernel installed after apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/checks.h"
#include "decide/kernel-check.h"
#include "decide/record.h"
#include "facts/cmdline.h"
#include "facts/cpuinfo.h"
#include "facts/modules.h"

#include "unit.h"

/* an Intel host whose kernel 6.1.0-20-amd64 (not the running one) has every
 * VFIO module, booted by GRUB from etc/default/grub with line */
static void host_init(struct host *h, const char *line)
{
	memset(h, 0, sizeof(*h));
	cpuinfo_parse("vendor_id : GenuineIntel\nflags : vmx\n", &h->cpu);
	h->cpuinfo_found = true;
	h->intel_iommu_default_on = 0;
	snprintf(h->modules.kver, sizeof(h->modules.kver), "6.1.0-20-amd64");
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		h->modules.mods[i] = (struct mod_info){ vfio_module_name(i), MOD_MODULE, -1 };
	h->boot.loader = LOADER_GRUB;
	snprintf(h->boot.configured_file, sizeof(h->boot.configured_file), "etc/default/grub");
	if (line) {
		h->boot.configured_found = h->boot.configured_known = true;
		kcmdline_parse(line, &h->boot.configured);
	}
}

/* the record of an apply that added these words to etc/default/grub (NAME or NAME=VALUE) */
static void record_init(struct record *rec, const char *const *words)
{
	struct record_file *f;

	memset(rec, 0, sizeof(*rec));
	f = record_add_file(rec, "etc/default/grub", FILE_GRUB_DEFAULT, "GRUB_CMDLINE_LINUX");
	for (; f && *words; words++) {
		char name[64];
		const char *eq = strchr(*words, '=');

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - *words) : 63, *words);
		record_file_add_param(f, name, eq ? eq + 1 : NULL);
	}
	record_add_file(rec, "etc/modprobe.d/iommu-setup.conf", FILE_OWNED, "modprobe.d");
}

/* the gaps kernel_check_gaps() finds, "" for none (static) */
static const char *gaps(struct host *h, struct record *rec)
{
	static char buf[2048];
	struct check_report r;
	char *g = NULL;

	buf[0] = '\0';
	if (checks_run(h, &r) < 0 || kernel_check_gaps(h, &r, rec, &g) < 0)
		snprintf(buf, sizeof(buf), "(error)");
	else if (g)
		snprintf(buf, sizeof(buf), "%s", g);
	free(g);
	checks_done(&r);
	return buf;
}

static void done(struct host *h, struct record *rec)
{
	kcmdline_done(&h->boot.configured);
	free(h->boot.kernel_cmdline);
	record_done(rec);
}

static void test_kernel_check_kept(void)
{
	static const char *const added[] = { "intel_iommu=on", "iommu=pt", NULL };
	struct record rec;
	struct host h;

	/* the line holds what apply added, among other words: no gap */
	host_init(&h, "quiet intel_iommu=on iommu=pt");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "") == 0);
	done(&h, &rec);
	/* intel_iommu options added by hand stay acceptable */
	host_init(&h, "intel_iommu=igfx_off,on iommu=pt");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "") == 0);
	done(&h, &rec);
}

static void test_kernel_check_lacks(void)
{
	static const char *const added[] = { "intel_iommu=on", "iommu=pt", NULL };
	struct record rec;
	struct host h;

	host_init(&h, "quiet");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec),
		     "its boot entry lacks intel_iommu=on iommu=pt (in etc/default/grub)") == 0);
	done(&h, &rec);

	/* a second occurrence and a contradiction are named, not called missing */
	host_init(&h, "intel_iommu=on iommu=pt iommu=pt");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "its boot entry has iommu 2 times (in etc/default/grub)") ==
	      0);
	done(&h, &rec);
	host_init(&h, "intel_iommu=on,off iommu=pt");
	record_init(&rec, added);
	/* "off" after "on" turns VT-d off again: NEXT_BOOT_IOMMU_OFF says it lacks "on" */
	CHECK(strcmp(gaps(&h, &rec),
		     "its boot entry lacks intel_iommu=on and has intel_iommu=off, "
		     "which contradicts intel_iommu=on (in etc/default/grub)") == 0);
	done(&h, &rec);
}

static void test_kernel_check_modules(void)
{
	static const char *const added[] = { "intel_iommu=on", NULL };
	struct record rec;
	struct host h;

	host_init(&h, "intel_iommu=on");
	h.modules.mods[VFIO_MOD_VFIO_PCI].kind = MOD_MISSING;
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "vfio_pci is not in its modules") == 0);
	h.modules.mods[VFIO_MOD_VFIO].kind = MOD_MISSING;
	/* iommufd is optional: never a gap */
	h.modules.mods[VFIO_MOD_IOMMUFD].kind = MOD_MISSING;
	CHECK(strcmp(gaps(&h, &rec), "vfio, vfio_pci are not in its modules") == 0);
	/* both kinds of gap, in one line */
	kcmdline_done(&h.boot.configured);
	kcmdline_parse("quiet", &h.boot.configured);
	CHECK(strcmp(gaps(&h, &rec), "its boot entry lacks intel_iommu=on (in etc/default/grub); "
				     "vfio, vfio_pci are not in its modules") == 0);
	done(&h, &rec);
}

static void test_kernel_check_ids(void)
{
	static const char *const added[] = { "iommu=pt", "vfio-pci.ids=8086:1533", NULL };
	struct record rec;
	struct host h;

	/* apply added 8086:1533; an ID added by hand since is no gap */
	host_init(&h, "intel_iommu=on iommu=pt vfio-pci.ids=10de:1b80,8086:1533");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "") == 0);
	done(&h, &rec);
	host_init(&h, "intel_iommu=on iommu=pt vfio_pci.ids=10de:1b80");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec),
		     "its boot entry lacks vfio-pci.ids=8086:1533 (in etc/default/grub)") == 0);
	done(&h, &rec);
}

static void test_kernel_check_next_iommu(void)
{
	/* apply added only iommu=pt (intel_iommu=on was there): a kernel that does
	 * not turn VT-d on by itself still needs intel_iommu=on (NEXT_BOOT_IOMMU_OFF) */
	static const char *const added[] = { "iommu=pt", NULL };
	struct record rec;
	struct host h;

	host_init(&h, "iommu=pt");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "its boot entry lacks intel_iommu=on (in etc/default/grub)") ==
	      0);
	/* a kernel with CONFIG_INTEL_IOMMU_DEFAULT_ON turns it on by itself */
	h.intel_iommu_default_on = 1;
	CHECK(strcmp(gaps(&h, &rec), "") == 0);
	done(&h, &rec);
}

static void test_kernel_check_bls_without_entry(void)
{
	static const char *const added[] = { "intel_iommu=on", "iommu=pt", NULL };
	struct record rec;
	struct host h;

	/* GRUB with BLS, no entry for this kernel yet: kernel-install writes it
	 * from etc/kernel/cmdline, which is the line that counts */
	host_init(&h, "intel_iommu=on iommu=pt");
	h.boot.loader = LOADER_GRUB_BLS;
	h.boot.kernel_cmdline = strdup("root=/dev/sda1 ro iommu=pt");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec),
		     "its boot entry lacks intel_iommu=on (in etc/kernel/cmdline)") == 0);
	/* with an entry of its own, that entry counts, and a stale etc/kernel/cmdline
	 * is named for the kernels after it */
	snprintf(h.boot.bls_entry, sizeof(h.boot.bls_entry), "boot/loader/entries/x.conf");
	snprintf(h.boot.configured_file, sizeof(h.boot.configured_file),
		 "boot/loader/entries/x.conf");
	CHECK(strcmp(gaps(&h, &rec), "etc/kernel/cmdline, which kernels installed later get, "
				     "differs from boot/loader/entries/x.conf") == 0);
	done(&h, &rec);
}

static void test_kernel_check_unknown(void)
{
	static const char *const added[] = { "intel_iommu=on", NULL };
	static const char *const none[] = { NULL };
	struct record rec;
	struct host h;

	host_init(&h, NULL);
	h.boot.configured_found = true;
	snprintf(h.boot.configured_why, sizeof(h.boot.configured_why),
		 "etc/default/grub:3: command substitution");
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "its command line (etc/default/grub) cannot be evaluated: "
				     "etc/default/grub:3: command substitution") == 0);
	done(&h, &rec);
	/* no boot configuration at all, and parameters to keep */
	host_init(&h, NULL);
	record_init(&rec, added);
	CHECK(strcmp(gaps(&h, &rec), "no boot configuration for it was found") == 0);
	done(&h, &rec);
	/* a record without parameters (modprobe.d only) asks nothing of the line */
	host_init(&h, NULL);
	h.cpu.vendor = CPU_VENDOR_AMD;
	record_init(&rec, none);
	CHECK(strcmp(gaps(&h, &rec), "") == 0);
	done(&h, &rec);
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_kernel_check_kept);
	RUN(test_kernel_check_lacks);
	RUN(test_kernel_check_modules);
	RUN(test_kernel_check_ids);
	RUN(test_kernel_check_next_iommu);
	RUN(test_kernel_check_bls_without_entry);
	RUN(test_kernel_check_unknown);
	UNIT_MAIN_END();
}
