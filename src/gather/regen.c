/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which commands regenerate what the next boot reads, per distribution
 * (docs/boot-facts.md), and where the ESP and its EFI/<dir> are:
 *
 *  - Debian, Ubuntu, Proxmox: update-grub (grub-mkconfig -o /boot/grub/grub.cfg);
 *    the ESP holds a stub.
 *  - RHEL 7/8 on UEFI: grub2-mkconfig -o /boot/efi/EFI/<dir>/grub.cfg, the full
 *    configuration lives on the ESP; on BIOS -o /boot/grub2/grub.cfg.
 *  - RHEL 9, Fedora 34+: /boot/grub2/grub.cfg for both; the ESP's grub.cfg is a
 *    stub that sources it and is never written.
 *  - BLS entries, grubenv kernelopts and etc/kernel/cmdline are edited
 *    directly (plan.c), so grubby and --update-bls-cmdline are not needed:
 *    grub2-mkconfig runs without --update-bls-cmdline, which would rewrite
 *    every entry's options from GRUB_CMDLINE_LINUX and lose options an
 *    entry has of its own.
 *  - systemd-boot: the entries and etc/kernel/cmdline are the configuration.
 *
 * EFI/<dir> comes from the firmware (BootCurrent and its Boot#### load
 * option, through efivar), is checked against the disk (libblkid: the
 * partition mounted at /boot/efi has the ESP type GUID and the partition
 * GUID the load option names), and falls back to what is on disk, saying so.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/macro.h"
#include "base/strbuf.h"
#include "cli/log.h"
#include "decide/bootcfg-edit.h"
#include "decide/plan.h"
#include "facts/efi-loadopt.h"
#include "facts/mountinfo.h"
#include "facts/shellvars.h"
#include "gather/boot.h"
#include "gather/host.h"
#include "gather/regen.h"
#include "root/root.h"

#define ESP_TYPE_GUID "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		p += strspn(p, " ");
		if (strncmp(p, word, n) == 0 && (p[n] == ' ' || !p[n]))
			return true;
		p += strcspn(p, " ");
	}
	return false;
}

int os_release_read(struct root *root, struct os_release *ret)
{
	static const char *const paths[] = { "etc/os-release", "usr/lib/os-release" };
	_cleanup_free_ char *text = NULL;
	struct shenv env = {};
	const struct shvar *v;
	const char *like = "";
	size_t len;
	int r = -ENOENT;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < ARRAY_SIZE(paths) && r < 0; i++)
		r = root_read_file(root, paths[i], 65536, &text, &len);
	if (r >= 0 && shenv_source(&env, text, len, "os-release") >= 0) {
		if ((v = shenv_get(&env, "ID")) && v->known && v->value)
			snprintf(ret->id, sizeof(ret->id), "%s", v->value);
		if ((v = shenv_get(&env, "VERSION_ID")) && v->known && v->value)
			snprintf(ret->version_id, sizeof(ret->version_id), "%s", v->value);
		if ((v = shenv_get(&env, "PRETTY_NAME")) && v->known && v->value)
			snprintf(ret->pretty, sizeof(ret->pretty), "%s", v->value);
		if ((v = shenv_get(&env, "ID_LIKE")) && v->known && v->value)
			like = v->value;
		{
			char all[256];

			snprintf(all, sizeof(all), "%s %s", ret->id, like);
			if (word_in(all, "debian") || word_in(all, "ubuntu"))
				ret->family = OS_DEBIAN;
			else if (word_in(all, "rhel") || word_in(all, "fedora") ||
				 word_in(all, "centos"))
				ret->family = OS_RHEL;
			else if (word_in(all, "suse") || word_in(all, "opensuse") ||
				 word_in(all, "sles"))
				ret->family = OS_SUSE;
			else if (word_in(all, "arch"))
				ret->family = OS_ARCH;
		}
	}
	shenv_done(&env);
	/* no os-release (a minimal tree): the tools installed tell the family */
	if (ret->family == OS_UNKNOWN) {
		char path[64];

		if (regen_find_command(root, "update-grub", path, sizeof(path)) == 0 ||
		    root_exists(root, "etc/initramfs-tools") > 0)
			ret->family = OS_DEBIAN;
		else if (regen_find_command(root, "grub2-mkconfig", path, sizeof(path)) == 0)
			ret->family = OS_RHEL;
	}
	return r < 0 ? r : 0;
}

