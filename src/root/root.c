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
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/macro.h"
#include "root/fileops.h"
#include "root/root.h"

#define MAX_SYMLINKS 40
#define SELINUX_XATTR "security.selinux"

int root_new(const char *dir, struct root **ret)
{
	struct root *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		int e = -errno;

		free(r);
		return e;
	}
	r->path = strdup(dir);
	if (!r->path) {
		close(r->fd);
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

struct root *root_free(struct root *r)
{
	if (!r)
		return NULL;
	if (r->scratch)
		(void)rm_rf_at(AT_FDCWD, r->scratch);
	free(r->scratch);
	free(r->failed_path);
	root_record_stop(r);
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r);
	return NULL;
}

bool root_is_host(const struct root *r)
{
	return strcmp(r->path, "/") == 0;
}

const char *root_strerror(int r)
{
	r = r < 0 ? -r : r;
	return r == ENOTREG  ? "not a regular file"
	       : r == EILSEQ ? "control characters in the name"
			     : strerror(r);
}

static const char *skip_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return p;
}

/* ---- resolution ---- */

/*
 * The walk: each component opened O_PATH|O_NOFOLLOW from the directory
 * before it; a symlink is read and its target walked instead (an absolute
 * one from the root); ".." goes back one directory, never above the root.
 * no_symlinks: a symlink is an error (a writer's resolved path).
 */
static int walk(struct root *r, const char *path, int flags, bool no_symlinks)
{
	_cleanup_free_ char *todo = strdup(skip_slashes(path));
	_cleanup_free_ int *stack = NULL;
	size_t depth = 0, cap = 0;
	unsigned links = 0;
	int cur = r->fd, ret;

	if (!todo)
		return -ENOMEM;
	for (;;) {
		char *p = (char *)skip_slashes(todo), *slash, name[NAME_MAX + 1];
		size_t clen;
		bool last;
		int fd;

		if (!*p) {
			/* the root itself, or a path ending in "/" or "." */
			ret = openat(cur, ".", (flags & ~O_CREAT) | O_CLOEXEC | O_NOFOLLOW);
			ret = ret < 0 ? -errno : ret;
			break;
		}
		slash = strchr(p, '/');
		clen = slash ? (size_t)(slash - p) : strlen(p);
		if (clen > NAME_MAX) {
			ret = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, clen);
		name[clen] = '\0';
		last = !slash || !*skip_slashes(slash);
		memmove(todo, p + clen, strlen(p + clen) + 1);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (depth) {
				close(cur);
				cur = --depth ? stack[depth - 1] : r->fd;
			}
			continue;
		}
		fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && last && (flags & O_CREAT)) {
			/* a file to create */
			ret = openat(cur, name, flags | O_CLOEXEC | O_NOFOLLOW, 0644);
			ret = ret < 0 ? -errno : ret;
			break;
		}
		if (fd < 0) {
			ret = -errno;
			break;
		}
		{
			struct stat st;

			if (fstat(fd, &st) < 0) {
				ret = -errno;
				close(fd);
				break;
			}
			if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t n = readlinkat(cur, name, target, sizeof(target) - 1);
				char *rest;

				close(fd);
				if (no_symlinks && last && (flags & O_PATH) &&
				    (flags & O_NOFOLLOW)) {
					/* what openat2 gives: the link itself */
					ret = openat(cur, name, flags | O_CLOEXEC);
					ret = ret < 0 ? -errno : ret;
					break;
				}
				if (no_symlinks) {
					ret = -ELOOP;
					break;
				}
				if (n < 0) {
					ret = -errno;
					break;
				}
				if (++links > MAX_SYMLINKS) {
					ret = -ELOOP;
					break;
				}
				target[n] = '\0';
				if (target[0] == '/') {
					/* an absolute link starts again at the root */
					while (depth)
						close(stack[--depth]);
					cur = r->fd;
				}
				if (asprintf(&rest, "%s/%s", target, todo) < 0) {
					ret = -ENOMEM;
					break;
				}
				free(todo);
				todo = rest;
				continue;
			}
			if (last) {
				/* not a link: opened with the caller's flags */
				ret = openat(cur, name, flags | O_CLOEXEC | O_NOFOLLOW, 0644);
				ret = ret < 0 ? -errno : ret;
				close(fd);
				break;
			}
			if (!S_ISDIR(st.st_mode)) {
				close(fd);
				ret = -ENOTDIR;
				break;
			}
		}
		if (depth == cap) {
			size_t nc = cap ? cap * 2 : 16;
			int *ns = realloc(stack, nc * sizeof(*ns));

			if (!ns) {
				close(fd);
				ret = -ENOMEM;
				break;
			}
			stack = ns;
			cap = nc;
		}
		stack[depth++] = fd;
		cur = fd;
	}
	while (depth)
		close(stack[--depth]);
	return ret;
}

