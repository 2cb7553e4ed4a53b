/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/macro.h"
#include "decide/record.h"
#include "decide/trial.h"
#include "gather/boot.h"
#include "gather/host.h"
#include "gather/kernel.h"
#include "gather/modules.h"
#include "root/root.h"

static int load_live_table(struct root *root, const char *name, struct fw_table *t)
{
	_cleanup_free_ char *buf = NULL;
	char path[64];
	size_t size;
	int r;

	snprintf(path, sizeof(path), "%s/%s", ACPI_TABLES_DIR, name);
	snprintf(t->path, sizeof(t->path), "%s", path);
	r = root_read_file(root, path, ACPI_TABLE_MAX, &buf, &size);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		t->present = true;
		t->error = r;
		return r == -ENOMEM ? r : 0;
	}
	return fw_table_decode(path, (const uint8_t *)buf, size, name, t);
}

/* CONFIG_INTEL_IOMMU_DEFAULT_ON of the target kernel, from boot/config-KVER */
static int intel_default_on(struct root *root, const char *kver)
{
	_cleanup_free_ char *config = NULL;
	char path[300];

	if (!kver[0])
		return -1;
	snprintf(path, sizeof(path), "boot/config-%s", kver);
	if (root_read_file(root, path, 16u << 20, &config, NULL) < 0)
		return -1;
	if (strstr(config, "\nCONFIG_INTEL_IOMMU_DEFAULT_ON=y"))
		return 1;
	return 0;
}

static void read_line(struct root *root, const char *path, char *buf, size_t n)
{
	_cleanup_free_ char *t = NULL;

	buf[0] = '\0';
	if (root_read_file(root, path, 4096, &t, NULL) >= 0)
		snprintf(buf, n, "%.*s", (int)strcspn(t, "\n"), t);
}

int host_gather(struct root *root, const char *kver, struct host *h)
{
	_cleanup_free_ char *cpuinfo = NULL;
	int r;

	memset(h, 0, sizeof(*h));

	r = root_read_file(root, "proc/cpuinfo", 4u << 20, &cpuinfo, NULL);
	if (r == -ENOMEM)
		return r;
	h->cpuinfo_error = r;
	cpuinfo_parse(r < 0 ? "" : cpuinfo, &h->cpu);
	h->cpuinfo_found = r >= 0;

	r = load_live_table(root, "DMAR", &h->dmar);
	if (r < 0)
		return r;
	r = load_live_table(root, "IVRS", &h->ivrs);
	if (r < 0)
		return r;
	r = kernel_gather(root, &h->kernel);
	if (r < 0)
		return r;
	r = modules_gather(root, kver, h->kernel.release[0] ? h->kernel.release : NULL,
			   &h->modules);
	if (r < 0)
		return r;
	/* with no kernel installed below the root, the running one is all there is */
	h->live = h->kernel.cmdline_found &&
		  (!h->modules.kver[0] || strcmp(h->kernel.release, h->modules.kver) == 0);
	h->intel_iommu_default_on = intel_default_on(root, h->modules.kver);
	read_line(root, "proc/sys/kernel/random/boot_id", h->boot_id, sizeof(h->boot_id));
	{
		/* the boot in which apply last changed something; a record that cannot
		 * be read leaves it unknown (apply and revert read it themselves) */
		_cleanup_free_ char *text = NULL;
		struct record rec = {};
		unsigned line;
		size_t len;

		if (root_read_file(root, STATE_DIR "/record", 16u << 20, &text, &len) >= 0 &&
		    record_parse(text, len, &rec, &line) >= 0) {
			snprintf(h->applied_boot_id, sizeof(h->applied_boot_id), "%s", rec.boot_id);
			h->applied = rec.n_files > 0;
			h->trial_pending = record_has_trial(&rec);
		}
		for (size_t i = 0; h->trial_pending && i < rec.n_files; i++) {
			_cleanup_free_ char *args = NULL;
			const struct record_file *f = &rec.files[i];

			if (f->kind == FILE_TRIAL && f->ours &&
			    (bls_trial_path(f->path) ? bls_trial_args(f->ours, f->ours_len, &args)
						     : grub_custom_cfg_trial_args(
							       f->ours, f->ours_len, &args)) == 0) {
				kcmdline_done(&h->trial_cmdline);
				if (kcmdline_parse(args, &h->trial_cmdline) < 0) {
					record_done(&rec);
					return -ENOMEM;
				}
			}
		}
		record_done(&rec);
	}
	return boot_gather(root, h->modules.kver[0] ? h->modules.kver : NULL, &h->boot);
}

void host_done(struct host *h)
{
	fw_table_done(&h->dmar);
	fw_table_done(&h->ivrs);
	kernel_state_done(&h->kernel);
	modules_state_done(&h->modules);
	boot_state_done(&h->boot);
	kcmdline_done(&h->trial_cmdline);
	memset(h, 0, sizeof(*h));
}
