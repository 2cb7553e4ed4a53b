/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The transaction (txn.h): the lock, the journal, recovery, and every write
 * below the root, each through the root object (root.c), which resolves
 * every component inside the root and refuses a link that appears in a
 * resolved path. What the journal and the record name is validated
 * (path-util.c) before anything is done with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "act/exec.h"
#include "act/txn.h"
#include "base/macro.h"
#include "base/path-util.h"
#include "cli/log.h"
#include "decide/journal.h"
#include "facts/efi-loadopt.h"
#include "root/fileops.h"
#include "root/root.h"

#define JOURNAL "journal"
#define JOURNAL_NEW "journal.new"
#define RECORD "record"
#define COMMAND "command"     /* in the journal: the process group of the command running */
#define FILE_MAX (256u << 20) /* an initramfs, at most */
#define STATE_MODE 0700	      /* copies of the administrator's files live here */

static const char *journal_copy_name(size_t i, char *buf, size_t n)
{
	snprintf(buf, n, "%zu", i);
	return buf;
}

/* removes directory path below the root if it is empty */
static int rmdir_below(struct root *r, const char *path)
{
	_cleanup_free_ char *resolved = NULL;
	_cleanup_close_ int dir = -1;
	const char *base;
	int k;

	/* where it leads inside the root (STATE_DIR below a linked var/lib) */
	k = root_resolve(r, path, &resolved);
	if (k < 0)
		return k == -ENOENT ? 0 : k;
	if (!path_valid_below_root(resolved))
		return -EINVAL;
	dir = root_open_dir_of(r, resolved, &base);
	if (dir < 0)
		return dir == -ENOENT ? 0 : dir;
	if (unlinkat(dir, base, AT_REMOVEDIR) < 0 && errno != ENOENT && errno != ENOTEMPTY &&
	    errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- the journal ---- */

/* journal/list, parsed (journal.c): refused whole, *bad_line set, when it
 * names anything but plain paths below the root */
static int journal_load(struct txn *t, int jfd, unsigned *bad_line)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	*bad_line = 0;
	r = read_regular_at(jfd, "list", 1u << 20, &text, &len);
	if (r < 0)
		return r == -ENOMEM ? r : -EBADMSG;
	journal_done(&t->j);
	return journal_parse(text, len, &t->j, bad_line);
}

/* efivarfs takes a variable as one write() of its attributes and data to a
 * file of its name; it has no temporary files or rename, and a variable
 * cannot be truncated: one that is there is deleted first */
static bool efivar_path(const char *resolved)
{
	return strncmp(resolved, EFIVARS_DIR "/", sizeof(EFIVARS_DIR)) == 0;
}

/* efivarfs marks a variable immutable unless the kernel knows it may go
 * (systemd-boot's are not on its list): the flag comes off first, as
 * systemd does (a plain file system has no such flag: ENOTTY) */
static int efivar_unlink_at(int dir, const char *base)
{
	_cleanup_close_ int fd = openat(dir, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int flags = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) >= 0) {
		if (flags & FS_IMMUTABLE_FL) {
			flags &= ~FS_IMMUTABLE_FL;
			if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
				return -errno;
		}
	} else if (errno != ENOTTY && errno != EOPNOTSUPP && errno != EINVAL)
		return -errno;
	if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int write_efivar_at(int dir, const char *base, const char *data, size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t k;
	int r;

	r = efivar_unlink_at(dir, base);
	if (r < 0)
		return r;
	fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	k = write(fd, data, len);
	if (k < 0)
		return -errno;
	return (size_t)k == len ? 0 : -EIO;
}

/* an EFI variable put back from its journal copy */
static int restore_efivar(int dir, const char *base, int src)
{
	char buf[4096];
	ssize_t n = pread(src, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf))
		return -EFBIG;
	return write_efivar_at(dir, base, buf, (size_t)n);
}

