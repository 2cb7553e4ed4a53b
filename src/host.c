/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "macro.h"
#include "record.h"
#include "root.h"
#include "txn.h"

int fw_table_decode(const char *path, const uint8_t *buf, size_t size, const char *expect,
		    struct fw_table *t)
{
	int r;

	snprintf(t->path, sizeof(t->path), "%s", path);
	t->present = true;
	if (!expect && size >= 4 && memcmp(buf, "IVRS", 4) == 0)
		expect = "IVRS";
	else if (!expect && size >= 4 && memcmp(buf, "DMAR", 4) == 0)
		expect = "DMAR";

	if (!expect) {
		/* neither DMAR nor IVRS: another ACPI table, or no table at all */
		if (acpi_looks_like_table(buf, size, ACPI_TABLE_MAX))
			r = acpi_error_set(&t->err, 0, "is an ACPI %.4s table, not DMAR or IVRS",
					   (const char *)buf);
		else if (size == 0)
			r = acpi_error_set(&t->err, 0, "empty file, not an ACPI table");
		else
			r = acpi_error_set(
				&t->err, 0,
				"not an ACPI table: no DMAR or IVRS header at the start");
	} else if (strcmp(expect, "IVRS") == 0)
		r = ivrs_parse(buf, size, &t->ivrs, &t->err);
	else
		r = dmar_parse(buf, size, &t->dmar, &t->err);
	if (r == -ENOMEM)
		return r;
	t->error = r;
	return 0;
}

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
		}
		record_done(&rec);
	}
	return boot_gather(root, h->modules.kver[0] ? h->modules.kver : NULL, &h->boot);
}

void fw_table_done(struct fw_table *t)
{
	t->dmar = dmar_table_free(t->dmar);
	t->ivrs = ivrs_table_free(t->ivrs);
}

void host_done(struct host *h)
{
	fw_table_done(&h->dmar);
	fw_table_done(&h->ivrs);
	kernel_state_done(&h->kernel);
	modules_state_done(&h->modules);
	boot_state_done(&h->boot);
	memset(h, 0, sizeof(*h));
}