int root_openat_walk(struct root *r, const char *path, int flags)
{
	return walk(r, path, flags, false);
}

static void record(struct root *r, const char *rel, int flags)
{
	/* O_PATH opens without reading */
	bool listed = (flags & O_DIRECTORY) && !(flags & O_PATH);
	bool read = !(flags & O_DIRECTORY) && !(flags & O_PATH);
	struct root_access *n;

	for (size_t i = 0; i < r->n_recorded; i++)
		if (strcmp(r->recorded[i].path, rel) == 0) {
			r->recorded[i].listed |= listed;
			r->recorded[i].read |= read;
			return;
		}
	n = realloc(r->recorded, (r->n_recorded + 1) * sizeof(*n));
	if (!n) {
		r->record_error = -ENOMEM; /* the snapshot fails: it would miss a file */
		return;
	}
	r->recorded = n;
	n[r->n_recorded].path = strdup(rel);
	n[r->n_recorded].listed = listed;
	n[r->n_recorded].read = read;
	if (n[r->n_recorded].path)
		r->n_recorded++;
	else
		r->record_error = -ENOMEM;
}

#define OPENAT2_TRIES 16

static int open_resolved(struct root *r, const char *path, int flags, bool no_symlinks)
{
	static bool no_openat2;
	struct open_how how = {
		/* openat2() refuses O_PATH with any flag O_PATH ignores */
		.flags = (uint64_t)(flags | O_CLOEXEC | (flags & O_PATH ? 0 : O_NOCTTY)),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
			   (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
	};
	const char *rel = skip_slashes(path);
	long fd;

	if (flags & O_CREAT)
		how.mode = 0644;
	if (!*rel)
		rel = ".";
	if (!no_openat2) {
		/* EAGAIN: a ".." (a sysfs link's "../../devices/...") raced with a
		 * rename or mount anywhere on the system, which RESOLVE_IN_ROOT
		 * cannot rule out (openat2(2): the call may be retried). Any other
		 * process writing files by temp + rename makes it happen; a few
		 * tries, then the component walk, which is not subject to it. */
		for (unsigned tries = 0; tries < OPENAT2_TRIES; tries++) {
			fd = syscall(SYS_openat2, r->fd, rel, &how, sizeof(how));
			if (fd >= 0)
				return (int)fd;
			if (errno != EAGAIN)
				break;
		}
		if (errno == EAGAIN)
			return walk(r, rel, flags | (flags & O_PATH ? 0 : O_NOCTTY), no_symlinks);
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		/* ENOSYS: kernel before 5.6; EPERM: a seccomp filter that does not know it */
		no_openat2 = true;
	}
	return walk(r, rel, flags | (flags & O_PATH ? 0 : O_NOCTTY), no_symlinks);
}

int root_openat(struct root *r, const char *path, int flags)
{
	int fd = open_resolved(r, path, flags, false);

	if (fd >= 0 && r->recording)
		record(r, skip_slashes(path), flags);
	return fd;
}

int root_open_regular(struct root *r, const char *path)
{
	int fd = root_openat(r, path, O_RDONLY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENOTREG;
	}
	return fd;
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

static int failed(struct root *r, const char *path, int error)
{
	if (error < 0 && error != -ENOENT) {
		free(r->failed_path);
		r->failed_path = strdup(skip_slashes(path));
		r->failed_error = error;
	}
	return error;
}

const char *root_failed_path(const struct root *r, int error)
{
	return r->failed_path && r->failed_error == error ? r->failed_path : NULL;
}

int root_read_file(struct root *r, const char *path, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = root_open_regular(r, path);

	if (fd < 0)
		return failed(r, path, fd);
	return failed(r, path, read_fd_full(fd, max, ret, ret_size));
}

int root_check_name(struct root *r, const char *dir, const char *name)
{
	char path[PATH_MAX];
	size_t used;

	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			/* named escaped: the name itself is what is wrong */
			used = (size_t)snprintf(path, sizeof(path), "%s/", skip_slashes(dir));
			for (const char *q = name; *q && used + 5 < sizeof(path); q++)
				used += (size_t)snprintf(
					path + used, sizeof(path) - used,
					(unsigned char)*q < 0x20 || *q == 0x7f ? "\\x%02x" : "%c",
					(unsigned char)*q);
			return failed(r, path, -EILSEQ);
		}
	return 0;
}

int read_regular_fd(int fd, size_t max, char **ret, size_t *ret_size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENOTREG;
	return read_fd_full(fd, max, ret, ret_size);
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	return read_regular_fd(fd, max, ret, ret_size);
}

int root_exists(struct root *r, const char *path)
{
	_cleanup_close_ int fd = root_openat(r, path, O_PATH);

	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	return fd < 0 ? fd : 1;
}

int root_stat(struct root *r, const char *path, struct stat *st)
{
	_cleanup_close_ int fd = root_openat(r, path, O_PATH);

	if (fd < 0)
		return fd;
	return fstat(fd, st) < 0 ? -errno : 0;
}

ssize_t root_readlink(struct root *r, const char *path, char *buf, size_t n)
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
	} else
		base = dir;
	dfd = open_resolved(r, slash ? dir : ".", O_PATH | O_DIRECTORY, false);
	if (dfd < 0)
		return dfd;
	k = readlinkat(dfd, base, buf, n);
	if (k < 0)
		return -errno;
	if ((size_t)k >= n)
		return -ENAMETOOLONG; /* not cut: refused */
	buf[k] = '\0';
	if (r->recording)
		record(r, skip_slashes(path), O_PATH);
	return k;
}

