/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "root.h"
#include "txn.h"

#define JOURNAL "journal"
#define JOURNAL_NEW "journal.new"
#define RECORD "record"
#define SELINUX_XATTR "security.selinux"
#define FILE_MAX (256u << 20) /* an initramfs, at most */

/* ---- small helpers ---- */

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

static void split_path(const char *resolved, char *dir, size_t n, const char **base)
{
	const char *slash = strrchr(resolved, '/');

	if (slash) {
		snprintf(dir, n, "%.*s", (int)(slash - resolved), resolved);
		*base = slash + 1;
	} else {
		snprintf(dir, n, ".");
		*base = resolved;
	}
}

/* creates the directories of rel below dir_fd (mode 0755), like mkdir -p */
static int mkdir_parents(int dir_fd, const char *rel)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdirat(dir_fd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * Writes data to dir_fd/base by temp + fsync + rename. like: the file whose
 * mode, owner and SELinux label the new one gets (the old one), or -1 for
 * mode 0644 owned by the caller.
 */
static int write_atomic_at(int dir_fd, const char *base, const char *data, size_t len, int like_fd,
			   int src_fd)
{
	char tmp[NAME_MAX + 1];
	_cleanup_close_ int fd = -1;
	struct stat st;
	int r;

	for (unsigned attempt = 0;; attempt++) {
		unsigned rnd = 0;

		(void)getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
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
	if (r >= 0 && like_fd >= 0 && fstat(like_fd, &st) == 0) {
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
	} else if (r >= 0 && fchmod(fd, 0644) < 0)
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

/* opens the directory of resolved below the root (for writing in it) */
static int open_dir_of(int root_fd, const char *resolved, const char **base)
{
	char dir[PATH_MAX];
	int fd;

	split_path(resolved, dir, sizeof(dir), base);
	fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* ---- lock and recovery ---- */

static int read_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	return read_fd_full(fd, max, ret, ret_len);
}

static int rm_rf_at(int dir_fd, const char *name)
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
			rm_rf_at(dirfd(d), de->d_name);
		else
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static const char *journal_copy_name(size_t i, char *buf, size_t n)
{
	snprintf(buf, n, "%zu", i);
	return buf;
}

static int add_dir(struct txn *t, const char *path)
{
	char **n;

	for (size_t i = 0; i < t->n_dirs; i++)
		if (strcmp(t->dirs[i], path) == 0)
			return 0;
	n = realloc(t->dirs, (t->n_dirs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->dirs = n;
	n[t->n_dirs] = strdup(path);
	if (!n[t->n_dirs])
		return -ENOMEM;
	t->n_dirs++;
	return 0;
}

/* journal/list: "txn ID", "dir PATH" (created by the run), "file EXISTED MODE UID GID PATH" */
static int journal_load(struct txn *t, int jfd, char *txn_id, size_t n)
{
	_cleanup_free_ char *text = NULL;

	if (read_at(jfd, "list", 1u << 20, &text, NULL) < 0)
		return -EBADMSG;
	txn_id[0] = '\0';
	for (char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
		unsigned existed, mode, uid, gid;
		int off = 0;

		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		if (strncmp(line, "txn ", 4) == 0)
			snprintf(txn_id, n, "%s", line + 4);
		else if (strncmp(line, "dir ", 4) == 0) {
			int r = add_dir(t, line + 4);

			if (r < 0)
				return r;
		} else if (sscanf(line, "file %u %o %u %u %n", &existed, &mode, &uid, &gid, &off) ==
				   4 &&
			   off > 0) {
			struct txn_entry *e = realloc(t->ents, (t->n + 1) * sizeof(*e));

			if (!e)
				return -ENOMEM;
			t->ents = e;
			e[t->n] = (struct txn_entry){ strdup(line + off), existed != 0, mode, uid,
						      gid };
			if (!e[t->n].path)
				return -ENOMEM;
			t->n++;
		}
	}
	return txn_id[0] ? 0 : -EBADMSG;
}

/* ".#NAME.XXXXXXXX" next to a journalled file: a write that was killed */
static void remove_temporaries(int dir, const char *base)
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

/* same bytes? (a file this run never got to write is left alone) */
static bool same_content(int a, int b)
{
	char x[65536], y[65536];
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0 || sa.st_size != sb.st_size ||
	    (sa.st_mode & 07777) != (sb.st_mode & 07777))
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

static int restore_entries(struct txn *t, int jfd)
{
	int ret = 0;

	/* in reverse: the last file written is the first put back */
	for (size_t i = t->n; i-- > 0;) {
		struct txn_entry *e = &t->ents[i];
		char name[32];
		const char *base;
		_cleanup_close_ int dir = -1;
		int r;

		/* a directory removed since (revert) comes back with the file */
		if (e->existed)
			(void)mkdir_parents(t->root_fd, e->path);
		dir = open_dir_of(t->root_fd, e->path, &base);
		if (dir >= 0)
			remove_temporaries(dir, base);
		if (dir < 0) {
			if (!e->existed && dir == -ENOENT)
				continue;
			ret = log_error_errno(dir, "Failed to restore /%s: %m", e->path);
			continue;
		}
		if (!e->existed) {
			if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
				ret = log_error_errno(errno, "Failed to remove /%s: %m", e->path);
			else
				(void)fsync(dir);
			continue;
		}
		{
			_cleanup_close_ int src =
				openat(jfd, journal_copy_name(i, name, sizeof(name)),
				       O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

			_cleanup_close_ int cur = -1;

			if (src < 0) {
				ret = log_error_errno(
					errno, "Failed to restore /%s: its copy is missing: %m",
					e->path);
				continue;
			}
			cur = openat(dir, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (cur >= 0 && same_content(cur, src))
				continue;
			if (lseek(src, 0, SEEK_SET) < 0) {
				ret = log_error_errno(errno, "Failed to restore /%s: %m", e->path);
				continue;
			}
			/* the copy kept the original's mode, owner and label */
			r = write_atomic_at(dir, base, NULL, 0, src, src);
			if (r < 0)
				ret = log_error_errno(r, "Failed to restore /%s: %m", e->path);
		}
	}
	return ret;
}

static void drop_dirs(struct txn *t, bool remove)
{
	for (size_t i = t->n_dirs; i-- > 0;) {
		if (remove)
			(void)unlinkat(t->root_fd, t->dirs[i], AT_REMOVEDIR);
		free(t->dirs[i]);
	}
	free(t->dirs);
	t->dirs = NULL;
	t->n_dirs = 0;
}

static void drop_entries(struct txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ents[i].path);
	free(t->ents);
	t->ents = NULL;
	t->n = 0;
}

static int recover(struct txn *t)
{
	_cleanup_close_ int jfd = -1;
	_cleanup_free_ char *rec_text = NULL;
	char jid[64];
	struct record rec;
	unsigned line;
	size_t len;
	int r;

	/* a journal that was never sealed: nothing was changed under it */
	r = rm_rf_at(t->state_fd, JOURNAL_NEW);
	if (r < 0)
		return log_error_errno(r, "Failed to remove /%s/%s: %m", STATE_DIR, JOURNAL_NEW);
	jfd = openat(t->state_fd, JOURNAL, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (jfd < 0)
		return errno == ENOENT ? 0 : -errno;
	r = journal_load(t, jfd, jid, sizeof(jid));
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* a journal directory without a complete list was never sealed */
		drop_dirs(t, false);
		drop_entries(t);
		return rm_rf_at(t->state_fd, JOURNAL);
	}
	if (read_at(t->state_fd, RECORD, 64u << 20, &rec_text, &len) >= 0 &&
	    record_parse(rec_text, len, &rec, &line) >= 0) {
		bool committed = strcmp(rec.txn, jid) == 0;

		record_done(&rec);
		if (committed) {
			drop_dirs(t, false);
			drop_entries(t);
			return rm_rf_at(t->state_fd, JOURNAL);
		}
	}
	r = restore_entries(t, jfd);
	if (r >= 0)
		drop_dirs(t, true);
	snprintf(t->recovered, sizeof(t->recovered),
		 "an earlier run (%.60s) was interrupted: its %zu file%s %s restored", jid, t->n,
		 t->n == 1 ? "" : "s", t->n == 1 ? "was" : "were");
	drop_entries(t);
	if (r < 0)
		return r;
	return rm_rf_at(t->state_fd, JOURNAL);
}

int txn_begin(struct txn *t, int root_fd, const char *root)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->root_fd = root_fd;
	t->root = root;
	t->state_fd = -1;
	t->journal_fd = -1;
	r = mkdir_parents(root_fd, STATE_DIR "/");
	if (r < 0)
		return log_error_errno(r, "Failed to create /%s: %m", STATE_DIR);
	for (;;) {
		struct stat a, b;

		t->state_fd =
			openat(root_fd, STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (t->state_fd < 0)
			return log_error_errno(errno, "Failed to open /%s: %m", STATE_DIR);
		if (flock(t->state_fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return log_error_errno(errno, "Failed to lock /%s: %m", STATE_DIR);
			log_warning("another iommu-setup holds the lock on /%s; waiting for it",
				    STATE_DIR);
			if (flock(t->state_fd, LOCK_EX) < 0)
				return log_error_errno(errno, "Failed to lock /%s: %m", STATE_DIR);
		}
		/* the holder may have removed the directory (revert): lock the new one */
		if (fstat(t->state_fd, &a) == 0 &&
		    fstatat(root_fd, STATE_DIR, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		closep(&t->state_fd);
		r = mkdir_parents(root_fd, STATE_DIR "/");
		if (r < 0)
			return log_error_errno(r, "Failed to create /%s: %m", STATE_DIR);
	}
	{
		struct timespec ts;
		unsigned rnd = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		(void)getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK);
		snprintf(t->id, sizeof(t->id), "%lld-%d-%08x", (long long)ts.tv_sec, getpid(), rnd);
	}
	r = recover(t);
	if (r < 0)
		return log_error_errno(r, "Failed to recover an interrupted run: %m");
	if (t->recovered[0])
		log_warning("%s", t->recovered);
	return 0;
}

int txn_read_record(struct txn *t, struct record *rec)
{
	_cleanup_free_ char *text = NULL;
	unsigned line;
	size_t len;
	int r;

	r = read_at(t->state_fd, RECORD, 64u << 20, &text, &len);
	if (r < 0)
		return r;
	r = record_parse(text, len, rec, &line);
	if (r == -EBADMSG)
		log_error("/%s/%s:%u: not a valid record", STATE_DIR, RECORD, line);
	return r;
}

int txn_read(struct txn *t, const char *path, char **ret, size_t *ret_len)
{
	return root_read_file(t->root_fd, path, FILE_MAX, ret, ret_len);
}

/* ---- journal ---- */

static int journal_open(struct txn *t)
{
	int r = rm_rf_at(t->state_fd, JOURNAL_NEW);

	if (r < 0)
		return r;
	if (mkdirat(t->state_fd, JOURNAL_NEW, 0700) < 0)
		return -errno;
	t->journal_fd =
		openat(t->state_fd, JOURNAL_NEW, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return t->journal_fd < 0 ? -errno : 0;
}

int txn_journal_add(struct txn *t, const char *path)
{
	_cleanup_free_ char *resolved = NULL;
	_cleanup_close_ int src = -1;
	struct txn_entry *e;
	struct stat st = {};
	char name[32];
	int r;

	if (t->journal_fd < 0) {
		r = journal_open(t);
		if (r < 0)
			return r;
	}
	r = root_resolve(t->root_fd, path, &resolved);
	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->ents[i].path, resolved) == 0)
			return 0;
	src = openat(t->root_fd, resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (src < 0 && errno != ENOENT)
		return -errno;
	if (src < 0) {
		/* the directories txn_write() will create: removed again by a rollback */
		char buf[PATH_MAX];
		struct stat dst;

		snprintf(buf, sizeof(buf), "%s", resolved);
		for (char *p = buf; (p = strchr(p, '/')); p++) {
			*p = '\0';
			if (fstatat(t->root_fd, buf, &dst, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					return -errno;
				r = add_dir(t, buf);
				if (r < 0)
					return r;
			}
			*p = '/';
		}
	}
	if (src >= 0 && fstat(src, &st) < 0)
		return -errno;
	if (src >= 0 && !S_ISREG(st.st_mode))
		return -EISDIR;
	e = realloc(t->ents, (t->n + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	t->ents = e;
	e[t->n] = (struct txn_entry){ TAKE_PTR(resolved), src >= 0, st.st_mode & 07777, st.st_uid,
				      st.st_gid };
	if (src >= 0) {
		r = write_atomic_at(t->journal_fd, journal_copy_name(t->n, name, sizeof(name)),
				    NULL, 0, src, src);
		if (r < 0) {
			free(e[t->n].path);
			return r;
		}
	}
	t->n++;
	return 0;
}

int txn_journal_seal(struct txn *t)
{
	char *list = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (t->journal_fd < 0) {
		r = journal_open(t);
		if (r < 0)
			return r;
	}
	f = open_memstream(&list, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "txn %s\n", t->id);
	for (size_t i = 0; i < t->n_dirs; i++)
		fprintf(f, "dir %s\n", t->dirs[i]);
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "file %d %o %u %u %s\n", t->ents[i].existed, t->ents[i].mode,
			t->ents[i].uid, t->ents[i].gid, t->ents[i].path);
	if (fclose(f) != 0) {
		free(list);
		return -ENOMEM;
	}
	r = write_atomic_at(t->journal_fd, "list", list, len, -1, -1);
	free(list);
	if (r < 0)
		return r;
	if (fsync(t->journal_fd) < 0)
		return -errno;
	/* the journal exists from here on: a crash is rolled back by the next run */
	if (renameat(t->state_fd, JOURNAL_NEW, t->state_fd, JOURNAL) < 0)
		return -errno;
	if (fsync(t->state_fd) < 0)
		return -errno;
	closep(&t->journal_fd);
	t->journal_fd = -1;
	t->journal = true;
	return 0;
}

static bool journalled(struct txn *t, const char *resolved)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->ents[i].path, resolved) == 0)
			return true;
	return false;
}

/* path resolved inside the root; -EPERM (a bug) when the run did not journal it */
static int resolve_journalled(struct txn *t, const char *path, char **ret)
{
	int r = root_resolve(t->root_fd, path, ret);

	if (r < 0)
		return r;
	if (!t->journal || !journalled(t, *ret)) {
		free(*ret);
		*ret = NULL;
		return -EPERM;
	}
	return 0;
}

int txn_write(struct txn *t, const char *path, const char *data, size_t len)
{
	_cleanup_free_ char *resolved = NULL;
	_cleanup_close_ int dir = -1, like = -1;
	const char *base;
	int r;

	r = resolve_journalled(t, path, &resolved);
	if (r < 0)
		return r;
	r = mkdir_parents(t->root_fd, resolved);
	if (r < 0)
		return r;
	dir = open_dir_of(t->root_fd, resolved, &base);
	if (dir < 0)
		return dir;
	like = openat(dir, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return write_atomic_at(dir, base, data, len, like, -1);
}

int txn_remove(struct txn *t, const char *path)
{
	_cleanup_free_ char *resolved = NULL;
	_cleanup_close_ int dir = -1;
	const char *base;
	int r;

	r = resolve_journalled(t, path, &resolved);
	if (r < 0)
		return r;
	dir = open_dir_of(t->root_fd, resolved, &base);
	if (dir < 0)
		return dir == -ENOENT ? 0 : dir;
	if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
		return -errno;
	return fsync(dir) < 0 ? -errno : 0;
}

int txn_remove_dir(struct txn *t, const char *path)
{
	_cleanup_free_ char *resolved = NULL;
	int r = root_resolve(t->root_fd, path, &resolved);

	if (r < 0)
		return r;
	if (unlinkat(t->root_fd, resolved, AT_REMOVEDIR) < 0 && errno != ENOENT &&
	    errno != ENOTEMPTY && errno != EEXIST)
		return -errno;
	return 0;
}

int txn_rollback(struct txn *t)
{
	_cleanup_close_ int jfd = -1;
	int r;

	if (!t->journal) {
		closep(&t->journal_fd);
		t->journal_fd = -1;
		drop_entries(t);
		return rm_rf_at(t->state_fd, JOURNAL_NEW);
	}
	jfd = openat(t->state_fd, JOURNAL, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (jfd < 0)
		return -errno;
	r = restore_entries(t, jfd);
	if (r < 0)
		return r; /* the journal stays: the next run tries again */
	drop_dirs(t, true);
	drop_entries(t);
	t->journal = false;
	return rm_rf_at(t->state_fd, JOURNAL);
}

int txn_commit(struct txn *t, const struct record *rec)
{
	struct record copy;
	char *text = NULL;
	size_t len;
	int r;

	if (!t->journal)
		return -EPERM;
	/* the record names this run: recovery can tell it committed */
	copy = *rec;
	snprintf(copy.txn, sizeof(copy.txn), "%s", t->id);
	r = record_format(&copy, &text, &len);
	if (r < 0)
		return r;
	r = write_atomic_at(t->state_fd, RECORD, text, len, -1, -1);
	free(text);
	if (r < 0)
		return r;
	/* committed: the journal is of no use now */
	drop_entries(t);
	t->journal = false;
	r = rm_rf_at(t->state_fd, JOURNAL);
	if (r < 0)
		return r;
	/* nothing recorded: the state directory goes too (revert) */
	if (rec->n_files == 0) {
		(void)unlinkat(t->state_fd, RECORD, 0);
		(void)fsync(t->state_fd);
		if (unlinkat(t->root_fd, STATE_DIR, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY &&
		    errno != EEXIST)
			return -errno;
	}
	return 0;
}

void txn_end(struct txn *t)
{
	struct stat st;

	if (t->state_fd < 0)
		return;
	if (t->journal || t->journal_fd >= 0)
		(void)txn_rollback(t);
	/* nothing recorded and nothing pending: the directory the lock made goes
	 * again, so a run that changed nothing leaves nothing behind */
	if (!t->journal && fstatat(t->state_fd, RECORD, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT)
		(void)unlinkat(t->root_fd, STATE_DIR, AT_REMOVEDIR);
	drop_entries(t);
	drop_dirs(t, false);
	closep(&t->journal_fd);
	closep(&t->state_fd); /* the lock goes with the descriptor */
	t->state_fd = -1;
}

/* ---- commands ---- */

int run_command(const char *root, const char *line, char **output, int *status)
{
	char *argv[32], copy[1024], *save = NULL;
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "HOME=/",
			       "TERM=dumb", NULL };
	bool chroot_needed = strcmp(root, "/") != 0;
	int pipefd[2], errpipe[2];
	size_t argc = 0, len = 0, cap = 4096;
	char *out;
	pid_t pid;
	int wst, child_errno = 0;

	*output = NULL;
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *w = strtok_r(copy, " ", &save); w && argc + 1 < ARRAY_SIZE(argv);
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] != '/')
		return -EINVAL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		close(errpipe[0]);
		close(errpipe[1]);
		return -e;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), e;

		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		if (chroot_needed && (chroot(root) < 0 || chdir("/") < 0)) {
			e = errno;
			(void)!write(errpipe[1], &e, sizeof(e));
			_exit(127);
		}
		execve(argv[0], argv, envp);
		e = errno;
		(void)!write(errpipe[1], &e, sizeof(e));
		_exit(127);
	}
	close(pipefd[1]);
	close(errpipe[1]);
	out = malloc(cap);
	for (;;) {
		ssize_t n;

		if (out && len + 4096 > cap) {
			char *o = realloc(out, cap * 2);

			if (!o) {
				free(out);
				out = NULL;
			} else {
				out = o;
				cap *= 2;
			}
		}
		if (!out) {
			char sink[4096];

			n = read(pipefd[0], sink, sizeof(sink));
		} else
			n = read(pipefd[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && len + (size_t)n < (4u << 20))
			len += (size_t)n;
	}
	close(pipefd[0]);
	if (read(errpipe[0], &child_errno, sizeof(child_errno)) != sizeof(child_errno))
		child_errno = 0;
	close(errpipe[0]);
	while (waitpid(pid, &wst, 0) < 0)
		if (errno != EINTR) {
			free(out);
			return -errno;
		}
	if (out)
		out[len] = '\0';
	*output = out;
	if (child_errno) {
		free(out);
		*output = NULL;
		return -child_errno;
	}
	*status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	return 0;
}