bool host_uses_dracut(struct root *root)
{
	char path[64];

	/* not usr/lib/dracut: iommu-setup's own package puts its module there on
	 * hosts that build their initramfs with initramfs-tools too */
	return root_exists(root, "etc/dracut.conf.d") > 0 ||
	       regen_find_command(root, "dracut", path, sizeof(path)) == 0;
}

int regen_find_command(struct root *root, const char *name, char *path, size_t n)
{
	static const char *const dirs[] = { "usr/sbin", "usr/bin", "sbin", "bin" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char rel[256];
		_cleanup_close_ int fd = -1;

		snprintf(rel, sizeof(rel), "%s/%s", dirs[i], name);
		fd = root_openat(root, rel, O_PATH);
		if (fd >= 0) {
			snprintf(path, n, "/%s", rel);
			return 0;
		}
	}
	return -ENOENT;
}

/* boot/efi (else efi) in mountinfo: the device and its major:minor; false
 * with why when nothing is mounted there or mountinfo cannot be read */
static bool esp_mount(struct root *root, char *majmin, size_t n, char *source, size_t sn, char *why,
		      size_t wn)
{
	static const char *const points[] = { "/boot/efi", "/efi" };
	_cleanup_free_ char *text = NULL;
	struct file_error err = {};
	struct mount_entry m;
	size_t len = 0;

	if (root_read_file(root, "proc/self/mountinfo", 4u << 20, &text, &len) < 0) {
		snprintf(why, wn, "/proc/self/mountinfo cannot be read");
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(points); i++) {
		int r = mountinfo_find(text, len, points[i], &m, &err);

		if (r == -EINVAL) {
			snprintf(why, wn, "/%.40s:%u: %.300s", err.file, err.line, err.message);
			return false;
		}
		if (r == 0 && strcmp(m.mount_point, points[i]) == 0) {
			snprintf(majmin, n, "%s", m.majmin);
			snprintf(source, sn, "%s", m.source);
			return true;
		}
	}
	snprintf(why, wn, "nothing is mounted at /boot/efi");
	return false;
}

/* libblkid on the disk that holds the partition majmin (found in sysfs below
 * the root, probed through dev/<disk> below the root): its type and GUID */
