/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/checks.h"
#include "decide/kparams.h"
#include "decide/trial.h"

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

struct check *check_add(struct check_report *r, const char *id, const char *code,
			enum check_level level, const char *label)
{
	struct check *c, *n;

	n = realloc(r->items, (r->n + 1) * sizeof(*n));
	if (!n) {
		r->error = -ENOMEM;
		c = &r->sink;
	} else {
		r->items = n;
		c = &r->items[r->n++];
		*c = (struct check){};
	}
	free(c->summary);
	free(c->hint);
	*c = (struct check){ .id = id, .code = code, .level = level };
	snprintf(c->label, sizeof(c->label), "%s", label);
	return c;
}

_printf_(3, 0) static void set_text(struct check *c, char **dst, const char *fmt, va_list ap)
{
	char *t = NULL;

	if (vasprintf(&t, fmt, ap) < 0) {
		c->oom = true;
		t = NULL;
	}
	free(*dst);
	*dst = t;
}

void check_summary(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(c, &c->summary, fmt, ap);
	va_end(ap);
}

/* A check that a loop finds more than once is one item (ids are unique in a
 * report): the second finding is appended to the first one's summary. */
struct check *check_add_or_extend(struct check_report *r, const char *id, const char *code,
				  enum check_level level, const char *label)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].id, id) == 0)
			return &r->items[i];
	return check_add(r, id, code, level, label);
}

/* Appends "; text" to the summary, or sets it when there is none yet. */
void check_summary_more(struct check *c, const char *fmt, ...)
{
	_cleanup_free_ char *t = NULL, *prev = c->summary;
	va_list ap;
	int k;

	/* a report stays readable, and cheap to make, whatever the root holds */
	if (c->extended == CHECK_FINDINGS_SHOWN) {
		c->extended++;
		k = asprintf(&t, "and more");
	} else if (c->extended > CHECK_FINDINGS_SHOWN) {
		c->summary = TAKE_PTR(prev);
		return;
	} else {
		c->extended++;
		va_start(ap, fmt);
		k = vasprintf(&t, fmt, ap);
		va_end(ap);
	}
	if (k < 0) {
		c->summary = TAKE_PTR(prev);
		c->oom = true;
		return;
	}
	if (!prev) {
		c->summary = TAKE_PTR(t);
		return;
	}
	c->summary = NULL;
	if (asprintf(&c->summary, "%s; %s", prev, t) < 0) {
		c->summary = TAKE_PTR(prev);
		c->oom = true;
	}
}

void check_hint(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_text(c, &c->hint, fmt, ap);
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
		c = check_add(r, "cpu.vendor", "CPU_UNKNOWN", CHECK_FAIL, "CPU");
		if (!h->cpuinfo_found)
			check_summary(c, "proc/cpuinfo cannot be read: %s",
				      strerror(-h->cpuinfo_error));
		else
			check_summary(c, "proc/cpuinfo names no CPU vendor (not an x86 CPU?)");
		check_hint(
			c,
			"iommu-setup handles x86 hosts (Intel VT-d, AMD-Vi); is /proc mounted in the root?");
		return;
	}
	if (cpu->vendor == CPU_VENDOR_OTHER) {
		c = check_add(r, "cpu.vendor", "CPU_VENDOR_UNSUPPORTED", CHECK_FAIL, "CPU");
		check_summary(c, "vendor \"%s\" is neither Intel nor AMD", cpu->vendor_id);
		check_hint(c, "iommu-setup handles Intel VT-d and AMD-Vi IOMMUs only");
		return;
	}
	c = check_add(r, "cpu.vendor", NULL, CHECK_PASS, "CPU");
	check_summary(c, "%s (%s), %s%s", cpu_vendor_display_name(cpu->vendor), cpu->vendor_id,
		      cpu->model_name[0] ? cpu->model_name : "unknown model",
		      cpu->hypervisor ? ", running as a virtual machine" : "");

	if ((amd && cpu->svm) || (!amd && cpu->vmx)) {
		c = check_add(r, "cpu.virtualization", NULL, CHECK_PASS, "Hardware virtualization");
		check_summary(c, "%s (%s flag)", amd ? "AMD-V" : "VT-x", amd ? "svm" : "vmx");
		return;
	}
	/* inside a virtual machine (nested), VFIO assignment still works and can be
	 * proven; its own guests would run under emulation: a warning, not a block */
	c = check_add(r, "cpu.virtualization", "VIRT_EXTENSIONS_OFF",
		      cpu->hypervisor ? CHECK_WARN : CHECK_FAIL, "Hardware virtualization");
	check_summary(
		c,
		"no %s flag: %s is off or hidden from this kernel; KVM has no hardware support%s",
		amd ? "svm" : "vmx", amd ? "AMD-V" : "VT-x",
		cpu->hypervisor ? " (guests here would run under emulation; VFIO does not need it)"
				: "");
	if (cpu->hypervisor)
		check_hint(
			c,
			"this is a virtual machine: enable nested virtualization in its hypervisor "
			"(QEMU: -cpu host or +%s)",
			amd ? "svm" : "vmx");
	else
		check_hint(c, "enable %s in the firmware setup",
			   amd ? "\"SVM Mode\" (AMD-V)"
			       : "\"Intel Virtualization Technology\" (VT-x)");
}

