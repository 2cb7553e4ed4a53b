/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "acpi/acpi-dmar.h"
#include "acpi/acpi-ivrs.h"
#include "acpi/acpi-print.h"
#include "base/macro.h"
#include "base/textsafe.h"
#include "decide/bootcfg-edit.h"
#include "decide/checks.h"
#include "decide/devices.h"
#include "decide/grub-edit.h"
#include "decide/kparams.h"
#include "decide/nextboot.h"
#include "decide/plan.h"
#include "decide/record.h"
#include "decide/rules.h"
#include "facts/cmdline.h"
#include "facts/cpuinfo.h"
#include "facts/efi-loadopt.h"
#include "facts/modconf.h"
#include "facts/modules.h"
#include "facts/shellvars.h"
#include "report/json.h"
#include "root/root.h"

#include "unit.h"

static void test_root_resolution(void)
{
	char tmpl[] = "/tmp/iommu-setup-unit-XXXXXX";
	char path[4200], buf[PATH_MAX], *data = NULL;
	size_t len;
	struct root *root = NULL;
	struct stat st;
	int (*const openers[])(struct root *, const char *, int) = { root_openat,
								     root_openat_walk };

	CHECK(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/etc", tmpl);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/etc/inside", tmpl);
	CHECK(close(open(path, O_CREAT | O_WRONLY, 0644)) == 0);
	snprintf(path, sizeof(path), "%s/abs", tmpl);
	CHECK(symlink("/etc", path) == 0); /* must mean <root>/etc */
	snprintf(path, sizeof(path), "%s/up", tmpl);
	CHECK(symlink("../../../../etc", path) == 0); /* ".." stops at the root */
	snprintf(path, sizeof(path), "%s/loop", tmpl);
	CHECK(symlink("loop", path) == 0);
	snprintf(path, sizeof(path), "%s/fifo", tmpl);
	CHECK(mkfifo(path, 0644) == 0);
	snprintf(path, sizeof(path), "%s/etc/null", tmpl);
	CHECK(symlink("/dev/null", path) == 0); /* <root>/dev/null: absent */
	snprintf(path, sizeof(path), "%s/proc", tmpl);
	CHECK(symlink("/proc/self/root/etc", path) == 0);

	CHECK(root_new(tmpl, &root) == 0);
	CHECK(!root_is_host(root));
	for (size_t i = 0; i < ARRAY_SIZE(openers); i++) {
		_cleanup_close_ int a = openers[i](root, "/abs/inside", O_RDONLY);
		_cleanup_close_ int b = openers[i](root, "up/inside", O_RDONLY);
		_cleanup_close_ int c = openers[i](root, "abs/passwd", O_RDONLY);
		_cleanup_close_ int d = openers[i](root, "loop", O_RDONLY);
		_cleanup_close_ int e = openers[i](root, "etc/../../etc/./inside", O_RDONLY);
		_cleanup_close_ int f = openers[i](root, "proc/passwd", O_RDONLY);

		CHECK(a >= 0);
		CHECK(b >= 0);
		CHECK(c == -ENOENT); /* the host's /etc/passwd is out of reach */
		CHECK(d == -ELOOP);
		CHECK(e >= 0);
		CHECK(f < 0); /* not through /proc/self/root of this process either */
	}
	CHECK(root_exists(root, "etc/inside") == 1);
	CHECK(root_exists(root, "etc/missing") == 0);
	CHECK(root_exists(root, "etc/inside/x") == 0);
	/* only regular files are read: a FIFO is an error at once, never a hang */
	CHECK(root_read_file(root, "fifo", 100, &data, &len) == -ENOTREG);
	CHECK(root_read_file(root, "etc", 100, &data, &len) == -EISDIR);
	CHECK(root_read_file(root, "etc/null", 100, &data, &len) == -ENOENT);
	CHECK(strcmp(root_strerror(-ENOTREG), "not a regular file") == 0);
	/* a limit is an error, not a short read */
	snprintf(path, sizeof(path), "%s/etc/big", tmpl);
	{
		FILE *big = fopen(path, "we");

		CHECK(big && fputs("0123456789", big) >= 0 && fclose(big) == 0);
	}
	CHECK(root_read_file(root, "etc/big", 9, &data, &len) == -EFBIG);
	CHECK(root_read_file(root, "etc/big", 10, &data, &len) == 0 && len == 10);
	free(data);
	CHECK(root_stat(root, "abs/big", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 10);
	CHECK(root_readlink(root, "abs", buf, sizeof(buf)) == 4 && strcmp(buf, "/etc") == 0);
	CHECK(root_readlink(root, "abs", buf, 4) == -ENAMETOOLONG);
	/* a library's copy of a directory: regular files only, masks empty */
	CHECK(root_copy_dir(root, "etc", 1024, NULL, buf, sizeof(buf)) == 0);
	CHECK(strncmp(buf, tmpl, strlen(tmpl)) != 0); /* in the scratch, not the root */
	snprintf(path, sizeof(path), "%s/big", buf);
	CHECK(stat(path, &st) == 0 && st.st_size == 10);
	snprintf(path, sizeof(path), "%s/null", buf);
	CHECK(stat(path, &st) < 0); /* a dangling link: nothing */
	CHECK(root_copy_dir(root, "etc", 5, NULL, buf, sizeof(buf)) == -EFBIG);
	CHECK(root_copy_dir(root, "nope", 5, NULL, buf, sizeof(buf)) == -ENOENT);
	root = root_free(root);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	CHECK(system(path) == 0);
}

/* A path through a link with ".." (as sysfs has them everywhere) opened
 * while another process renames files: openat2's RESOLVE_IN_ROOT answers
 * EAGAIN when a rename anywhere on the system races with the "..", which
 * failed reads of the host at random under a parallel test suite. Every
 * open must succeed (the root retries, then walks). */
static void test_root_rename_race(void)
{
	char tmpl[] = "/tmp/iommu-setup-unit-XXXXXX", path[4200], a[4200], b[4200];
	struct root *root = NULL;
	unsigned n_failed = 0, eagain = 0;
	pid_t child;
	int status;

	CHECK(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/devices", tmpl);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/devices/pci0", tmpl);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/devices/pci0/device", tmpl);
	CHECK(close(open(path, O_CREAT | O_WRONLY, 0644)) == 0);
	snprintf(path, sizeof(path), "%s/bus", tmpl);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/bus/link", tmpl);
	CHECK(symlink("../devices/pci0", path) == 0);
	snprintf(a, sizeof(a), "%s/a", tmpl);
	snprintf(b, sizeof(b), "%s/b", tmpl);
	CHECK(close(open(a, O_CREAT | O_WRONLY, 0644)) == 0);
	CHECK(root_new(tmpl, &root) == 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		for (;;) {
			if (rename(a, b) < 0 || rename(b, a) < 0)
				_exit(1);
		}
	}
	for (unsigned i = 0; i < 200000; i++) {
		int fd = root_open_regular(root, "bus/link/../pci0/device");

		if (fd < 0) {
			n_failed++;
			eagain += fd == -EAGAIN;
		} else
			close(fd);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	root = root_free(root);
	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	CHECK(system(path) == 0);
	if (n_failed)
		printf("    %u of 200000 opens failed, %u with EAGAIN\n", n_failed, eagain);
	CHECK(n_failed == 0);
}

/* ---- the apply record ---- */

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_root_resolution);
	RUN(test_root_rename_race);
	UNIT_MAIN_END();
}
