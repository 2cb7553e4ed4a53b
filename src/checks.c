/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "macro.h"

const char *check_level_to_string(enum check_level l)
{
	static const char *const names[_CHECK_LEVEL_MAX] = {
		[CHECK_PASS] = "pass",
		[CHECK_NOTE] = "note",
		[CHECK_WARN] = "warn",
		[CHECK_FAIL] = "fail",
	};

	return l >= 0 && l < _CHECK_LEVEL_MAX ? names[l] : NULL;
}

static struct check *add(struct check_report *r, const char *id, enum check_level level,
			 const char *label)
{
	struct check *c;

	/* the list of checks is fixed at compile time; CHECKS_MAX bounds it */
	if (r->n >= CHECKS_MAX)
		return &r->items[CHECKS_MAX - 1];
	c = &r->items[r->n++];
	*c = (struct check){ .id = id, .level = level };
	snprintf(c->label, sizeof(c->label), "%s", label);
	return c;
}

_printf_(2, 3) static void summary(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->summary, sizeof(c->summary), fmt, ap);
	va_end(ap);
}

_printf_(2, 3) static void hint(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->hint, sizeof(c->hint), fmt, ap);
	va_end(ap);
}

static bool vendor_uses_amd_vi(enum cpu_vendor v)
{
	return v == CPU_VENDOR_AMD || v == CPU_VENDOR_HYGON;
}

static void check_cpu(const struct host *h, struct check_report *r)
{
	const struct cpu_info *cpu = &h->cpu;
	const bool amd = vendor_uses_amd_vi(cpu->vendor);
	struct check *c;

	if (!h->cpuinfo_found || !cpu->found) {
		c = add(r, "cpu.vendor", CHECK_FAIL, "CPU");
		if (!h->cpuinfo_found)
			summary(c, "proc/cpuinfo cannot be read: %s", strerror(-h->cpuinfo_error));
		else
			summary(c, "proc/cpuinfo names no CPU vendor (not an x86 CPU?)");
		hint(c,
		     "iommu-setup handles x86 hosts (Intel VT-d, AMD-Vi); is /proc mounted in the root?");
		return;
	}
	if (cpu->vendor == CPU_VENDOR_OTHER) {
		c = add(r, "cpu.vendor", CHECK_FAIL, "CPU");
		summary(c, "vendor \"%s\" is neither Intel nor AMD", cpu->vendor_id);
		hint(c, "iommu-setup handles Intel VT-d and AMD-Vi IOMMUs only");
		return;
	}
	c = add(r, "cpu.vendor", CHECK_PASS, "CPU");
	summary(c, "%s (%s), %s%s", cpu_vendor_display_name(cpu->vendor), cpu->vendor_id,
		cpu->model_name[0] ? cpu->model_name : "unknown model",
		cpu->hypervisor ? ", running as a virtual machine" : "");

	if ((amd && cpu->svm) || (!amd && cpu->vmx)) {
		c = add(r, "cpu.virtualization", CHECK_PASS, "Hardware virtualization");
		summary(c, "%s (%s flag)", amd ? "AMD-V" : "VT-x", amd ? "svm" : "vmx");
		return;
	}
	c = add(r, "cpu.virtualization", CHECK_FAIL, "Hardware virtualization");
	summary(c, "no %s flag: %s is off or hidden from this kernel; KVM has no hardware support",
		amd ? "svm" : "vmx", amd ? "AMD-V" : "VT-x");
	if (cpu->hypervisor)
		hint(c,
		     "this is a virtual machine: enable nested virtualization in its hypervisor "
		     "(QEMU: -cpu host or +%s)",
		     amd ? "svm" : "vmx");
	else
		hint(c, "enable %s in the firmware setup",
		     amd ? "\"SVM Mode\" (AMD-V)" : "\"Intel Virtualization Technology\" (VT-x)");
}

static void summarize_firmware(const struct host *h, struct fw_summary *fw)
{
	const struct fw_table *t;

	memset(fw, 0, sizeof(*fw));
	fw->table = cpu_vendor_iommu_table(h->cpu.vendor);
	fw->iommu = cpu_vendor_iommu_name(h->cpu.vendor);
	if (!fw->table)
		return;
	t = strcmp(fw->table, "DMAR") == 0 ? &h->dmar : &h->ivrs;
	fw->t = t;
	if (t->dmar) {
		fw->valid = true;
		fw->units = t->dmar->counts[DMAR_DRHD];
		fw->intr_remap = (t->dmar->flags & DMAR_FLAG_INTR_REMAP) &&
				 dmar_count_ioapic_scopes(t->dmar) > 0;
		fw->x2apic_opt_out = t->dmar->flags & DMAR_FLAG_X2APIC_OPT_OUT;
		fw->dma_opt_in = t->dmar->flags & DMAR_FLAG_DMA_CTRL_PLATFORM_OPT_IN;
	} else if (t->ivrs) {
		fw->valid = true;
		fw->units = ivrs_count_iommus(t->ivrs);
		fw->intr_remap = ivrs_count_special(t->ivrs, IVHD_SPECIAL_IOAPIC) > 0;
		fw->dma_opt_in = IVINFO_DMA_REMAP_SUP(t->ivrs->ivinfo);
	}
}