void checks_firmware_summary(const struct host *h, struct fw_summary *fw)
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

static bool unsafe_opted_in(const struct host *h);

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
		c = check_add(r, "firmware.iommu_table", "FIRMWARE_IOMMU_OFF", CHECK_FAIL, label);
		check_summary(c,
			      "no %s table: the IOMMU is disabled in the firmware setup or absent",
			      fw->table);
		if (h->cpu.hypervisor)
			check_hint(
				c,
				"this is a virtual machine: its hypervisor must emulate an IOMMU "
				"(QEMU: -device %s)",
				amd ? "amd-iommu" : "intel-iommu,intremap=on");
		else if (amd)
			check_hint(
				c,
				"enable \"IOMMU\" (often under AMD CBS / NBIO) and \"SVM Mode\" in "
				"the firmware setup, then boot again");
		else
			check_hint(
				c,
				"enable \"VT-d\" (Intel Virtualization Technology for Directed I/O) "
				"in the firmware setup, then boot again");
		return;
	}
	if (t->error == -EBADMSG) {
		c = check_add(r, "firmware.iommu_table", "FIRMWARE_TABLE_MALFORMED", CHECK_FAIL,
			      label);
		check_summary(c, "%s is malformed at byte %zu: %s", t->path, t->err.offset,
			      t->err.message);
		check_hint(
			c,
			"the kernel may ignore this table; update the firmware (BIOS) and report "
			"the table to the vendor (iommu-setup acpi %s)",
			t->path);
		return;
	}
	if (t->error < 0) {
		c = check_add(r, "firmware.iommu_table", "FIRMWARE_TABLE_UNREADABLE", CHECK_FAIL,
			      label);
		check_summary(c, "%s cannot be read: %s", t->path, strerror(-t->error));
		check_hint(c, "run as root: ACPI tables are readable by root only");
		return;
	}
	if (fw->units == 0) {
		c = check_add(r, "firmware.iommu_table", "FIRMWARE_NO_IOMMU_UNITS", CHECK_FAIL,
			      label);
		check_summary(c, "%s describes no IOMMU unit", fw->table);
		check_hint(c, "update the firmware (BIOS); the IOMMU cannot be used without units");
		return;
	}
	c = check_add(r, "firmware.iommu_table", NULL, CHECK_PASS, label);
	check_summary(c, "enabled: %s describes %u IOMMU unit%s", fw->table, fw->units,
		      fw->units == 1 ? "" : "s");
	if (!acpi_checksum_ok(t->dmar ? &t->dmar->header : &t->ivrs->header)) {
		c = check_add(r, "firmware.checksum", "FIRMWARE_TABLE_CHECKSUM", CHECK_WARN,
			      "Table checksum");
		check_summary(c, "%s checksum is wrong (bytes sum to 0x%02X)", t->path,
			      t->dmar ? t->dmar->header.sum : t->ivrs->header.sum);
		check_hint(c, "the table was decoded anyway; a firmware update may fix it");
	}

	if (fw->intr_remap) {
		c = check_add(r, "firmware.interrupt_remapping", NULL, CHECK_PASS,
			      "Interrupt remapping");
		check_summary(c, "supported by the firmware (%s)",
			      t->dmar ? "DMAR INTR_REMAP flag, IOAPIC under a unit"
				      : "IVHD lists the IOAPIC");
	} else {
		c = check_add(r, "firmware.interrupt_remapping", "IR_MISSING",
			      unsafe_opted_in(h) ? CHECK_WARN : CHECK_FAIL, "Interrupt remapping");
		if (t->dmar && (t->dmar->flags & DMAR_FLAG_INTR_REMAP))
			check_summary(c,
				      "flagged in DMAR but no IOAPIC is under any unit: the kernel "
				      "will not enable it");
		else if (t->dmar)
			check_summary(c, "not supported: the DMAR INTR_REMAP flag is clear");
		else
			check_summary(c,
				      "not possible: IVRS lists no IOAPIC, the kernel disables it");
		check_hint(c, "VFIO refuses to assign devices without it; vfio_iommu_type1 "
			      "allow_unsafe_interrupts=1 overrides that but lets a guest forge "
			      "interrupts: set it only if you accept that risk");
	}

	if (fw->x2apic_opt_out) {
		c = check_add(r, "firmware.x2apic_opt_out", "X2APIC_OPT_OUT", CHECK_NOTE,
			      "x2APIC opt-out");
		check_summary(c, "firmware asks the OS to keep xAPIC mode (DMAR X2APIC_OPT_OUT)");
		check_hint(c, "the kernel honours it unless booted with intremap=no_x2apic_optout");
	}
	if (fw->dma_opt_in) {
		c = check_add(r, "firmware.dma_protection", "DMA_PROTECTION_OPT_IN", CHECK_NOTE,
			      "Pre-boot DMA protection");
		check_summary(c,
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
	c = check_add(r, "firmware.foreign_table", "FOREIGN_IOMMU_TABLE", CHECK_NOTE,
		      "Other IOMMU table");
	check_summary(c, "%s is present too; the kernel ignores it on this CPU", other->path);
}

/* Kernel parameters that matter for device assignment, for summaries and drift. */
static const char *const iommu_params[] = {
	"intel_iommu",
	"amd_iommu",
	"iommu",
	"iommu.passthrough",
	"iommu.strict",
	"intremap",
	"vfio_pci.ids",
	"vfio_pci.disable_vga",
	"vfio_iommu_type1.allow_unsafe_interrupts",
	"rd.driver.pre",
	"pcie_acs_override",
};

/* "intel_iommu=on iommu=pt" of c, for people; "" when none */
static void iommu_words(const struct kcmdline *c, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		const struct kparam *p = &c->params[i];
		bool ours = false;

		for (size_t k = 0; k < ARRAY_SIZE(iommu_params); k++)
			if (kparam_name_eq(p->name, iommu_params[k]))
				ours = true;
		if (!ours || used >= n)
			continue;
		used += (size_t)snprintf(buf + used, n - used, "%s%s%s%s", used ? " " : "", p->name,
					 p->value ? "=" : "", p->value ? p->value : "");
	}
}