static int restore_entries(struct txn *t, int jfd)
{
	int ret = 0;

	/* in reverse: the last file written is the first put back */
	for (size_t i = t->j.n_files; i-- > 0;) {
		const struct journal_file *e = &t->j.files[i];
		char name[32];
		const char *base;
		_cleanup_close_ int dir = -1;
		int r;

		/* a directory removed since (revert) comes back with the file */
		if (e->existed)
			(void)root_mkdir_parents(t->rootobj, e->path, false, 0755, NULL, NULL);
		dir = root_open_dir_of(t->rootobj, e->path, &base);
		if (dir >= 0)
			remove_temporaries(dir, base);
		if (dir < 0) {
			if (!e->existed && dir == -ENOENT)
				continue;
			ret = log_error_errno(dir, "Failed to restore /%s: %m", e->path);
			continue;
		}
		if (!e->existed && efivar_path(e->path)) {
			r = efivar_unlink_at(dir, base);
			if (r < 0)
				ret = log_error_errno(r, "Failed to remove /%s: %m", e->path);
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
				       O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			_cleanup_close_ int cur = -1;
			struct stat st;

			if (src < 0 || fstat(src, &st) < 0 || !S_ISREG(st.st_mode)) {
				ret = log_error_errno(src < 0 ? errno : ENOTREG,
						      "Failed to restore /%s: its copy in the "
						      "journal is missing or not a file: %m",
						      e->path);
				continue;
			}
			cur = openat(dir, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			if (cur >= 0 && same_content(cur, src))
				continue;
			if (lseek(src, 0, SEEK_SET) < 0) {
				ret = log_error_errno(errno, "Failed to restore /%s: %m", e->path);
				continue;
			}
			/* the copy kept the original's mode, owner and label */
			r = efivar_path(e->path)
				    ? restore_efivar(dir, base, src)
				    : write_atomic_at(dir, base, NULL, 0, src, src, 0644);
			if (r < 0)
				ret = log_error_errno(r, "Failed to restore /%s: %m", e->path);
		}
	}
	return ret;
}

/* forgets the journal; remove: its directories are removed too (a rollback) */
static void drop_journal(struct txn *t, bool remove)
{
	for (size_t i = t->j.n_dirs; remove && i-- > 0;)
		(void)rmdir_below(t->rootobj, t->j.dirs[i]);
	journal_done(&t->j);
}

/* ---- commands ---- */

/* this host's boot: a process group noted in another boot is long gone */
static void host_boot_id(char *buf, size_t n)
{
	_cleanup_free_ char *text = NULL;

	buf[0] = '\0';
	if (read_file("/proc/sys/kernel/random/boot_id", 64, &text, NULL) >= 0)
		snprintf(buf, n, "%.*s", (int)strcspn(text, "\n"), text);
}

int txn_note_command(struct txn *t, pid_t pgid, unsigned long long starttime)
{
	_cleanup_close_ int jfd = -1;
	char text[256], boot[64];

	if (!t->journal)
		return 0;
	host_boot_id(boot, sizeof(boot));
	snprintf(text, sizeof(text), "pgid %d start %llu boot %s\n", (int)pgid, starttime,
		 boot[0] ? boot : "-");
	jfd = openat(t->state_fd, JOURNAL, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (jfd < 0)
		return -errno;
	return write_atomic_at(jfd, COMMAND, text, strlen(text), -1, -1, 0600);
}

/* a command of an interrupted run that may still be alive: killed first, or
 * it would write its output over what recovery restores */
static int stop_leftover_command(struct txn *t, int jfd)
{
	_cleanup_free_ char *text = NULL;
	char boot[64], noted[64] = "";
	unsigned long long start = 0;
	int pgid = 0, r;

	if (read_regular_at(jfd, COMMAND, 4096, &text, NULL) < 0)
		return 0;
	if (sscanf(text, "pgid %d start %llu boot %63s", &pgid, &start, noted) != 3 || pgid <= 1)
		return 0;
	host_boot_id(boot, sizeof(boot));
	if (!boot[0] || strcmp(boot, noted) != 0)
		return 0; /* another boot: nothing of it runs now */
	r = exec_kill_leftover(pgid, start, t->rootobj->fd);
	if (r > 0)
		log_warning("a command of the interrupted run (process group %d) was still "
			    "running: killed",
			    pgid);
	return r < 0 ? r : 0;
}

/* ---- lock and recovery ---- */

static int recover(struct txn *t)
{
	_cleanup_close_ int jfd = -1;
	_cleanup_free_ char *rec_text = NULL;
	char jid[64];
	size_t n_files;
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
		return errno == ENOENT ? 0
				       : log_error_errno(errno, "Failed to open /%s/%s: %m",
							 STATE_DIR, JOURNAL);
	r = stop_leftover_command(t, jfd);
	if (r < 0)
		return log_error_errno(r, "Failed to stop a command of the interrupted run: %m");
	r = journal_load(t, jfd, &line);
	if (r == -ENOMEM)
		return r;
	if (r < 0 && line) {
		/* it names something that is not a path below the root: nothing of it is
		 * done, and it stays for someone to look at */
		drop_journal(t, false);
		log_error("/%s/%s/list:%u: not a path below the root; the journal was not "
			  "written by iommu-setup and is left alone (remove /%s/%s to go on)",
			  STATE_DIR, JOURNAL, line, STATE_DIR, JOURNAL);
		return -EBADMSG;
	}
	if (r < 0) {
		/* a journal directory without a complete list was never sealed */
		drop_journal(t, false);
		return rm_rf_at(t->state_fd, JOURNAL);
	}
	snprintf(jid, sizeof(jid), "%s", t->j.txn);
	if (read_regular_at(t->state_fd, RECORD, 64u << 20, &rec_text, &len) >= 0 &&
	    record_parse(rec_text, len, &rec, &line) >= 0) {
		bool committed = strcmp(rec.txn, jid) == 0;

		record_done(&rec);
		if (committed) {
			drop_journal(t, false);
			return rm_rf_at(t->state_fd, JOURNAL);
		}
	}
	r = restore_entries(t, jfd);
	n_files = t->j.n_files;
	drop_journal(t, r >= 0);
	snprintf(t->recovered, sizeof(t->recovered),
		 "an earlier run (%.60s) was interrupted: its %zu file%s %s restored", jid, n_files,
		 n_files == 1 ? "" : "s", n_files == 1 ? "was" : "were");
	if (r < 0)
		return r;
	return rm_rf_at(t->state_fd, JOURNAL);
}

/* the state directory, created inside the root (0700) and opened there */
static int open_state(struct txn *t)
{
	_cleanup_free_ char *resolved = NULL;
	int r;

	/* where var/lib leads inside the root (a link to another directory of it,
	 * or one that points out of it, taken inside like every link): the
	 * directories are created there, none through a link */
	r = root_resolve(t->rootobj, STATE_DIR, &resolved);
	if (r >= 0 && !path_valid_below_root(resolved))
		r = -ELOOP;
	if (r >= 0)
		r = root_mkdir_parents(t->rootobj, resolved, true, STATE_MODE, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Failed to create /%s: %m", STATE_DIR);
	t->state_fd = root_openat(t->rootobj, resolved, O_RDONLY | O_DIRECTORY);
	if (t->state_fd < 0)
		return log_error_errno(t->state_fd, "Failed to open /%s: %m", STATE_DIR);
	return 0;
}

int txn_begin(struct txn *t, struct root *root)
{
	struct stat st;
	int r;

	memset(t, 0, sizeof(*t));
	t->rootobj = root;
	t->state_fd = -1;
	t->journal_fd = -1;
	for (;;) {
		struct stat a, b;

		r = open_state(t);
		if (r < 0)
			return r;
		if (flock(t->state_fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return log_error_errno(errno, "Failed to lock /%s: %m", STATE_DIR);
			log_warning("another iommu-setup holds the lock on /%s; waiting for it",
				    STATE_DIR);
			if (flock(t->state_fd, LOCK_EX) < 0)
				return log_error_errno(errno, "Failed to lock /%s: %m", STATE_DIR);
		}
		/* the holder may have removed the directory (revert): lock the new one */
		if (fstat(t->state_fd, &a) == 0 && root_stat(root, STATE_DIR, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		closep(&t->state_fd);
	}
	{
		struct timespec ts;
		unsigned rnd = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		/* the time and the pid make the id unique without it */
		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
			rnd = 0;
		snprintf(t->id, sizeof(t->id), "%lld-%d-%08x", (long long)ts.tv_sec, getpid(), rnd);
	}
	r = recover(t);
	if (r == -EBADMSG)
		return r;
	if (r < 0)
		return log_error_errno(r, "Failed to recover an interrupted run: %m");
	/* one made by an earlier version, or by someone else: ours is private
	 * (once nothing is wrong with it: a refused journal leaves it as it is) */
	if (fstat(t->state_fd, &st) == 0 && (st.st_mode & 077) &&
	    fchmod(t->state_fd, STATE_MODE) < 0)
		return log_error_errno(errno, "Failed to make /%s private: %m", STATE_DIR);
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

	r = read_regular_at(t->state_fd, RECORD, 64u << 20, &text, &len);
	if (r < 0)
		return r;
	r = record_parse(text, len, rec, &line);
	if (r == -EBADMSG)
		log_error("/%s/%s:%u: not a valid record", STATE_DIR, RECORD, line);
	return r;
}

int txn_read(struct txn *t, const char *path, char **ret, size_t *ret_len)
{
	return root_read_file(t->rootobj, path, FILE_MAX, ret, ret_len);
}

static int journal_open(struct txn *t)
{
	int r = rm_rf_at(t->state_fd, JOURNAL_NEW);

	if (r < 0)
		return r;
	if (mkdirat(t->state_fd, JOURNAL_NEW, STATE_MODE) < 0)
		return -errno;
	t->journal_fd =
		openat(t->state_fd, JOURNAL_NEW, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return t->journal_fd < 0 ? -errno : 0;
}

int txn_journal_add(struct txn *t, const char *path)
{
	_cleanup_free_ char *resolved = NULL;
	_cleanup_close_ int src = -1;
	struct stat st = {};
	char name[32];
	int r;

	if (t->journal_fd < 0) {
		r = journal_open(t);
		if (r < 0)
			return r;
	}
	r = root_resolve(t->rootobj, path, &resolved);
	if (r < 0)
		return r;
	if (!path_valid_below_root(resolved))
		return -EINVAL; /* the root itself, or worse: never a file to write */
	if (journal_find(&t->j, resolved))
		return 0;
	src = root_openat(t->rootobj, resolved, O_RDONLY | O_NONBLOCK);
	if (src < 0 && src != -ENOENT)
		return src;
	if (src < 0) {
		/* the directories txn_write() will create: removed again by a rollback */
		char buf[PATH_MAX];
		struct stat dst;

		snprintf(buf, sizeof(buf), "%s", resolved);
		for (char *p = buf; (p = strchr(p, '/')); p++) {
			*p = '\0';
			r = root_stat(t->rootobj, buf, &dst);
			if (r == -ENOENT)
				r = journal_add_dir(&t->j, buf);
			else if (r >= 0 && !S_ISDIR(dst.st_mode))
				r = -ENOTDIR;
			if (r < 0)
				return r;
			*p = '/';
		}
	}
	if (src >= 0 && fstat(src, &st) < 0)
		return -errno;
	if (src >= 0 && !S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -ENOTREG;
	if (src >= 0) {
		r = write_atomic_at(t->journal_fd,
				    journal_copy_name(t->j.n_files, name, sizeof(name)), NULL, 0,
				    src, src, 0600);
		if (r < 0)
			return r;
	}
	return journal_add_file(&t->j, resolved, src >= 0, st.st_mode & 07777, st.st_uid,
				st.st_gid);
}

int txn_journal_seal(struct txn *t)
{
	char *list = NULL;
	size_t len = 0;
	int r;

	if (t->journal_fd < 0) {
		r = journal_open(t);
		if (r < 0)
			return r;
	}
	snprintf(t->j.txn, sizeof(t->j.txn), "%s", t->id);
	r = journal_format(&t->j, &list, &len);
	if (r < 0)
		return r;
	r = write_atomic_at(t->journal_fd, "list", list, len, -1, -1, 0600);
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
	for (size_t i = 0; i < t->j.n_files; i++)
		if (strcmp(t->j.files[i].path, resolved) == 0)
			return true;
	return false;
}

/* path resolved inside the root; -EPERM (a bug) when the run did not journal it */
static int resolve_journalled(struct txn *t, const char *path, char **ret)
{
	int r = root_resolve(t->rootobj, path, ret);

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
	r = root_mkdir_parents(t->rootobj, resolved, false, 0755, NULL, NULL);
	if (r < 0)
		return r;
	dir = root_open_dir_of(t->rootobj, resolved, &base);
	if (dir < 0)
		return dir;
	if (efivar_path(resolved))
		return write_efivar_at(dir, base, data, len);
	like = openat(dir, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (like < 0 && errno != ENOENT)
		return -errno;
	return write_atomic_at(dir, base, data, len, like, -1, 0644);
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
	dir = root_open_dir_of(t->rootobj, resolved, &base);
	if (dir < 0)
		return dir == -ENOENT ? 0 : dir;
	if (efivar_path(resolved))
		return efivar_unlink_at(dir, base);
	if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
		return -errno;
	return fsync(dir) < 0 ? -errno : 0;
}

int txn_rename(struct txn *t, const char *from, const char *to)
{
	_cleanup_free_ char *rf = NULL, *rt = NULL;
	_cleanup_close_ int df = -1, dt = -1;
	const char *bf, *bt;
	struct stat st;
	int r;

	r = resolve_journalled(t, from, &rf);
	if (r >= 0)
		r = resolve_journalled(t, to, &rt);
	if (r < 0)
		return r;
	df = root_open_dir_of(t->rootobj, rf, &bf);
	if (df < 0)
		return df;
	dt = root_open_dir_of(t->rootobj, rt, &bt);
	if (dt < 0)
		return dt;
	if (fstatat(df, bf, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOTREG;
	if (renameat(df, bf, dt, bt) < 0)
		return -errno;
	if (fsync(dt) < 0 || fsync(df) < 0)
		return -errno;
	return 0;
}

int txn_remove_dir(struct txn *t, const char *path)
{
	_cleanup_free_ char *resolved = NULL;
	int r;

	if (!path_valid_below_root(path))
		return -EINVAL;
	r = root_resolve(t->rootobj, path, &resolved);
	if (r < 0)
		return r;
	return rmdir_below(t->rootobj, resolved);
}

int txn_rollback(struct txn *t)
{
	_cleanup_close_ int jfd = -1;
	int r;

	if (!t->journal) {
		closep(&t->journal_fd);
		t->journal_fd = -1;
		drop_journal(t, false);
		return rm_rf_at(t->state_fd, JOURNAL_NEW);
	}
	jfd = openat(t->state_fd, JOURNAL, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (jfd < 0)
		return -errno;
	r = restore_entries(t, jfd);
	if (r < 0)
		return r; /* the journal stays: the next run tries again */
	drop_journal(t, true);
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
	/* copies of the administrator's files: readable by root alone */
	r = write_atomic_at(t->state_fd, RECORD, text, len, -1, -1, 0600);
	free(text);
	if (r < 0)
		return r;
	/* committed: the journal is of no use now */
	drop_journal(t, false);
	t->journal = false;
	r = rm_rf_at(t->state_fd, JOURNAL);
	if (r < 0)
		return r;
	/* nothing recorded: the state directory goes too (revert) */
	if (rec->n_files == 0) {
		(void)unlinkat(t->state_fd, RECORD, 0);
		(void)fsync(t->state_fd);
		r = rmdir_below(t->rootobj, STATE_DIR);
		if (r < 0)
			return r;
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
		(void)rmdir_below(t->rootobj, STATE_DIR);
	drop_journal(t, false);
	closep(&t->journal_fd);
	closep(&t->state_fd); /* the lock goes with the descriptor */
	t->state_fd = -1;
}
