/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "report/report.h"

static const char *const level_color[_CHECK_LEVEL_MAX] = {
	[CHECK_PASS] = "\033[32m",
	[CHECK_NOTE] = "\033[34m",
	[CHECK_WARN] = "\033[33m",
	[CHECK_FAIL] = "\033[31;1m",
};

static void print_level(FILE *f, enum check_level l, bool color)
{
	static const char *const text[_CHECK_LEVEL_MAX] = {
		[CHECK_PASS] = "PASS",
		[CHECK_NOTE] = "NOTE",
		[CHECK_WARN] = "WARN",
		[CHECK_FAIL] = "FAIL",
	};

	if (color)
		fprintf(f, "%s%s\033[0m", level_color[l], text[l]);
	else
		fputs(text[l], f);
}

void report_print_text(FILE *f, const struct check_report *r, bool color, bool quiet)
{
	int width = 0;

	for (size_t i = 0; i < r->n; i++) {
		int n = (int)strlen(r->items[i].label);

		if (n > width)
			width = n;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct check *c = &r->items[i];

		/* --quiet: problems only */
		if (quiet && (c->level == CHECK_PASS || c->level == CHECK_NOTE))
			continue;
		fprintf(f, "%-*s : ", width, c->label);
		print_level(f, c->level, color);
		fprintf(f, "  %s\n", c->summary);
		if (c->hint)
			fprintf(f, "%*s   %*s  hint: %s\n", width, "", 4, "", c->hint);
	}
	if (!quiet || r->blocking)
		fputc('\n', f);
	if (r->blocking) {
		fprintf(f, "Result: ");
		if (color)
			fprintf(f, "%sNOT READY\033[0m", level_color[CHECK_FAIL]);
		else
			fputs("NOT READY", f);
		fprintf(f, " for device assignment: %s\n", r->blocking->summary);
		if (r->blocking->hint)
			fprintf(f, "Remedy: %s\n", r->blocking->hint);
	} else if (!quiet)
		fprintf(f, "Result: ready for device assignment as far as checked\n");
}

static void cpu_json(struct json *j, const struct host *h)
{
	const struct cpu_info *c = &h->cpu;

	json_object_begin(j, "cpu");
	json_string(j, "vendor", c->found ? cpu_vendor_to_string(c->vendor) : NULL);
	json_string(j, "vendor_id", c->found ? c->vendor_id : NULL);
	json_string(j, "model_name", c->model_name[0] ? c->model_name : NULL);
	if (c->family >= 0)
		json_int(j, "family", c->family);
	else
		json_null(j, "family");
	if (c->model >= 0)
		json_int(j, "model", c->model);
	else
		json_null(j, "model");
	json_uint(j, "processors", c->n_processors);
	json_bool(j, "vmx", c->vmx);
	json_bool(j, "svm", c->svm);
	json_bool(j, "hypervisor", c->hypervisor);
	json_object_end(j);
}

static void firmware_json(struct json *j, const struct fw_summary *fw)
{
	const struct fw_table *t = fw->t;

	json_object_begin(j, "firmware");
	json_string(j, "iommu", fw->iommu);
	json_string(j, "table", fw->table);
	json_string(j, "path", t ? t->path : NULL);
	json_bool(j, "present", t && t->present);
	json_bool(j, "valid", fw->valid);
	if (t && t->error == -EBADMSG) {
		json_object_begin(j, "error");
		json_uint(j, "offset", t->err.offset);
		json_string(j, "message", t->err.message);
		json_object_end(j);
	} else
		json_null(j, "error");
	if (fw->valid)
		json_bool(j, "checksum_valid",
			  acpi_checksum_ok(t->dmar ? &t->dmar->header : &t->ivrs->header));
	else
		json_null(j, "checksum_valid");
	json_uint(j, "iommu_units", fw->units);
	json_bool(j, "interrupt_remapping", fw->intr_remap);
	json_bool(j, "x2apic_opt_out", fw->x2apic_opt_out);
	json_bool(j, "dma_protection", fw->dma_opt_in);
	json_object_end(j);
}

static void params_json(struct json *j, const char *key, const struct kcmdline *c)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < c->n; i++) {
		json_object_begin(j, NULL);
		json_string(j, "name", c->params[i].name);
		json_string(j, "value", c->params[i].value);
		json_object_end(j);
	}
	json_array_end(j);
}

static void tristate_json(struct json *j, const char *key, int v)
{
	if (v < 0)
		json_null(j, key);
	else
		json_bool(j, key, v);
}