static bool param_is(const struct kcmdline *c, const char *name, const char *value)
{
	const struct kparam *p = kcmdline_find(c, name);

	return p && p->value && strcmp(p->value, value) == 0;
}

/* intel_iommu=on,igfx_off and friends: is "on" among the comma-separated options? */
static bool intel_iommu_on(const struct kcmdline *c)
{
	const struct kparam *p = kcmdline_find(c, "intel_iommu");
	bool on = false;

	if (!p || !p->value)
		return false;
	for (const char *s = p->value; *s;) {
		size_t n = strcspn(s, ",");

		if (n == 2 && strncmp(s, "on", 2) == 0)
			on = true;
		if (n == 3 && strncmp(s, "off", 3) == 0)
			on = false;
		s += n + (s[n] == ',');
	}
	return on;
}

static bool iommu_disabled_by(const struct kcmdline *c, char *what, size_t n)
{
	const struct kparam *p;

	if ((p = kcmdline_find(c, "intel_iommu")) && p->value && strstr(p->value, "off") &&
	    !intel_iommu_on(c)) {
		snprintf(what, n, "intel_iommu=%s", p->value);
		return true;
	}
	if ((p = kcmdline_find(c, "amd_iommu")) && p->value && strcmp(p->value, "off") == 0) {
		snprintf(what, n, "amd_iommu=off");
		return true;
	}
	if ((p = kcmdline_find(c, "iommu")) && p->value && strcmp(p->value, "off") == 0) {
		snprintf(what, n, "iommu=off");
		return true;
	}
	return false;
}

/* allow_unsafe_interrupts as modprobe.d sets it for the next load: 1, 0, -1 unset */
static int configured_unsafe(const struct host *h, const char **file)
{
	int v = -1;

	for (unsigned i = 0; i < h->modules.n_conf; i++) {
		const struct modconf_entry *e = &h->modules.conf[i];
		const char *p;

		if (e->kind != MODCONF_OPTIONS || strcmp(e->module, "vfio_iommu_type1") != 0 ||
		    !e->value)
			continue;
		p = strstr(e->value, "allow_unsafe_interrupts=");
		if (p) {
			v = parse_kernel_bool(p + strlen("allow_unsafe_interrupts="));
			*file = e->file;
		}
	}
	if (h->boot.configured_known) {
		const struct kparam *p = kcmdline_find(&h->boot.configured,
						       "vfio_iommu_type1.allow_unsafe_interrupts");

		if (p) {
			v = p->value ? parse_kernel_bool(p->value) : 1;
			*file = h->boot.configured_file;
		}
	}
	return v;
}

static bool unsafe_opted_in(const struct host *h)
{
	const char *file = NULL;

	return h->kernel.unsafe_interrupts == 1 || configured_unsafe(h, &file) == 1;
}