static int esp_blkid(struct root *root, const char *majmin, struct esp_info *e, char *why,
		     size_t wn)
{
	char rel[128], target[1024], disk[64], partno_s[32] = "";
	_cleanup_free_ char *pn = NULL;
	_cleanup_close_ int fd = -1;
	blkid_probe pr;
	blkid_partlist ls;
	blkid_partition par;
	const char *type, *uuid;
	char *slash;
	ssize_t n;
	int partno;

	snprintf(rel, sizeof(rel), "sys/dev/block/%s", majmin);
	n = root_readlink(root, rel, target, sizeof(target));
	snprintf(rel, sizeof(rel), "sys/dev/block/%s/partition", majmin);
	if (n <= 0 || root_read_file(root, rel, 64, &pn, NULL) < 0) {
		snprintf(why, wn, "sys/dev/block/%s does not describe a partition", majmin);
		return -ENOENT;
	}
	partno = atoi(pn);
	/* ".../block/sda/sda1": the disk is the parent directory */
	slash = strrchr(target, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	slash = strrchr(target, '/');
	snprintf(disk, sizeof(disk), "%.63s", slash ? slash + 1 : target);
	snprintf(rel, sizeof(rel), "dev/%s", disk);
	fd = root_openat(root, rel, O_RDONLY);
	if (fd < 0) {
		snprintf(why, wn, "cannot open /dev/%s: %s", disk, strerror(-fd));
		return fd;
	}
	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		snprintf(why, wn, "libblkid cannot probe /dev/%s", disk);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	ls = blkid_probe_get_partitions(pr);
	par = ls ? blkid_partlist_get_partition_by_partno(ls, partno) : NULL;
	if (!par) {
		blkid_free_probe(pr);
		snprintf(why, wn, "libblkid finds no partition %d on /dev/%s", partno, disk);
		return -ENOENT;
	}
	type = blkid_partition_get_type_string(par);
	uuid = blkid_partition_get_uuid(par);
	e->blkid = type && strcasecmp(type, ESP_TYPE_GUID) == 0;
	snprintf(e->part_uuid, sizeof(e->part_uuid), "%s", uuid ? uuid : "");
	snprintf(why, wn, "libblkid: /dev/%s partition %d (%s) has type %s%s", disk, partno,
		 uuid ? uuid : "no GUID", type ? type : "unknown",
		 e->blkid ? " (EFI System Partition)" : ", not the EFI System Partition type");
	(void)partno_s;
	blkid_free_probe(pr);
	return 0;
}

/* BootCurrent and its load option, through efivar */
static void esp_firmware(struct esp_info *e, char *why, size_t wn)
{
	_cleanup_free_ uint8_t *cur = NULL, *opt = NULL;
	size_t len = 0, olen = 0;
	struct efi_load_option lo;
	int r;

	r = boot_efi_get_variable("BootCurrent", &cur, &len);
	if (r < 0 || len < 2) {
		snprintf(why, wn, "no BootCurrent variable (%s)",
			 r == -EOPNOTSUPP ? "no efivars"
			 : r < 0	  ? strerror(-r)
					  : "too short");
		return;
	}
	snprintf(e->boot_current, sizeof(e->boot_current), "Boot%04X", cur[0] | cur[1] << 8);
	r = boot_efi_get_variable(e->boot_current, &opt, &olen);
	if (r < 0 || efi_load_option_parse(opt, olen, &lo) < 0) {
		snprintf(why, wn, "BootCurrent is %s, which %s", e->boot_current,
			 r < 0 ? "cannot be read" : "is not a valid load option");
		return;
	}
	snprintf(e->loader_path, sizeof(e->loader_path), "%s", lo.path);
	snprintf(e->loader_part, sizeof(e->loader_part), "%.36s", lo.part_guid);
	snprintf(why, wn, "BootCurrent %s (\"%.60s\") loads %.200s", e->boot_current,
		 lo.description, lo.path[0] ? lo.path : "no file");
}

/* EFI/<dir> holding a boot loader or grub.cfg, other than BOOT; the number found */
static unsigned esp_dirs_on_disk(struct root *root, const char *prefer, char *dir, size_t n)
{
	_cleanup_(closedirp) DIR *d = root_opendir(root, "boot/efi/EFI");
	struct dirent *de;
	unsigned found = 0;

	dir[0] = '\0';
	while (d && (de = readdir(d))) {
		static const char *const marks[] = { "grub.cfg", "shimx64.efi", "grubx64.efi",
						     "shimaa64.efi", "grubaa64.efi" };
		bool has = false;

		if (de->d_name[0] == '.' || strcasecmp(de->d_name, "BOOT") == 0)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(marks) && !has; i++) {
			char rel[600];

			snprintf(rel, sizeof(rel), "boot/efi/EFI/%.200s/%s", de->d_name, marks[i]);
			has = root_exists(root, rel) > 0;
		}
		if (!has)
			continue;
		found++;
		/* several: the distribution's own wins, else the first in order */
		if (!dir[0] || strcasecmp(de->d_name, prefer) == 0 ||
		    (strcasecmp(dir, prefer) != 0 && strcmp(de->d_name, dir) < 0))
			snprintf(dir, n, "%.63s", de->d_name);
	}
	return found;
}