static void kernel_json(struct json *j, const struct host *h)
{
	const struct kernel_state *k = &h->kernel;

	json_object_begin(j, "kernel");
	json_string(j, "release", k->release[0] ? k->release : NULL);
	json_bool(j, "live", h->live);
	json_string(j, "cmdline", k->cmdline_raw);
	if (k->cmdline_found)
		params_json(j, "parameters", &k->cmdline);
	else
		json_null(j, "parameters");
	json_array_begin(j, "iommu_units");
	for (unsigned i = 0; i < k->n_units; i++)
		json_string(j, NULL, k->units[i]);
	json_array_end(j);
	json_uint(j, "iommu_groups", k->n_groups);
	json_object_begin(j, "group_types");
	for (int t = 0; t < _GROUP_TYPE_MAX; t++)
		if (k->group_types[t])
			json_uint(j, group_type_to_string(t), k->group_types[t]);
	json_object_end(j);
	if (k->interrupts_found) {
		json_object_begin(j, "interrupt_remapping");
		json_bool(j, "in_use", k->ir_lines > 0);
		json_string(j, "evidence", "proc/interrupts");
		json_uint(j, "remapped_interrupts", k->ir_lines);
		json_string(j, "chip", k->ir_chip[0] ? k->ir_chip : NULL);
		json_object_end(j);
	} else
		json_null(j, "interrupt_remapping");
	tristate_json(j, "allow_unsafe_interrupts", k->unsafe_interrupts);
	json_string(j, "lockdown", k->lockdown[0] ? k->lockdown : NULL);
	json_object_end(j);
}

static void modules_json(struct json *j, const struct host *h)
{
	const struct modules_state *m = &h->modules;

	json_object_begin(j, "modules");
	json_string(j, "kernel", m->kver[0] ? m->kver : NULL);
	json_bool(j, "kernel_from_argument", m->kver_from_arg);
	json_array_begin(j, "installed_kernels");
	for (unsigned i = 0; i < m->n_kernels; i++)
		json_string(j, NULL, m->kernels[i]);
	json_array_end(j);
	json_object_begin(j, "vfio");
	for (int i = 0; i < _VFIO_MOD_MAX && m->kver[0]; i++) {
		json_object_begin(j, m->mods[i].name);
		json_string(j, "state", mod_kind_to_string(m->mods[i].kind));
		tristate_json(j, "loaded", m->mods[i].loaded);
		json_object_end(j);
	}
	json_object_end(j);
	json_array_begin(j, "modprobe");
	for (unsigned i = 0; i < m->n_conf; i++) {
		json_object_begin(j, NULL);
		json_string(j, "file", m->conf[i].file);
		json_string(j, "kind", modconf_kind_to_string(m->conf[i].kind));
		json_string(j, "module", m->conf[i].module);
		json_string(j, "value", m->conf[i].value);
		json_object_end(j);
	}
	json_array_end(j);
	json_array_begin(j, "ignored_files");
	for (unsigned i = 0; i < m->n_ignored; i++)
		json_string(j, NULL, m->ignored_files[i]);
	json_array_end(j);
	json_object_end(j);
}

static void boot_json(struct json *j, const struct host *h)
{
	const struct boot_state *b = &h->boot;

	json_object_begin(j, "boot");
	json_bool(j, "uefi", b->uefi);
	tristate_json(j, "secure_boot", b->uefi ? b->secure_boot : -1);
	json_string(j, "loader", loader_to_string(b->loader));
	if (b->configured_found) {
		json_object_begin(j, "configured");
		json_string(j, "file", b->configured_file);
		json_string(j, "source", b->configured_how);
		json_bool(j, "known", b->configured_known);
		json_string(j, "why_unknown", b->configured_known ? NULL : b->configured_why);
		json_string(j, "cmdline", b->configured_raw);
		if (b->configured_known)
			params_json(j, "parameters", &b->configured);
		else
			json_null(j, "parameters");
		json_object_end(j);
	} else
		json_null(j, "configured");
	json_string(j, "kernel_cmdline", b->kernel_cmdline);
	json_object_end(j);
}

static void check_json(struct json *j, const char *key, const struct check *c)
{
	json_object_begin(j, key);
	json_string(j, "id", c->id);
	json_string(j, "code", c->code);
	json_string(j, "level", check_level_to_string(c->level));
	json_string(j, "label", c->label);
	json_string(j, "summary", c->summary);
	json_string(j, "hint", c->hint);
	json_string(j, "device", c->device[0] ? c->device : NULL);
	json_object_end(j);
}

void report_json_open(struct json *j, const char *verb)
{
	json_object_begin(j, NULL);
	json_string(j, "schema", JSON_SCHEMA_ID);
	json_string(j, "verb", verb);
}

void report_json_begin(struct json *j, const char *verb, bool changed, bool failed, const char *msg)
{
	report_json_open(j, verb);
	json_bool(j, "changed", changed);
	json_bool(j, "failed", failed);
	json_string(j, "msg", msg);
}