static void check_kernel(const struct host *h, struct check_report *r)
{
	const struct kernel_state *k = &h->kernel;
	const bool intel = !vendor_uses_amd_vi(h->cpu.vendor);
	char what[64];
	struct check *c;

	if (!k->cmdline_found) {
		c = check_add(r, "kernel.running", "RUNNING_KERNEL_UNKNOWN", CHECK_NOTE,
			      "Running kernel");
		check_summary(c,
			      "no proc/cmdline below the root: the running kernel is not examined");
		return;
	}
	if (!h->live) {
		c = check_add(r, "kernel.running", "RUNNING_KERNEL_NOT_TARGET", CHECK_NOTE,
			      "Running kernel");
		check_summary(
			c,
			"%s is not the target kernel %s (an installer or a chroot): its state "
			"says nothing about the next boot and is not examined",
			k->release[0] ? k->release : "unknown", h->modules.kver);
		return;
	}

	if (k->n_units > 0 || k->n_groups > 0) {
		char units[8 * (NAME_MAX + 3) + 32] = "";
		size_t used = 0;

		/* a few by name, the rest counted (the JSON report lists them all) */
		for (unsigned i = 0; i < k->n_units && i < 8; i++)
			used += (size_t)snprintf(units + used, sizeof(units) - used, "%s%s",
						 i ? ", " : "", k->units[i]);
		if (k->n_units > 8)
			snprintf(units + used, sizeof(units) - used, " and %u more",
				 k->n_units - 8);
		c = check_add(r, "kernel.iommu", NULL, CHECK_PASS, "IOMMU in the kernel");
		check_summary(c, "active: %u unit%s (%s), %u IOMMU group%s", k->n_units,
			      k->n_units == 1 ? "" : "s", units[0] ? units : "none listed",
			      k->n_groups, k->n_groups == 1 ? "" : "s");
	} else {
		c = check_add(r, "kernel.iommu", "KERNEL_IOMMU_OFF", CHECK_FAIL,
			      "IOMMU in the kernel");
		if (iommu_disabled_by(&k->cmdline, what, sizeof(what))) {
			check_summary(c, "off: the running command line has %s", what);
			check_hint(
				c,
				"remove %s from the kernel command line (iommu-setup apply does), then "
				"reboot",
				what);
		} else if (r->fw.t && !r->fw.valid) {
			check_summary(c, "not active: the firmware describes no usable IOMMU");
			check_hint(c, "see the firmware check above");
		} else if (intel && h->boot.configured_known &&
			   intel_iommu_on(&h->boot.configured)) {
			/* configured already: the next boot has it, apply would change nothing */
			check_summary(
				c,
				"not active: no unit in sys/class/iommu and no IOMMU groups; this "
				"kernel was started without intel_iommu=on, which %s now has",
				h->boot.configured_file);
			check_hint(c,
				   "reboot pending: reboot to start the kernel with the configured "
				   "command line");
		} else if (intel) {
			check_summary(
				c,
				"not active: no unit in sys/class/iommu and no IOMMU groups; this "
				"kernel does not turn VT-d on by itself");
			check_hint(
				c,
				"add intel_iommu=on to the kernel command line (iommu-setup apply), "
				"then reboot");
		} else {
			check_summary(
				c, "not active although %s is present: no unit in sys/class/iommu",
				r->fw.table ? r->fw.table : "the firmware table");
			check_hint(
				c,
				"look for AMD-Vi errors in the kernel log (dmesg | grep AMD-Vi)");
		}
	}

	if (k->n_groups > 0) {
		unsigned typed = 0;
		char types[160] = "";
		size_t used = 0;
		const bool pt_asked = param_is(&k->cmdline, "iommu", "pt") ||
				      param_is(&k->cmdline, "iommu.passthrough", "1");

		for (int t = 0; t < _GROUP_TYPE_MAX; t++) {
			if (!k->group_types[t])
				continue;
			typed += k->group_types[t];
			used += (size_t)snprintf(types + used, sizeof(types) - used, "%s%u %s",
						 used ? ", " : "", k->group_types[t],
						 group_type_to_string(t));
		}
		if (typed == 0) {
			/* kernels before 5.11 have no type file */
		} else if (pt_asked && !k->group_types[GROUP_IDENTITY]) {
			c = check_add(r, "kernel.passthrough", "PASSTHROUGH_NOT_EFFECTIVE",
				      CHECK_WARN, "DMA passthrough");
			check_summary(
				c,
				"iommu=pt is on the command line but no group is in identity mode "
				"(%s)",
				types);
		} else {
			c = check_add(r, "kernel.passthrough", "DEFAULT_DOMAINS", CHECK_NOTE,
				      "DMA passthrough");
			check_summary(
				c, "default domains: %s%s", types,
				k->group_types[GROUP_IDENTITY]
					? " (identity = passthrough: host devices bypass translation)"
					: "");
		}
	}

	if (!k->interrupts_found)
		return;
	if (k->ir_lines > 0) {
		c = check_add(r, "kernel.interrupt_remapping", NULL, CHECK_PASS,
			      "Interrupt remapping in use");
		check_summary(c, "yes: %u interrupt%s delivered through %s chips (proc/interrupts)",
			      k->ir_lines, k->ir_lines == 1 ? "" : "s", k->ir_chip);
		return;
	}
	if (unsafe_opted_in(h)) {
		c = check_add(r, "kernel.interrupt_remapping", "IR_UNSAFE_OPT_IN", CHECK_WARN,
			      "Interrupt remapping in use");
		check_summary(
			c,
			"no IR- interrupt chips in proc/interrupts; allow_unsafe_interrupts lets "
			"VFIO assign devices anyway, and a guest can forge interrupts");
		return;
	}
	c = check_add(r, "kernel.interrupt_remapping", "IR_NOT_IN_USE",
		      k->n_units > 0 || k->n_groups > 0 ? CHECK_FAIL : CHECK_WARN,
		      "Interrupt remapping in use");
	check_summary(c, "no: no IR- interrupt chips in proc/interrupts, so VFIO refuses to attach "
			 "devices (EPERM)");
	if (kcmdline_find(&k->cmdline, "intremap") && param_is(&k->cmdline, "intremap", "off"))
		check_hint(c, "remove intremap=off from the kernel command line");
	else if (r->fw.intr_remap)
		check_hint(
			c,
			"the firmware supports it: look for DMAR-IR / AMD-Vi errors in the kernel "
			"log");
	else
		check_hint(
			c,
			"vfio_iommu_type1 allow_unsafe_interrupts=1 overrides it, and lets guests "
			"forge interrupts: only if you accept that");
}

