/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * snapshot OUT.tar: the files that `check` reads, as a tarball whose
 * unpacked tree is a fixture root giving the same report. Paths are
 * replayed component by component so that symlinks on the way (sysfs is
 * full of them) are kept as symlinks, made relative when absolute.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "gather/host.h"
#include "gather/pdev.h"
#include "report/tar.h"
#include "root/root.h"

#define MAX_SYMLINKS 40

struct snap {
	struct root *root;
	struct tar tar;
	char **done; /* paths already in the archive: an open-addressing hash set */
	size_t n_done, cap;
	bool empty; /* adding a file whose existence matters, not its bytes (rom) */
	int error;
};

static size_t hash(const char *p)
{
	size_t h = 14695981039346656037ULL; /* FNV-1a */

	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* true if path is in the archive already; otherwise remembers it */
static bool seen(struct snap *s, const char *path)
{
	size_t i;

	if (2 * (s->n_done + 1) > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		char **n = calloc(ncap, sizeof(*n));

		if (!n) {
			s->error = -ENOMEM;
			return true;
		}
		for (size_t k = 0; k < s->cap; k++)
			if (s->done[k]) {
				for (i = hash(s->done[k]) & (ncap - 1); n[i];
				     i = (i + 1) & (ncap - 1))
					;
				n[i] = s->done[k];
			}
		free(s->done);
		s->done = n;
		s->cap = ncap;
	}
	for (i = hash(path) & (s->cap - 1); s->done[i]; i = (i + 1) & (s->cap - 1))
		if (strcmp(s->done[i], path) == 0)
			return true;
	s->done[i] = strdup(path);
	if (!s->done[i]) {
		s->error = -ENOMEM;
		return true;
	}
	s->n_done++;
	return false;
}

/* An absolute link target inside the root, made relative to the link's directory. */
static void relative_target(const char *link, const char *target, char *out, size_t n)
{
	size_t used = 0;

	if (target[0] != '/') {
		snprintf(out, n, "%s", target);
		return;
	}
	for (const char *p = link; (p = strchr(p, '/')); p++)
		used += (size_t)snprintf(out + used, used < n ? n - used : 0, "../");
	snprintf(out + (used < n ? used : n - 1), used < n ? n - used : 1, "%s", target + 1);
}

static void add_file(struct snap *s, const char *path)
{
	_cleanup_free_ char *data = NULL;
	size_t size;
	struct stat st;

	if (seen(s, path))
		return;
	if (s->empty) {
		tar_add_file(&s->tar, path, "", 0, 0600);
		return;
	}
	if (root_read_file(s->root, path, 64u << 20, &data, &size) < 0)
		return; /* unreadable now (sysfs write-only, vanished): leave it out */
	if (fstatat(s->root->fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		st.st_mode = 0644;
	tar_add_file(&s->tar, path, data, size, st.st_mode & 0777);
}

static void add_path(struct snap *s, const char *rel, bool listed, unsigned depth);
static void add_path_empty(struct snap *s, const char *rel);

/* The entries of a directory the tool listed: subdirectories and symlinks
 * (their names are what was read), and files only when they were read too. */
static void add_listing(struct snap *s, const char *dir)
{
	_cleanup_close_ int fd = openat(s->root->fd, dir[0] ? dir : ".",
					O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	struct dirent **names = NULL;
	char fdpath[64];
	int n;

	if (fd < 0)
		return;
	/* sorted, so that the same tree gives the same archive */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	n = scandir(fdpath, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char path[2 * PATH_MAX], target[PATH_MAX], rel[2 * PATH_MAX];
		const char *name = names[i]->d_name;
		struct stat st;
		ssize_t len;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", name) >=
			    (int)sizeof(path) ||
		    fstatat(s->root->fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(names[i]);
			continue;
		}
		if (S_ISDIR(st.st_mode) && !seen(s, path))
			tar_add_dir(&s->tar, path);
		else if (S_ISLNK(st.st_mode) && !seen(s, path)) {
			len = readlinkat(s->root->fd, path, target, sizeof(target) - 1);
			if (len >= 0) {
				target[len] = '\0';
				relative_target(path, target, rel, sizeof(rel));
				tar_add_symlink(&s->tar, path, rel);
			}
		}
		free(names[i]);
	}
	free(names);
}

static void add_path(struct snap *s, const char *rel, bool listed, unsigned depth)
{
	char resolved[PATH_MAX] = "", todo[PATH_MAX];
	size_t rlen = 0;
	struct stat st = { .st_mode = S_IFDIR };

	if (depth > MAX_SYMLINKS)
		return;
	snprintf(todo, sizeof(todo), "%s", rel);
	for (char *p = todo; *p;) {
		char *slash = strchr(p, '/');
		size_t clen = slash ? (size_t)(slash - p) : strlen(p);

		if (clen == 0 || (clen == 1 && p[0] == '.')) {
			p += clen + (slash != NULL);
			continue;
		}
		if (clen == 2 && p[0] == '.' && p[1] == '.') {
			char *last = strrchr(resolved, '/');

			rlen = last ? (size_t)(last - resolved) : 0;
			resolved[rlen] = '\0';
			p += clen + (slash != NULL);
			continue;
		}
		snprintf(resolved + rlen, sizeof(resolved) - rlen, "%s%.*s", rlen ? "/" : "",
			 (int)clen, p);
		rlen = strlen(resolved);
		if (fstatat(s->root->fd, resolved, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX], relt[2 * PATH_MAX], next[3 * PATH_MAX],
				base[PATH_MAX];
			ssize_t n = readlinkat(s->root->fd, resolved, target, sizeof(target) - 1);

			if (n < 0)
				return;
			target[n] = '\0';
			if (!seen(s, resolved)) {
				relative_target(resolved, target, relt, sizeof(relt));
				tar_add_symlink(&s->tar, resolved, relt);
			}
			/* go on from where the link points, inside the root */
			snprintf(base, sizeof(base), "%s", resolved);
			*(strrchr(base, '/') ? strrchr(base, '/') : base) = '\0';
			if (target[0] == '/')
				snprintf(next, sizeof(next), "%s%s%s", target + 1, slash ? "/" : "",
					 slash ? slash + 1 : "");
			else
				snprintf(next, sizeof(next), "%s%s%s%s%s", base, base[0] ? "/" : "",
					 target, slash ? "/" : "", slash ? slash + 1 : "");
			add_path(s, next, listed, depth + 1);
			return;
		}
		if (S_ISDIR(st.st_mode) && !seen(s, resolved))
			tar_add_dir(&s->tar, resolved);
		if (!slash)
			break;
		p = slash + 1;
	}
	if (S_ISREG(st.st_mode))
		add_file(s, resolved);
	else if (S_ISDIR(st.st_mode) && listed)
		add_listing(s, resolved);
}

static void add_path_empty(struct snap *s, const char *rel)
{
	s->empty = true;
	add_path(s, rel, false, 0);
	s->empty = false;
}

int verb_snapshot(struct context *ctx)
{
	_cleanup_free_ char *tmp = NULL;
	const struct root_access *acc;
	struct snap s = { .root = ctx->root };
	struct host host;
	const char *out;
	size_t n;
	FILE *f;
	int fd, r;

	if (ctx->n_args != 1) {
		log_error("snapshot takes one argument, the tarball to write");
		return EXIT_BAD_INPUT;
	}
	out = ctx->args[0];
	if (!ctx->replace && access(out, F_OK) == 0) {
		log_error("%s exists; pass --replace to replace it", out);
		return EXIT_BAD_INPUT;
	}

	root_record_start(ctx->root);
	r = host_gather(ctx->root, ctx->kernel, &host);
	if (r >= 0) {
		struct pdev_list pci;

		/* and what `devices` reads */
		if (pdev_gather(ctx->root, host.modules.kver[0] ? host.modules.kver : NULL, &pci) >=
		    0)
			pdev_list_done(&pci);
	}
	if (r == -ENOENT) {
		log_error("--kernel %s: no such kernel below the root", ctx->kernel);
		root_record_stop(ctx->root);
		host_done(&host);
		return EXIT_BAD_INPUT;
	}
	if (r < 0) {
		log_root_error(ctx->root, r, "Failed to read the host");
		root_record_stop(ctx->root);
		host_done(&host);
		return exit_for_error(r);
	}

	/* written next to OUT, then put in place in one step */
	if (asprintf(&tmp, "%s.XXXXXX", out) < 0) {
		root_record_stop(ctx->root);
		host_done(&host);
		return EXIT_SYSTEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		log_error_errno(errno, "%s: cannot create: %m", tmp);
		if (fd >= 0)
			close(fd);
		root_record_stop(ctx->root);
		host_done(&host);
		return EXIT_SYSTEM;
	}
	(void)fchmod(fd, 0644);
	tar_init(&s.tar, f);

	n = root_recorded(ctx->root, &acc);
	/* what was read, with its bytes; what was only looked at (that a file
	 * exists, where a link points), empty: the recorder in the root object
	 * saw every access, libraries' included (root_kmod_dir(), efivars) */
	for (size_t i = 0; i < n; i++)
		if (acc[i].read || acc[i].listed)
			add_path(&s, acc[i].path, acc[i].listed, 0);
		else
			add_path_empty(&s, acc[i].path);
	if (ctx->root->record_error < 0 && s.error >= 0)
		s.error = ctx->root->record_error;
	root_record_stop(ctx->root);
	host_done(&host);

	r = tar_finish(&s.tar);
	if (r >= 0 && s.error < 0)
		r = s.error;
	if (r >= 0 && fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r >= 0) {
		/* without --replace, link() refuses to replace a file that appeared meanwhile */
		if (ctx->replace)
			r = rename(tmp, out) < 0 ? -errno : 0;
		else {
			r = link(tmp, out) < 0 ? -errno : 0;
			(void)unlink(tmp);
		}
	}
	for (size_t i = 0; i < s.cap; i++)
		free(s.done[i]);
	free(s.done);
	if (r < 0) {
		(void)unlink(tmp);
		log_error_errno(r, "%s: %m", out);
		return r == -EEXIST ? EXIT_BAD_INPUT : EXIT_SYSTEM;
	}
	if (!ctx->quiet)
		fprintf(stderr, "iommu-setup: wrote %s (%zu entries)\n", out, s.n_done);
	return EXIT_OK;
}