static void check_firmware(const struct host *h, struct check_report *r)
{
	const struct fw_summary *fw = &r->fw;
	const bool amd = vendor_uses_amd_vi(h->cpu.vendor);
	const struct fw_table *t = fw->t;
	char label[48];
	struct check *c;

	if (!t)
		return;
	snprintf(label, sizeof(label), "%s in firmware (%s)", fw->iommu, fw->table);

	if (!t->present) {
		c = add(r, "firmware.iommu_table", CHECK_FAIL, label);
		summary(c, "no %s table: the IOMMU is disabled in the firmware setup or absent",
			fw->table);
		if (h->cpu.hypervisor)
			hint(c,
			     "this is a virtual machine: its hypervisor must emulate an IOMMU "
			     "(QEMU: -device %s)",
			     amd ? "amd-iommu" : "intel-iommu,intremap=on");
		else if (amd)
			hint(c, "enable \"IOMMU\" (often under AMD CBS / NBIO) and \"SVM Mode\" in "
				"the firmware setup, then boot again");
		else
			hint(c,
			     "enable \"VT-d\" (Intel Virtualization Technology for Directed I/O) "
			     "in the firmware setup, then boot again");
		return;
	}
	if (t->error == -EBADMSG) {
		c = add(r, "firmware.iommu_table", CHECK_FAIL, label);
		summary(c, "%s is malformed at byte %zu: %s", t->path, t->err.offset,
			t->err.message);
		hint(c,
		     "the kernel may ignore this table; update the firmware (BIOS) and report "
		     "the table to the vendor (iommu-setup acpi %s)",
		     t->path);
		return;
	}
	if (t->error < 0) {
		c = add(r, "firmware.iommu_table", CHECK_FAIL, label);
		summary(c, "%s cannot be read: %s", t->path, strerror(-t->error));
		hint(c, "run as root: ACPI tables are readable by root only");
		return;
	}
	if (fw->units == 0) {
		c = add(r, "firmware.iommu_table", CHECK_FAIL, label);
		summary(c, "%s describes no IOMMU unit", fw->table);
		hint(c, "update the firmware (BIOS); the IOMMU cannot be used without units");
		return;
	}
	c = add(r, "firmware.iommu_table", CHECK_PASS, label);
	summary(c, "enabled: %s describes %u IOMMU unit%s", fw->table, fw->units,
		fw->units == 1 ? "" : "s");
	if (!acpi_checksum_ok(t->dmar ? &t->dmar->header : &t->ivrs->header)) {
		c = add(r, "firmware.checksum", CHECK_WARN, "Table checksum");
		summary(c, "%s checksum is wrong (bytes sum to 0x%02X)", t->path,
			t->dmar ? t->dmar->header.sum : t->ivrs->header.sum);
		hint(c, "the table was decoded anyway; a firmware update may fix it");
	}

	if (fw->intr_remap) {
		c = add(r, "firmware.interrupt_remapping", CHECK_PASS, "Interrupt remapping");
		summary(c, "supported by the firmware (%s)",
			t->dmar ? "DMAR INTR_REMAP flag, IOAPIC under a unit"
				: "IVHD lists the IOAPIC");
	} else {
		c = add(r, "firmware.interrupt_remapping", CHECK_FAIL, "Interrupt remapping");
		if (t->dmar && (t->dmar->flags & DMAR_FLAG_INTR_REMAP))
			summary(c, "flagged in DMAR but no IOAPIC is under any unit: the kernel "
				   "will not enable it");
		else if (t->dmar)
			summary(c, "not supported: the DMAR INTR_REMAP flag is clear");
		else
			summary(c, "not possible: IVRS lists no IOAPIC, the kernel disables it");
		hint(c, "VFIO refuses to assign devices without it; vfio_iommu_type1 "
			"allow_unsafe_interrupts=1 overrides that but lets a guest forge "
			"interrupts: use --allow-unsafe-interrupts only if you accept the risk");
	}

	if (fw->x2apic_opt_out) {
		c = add(r, "firmware.x2apic_opt_out", CHECK_NOTE, "x2APIC opt-out");
		summary(c, "firmware asks the OS to keep xAPIC mode (DMAR X2APIC_OPT_OUT)");
		hint(c, "the kernel honours it unless booted with intremap=no_x2apic_optout");
	}
	if (fw->dma_opt_in) {
		c = add(r, "firmware.dma_protection", CHECK_NOTE, "Pre-boot DMA protection");
		summary(c,
			"firmware protected DMA before boot: the kernel keeps the IOMMU on "
			"even without %s",
			amd ? "extra parameters" : "intel_iommu=on");
	}
}

static void check_foreign_table(const struct host *h, struct check_report *r)
{
	const struct fw_table *other;
	struct check *c;

	if (h->cpu.vendor == CPU_VENDOR_OTHER)
		return;
	other = vendor_uses_amd_vi(h->cpu.vendor) ? &h->dmar : &h->ivrs;
	if (!other->present)
		return;
	c = add(r, "firmware.foreign_table", CHECK_NOTE, "Other IOMMU table");
	summary(c, "%s is present too; the kernel ignores it on this CPU", other->path);
}

void checks_run(const struct host *h, struct check_report *ret)
{
	memset(ret, 0, sizeof(*ret));
	check_cpu(h, ret);
	summarize_firmware(h, &ret->fw);
	check_firmware(h, ret);
	check_foreign_table(h, ret);

	for (size_t i = 0; i < ret->n; i++)
		if (ret->items[i].level == CHECK_FAIL) {
			ret->blocking = &ret->items[i];
			break;
		}
}