static void check_unsafe_interrupts(const struct host *h, struct check_report *r)
{
	const char *file = NULL;
	int conf = configured_unsafe(h, &file);
	int now = h->live ? h->kernel.unsafe_interrupts : -1;
	struct check *c;

	if (conf != 1 && now != 1)
		return;
	c = check_add(r, "vfio.allow_unsafe_interrupts", "UNSAFE_INTERRUPTS_ALLOWED",
		      r->fw.intr_remap ? CHECK_WARN : CHECK_NOTE, "allow_unsafe_interrupts");
	check_summary(c, "%s%s%s%s", now == 1 ? "in effect (vfio_iommu_type1 loaded with it)" : "",
		      now == 1 && conf == 1 ? "; " : "", conf == 1 ? "configured in " : "",
		      conf == 1 ? file : "");
	if (r->fw.intr_remap)
		check_hint(
			c,
			"the platform has interrupt remapping: remove it, it only weakens isolation");
	else
		check_hint(
			c,
			"guests with assigned devices can forge interrupts (MSI) against the host");
}

/* an "options vfio_pci ... ids=..." line */
static bool has_ids(const struct modconf_entry *e)
{
	return e->kind == MODCONF_OPTIONS && strcmp(e->module, "vfio_pci") == 0 && e->value &&
	       strstr(e->value, "ids=");
}

static bool same_ids(const struct modconf_entry *x, const struct modconf_entry *y)
{
	const char *a = strstr(x->value, "ids="), *b = strstr(y->value, "ids=");

	return strcspn(a, " ") == strcspn(b, " ") && strncmp(a, b, strcspn(a, " ")) == 0;
}