int esp_find(struct root *root, const struct host *h, const struct os_release *os,
	     struct esp_info *e)
{
	char majmin[32], fw_why[400] = "", blk_why[400] = "", fw_dir[64] = "", rel[600];
	char prefer[64];
	unsigned n_disk;
	bool fw_ok = false;

	memset(e, 0, sizeof(*e));
	e->blkid = -1;
	/* the RHEL family's %efi_vendor: ID, with rhel -> redhat */
	snprintf(prefer, sizeof(prefer), "%s", strcmp(os->id, "rhel") == 0 ? "redhat" : os->id);

	e->mounted = esp_mount(root, majmin, sizeof(majmin), e->source, sizeof(e->source), blk_why,
			       sizeof(blk_why));
	if (e->mounted)
		esp_blkid(root, majmin, e, blk_why, sizeof(blk_why));
	if (h->boot.uefi)
		esp_firmware(e, fw_why, sizeof(fw_why));
	else
		snprintf(fw_why, sizeof(fw_why), "not booted through UEFI: no BootCurrent");

	if (e->loader_path[0] && efi_path_vendor_dir(e->loader_path, fw_dir, sizeof(fw_dir)) < 0)
		appendf(fw_why, sizeof(fw_why),
			" (the removable-media path or no \\EFI\\<dir>: not a distribution's "
			"directory)");
	else if (e->loader_path[0]) {
		snprintf(rel, sizeof(rel), "boot/efi/EFI/%s", fw_dir);
		fw_ok = root_exists(root, rel) > 0;
		if (!fw_ok)
			appendf(fw_why, sizeof(fw_why), ", but /boot/efi/EFI/%s is not there",
				fw_dir);
		else if (e->blkid == 1 && e->loader_part[0] &&
			 strcasecmp(e->loader_part, e->part_uuid) != 0) {
			fw_ok = false;
			appendf(fw_why, sizeof(fw_why),
				", on partition %s, but /boot/efi is partition %s", e->loader_part,
				e->part_uuid);
		}
	}
	n_disk = esp_dirs_on_disk(root, prefer, e->dir, sizeof(e->dir));
	if (fw_ok) {
		snprintf(e->dir, sizeof(e->dir), "%s", fw_dir);
		appendf(e->how, sizeof(e->how), "EFI/%s from the firmware: %s; %s", fw_dir, fw_why,
			blk_why);
	} else if (n_disk)
		appendf(e->how, sizeof(e->how), "EFI/%s from the disk (%u candidate%s%s%s): %s; %s",
			e->dir, n_disk, n_disk == 1 ? "" : "s", n_disk > 1 ? ", preferring " : "",
			n_disk > 1 ? prefer : "", fw_why, blk_why);
	else
		appendf(e->how, sizeof(e->how),
			"no EFI/<dir> with a boot loader on /boot/efi: %s; %s", fw_why, blk_why);
	if (e->mounted && e->blkid == 0)
		appendf(e->how, sizeof(e->how),
			" — WARNING: /boot/efi is not on an EFI System Partition");
	return 0;
}

/* The installed kernels (facts/regen.h says what counts), from the ones
 * lib/modules lists with a module index, newest first; read only. */
