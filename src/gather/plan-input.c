/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything plan_decide() reads, gathered once below the root: the host
 * (CPU, ACPI tables, the running kernel, the target kernel's modules and
 * every modprobe.d file, every source of the kernel command line), the PCI
 * functions, the vendor rules, the files iommu-setup writes whole, the facts
 * the regeneration commands depend on, and whether apply already changed
 * something in the running boot. Nothing reads the root after this.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/plan.h"
#include "gather/host.h"
#include "gather/pdev.h"
#include "gather/plan-input.h"
#include "gather/regen.h"
#include "gather/rules-load.h"
#include "root/root.h"

static int read_src(struct root *root, const char *path, struct src_file *f, struct file_error *err)
{
	int r;

	*f = (struct src_file){ .path = strdup(path) };
	if (!f->path)
		return -ENOMEM;
	r = root_read_file(root, path, 1u << 20, &f->text, &f->len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		file_error_set(err, path, 0, "cannot be read: %s", strerror(-r));
	return r;
}

int plan_input_gather(struct root *root, const char *kver, struct plan_input *in,
		      struct file_error *err)
{
	struct rules_origin o;
	int r;

	memset(in, 0, sizeof(*in));
	*err = (struct file_error){};
	r = host_gather(root, kver, &in->host);
	if (r == -ENOENT) {
		file_error_set(err, "", 0, "--kernel %s: no such kernel below the root", kver);
		return r;
	}
	if (r < 0)
		return r;
	r = pdev_gather(root, in->host.modules.kver[0] ? in->host.modules.kver : NULL, &in->pci);
	if (r < 0)
		return r;
	r = rules_gather(root, &in->rules, &o, err);
	if (r < 0)
		return r;
	in->rules_found = o.found;
	snprintf(in->rules_dirs, sizeof(in->rules_dirs), "%s", o.looked);
	rules_origin_done(&o);
	r = read_src(root, DRACUT_FILE, &in->dracut_conf, err);
	if (r >= 0)
		r = read_src(root, DEVICES_FILE, &in->devices_conf, err);
	if (r >= 0)
		r = read_src(root, ITOOLS_FILE, &in->itools_modules, err);
	if (r < 0)
		return r;
	r = regen_gather(root, &in->host, &in->regen);
	if (r < 0)
		return r;
	return 0;
}

void plan_input_done(struct plan_input *in)
{
	host_done(&in->host);
	pdev_list_done(&in->pci);
	rule_set_done(&in->rules);
	src_file_done(&in->dracut_conf);
	src_file_done(&in->devices_conf);
	src_file_done(&in->itools_modules);
	memset(in, 0, sizeof(*in));
}