bool report_reboot_pending(const struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].code && (strcmp(r->items[i].code, "REBOOT_PENDING") == 0 ||
					 strcmp(r->items[i].code, "PARAM_NOT_EFFECTIVE") == 0))
			return true;
	return false;
}

/* check's and verify's opening: the verdict as msg, the reboot, the record */
static void verdict_begin(struct json *j, const char *verb, const char *ready_msg,
			  const struct host *h, const struct check_report *r)
{
	_cleanup_free_ char *msg = NULL;

	if (!r->blocking)
		msg = strdup(ready_msg);
	else if (asprintf(&msg, "NOT READY: %s: %s", r->blocking->label,
			  r->blocking->summary ? r->blocking->summary : "") < 0)
		msg = NULL;
	report_json_begin(j, verb, false, false, msg ? msg : "NOT READY");
	json_bool(j, "reboot_required", report_reboot_pending(r));
	json_bool(j, "applied", h->applied);
}

void report_print_json(struct json *j, const struct host *h, const struct check_report *r)
{
	verdict_begin(j, "check", "READY: the host can assign PCI devices to virtual machines", h,
		      r);
	cpu_json(j, h);
	firmware_json(j, &r->fw);
	kernel_json(j, h);
	modules_json(j, h);
	boot_json(j, h);
	json_array_begin(j, "checks");
	for (size_t i = 0; i < r->n; i++)
		check_json(j, NULL, &r->items[i]);
	json_array_end(j);
	json_bool(j, "ready", !r->blocking);
	if (r->blocking)
		check_json(j, "blocking", r->blocking);
	else
		json_null(j, "blocking");
	json_object_end(j);
	json_finish(j);
}

/* the first FAIL about device addr, NULL when it is ready */
static const struct check *device_blocking(const struct check_report *r, const char *addr)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].device, addr) == 0 && r->items[i].level == CHECK_FAIL)
			return &r->items[i];
	return NULL;
}

/* each device once, in the order of the report */
static bool first_of_device(const struct check_report *r, size_t i)
{
	if (!r->items[i].device[0])
		return false;
	for (size_t k = 0; k < i; k++)
		if (strcmp(r->items[k].device, r->items[i].device) == 0)
			return false;
	return true;
}

void report_print_verify_text(FILE *f, const struct check_report *r, bool color, bool quiet)
{
	report_print_text(f, r, color, quiet);
	for (size_t i = 0; i < r->n; i++) {
		const struct check *b;

		if (!first_of_device(r, i))
			continue;
		b = device_blocking(r, r->items[i].device);
		fprintf(f, "%s: ", r->items[i].device);
		if (b)
			fprintf(f, "%sNOT READY%s (%s)\n", color ? level_color[CHECK_FAIL] : "",
				color ? "\033[0m" : "", b->code ? b->code : b->id);
		else
			fprintf(f, "ready\n");
	}
}

void report_verify_json(struct json *j, const struct host *h, const struct check_report *r)
{
	verdict_begin(j, "verify", "READY: every device verified is ready for a guest", h, r);
	json_array_begin(j, "checks");
	for (size_t i = 0; i < r->n; i++)
		check_json(j, NULL, &r->items[i]);
	json_array_end(j);
	json_array_begin(j, "devices");
	for (size_t i = 0; i < r->n; i++) {
		const struct check *b;

		if (!first_of_device(r, i))
			continue;
		b = device_blocking(r, r->items[i].device);
		json_object_begin(j, NULL);
		json_string(j, "address", r->items[i].device);
		json_bool(j, "ready", !b);
		json_string(j, "code", b ? b->code : NULL);
		json_object_end(j);
	}
	json_array_end(j);
	json_bool(j, "ready", !r->blocking);
	if (r->blocking)
		check_json(j, "blocking", r->blocking);
	else
		json_null(j, "blocking");
	json_object_end(j);
	json_finish(j);
}