static void check_modules(const struct host *h, struct check_report *r)
{
	const struct modules_state *m = &h->modules;
	char line[256] = "";
	size_t used = 0;
	bool missing = false;
	unsigned last;
	struct check *c;

	if (!m->kver[0]) {
		c = check_add(r, "modules.kernel", "NO_TARGET_KERNEL", CHECK_FAIL, "Target kernel");
		check_summary(
			c,
			"no kernel installed under lib/modules: the VFIO modules cannot be checked");
		check_hint(c, "point --root at the installed system, or install a kernel");
		return;
	}
	c = check_add(r, "modules.kernel", "TARGET_KERNEL", CHECK_NOTE, "Target kernel");
	if (m->kver_from_arg)
		check_summary(c, "%s (from --kernel)", m->kver);
	else
		check_summary(c, "%s (the newest of %u installed)", m->kver, m->n_kernels);
	if (m->error < 0) {
		c = check_add(r, "modules.vfio", "MODULE_INDEX_UNREADABLE", CHECK_FAIL,
			      "VFIO modules");
		check_summary(c, "the module index of %s cannot be read: %s", m->kver,
			      strerror(-m->error));
		check_hint(c, "run depmod %s", m->kver);
		return;
	}
	for (int i = 0; i < _VFIO_MOD_MAX; i++) {
		const struct mod_info *mi = &m->mods[i];

		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s %s%s",
					 i ? ", " : "", mi->name, mod_kind_to_string(mi->kind),
					 mi->kind == MOD_MODULE && mi->loaded == 1 ? " (loaded)"
										   : "");
		if (used >= sizeof(line))
			used = sizeof(line) - 1;
		if (mi->kind == MOD_MISSING && (i == VFIO_MOD_VFIO || i == VFIO_MOD_VFIO_PCI ||
						i == VFIO_MOD_VFIO_IOMMU_TYPE1))
			missing = true;
	}
	c = check_add(r, "modules.vfio", missing ? "VFIO_MODULES_MISSING" : NULL,
		      missing ? CHECK_FAIL : CHECK_PASS, "VFIO modules");
	check_summary(c, "%s", line);
	if (missing)
		check_hint(c,
			   "install a kernel package that ships VFIO (some cloud kernels do not)");

	/* what modprobe.d says, and what it gets wrong */
	last = m->n_conf;
	for (unsigned i = 0; i < m->n_conf; i++)
		if (has_ids(&m->conf[i]))
			last = i;
	for (unsigned i = 0; i < m->n_conf; i++) {
		const struct modconf_entry *e = &m->conf[i];

		if (e->kind == MODCONF_BLACKLIST && modules_is_vfio(e->module)) {
			c = check_add_or_extend(r, "modprobe.blacklist", "VFIO_BLACKLISTED",
						CHECK_WARN, "modprobe.d");
			check_summary_more(
				c,
				"%s is blacklisted in %s: it is not loaded for a device by alias",
				e->module, e->file);
			check_hint(c, "remove the blacklist line unless you mean it");
		}
		if (e->kind == MODCONF_OPTIONS) {
			for (int k = 0; k < _VFIO_MOD_MAX; k++)
				if (strcmp(m->mods[k].name, e->module) == 0 &&
				    m->mods[k].kind == MOD_BUILTIN) {
					c = check_add_or_extend(r, "modprobe.builtin_options",
								"OPTIONS_IGNORED_BUILTIN",
								CHECK_WARN, "modprobe.d");
					check_summary_more(
						c,
						"\"options %s %s\" in %s is ignored: %s is built into %s",
						e->module, e->value, e->file, e->module, m->kver);
					check_hint(
						c,
						"put %s.<param>=… on the kernel command line instead",
						e->module);
				}
			/* only the last "options vfio_pci ids=" counts: each earlier one
			 * that says something else is a finding (once, not per pair) */
			if (i < last && has_ids(e) && !same_ids(e, &m->conf[last])) {
				const char *a = strstr(e->value, "ids="),
					   *b = strstr(m->conf[last].value, "ids=");

				c = check_add_or_extend(r, "modprobe.ids_conflict",
							"VFIO_IDS_CONFLICT", CHECK_WARN,
							"modprobe.d");
				check_summary_more(
					c,
					"vfio_pci ids set differently in %s (%.*s) and %s "
					"(%.*s): only the last one counts",
					e->file, (int)strcspn(a, " "), a, m->conf[last].file,
					(int)strcspn(b, " "), b);
				check_hint(
					c,
					"keep one \"options vfio_pci ids=…\" line with every ID");
			}
		}
	}
	for (unsigned i = 0; i < m->n_ignored; i++) {
		c = check_add_or_extend(r, "modprobe.ignored_file", "MODPROBE_FILE_IGNORED",
					CHECK_WARN, "modprobe.d");
		check_summary_more(
			c, "%s mentions VFIO but modprobe ignores it: only *.conf files are read",
			m->ignored_files[i]);
		check_hint(c, "rename it to end in .conf");
	}
}

bool host_trial_booted(const struct host *h)
{
	return h->trial_pending && h->live && h->boot_id[0] &&
	       strcmp(h->boot_id, h->applied_boot_id) != 0 &&
	       trial_cmdline_booted(&h->kernel.cmdline, &h->trial_cmdline);
}

/* a trial boot apply --trial left, and whether this boot is it */
static void check_trial(const struct host *h, struct check_report *r)
{
	struct check *c;

	if (!h->trial_pending)
		return;
	if (h->boot_id[0] && strcmp(h->boot_id, h->applied_boot_id) == 0) {
		c = check_add(r, "boot.trial", "TRIAL_PENDING", CHECK_WARN, "Trial boot");
		check_summary(c,
			      "apply --trial set up a one-shot boot: the next boot is the trial "
			      "entry (%s); the default entry is unchanged",
			      h->boot.loader == LOADER_SYSTEMD_BOOT ? "LoaderEntryOneShot"
								    : "next_entry in grubenv");
		check_hint(c, "reboot; then `iommu-setup commit` makes it permanent once verify "
			      "passes, or `iommu-setup revert --trial` removes it");
	} else if (!h->live) {
		c = check_add(r, "boot.trial", "TRIAL_PENDING", CHECK_WARN, "Trial boot");
		check_summary(c,
			      "apply --trial set up a one-shot boot that is neither committed nor "
			      "reverted; the running kernel is not the target kernel, so whether "
			      "this boot is the trial cannot be told");
		check_hint(c, "boot the trial entry and run `iommu-setup commit`, or `iommu-setup "
			      "revert --trial`");
	} else if (host_trial_booted(h)) {
		c = check_add(r, "boot.trial", "TRIAL_BOOTED", CHECK_NOTE, "Trial boot");
		check_summary(c, "this boot is the trial entry apply --trial set up; the default "
				 "entry is unchanged until it is committed");
		check_hint(c, "`iommu-setup commit` makes it permanent once verify passes; "
			      "`iommu-setup revert --trial` removes it");
	} else {
		c = check_add(r, "boot.trial", "TRIAL_NOT_BOOTED", CHECK_WARN, "Trial boot");
		check_summary(c, "a trial boot is pending but this boot is not the trial entry: it "
				 "did not come up, or another entry was chosen");
		check_hint(
			c,
			"`iommu-setup revert --trial` removes the trial; `iommu-setup apply --trial` "
			"sets it up again");
	}
}