static void installed_kernels(struct root *root, const struct host *h, struct regen_facts *f)
{
	for (unsigned i = 0; i < h->modules.n_kernels; i++) {
		const char *kver = h->modules.kernels[i];
		struct installed_kernel *k;
		char rel[600];
		bool image;

		snprintf(rel, sizeof(rel), "boot/vmlinuz-%s", kver);
		image = root_exists(root, rel) > 0;
		if (!image) {
			snprintf(rel, sizeof(rel), "lib/modules/%s/vmlinuz", kver);
			image = root_exists(root, rel) > 0;
		}
		if (!image || strlen(kver) >= sizeof(k->kver))
			continue;
		if (f->n_kernels == REGEN_KERNELS_MAX) {
			f->n_kernels_more++;
			continue;
		}
		k = &f->kernels[f->n_kernels++];
		snprintf(k->kver, sizeof(k->kver), "%s", kver);
		snprintf(rel, sizeof(rel), "boot/vmlinuz-%s", kver);
		k->boot_image = root_exists(root, rel) > 0;
		snprintf(rel, sizeof(rel), "boot/initrd.img-%s", kver);
		k->initrd_img = root_exists(root, rel) > 0;
		snprintf(rel, sizeof(rel), "boot/initramfs-%s.img", kver);
		k->initramfs_img = root_exists(root, rel) > 0;
	}
}

int regen_gather(struct root *root, const struct host *h, struct regen_facts *f)
{
	char rel[600];

	*f = (struct regen_facts){ .esp_cfg = -1 };
	os_release_read(root, &f->os);
	(void)regen_find_command(root, "update-grub", f->update_grub, sizeof(f->update_grub));
	(void)regen_find_command(root, "grub2-mkconfig", f->grub2_mkconfig,
				 sizeof(f->grub2_mkconfig));
	(void)regen_find_command(root, "grub-mkconfig", f->grub_mkconfig, sizeof(f->grub_mkconfig));
	(void)regen_find_command(root, "dracut", f->dracut, sizeof(f->dracut));
	(void)regen_find_command(root, "update-initramfs", f->update_initramfs,
				 sizeof(f->update_initramfs));
	(void)regen_find_command(root, "lsinitrd", f->lsinitrd, sizeof(f->lsinitrd));
	(void)regen_find_command(root, "lsinitramfs", f->lsinitramfs, sizeof(f->lsinitramfs));
	(void)regen_find_command(root, "mkinitramfs", f->mkinitramfs, sizeof(f->mkinitramfs));
	(void)regen_find_command(root, "kernel-install", f->kernel_install,
				 sizeof(f->kernel_install));
	f->itools = root_exists(root, "etc/initramfs-tools") > 0;
	f->dracut_host = host_uses_dracut(root);
	f->dracut_module = root_exists(root, "usr/lib/dracut/modules.d/50iommu-setup") > 0;
	f->itools_hook = root_exists(root, "usr/share/initramfs-tools/hooks/iommu-setup") > 0;
	if (h->modules.kver[0]) {
		snprintf(rel, sizeof(rel), "boot/initrd.img-%s", h->modules.kver);
		f->initrd_img = root_exists(root, rel) > 0;
	}
	installed_kernels(root, h, f);
	(void)regen_find_command(root, "proxmox-boot-tool", f->proxmox_boot_tool,
				 sizeof(f->proxmox_boot_tool));
	{
		_cleanup_free_ char *ids = NULL;
		size_t len;
		int r = root_read_file(root, PBT_UUIDS_FILE, 65536, &ids, &len);

		if (r >= 0)
			(void)pbt_uuids_parse(ids, len, f->pbt_uuids, PBT_ESPS_MAX, &f->n_pbt_uuids,
					      &f->pbt_error);
		else if (r != -ENOENT)
			file_error_set(&f->pbt_error, PBT_UUIDS_FILE, 0, "cannot be read: %s",
				       root_strerror(-r));
	}
	f->kernelstub = root_exists(root, "etc/kernelstub/configuration") > 0;
	if (h->boot.uefi && f->grub2_mkconfig[0]) {
		_cleanup_free_ char *cfg = NULL;

		f->esp_checked = true;
		esp_find(root, h, &f->os, &f->esp);
		if (f->esp.dir[0]) {
			snprintf(rel, sizeof(rel), "boot/efi/EFI/%s/grub.cfg", f->esp.dir);
			if (root_read_file(root, rel, 1u << 20, &cfg, NULL) >= 0)
				f->esp_cfg = grub_cfg_is_stub(cfg) ? 0 : 1;
		}
	}
	return 0;
}