const char *report_trial_reason(enum grub_trial_verdict v)
{
	switch (v) {
	case GRUB_TRIAL_POSSIBLE:
		return "a one-shot boot is possible: the boot loader boots the trial entry once "
		       "(GRUB through next_entry in grubenv, systemd-boot through "
		       "LoaderEntryOneShot), and the default entry after that";
	case GRUB_TRIAL_NO_GRUBENV:
		return "there is no grubenv next to grub.cfg, and GRUB reads next_entry only "
		       "from an existing one (create it with `grub-editenv create`, as "
		       "grub-install does)";
	case GRUB_TRIAL_GRUBENV_INVALID:
		return "grubenv is not a GRUB environment block (no \"# GRUB Environment "
		       "Block\" header); recreate it with `grub-editenv create`";
	case GRUB_TRIAL_GRUBENV_CHECKSUM_FS:
		return "grubenv is on Btrfs or ZFS, where GRUB's save_env cannot write: "
		       "next_entry would never be cleared and the trial would boot every time";
	case GRUB_TRIAL_GRUBENV_DISKFILTER:
		return "grubenv is on LVM, RAID or an encrypted volume, where GRUB's save_env "
		       "refuses to write: next_entry would never be cleared and the trial would "
		       "boot every time";
	case GRUB_TRIAL_GRUBENV_FS_UNKNOWN:
		return "no mount in /proc/self/mountinfo holds grubenv, so whether GRUB can "
		       "write it is unknown (mount /proc, or run where /boot is mounted)";
	case GRUB_TRIAL_SAVEDEFAULT:
		return "GRUB_DEFAULT=saved with GRUB_SAVEDEFAULT=true: the trial entry, once "
		       "booted, would become the saved default";
	case GRUB_TRIAL_DEFAULT_UNKNOWN:
		return "GRUB_DEFAULT or GRUB_SAVEDEFAULT is set by code iommu-setup does not run "
		       "(a command substitution), so whether the trial entry would become the "
		       "saved default cannot be told";
	case GRUB_TRIAL_NEXT_ENTRY_PENDING:
		return "grubenv already has a next_entry (a `grub-reboot` not booted yet); "
		       "boot it or clear it with `grub-editenv - unset next_entry`";
	case GRUB_TRIAL_CFG_NO_NEXT_ENTRY:
		return "grub.cfg does not boot and clear next_entry (it was not made by "
		       "grub-mkconfig's 00_header)";
	case GRUB_TRIAL_CFG_NO_CUSTOM:
		return "grub.cfg does not source custom.cfg (no 41_custom block)";
	case GRUB_TRIAL_NO_ENTRY:
		return "the loader has no boot entry for the target kernel (grub.cfg's menu "
		       "entries, or the BLS entries it reads; regenerate or reinstall first)";
	case GRUB_TRIAL_NOT_GRUB:
		return "the boot loader is not known (neither GRUB nor systemd-boot)";
	case GRUB_TRIAL_SDBOOT_NO_EFIVARS:
		return "systemd-boot boots an entry once through the LoaderEntryOneShot EFI "
		       "variable, and there is no sys/firmware/efi/efivars below the root to set "
		       "it in (not booted through UEFI, or efivarfs not mounted in this root)";
	case GRUB_TRIAL_SDBOOT_ONESHOT_PENDING:
		return "LoaderEntryOneShot is already set (a `bootctl set-oneshot` not booted "
		       "yet); boot it or clear it with `bootctl set-oneshot ''`";
	case GRUB_TRIAL_SDBOOT_DEFAULT_POSITION:
		return "systemd-boot's default entry is not named (LoaderEntryDefault, or "
		       "loader.conf's `default`, matching an entry there and not the trial's): "
		       "it would be the first entry in its order, which the trial entry could "
		       "take for good; name it with `bootctl set-default ID` first";
	case GRUB_TRIAL_SDBOOT_SAVED:
		return "systemd-boot's default is @saved (the entry last chosen, "
		       "LoaderEntryLastBooted), which iommu-setup does not read: whether it names "
		       "an entry there and not the trial cannot be told; name the default with "
		       "`bootctl set-default ID` first";
	case GRUB_TRIAL_SDBOOT_INITRAMFS:
		return "the initramfs must change, and on systemd-boot the trial has no image of "
		       "its own (kernel-install places the entry's initramfs on the boot "
		       "partition): try the command line alone, or apply without --trial";
	case GRUB_TRIAL_CFG_NO_BLSCFG:
		return "grub.cfg does not run blscfg, so GRUB would not read the trial's BLS "
		       "entry (regenerate it with GRUB_ENABLE_BLSCFG=true)";
	case GRUB_TRIAL_BLS_DEFAULT_POSITION:
		return "the default entry is not named by its id (GRUB_DEFAULT=saved with a "
		       "saved_entry naming an entry there): blscfg sorts the trial entry next "
		       "to the target's, so it could become the default for good; name the "
		       "default with `grub2-set-default` or `grubby --set-default` first";
	case GRUB_TRIAL_NOTHING:
		return "the kernel command line needs no change: there is nothing to try";
	case GRUB_TRIAL_ESP_SYNC:
		return "proxmox-boot-tool copies the boot files to the ESPs, whose GRUB reads "
		       "neither this custom.cfg nor this grubenv";
	case GRUB_TRIAL_NO_IMAGE_TOOL:
		return "the trial needs an initramfs of its own and initramfs-tools' mkinitramfs "
		       "is not installed below the root";
	case GRUB_TRIAL_NO_INITRAMFS:
		return "the initramfs files must change, and with --no-initramfs the trial would "
		       "have no image of its own: they would reach the default entry";
	default:
		return "unknown";
	}
}