static void check_boot(const struct host *h, struct check_report *r)
{
	const struct boot_state *b = &h->boot;
	char words[512];
	struct check *c;

	c = check_add(r, "boot.mode", "BOOT_MODE", CHECK_NOTE, "Firmware boot mode");
	if (!b->uefi)
		check_summary(c, "BIOS (legacy): sys/firmware/efi is absent");
	else if (b->secure_boot == 1) {
		check_summary(c, "UEFI, Secure Boot on%s%s%s",
			      h->kernel.lockdown[0] ? ", kernel lockdown " : "", h->kernel.lockdown,
			      "");
		check_hint(
			c,
			"lockdown loads only signed modules: out-of-tree helpers (vendor-reset, ACS "
			"override kernels) must be signed; VFIO's own options are unaffected");
	} else if (b->secure_boot == 0)
		check_summary(c, "UEFI, Secure Boot off");
	else
		check_summary(c, "UEFI, Secure Boot state unknown (%s)",
			      b->efivar ? "no SecureBoot variable" : "libefivar is not available");

	switch (b->loader) {
	case LOADER_GRUB:
		c = check_add(r, "boot.loader", NULL, CHECK_PASS, "Boot loader");
		check_summary(c, "GRUB, entries generated from %s", b->grub_default_file);
		break;
	case LOADER_GRUB_BLS:
		c = check_add(r, "boot.loader", NULL, CHECK_PASS, "Boot loader");
		check_summary(
			c,
			"GRUB with BLS entries (%u in boot/loader/entries; GRUB_ENABLE_BLSCFG=true)",
			b->n_bls_entries);
		break;
	case LOADER_SYSTEMD_BOOT:
		c = check_add(r, "boot.loader", NULL, CHECK_PASS, "Boot loader");
		check_summary(c, "systemd-boot (loader.conf on the ESP), %u BLS entr%s",
			      b->n_bls_entries, b->n_bls_entries == 1 ? "y" : "ies");
		break;
	default:
		c = check_add(r, "boot.loader", "NO_BOOT_CONFIG",
			      b->configured_found ? CHECK_NOTE : CHECK_WARN, "Boot loader");
		check_summary(c, "no GRUB or systemd-boot configuration found below the root");
		if (!b->configured_found)
			check_hint(
				c,
				"iommu-setup edits etc/default/grub, BLS entries or etc/kernel/cmdline");
		break;
	}

	check_trial(h, r);
	if (h->live && h->boot_id[0] && strcmp(h->boot_id, h->applied_boot_id) == 0) {
		c = check_add(r, "boot.reboot_pending", "REBOOT_PENDING", CHECK_WARN,
			      "Reboot pending");
		check_summary(c,
			      "iommu-setup apply changed the boot configuration during this boot: "
			      "the kernel, its initramfs and modprobe.d take it at the next boot");
		check_hint(c, "reboot; iommu-setup apply has nothing more to do");
	}
	if (!b->configured_found)
		return;
	if (!b->configured_known) {
		c = check_add(r, "boot.cmdline", "CMDLINE_NOT_EVALUABLE", CHECK_WARN,
			      "Configured command line");
		check_summary(c, "%s cannot be evaluated without running it: %s",
			      b->configured_file, b->configured_why);
		check_hint(c, "iommu-setup will not edit a value it cannot read with certainty");
		return;
	}
	iommu_words(&b->configured, words, sizeof(words));
	c = check_add(r, "boot.cmdline", "CONFIGURED_CMDLINE", CHECK_NOTE,
		      "Configured command line");
	check_summary(c, "%s (%s): %s", b->configured_file, b->configured_how,
		      words[0] ? words : "no IOMMU or VFIO parameters");

	if (h->live) {
		/* drift between what is configured and what is running; in the
		 * trial boot, what is configured for it is the trial entry's line */
		const struct kcmdline *conf =
			host_trial_booted(h) ? &h->trial_cmdline : &b->configured;
		const char *conf_file =
			conf == &b->configured ? b->configured_file : "the trial entry";

		for (size_t i = 0; i < ARRAY_SIZE(iommu_params); i++) {
			const struct kparam *want = kcmdline_find(conf, iommu_params[i]);
			const struct kparam *have =
				kcmdline_find(&h->kernel.cmdline, iommu_params[i]);
			/* the rule plan and apply follow: the running line holds what the
			 * configured one says, once (kline_satisfies) */
			const struct kop op = { !want ? KOP_DROP
						: kparam_name_eq(iommu_params[i], "vfio_pci.ids")
							? KOP_SET
							: KOP_ENSURE,
						iommu_params[i], want ? want->value : NULL };
			char w[256], hv[256];

			if (!want && !have)
				continue;
			if (kline_satisfies(&h->kernel.cmdline, &op, false, NULL, 0))
				continue;
			snprintf(w, sizeof(w), "%s%s%s", iommu_params[i],
				 want && want->value ? "=" : "",
				 want && want->value ? want->value : "");
			snprintf(hv, sizeof(hv), "%s%s%s", iommu_params[i],
				 have && have->value ? "=" : "",
				 have && have->value ? have->value : "");
			c = check_add_or_extend(r, "boot.drift", "PARAM_NOT_EFFECTIVE", CHECK_WARN,
						"Reboot pending");
			if (want && !have)
				check_summary_more(
					c,
					"%s is configured in %s but not on the running command line",
					w, conf_file);
			else if (!want)
				check_summary_more(
					c,
					"%s is on the running command line but not configured in %s: "
					"the next boot drops it",
					hv, conf_file);
			else
				check_summary_more(
					c, "%s is configured in %s, the running kernel has %s", w,
					conf_file, hv);
			check_hint(c, "reboot to apply the configured command line");
		}
	} else if (!vendor_uses_amd_vi(h->cpu.vendor) && h->cpu.vendor != CPU_VENDOR_OTHER &&
		   !intel_iommu_on(&b->configured) && h->intel_iommu_default_on != 1) {
		/* not running the target: will its next boot have the IOMMU on? */
		c = check_add(r, "boot.next_iommu", "NEXT_BOOT_IOMMU_OFF", CHECK_FAIL,
			      "IOMMU at next boot");
		check_summary(
			c,
			"%s does not turn VT-d on by itself%s and %s does not add intel_iommu=on",
			h->modules.kver,
			h->intel_iommu_default_on == 0
				? " (CONFIG_INTEL_IOMMU_DEFAULT_ON is not set)"
				: "",
			b->configured_file);
		check_hint(c, "add intel_iommu=on (iommu-setup apply)");
	}

	if (b->kernel_cmdline && b->loader == LOADER_GRUB_BLS &&
	    strcmp(b->configured_file, "etc/kernel/cmdline") != 0) {
		struct kcmdline kc;
		char kw[512];

		if (kcmdline_parse(b->kernel_cmdline, &kc) >= 0) {
			iommu_words(&kc, kw, sizeof(kw));
			if (strcmp(kw, words) != 0) {
				c = check_add(r, "boot.kernel_cmdline", "FUTURE_KERNELS_CMDLINE",
					      CHECK_WARN, "Future kernels");
				check_summary(
					c,
					"etc/kernel/cmdline, which kernels installed later get, has %s%s%s "
					"where %s has %s%s%s",
					kw[0] ? "\"" : "", kw[0] ? kw : "no IOMMU parameters",
					kw[0] ? "\"" : "", b->configured_file, words[0] ? "\"" : "",
					words[0] ? words : "none", words[0] ? "\"" : "");
				check_hint(
					c,
					"keep etc/kernel/cmdline in step (iommu-setup apply does)");
			}
			kcmdline_done(&kc);
		}
	}
}

int checks_run(const struct host *h, struct check_report *ret)
{
	memset(ret, 0, sizeof(*ret));
	check_cpu(h, ret);
	checks_firmware_summary(h, &ret->fw);
	check_firmware(h, ret);
	check_foreign_table(h, ret);
	check_kernel(h, ret);
	check_unsafe_interrupts(h, ret);
	check_modules(h, ret);
	check_boot(h, ret);

	for (size_t i = 0; i < ret->n; i++)
		if (ret->items[i].level == CHECK_FAIL) {
			ret->blocking = &ret->items[i];
			break;
		}
	for (size_t i = 0; i < ret->n; i++)
		if (!ret->items[i].summary || ret->items[i].oom)
			ret->error = -ENOMEM;
	return ret->error;
}

void checks_done(struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].summary);
		free(r->items[i].hint);
	}
	free(r->items);
	free(r->sink.summary);
	free(r->sink.hint);
	memset(r, 0, sizeof(*r));
}

bool checks_firmware_blocks(const struct host *h)
{
	struct fw_summary fw;

	checks_firmware_summary(h, &fw);
	return fw.iommu && !(fw.valid && fw.units > 0);
}
