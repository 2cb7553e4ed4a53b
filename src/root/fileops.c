/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File utilities on directory fds, for the transaction and the root object:
 * nothing here resolves a path of more than one component. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macro.h"
#include "root/fileops.h"
#include "root/root.h"

int read_regular_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd =
		openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_regular_fd(fd, max, ret, ret_len);
}

int rm_rf_at(int dir_fd, const char *name)
{
	_cleanup_close_ int fd =
		openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;

	if (fd < 0)
		return errno == ENOENT	  ? 0
		       : errno == ENOTDIR ? (unlinkat(dir_fd, name, 0) < 0 ? -errno : 0)
					  : -errno;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	fd = -1;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR)
			(void)rm_rf_at(dirfd(d), de->d_name);
		else
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

void remove_temporaries(int dir, const char *base)
{
	_cleanup_close_ int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t bl = strlen(base);
	DIR *d;
	struct dirent *de;

	if (fd < 0 || !(d = fdopendir(fd)))
		return;
	fd = -1;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, ".#", 2) == 0 && strncmp(de->d_name + 2, base, bl) == 0 &&
		    de->d_name[2 + bl] == '.' && strlen(de->d_name + 3 + bl) == 8)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

bool same_content(int a, int b)
{
	char x[65536], y[65536];
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0 || !S_ISREG(sa.st_mode) ||
	    sa.st_size != sb.st_size || (sa.st_mode & 07777) != (sb.st_mode & 07777))
		return false;
	for (;;) {
		ssize_t n = read(a, x, sizeof(x)), m;

		if (n <= 0)
			return n == 0 && read(b, y, 1) == 0;
		m = read(b, y, (size_t)n);
		if (m != n || memcmp(x, y, (size_t)n) != 0)
			return false;
	}
}