DIR *root_opendir(struct root *r, const char *path)
{
	int fd = root_openat(r, path, O_RDONLY | O_DIRECTORY);
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

/* Resolves path below the root into resolved (PATH_MAX): a path relative to
 * the root with no symlinks and no "..", "" for the root itself. A missing
 * last component is allowed (the file may be created). */
static int resolve_in_root(struct root *r, const char *path, char *resolved)
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
			_cleanup_close_ int fd = -1;
			struct stat st;

			if (rlen + clen + 2 > PATH_MAX)
				return -ENAMETOOLONG;
			if (rlen)
				resolved[rlen++] = '/';
			memcpy(resolved + rlen, p, clen);
			rlen += clen;
			resolved[rlen] = '\0';

			/* the directories so far are free of links: opened as they are, the
			 * last component itself when it is a link */
			if (!missing)
				fd = open_resolved(r, resolved, O_PATH | O_NOFOLLOW, true);
			if (missing)
				; /* nothing to follow */
			else if (fd == -ENOENT)
				missing =
					true; /* openat() decides (O_CREAT), a writer creates it */
			else if (fd < 0)
				return fd; /* a link appeared where there was none: a race */
			else if (fstat(fd, &st) < 0)
				return -errno;
			else if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t n;
				char *rest;

				if (++links > MAX_SYMLINKS)
					return -ELOOP;
				n = root_readlink(r, resolved, target, sizeof(target));
				if (n < 0)
					return (int)n;
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

int root_resolve(struct root *r, const char *path, char **ret)
{
	char *resolved = calloc(1, PATH_MAX);
	int k;

	if (!resolved)
		return -ENOMEM;
	k = resolve_in_root(r, path, resolved);
	if (k < 0) {
		free(resolved);
		return k;
	}
	*ret = resolved;
	return 0;
}

/* ---- writing ---- */

int root_mkdir_parents(struct root *r, const char *path, bool last, mode_t mode,
		       int (*created)(void *userdata, const char *dir), void *userdata)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf;; p++) {
		char *slash = strchr(p, '/');
		_cleanup_close_ int parent = -1;
		const char *name;
		char *cut;

		if (!slash && !last)
			break;
		if (slash)
			*slash = '\0';
		/* the parent, inside the root, free of links: mkdir there */
		cut = strrchr(buf, '/');
		if (cut) {
			*cut = '\0';
			parent = open_resolved(r, buf, O_PATH | O_DIRECTORY, true);
			*cut = '/';
			name = cut + 1;
		} else {
			parent = dup(r->fd);
			name = buf;
		}
		if (parent < 0)
			return parent < -1 ? parent : -errno;
		if (*name && mkdirat(parent, name, mode) == 0) {
			if (created) {
				int k = created(userdata, buf);

				if (k < 0)
					return k;
			}
		} else if (*name && errno != EEXIST)
			return -errno;
		if (!slash)
			break;
		*slash = '/';
		p = slash;
	}
	return 0;
}

