/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "gather/kernel.h"
#include "root/root.h"

static void strip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
}

/* Reads a short sysfs/procfs value; "" when absent. */
static int read_value(struct root *root, const char *path, char *buf, size_t n)
{
	_cleanup_free_ char *s = NULL;
	int r;

	buf[0] = '\0';
	r = root_read_file(root, path, 4096, &s, NULL);
	if (r < 0)
		return r;
	snprintf(buf, n, "%s", s);
	strip(buf);
	return 0;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int gather_units(struct root *root, struct kernel_state *k)
{
	_cleanup_(closedirp) DIR *d = root_opendir(root, "sys/class/iommu");
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char **n;

		if (de->d_name[0] == '.')
			continue;
		n = realloc(k->units, (k->n_units + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		k->units = n;
		n[k->n_units] = strdup(de->d_name);
		if (!n[k->n_units])
			return -ENOMEM;
		k->n_units++;
	}
	if (k->n_units)
		qsort(k->units, k->n_units, sizeof(k->units[0]), cmpstr);
	return 0;
}

static int gather_groups(struct root *root, struct kernel_state *k)
{
	_cleanup_(closedirp) DIR *d = root_opendir(root, "sys/kernel/iommu_groups");
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	k->groups_found = true;
	while ((de = readdir(d))) {
		char path[300], type[32];
		enum group_type t = GROUP_OTHER;

		if (de->d_name[0] == '.')
			continue;
		k->n_groups++;
		snprintf(path, sizeof(path), "sys/kernel/iommu_groups/%s/type", de->d_name);
		if (read_value(root, path, type, sizeof(type)) < 0)
			continue; /* kernels before 5.11 have no type file */
		for (int i = 0; i < GROUP_OTHER; i++)
			if (strcmp(type, group_type_to_string(i)) == 0)
				t = i;
		k->group_types[t]++;
	}
	return 0;
}

/* Interrupt chips whose name starts with IR- deliver through interrupt
 * remapping (IR-IO-APIC, IR-PCI-MSI, IR-PCI-MSIX...). */
static int gather_interrupts(struct root *root, struct kernel_state *k)
{
	_cleanup_free_ char *text = NULL;
	int r = root_read_file(root, "proc/interrupts", 4u << 20, &text, NULL);

	if (r < 0)
		return r == -ENOENT ? 0 : r;
	k->interrupts_found = true;
	for (char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
		char *ir;

		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		ir = strstr(line, " IR-");
		if (!ir)
			continue;
		k->ir_lines++;
		if (!k->ir_chip[0]) {
			size_t n = strcspn(ir + 1, " \t");

			snprintf(k->ir_chip, sizeof(k->ir_chip), "%.*s", (int)n, ir + 1);
		}
	}
	return 0;
}

int kernel_gather(struct root *root, struct kernel_state *k)
{
	char buf[64];
	int r;

	memset(k, 0, sizeof(*k));
	k->unsafe_interrupts = -1;

	r = root_read_file(root, "proc/cmdline", 1u << 20, &k->cmdline_raw, NULL);
	if (r == -ENOMEM)
		return r;
	if (r >= 0) {
		strip(k->cmdline_raw);
		k->cmdline_found = true;
		r = kcmdline_parse(k->cmdline_raw, &k->cmdline);
		if (r < 0)
			return r;
	}
	(void)read_value(root, "proc/sys/kernel/osrelease", k->release, sizeof(k->release));

	r = gather_units(root, k);
	if (r == -ENOMEM)
		return r;
	r = gather_groups(root, k);
	if (r == -ENOMEM)
		return r;
	r = gather_interrupts(root, k);
	if (r == -ENOMEM)
		return r;

	if (read_value(root, "sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts", buf,
		       sizeof(buf)) >= 0)
		k->unsafe_interrupts = parse_kernel_bool(buf);

	/* "none [integrity] confidentiality": the bracketed word is in force */
	if (read_value(root, "sys/kernel/security/lockdown", buf, sizeof(buf)) >= 0) {
		char *open = strchr(buf, '['), *close_b = open ? strchr(open, ']') : NULL;

		if (open && close_b)
			snprintf(k->lockdown, sizeof(k->lockdown), "%.*s",
				 (int)(close_b - open - 1), open + 1);
	}
	return 0;
}

void kernel_state_done(struct kernel_state *k)
{
	free(k->cmdline_raw);
	kcmdline_done(&k->cmdline);
	for (unsigned i = 0; i < k->n_units; i++)
		free(k->units[i]);
	free(k->units);
	memset(k, 0, sizeof(*k));
}
