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
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/macro.h"
#include "decide/plan.h"
#include "facts/mountinfo.h"
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

/* the mount holding abs (a path as mountinfo names it), into t */
static int trial_mount(const char *mi, size_t len, const char *abs, struct trial_files *t,
		       struct file_error *err)
{
	struct mount_entry m;
	int r = mountinfo_find(mi, len, abs, &m, err);

	if (r < 0)
		return r;
	t->env_mount_found = true;
	snprintf(t->env_fstype, sizeof(t->env_fstype), "%s", m.fstype);
	snprintf(t->env_source, sizeof(t->env_source), "%s", m.source);
	return 0;
}

/* a trial's file: never a link, which would lead its edit or removal
 * elsewhere */
static int read_trial_file(struct root *root, const char *path, struct src_file *f,
			   struct file_error *err)
{
	char link[PATH_MAX];

	if (root_readlink(root, path, link, sizeof(link)) >= 0) {
		*f = (struct src_file){};
		return file_error_set(
			err, path, 0,
			"is a link: a trial boot's file is never written through one");
	}
	return read_src(root, path, f, err);
}

/* systemd-boot's files: loader.conf where sdboot is told apart
 * (gather/boot.c), the loader's EFI variables */
static int trial_files_sdboot(struct root *root, struct trial_files *t, struct file_error *err)
{
	int r = 0;

	for (size_t i = 0; i < LOADER_CONFS_N && r >= 0 && !t->loader_conf.text; i++) {
		src_file_done(&t->loader_conf);
		r = read_src(root, loader_confs[i], &t->loader_conf, err);
	}
	if (r >= 0)
		r = read_trial_file(root, SDBOOT_ONESHOT, &t->oneshot, err);
	if (r >= 0)
		r = read_src(root, SDBOOT_DEFAULT, &t->entry_default, err);
	if (r >= 0) {
		/* there, and on the running system efivarfs itself (sysfs has the
		 * directory also when nothing is mounted on it) */
		_cleanup_close_ int fd = root_openat(root, EFIVARS_DIR, O_PATH | O_DIRECTORY);
		struct statfs sf;

		t->efivars = fd >= 0 && (!root_is_host(root) ||
					 (fstatfs(fd, &sf) == 0 && sf.f_type == EFIVARFS_MAGIC));
	}
	return r;
}

int trial_files_gather(struct root *root, const char *grub_cfg, struct trial_files *t,
		       struct file_error *err)
{
	_cleanup_free_ char *mi = NULL;
	char path[700], abs[1400];
	const char *slash = grub_cfg ? strrchr(grub_cfg, '/') : NULL;
	size_t mi_len = 0;
	int r = 0;

	memset(t, 0, sizeof(*t));
	*err = (struct file_error){};
	for (size_t i = 0; i < BLS_DIRS_N && r >= 0; i++) {
		snprintf(path, sizeof(path), "%s/" BLS_TRIAL_FILE, bls_dirs[i]);
		r = read_trial_file(root, path, &t->bls_trial[i], err);
	}
	if (r >= 0)
		r = trial_files_sdboot(root, t, err);
	if (r < 0 || !grub_cfg)
		return r;
	if (!slash || (size_t)(slash - grub_cfg) >= sizeof(t->dir))
		return file_error_set(err, grub_cfg, 0, "not a path below a directory");
	snprintf(t->dir, sizeof(t->dir), "%.*s", (int)(slash - grub_cfg), grub_cfg);
	r = read_src(root, grub_cfg, &t->grub_cfg, err);
	if (r >= 0) {
		snprintf(path, sizeof(path), "%s/grubenv", t->dir);
		r = read_trial_file(root, path, &t->grubenv, err);
	}
	if (r >= 0) {
		snprintf(path, sizeof(path), "%s/custom.cfg", t->dir);
		r = read_trial_file(root, path, &t->custom, err);
	}
	if (r < 0)
		return r;
	/* which file system grubenv is on. mountinfo names paths as this
	 * process sees them: below a --root that is a mount of its own
	 * (anaconda's /mnt/sysimage) with the root's path first; in a chroot,
	 * on the host, or where the root is not mounted by itself, as below it */
	r = root_read_file(root, "proc/self/mountinfo", 4u << 20, &mi, &mi_len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return file_error_set(err, "proc/self/mountinfo", 0, "cannot be read: %s",
				      strerror(-r));
	snprintf(abs, sizeof(abs), "/%s/grubenv", t->dir);
	if (!root_is_host(root) && root->path[0] == '/' && root->path[1]) {
		struct mount_entry m;

		r = mountinfo_find(mi, mi_len, root->path, &m, err);
		if (r == -EINVAL)
			return r;
		if (r == 0 && strcmp(m.mount_point, "/") != 0)
			snprintf(abs, sizeof(abs), "%s/%s/grubenv", root->path, t->dir);
	}
	r = trial_mount(mi, mi_len, abs, t, err);
	return r == -ENOENT ? 0 : r;
}

void trial_files_done(struct trial_files *t)
{
	src_file_done(&t->grub_cfg);
	src_file_done(&t->grubenv);
	src_file_done(&t->custom);
	for (size_t i = 0; i < BLS_DIRS_N; i++)
		src_file_done(&t->bls_trial[i]);
	src_file_done(&t->loader_conf);
	src_file_done(&t->oneshot);
	src_file_done(&t->entry_default);
}