int root_open_dir_of(struct root *r, const char *resolved, const char **base)
{
	const char *slash = strrchr(resolved, '/');
	char dir[PATH_MAX];

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - resolved), resolved);
		*base = slash + 1;
	} else {
		snprintf(dir, sizeof(dir), ".");
		*base = resolved;
	}
	/* a writer's path has no link in it: one that appears now is refused */
	return open_resolved(r, dir, O_RDONLY | O_DIRECTORY, true);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_atomic_at(int dir_fd, const char *base, const char *data, size_t len, int like_fd,
		    int src_fd, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	for (unsigned attempt = 0;; attempt++) {
		unsigned rnd = 0;

		/* without entropy yet, the pid and the attempt keep names apart */
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
			rnd = 0;
		snprintf(tmp, sizeof(tmp), ".#%.200s.%08x", base,
			 rnd ^ (unsigned)getpid() ^ attempt);
		fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST || attempt > 16)
			return -errno;
	}
	if (src_fd >= 0) {
		/* a large file (an initramfs): copied, not held in memory */
		char buf[65536];
		ssize_t n;

		r = 0;
		while ((n = read(src_fd, buf, sizeof(buf))) > 0 && r >= 0)
			r = write_all(fd, buf, (size_t)n);
		if (n < 0)
			r = -errno;
	} else
		r = write_all(fd, data, len);
	if (r >= 0 && like_fd >= 0 && fstat(like_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		char label[256];
		ssize_t ln;

		if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
			r = -errno;
		if (r >= 0 && fchmod(fd, st.st_mode & 07777) < 0)
			r = -errno;
		ln = fgetxattr(like_fd, SELINUX_XATTR, label, sizeof(label));
		if (r >= 0 && ln > 0 && fsetxattr(fd, SELINUX_XATTR, label, (size_t)ln, 0) < 0 &&
		    errno != ENOTSUP)
			r = -errno;
	} else if (r >= 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(dir_fd, tmp, dir_fd, base) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dir_fd, tmp, 0);
		return r;
	}
	return fsync(dir_fd) < 0 ? -errno : 0;
}

/* ---- libraries that open paths themselves ---- */

