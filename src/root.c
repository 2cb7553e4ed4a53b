/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "root.h"

#define MAX_SYMLINKS 40

static int root_openat_raw(int root_fd, const char *path, int flags);

int root_open(const char *dir)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static const char *skip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/* Resolves path below the root into resolved (PATH_MAX): a path relative to
 * the root with no symlinks and no "..", "" for the root itself. A missing
 * last component is allowed (the file may be created). */
static int resolve_in_root(int root_fd, const char *path, char *resolved)
{
	/* todo: what is left to resolve; grows by at most PATH_MAX per link */
	_cleanup_free_ char *todo = NULL;
	size_t rlen = 0;
	unsigned links = 0;
	bool missing = false; /* a component does not exist: nor do the ones below it */

	resolved[0] = '\0';
	todo = strdup(skip_slashes(path));
	if (!todo)
		return -ENOMEM;

	for (;;) {
		char *p = todo, *slash;
		struct stat st;
		size_t clen;

		p = (char *)skip_slashes(p);
		if (!*p)
			break;
		slash = strchr(p, '/');
		clen = slash ? (size_t)(slash - p) : strlen(p);

		if (clen == 1 && p[0] == '.') {
			/* nothing */
		} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
			/* ".." at the root stays at the root, like RESOLVE_IN_ROOT */
			char *last = strrchr(resolved, '/');

			rlen = last ? (size_t)(last - resolved) : 0;
			resolved[rlen] = '\0';
		} else {
			size_t save = rlen;

			if (rlen + clen + 2 > PATH_MAX)
				return -ENAMETOOLONG;
			if (rlen)
				resolved[rlen++] = '/';
			memcpy(resolved + rlen, p, clen);
			rlen += clen;
			resolved[rlen] = '\0';

			if (missing)
				; /* nothing to follow */
			else if (fstatat(root_fd, resolved, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					return -errno;
				/* missing: openat() decides (O_CREAT), a writer creates
				 * the directories */
				missing = true;
			} else if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t n;
				char *rest;

				if (++links > MAX_SYMLINKS)
					return -ELOOP;
				n = readlinkat(root_fd, resolved, target, sizeof(target) - 1);
				if (n < 0)
					return -errno;
				target[n] = '\0';
				/* the link is replaced by its target; an absolute target
				 * starts again at the root */
				rlen = target[0] == '/' ? 0 : save;
				resolved[rlen] = '\0';
				if (asprintf(&rest, "%s%s", target, slash ? slash : "") < 0)
					return -ENOMEM;
				free(todo);
				todo = rest;
				continue;
			}
		}
		memmove(todo, p + clen, strlen(p + clen) + 1);
	}
	return 0;
}

int root_resolve(int root_fd, const char *path, char **ret)
{
	char *resolved = calloc(1, PATH_MAX);
	int r;

	if (!resolved)
		return -ENOMEM;
	r = resolve_in_root(root_fd, path, resolved);
	if (r < 0) {
		free(resolved);
		return r;
	}
	*ret = resolved;
	return 0;
}

int root_openat_walk(int root_fd, const char *path, int flags)
{
	_cleanup_free_ char *resolved = NULL;
	int fd, r;

	r = root_resolve(root_fd, path, &resolved);
	if (r < 0)
		return r;
	fd = openat(root_fd, resolved[0] ? resolved : ".", flags | O_CLOEXEC | O_NOFOLLOW, 0644);
	return fd < 0 ? -errno : fd;
}

/* What was opened below the root, for `snapshot`: off unless asked for. */
static struct {
	bool on;
	struct root_access *list;
	size_t n;
} recorder;

void root_record_start(void)
{
	recorder.on = true;
}

size_t root_recorded(const struct root_access **ret)
{
	/* the list is read from now on: nothing may be added to it */
	recorder.on = false;
	*ret = recorder.list;
	return recorder.n;
}

void root_record_stop(void)
{
	for (size_t i = 0; i < recorder.n; i++)
		free(recorder.list[i].path);
	free(recorder.list);
	memset(&recorder, 0, sizeof(recorder));
}

static void record(const char *rel, int flags)
{
	/* O_PATH opens a directory without reading it */
	bool listed = (flags & O_DIRECTORY) && !(flags & O_PATH);
	struct root_access *n;

	for (size_t i = 0; i < recorder.n; i++)
		if (strcmp(recorder.list[i].path, rel) == 0) {
			recorder.list[i].listed |= listed;
			return;
		}
	n = realloc(recorder.list, (recorder.n + 1) * sizeof(*n));
	if (!n)
		return; /* the snapshot will miss it; reading goes on */
	recorder.list = n;
	n[recorder.n].path = strdup(rel);
	n[recorder.n].listed = listed;
	if (n[recorder.n].path)
		recorder.n++;
}

int root_openat(int root_fd, const char *path, int flags)
{
	int fd = root_openat_raw(root_fd, path, flags);

	if (fd >= 0 && recorder.on)
		record(skip_slashes(path), flags);
	return fd;
}

static int root_openat_raw(int root_fd, const char *path, int flags)
{
	static bool no_openat2;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = skip_slashes(path);
	long fd;

	if (flags & O_CREAT)
		how.mode = 0644;
	if (!*rel)
		rel = ".";
	if (!no_openat2) {
		fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		/* ENOSYS: kernel before 5.6; EPERM: a seccomp filter that does not know it */
		no_openat2 = true;
	}
	return root_openat_walk(root_fd, rel, flags);
}

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, alloc = 0;
	/* sysfs and procfs files report a size of 0 or 4096: read until EOF */
	for (;;) {
		ssize_t n;

		if (size + 1 >= alloc) {
			size_t na = alloc ? alloc * 2 : 4096;
			char *p;

			if (alloc > max + 1)
				return -EFBIG;
			p = realloc(buf, na);
			if (!p)
				return -ENOMEM;
			buf = p;
			alloc = na;
		}
		n = read(fd, buf + size, alloc - size - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		size += (size_t)n;
		if (size > max)
			return -EFBIG;
	}
	buf[size] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int root_read_file(int root_fd, const char *path, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = root_openat(root_fd, path, O_RDONLY);

	if (fd < 0)
		return fd;
	return read_fd_full(fd, max, ret, ret_size);
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_full(fd, max, ret, ret_size);
}

int root_exists(int root_fd, const char *path)
{
	_cleanup_close_ int fd = root_openat(root_fd, path, O_PATH);

	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	return fd < 0 ? fd : 1;
}

ssize_t root_readlink(int root_fd, const char *path, char *buf, size_t n)
{
	_cleanup_free_ char *dir = strdup(skip_slashes(path));
	_cleanup_close_ int dfd = -1;
	const char *base;
	char *slash;
	ssize_t k;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		base = slash + 1;
		dfd = root_openat_raw(root_fd, dir, O_PATH | O_DIRECTORY);
		if (dfd < 0)
			return dfd;
	} else
		base = dir;
	k = readlinkat(slash ? dfd : root_fd, base, buf, n - 1);
	if (k < 0)
		return -errno;
	buf[k] = '\0';
	if (recorder.on)
		record(skip_slashes(path), 0);
	return k;
}

DIR *root_opendir(int root_fd, const char *path)
{
	int fd = root_openat(root_fd, path, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return d;
}
