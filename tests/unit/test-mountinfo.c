/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: which mount holds a path (facts/mountinfo.c). */
#include <errno.h>
#include <string.h>

#include "facts/mountinfo.h"

#include "unit.h"

/* a host with /boot on LVM, the ESP, a Btrfs /home and a mount point with
 * a space, as the kernel writes them */
static const char mi[] =
	"22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/vg0-root rw\n"
	"23 22 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
	"30 22 253:1 / /boot rw,relatime shared:7 - ext4 /dev/mapper/vg0-boot rw\n"
	"31 30 8:1 / /boot/efi rw,relatime shared:8 - vfat /dev/sda1 rw,fmask=0077\n"
	"40 22 0:40 /@home /home rw,relatime shared:9 master:2 - btrfs /dev/sdb1 rw,space_cache\n"
	"41 22 8:17 / /mnt/my\\040disk rw - ext4 /dev/sdb2 rw\n";

static struct mount_entry m;
static struct file_error err;

static int find(const char *text, const char *path)
{
	memset(&m, 0, sizeof(m));
	memset(&err, 0, sizeof(err));
	return mountinfo_find(text, strlen(text), path, &m, &err);
}

/* the longest mount point that is a leading directory of the path */
static void test_find(void)
{
	CHECK(find(mi, "/boot/grub/grubenv") == 0);
	CHECK(strcmp(m.mount_point, "/boot") == 0 && strcmp(m.fstype, "ext4") == 0);
	CHECK(strcmp(m.source, "/dev/mapper/vg0-boot") == 0 && strcmp(m.majmin, "253:1") == 0);
	CHECK(m.line == 3);
	CHECK(find(mi, "/boot/efi") == 0 && strcmp(m.source, "/dev/sda1") == 0);
	CHECK(find(mi, "/boot/efi/EFI/debian/grubenv") == 0 && strcmp(m.fstype, "vfat") == 0);
	/* "/bootx" is not below "/boot" */
	CHECK(find(mi, "/bootx/grub") == 0 && strcmp(m.mount_point, "/") == 0);
	/* optional fields (two here) before the separator */
	CHECK(find(mi, "/home/a") == 0 && strcmp(m.fstype, "btrfs") == 0);
	/* \040 is a space */
	CHECK(find(mi, "/mnt/my disk/x") == 0 && strcmp(m.source, "/dev/sdb2") == 0);
	/* nothing mounted at / in a bare chroot's mountinfo */
	CHECK(find("23 1 0:21 / /proc rw - proc proc rw\n", "/boot") == -ENOENT);
	/* the later of two mounts on one point hides the first */
	CHECK(find("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:2 / / rw - xfs /dev/sda2 rw\n",
		   "/boot") == 0 &&
	      strcmp(m.fstype, "xfs") == 0);
}

/* a line that is not mountinfo is an error naming it; a mount point too
 * long to keep cannot hold the path and is passed over, a source too long
 * for the mount that does is an error */
static void test_bad(void)
{
	char long_mp[700], long_src[400];

	CHECK(find("1 0 8:1 / / rw - ext4 /dev/sda1 rw\ngarbage\n", "/boot") == -EINVAL);
	CHECK(err.line == 2 && strcmp(err.file, "proc/self/mountinfo") == 0);
	CHECK(find("1 0 8:1 / / rw ext4 /dev/sda1 rw\n", "/boot") == -EINVAL);
	CHECK(strstr(err.message, "separator"));
	CHECK(find("1 0 8:1 / relative rw - ext4 /dev/sda1 rw\n", "/boot") == -EINVAL);
	CHECK(find("1 0 8:1 / / rw - ext4\n", "/boot") == -EINVAL && err.line == 1);
	snprintf(long_mp, sizeof(long_mp),
		 "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:2 / /%0600d rw - ext4 /dev/sda2 rw\n",
		 0);
	CHECK(find(long_mp, "/boot") == 0 && strcmp(m.source, "/dev/sda1") == 0);
	snprintf(long_src, sizeof(long_src), "1 0 8:1 / / rw - ext4 /dev/%0200d rw\n", 0);
	CHECK(find(long_src, "/boot") == -EINVAL && strstr(err.message, "longer than"));
	/* NUL inside a field, written as \000 */
	CHECK(find("1 0 8:1 / / rw - ext4 /dev/sd\\000a rw\n", "/boot") == -EINVAL);
}

int main(int argc, char **argv)
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_find);
	RUN(test_bad);
	UNIT_MAIN_END();
}