static int scratch_dir(struct root *r)
{
	const char *tmp = secure_getenv("TMPDIR");
	char *t;

	if (r->scratch)
		return 0;
	if (asprintf(&t, "%s/iommu-setup.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return -ENOMEM;
	if (!mkdtemp(t)) { /* 0700, ours */
		int e = -errno;

		free(t);
		return e;
	}
	r->scratch = t;
	return 0;
}

int root_scratch_subdir(struct root *r, const char *name, char *dir, size_t n)
{
	int k = scratch_dir(r);

	if (k < 0)
		return k;
	if (strchr(name, '/') || !*name || name[0] == '.')
		return -EINVAL;
	if ((size_t)snprintf(dir, n, "%s/%s", r->scratch, name) >= n)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int root_scratch_file(struct root *r, const char *name, const char *data, size_t len,
		      char **ret_path)
{
	_cleanup_close_ int dfd = -1;
	char *path;
	int k = scratch_dir(r);

	if (k < 0)
		return k;
	if (strchr(name, '/') || !*name || name[0] == '.')
		return -EINVAL;
	dfd = open(r->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return -errno;
	k = write_atomic_at(dfd, name, data, len, -1, -1, 0600);
	if (k < 0)
		return k;
	if (ret_path) {
		if (asprintf(&path, "%s/%s", r->scratch, name) < 0)
			return -ENOMEM;
		*ret_path = path;
	}
	return 0;
}

int root_kmod_dir(struct root *r, const char *kver, char *dir, size_t dir_size)
{
	static const char *const indexes[] = {
		"modules.dep",
		"modules.dep.bin",
		"modules.alias",
		"modules.alias.bin",
		"modules.softdep",
		"modules.weakdep",
		"modules.symbols",
		"modules.symbols.bin",
		"modules.builtin",
		"modules.builtin.bin",
		"modules.builtin.alias.bin",
		"modules.builtin.modinfo",
		"modules.devname",
		"modules.order",
	};
	_cleanup_close_ int dfd = -1;
	char name[300];
	int k;

	if (strchr(kver, '/') || !*kver || kver[0] == '.')
		return -EINVAL;
	/* the running system's own tree is not hostile: no copy, unless
	 * snapshot records what is read (the copy reads through the recorder) */
	if (root_is_host(r) && !r->recording)
		return (size_t)snprintf(dir, dir_size, "/lib/modules/%s", kver) >= dir_size
			       ? -ENAMETOOLONG
			       : 0;
	k = scratch_dir(r);
	if (k < 0)
		return k;
	snprintf(name, sizeof(name), "kmod-%s", kver);
	if ((size_t)snprintf(dir, dir_size, "%s/%s", r->scratch, name) >= dir_size)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0)
		return errno == EEXIST ? 0 : -errno; /* copied already */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(indexes); i++) {
		_cleanup_free_ char *data = NULL;
		char rel[PATH_MAX];
		size_t len;

		snprintf(rel, sizeof(rel), "lib/modules/%s/%s", kver, indexes[i]);
		/* the modules.* of a distribution kernel are a few MiB at most */
		k = root_read_file(r, rel, 64u << 20, &data, &len);
		if (k == -ENOENT)
			continue;
		if (k < 0)
			return k;
		k = write_atomic_at(dfd, indexes[i], data, len, -1, -1, 0600);
		if (k < 0)
			return k;
	}
	return 0;
}

int root_copy_dir(struct root *r, const char *rel, size_t max, bool (*want)(const char *name),
		  char *dir, size_t dir_size)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_close_ int dfd = -1;
	struct dirent *de;
	char tmpl[PATH_MAX];
	int k;

	if (root_is_host(r) && !r->recording) {
		if ((size_t)snprintf(dir, dir_size, "/%s", rel) >= dir_size)
			return -ENAMETOOLONG;
		return root_exists(r, rel) > 0 ? 0 : -ENOENT;
	}
	d = root_opendir(r, rel);
	if (!d)
		return -errno;
	k = scratch_dir(r);
	if (k < 0)
		return k;
	/* a fresh copy each time: the files may have changed since the last one */
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/dir.XXXXXX", r->scratch) >= sizeof(tmpl))
		return -ENAMETOOLONG;
	if (!mkdtemp(tmpl))
		return -errno;
	dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *data = NULL;
		char path[PATH_MAX], target[16];
		size_t len = 0;

		if (de->d_name[0] == '.' || (want && !want(de->d_name)))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rel, de->d_name) >= sizeof(path))
			return -ENAMETOOLONG;
		k = root_read_file(r, path, max, &data, &len);
		if (k == -ENOENT || k == -EISDIR)
			continue; /* a dangling link, a directory: nothing a reader takes */
		if (k == -ENOTREG && root_readlink(r, path, target, sizeof(target)) >= 0 &&
		    strcmp(target, "/dev/null") == 0)
			k = 0; /* masked: an empty file */
		if (k < 0)
			return k;
		k = write_atomic_at(dfd, de->d_name, data ? data : "", len, -1, -1, 0600);
		if (k < 0)
			return k;
	}
	if ((size_t)snprintf(dir, dir_size, "%s", tmpl) >= dir_size)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- snapshot ---- */

void root_record_start(struct root *r)
{
	r->recording = true;
}

size_t root_recorded(struct root *r, const struct root_access **ret)
{
	/* the list is read from now on: nothing may be added to it */
	r->recording = false;
	*ret = r->recorded;
	return r->n_recorded;
}

void root_record_stop(struct root *r)
{
	for (size_t i = 0; i < r->n_recorded; i++)
		free(r->recorded[i].path);
	free(r->recorded);
	r->recorded = NULL;
	r->n_recorded = 0;
	r->recording = false;
}
