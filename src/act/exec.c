/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "act/exec.h"
#include "base/macro.h"
#include "root/root.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* /proc/PID/stat: "pid (comm) state ppid pgrp ..." — comm may hold anything */
static int proc_stat(pid_t pid, pid_t *pgrp, unsigned long long *start)
{
	char path[64], buf[1024];
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;
	int field = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p += 2; /* the state, field 3 */
	for (; *p && field < 22; p++)
		if (*p == ' ') {
			field++;
			if (field == 5 && pgrp)
				*pgrp = (pid_t)strtol(p + 1, NULL, 10);
		}
	if (field != 22)
		return -EIO;
	*start = strtoull(p, NULL, 10);
	return 0;
}

unsigned long long exec_starttime(pid_t pid)
{
	unsigned long long s = 0;

	return proc_stat(pid, NULL, &s) < 0 ? 0 : s;
}

/* is the process's root directory (its chroot) the one given? */
static bool same_root(long pid, const struct stat *root)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld/root", pid);
	return stat(path, &st) == 0 && st.st_dev == root->st_dev && st.st_ino == root->st_ino;
}

/* processes of group pgid that started at or after starttime, in root */
static unsigned group_members(pid_t pgid, unsigned long long starttime, const struct stat *root,
			      bool kill_them)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc");
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		pid_t pg = 0;
		unsigned long long st = 0;

		if (*end || pid <= 0 || proc_stat((pid_t)pid, &pg, &st) < 0)
			continue;
		if (pg != pgid || st < starttime || !same_root(pid, root))
			continue;
		n++;
		if (kill_them)
			(void)kill((pid_t)pid, SIGKILL);
	}
	return n;
}

int exec_kill_leftover(pid_t pgid, unsigned long long starttime, int root_fd)
{
	struct stat root;
	bool any;

	if (pgid <= 1 || !starttime || fstat(root_fd, &root) < 0)
		return 0;
	any = group_members(pgid, starttime, &root, true) > 0;
	for (int i = 0; any && i < 100; i++) {
		usleep(50000);
		/* again, for what it started meanwhile; done when none is left */
		if (!group_members(pgid, starttime, &root, true))
			return 1;
	}
	return any ? -ETIMEDOUT : 0;
}

/* kills the group: TERM, a moment, then KILL */
static void kill_group(pid_t pgid, bool gently)
{
	if (gently) {
		(void)kill(-pgid, SIGTERM);
		for (int i = 0; i < 40 && kill(-pgid, 0) == 0; i++)
			usleep(50000);
	}
	(void)kill(-pgid, SIGKILL);
}

/* keeps the last EXEC_OUTPUT_MAX bytes: the end is where the error is */
static int keep(struct exec_result *r, size_t *cap, const char *data, size_t n)
{
	if (n >= EXEC_OUTPUT_MAX) {
		r->output_cut += r->output_len + (n - EXEC_OUTPUT_MAX);
		r->output_len = 0;
		data += n - EXEC_OUTPUT_MAX;
		n = EXEC_OUTPUT_MAX;
	} else if (r->output_len + n > EXEC_OUTPUT_MAX) {
		size_t drop = r->output_len + n - EXEC_OUTPUT_MAX;

		memmove(r->output, r->output + drop, r->output_len - drop);
		r->output_len -= drop;
		r->output_cut += drop;
	}
	if (r->output_len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 8192;
		char *o;

		while (nc < r->output_len + n + 1)
			nc *= 2;
		if (nc > EXEC_OUTPUT_MAX + 1)
			nc = EXEC_OUTPUT_MAX + 1;
		o = realloc(r->output, nc);
		if (!o)
			return -ENOMEM;
		r->output = o;
		*cap = nc;
	}
	memcpy(r->output + r->output_len, data, n);
	r->output_len += n;
	r->output[r->output_len] = '\0';
	return 0;
}

void exec_result_done(struct exec_result *r)
{
	free(r->output);
	*r = (struct exec_result){};
}

int exec_run(char *const argv[], const struct exec_opts *o, struct exec_result *r)
{
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "HOME=/",
			       "TERM=dumb", NULL };
	const bool chroot_needed = o->root && strcmp(o->root, "/") != 0;
	const unsigned timeout = o->timeout_sec ? o->timeout_sec : EXEC_TIMEOUT_DEFAULT;
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	int pipefd[2] = { -1, -1 }, errpipe[2] = { -1, -1 }, wst = 0, child_errno = 0, ret = 0;
	long long deadline, exited_at = -1;
	bool eof = false, exited = false, killed = false;
	size_t cap = 0;
	pid_t pid;

	*r = (struct exec_result){};
	if (!argv[0] || argv[0][0] != '/')
		return -EINVAL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto close_pipes;
	}
	fflush(stdout);
	fflush(stderr);
	interrupted = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, &old[i]);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto restore;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), e;

		(void)setpgid(0, 0);
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
			signal(sigs[i], SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (chroot_needed && (chroot(o->root) < 0 || chdir("/") < 0)) {
			e = errno;
			(void)!write(errpipe[1], &e, sizeof(e));
			_exit(127);
		}
		execve(argv[0], argv, envp);
		e = errno;
		(void)!write(errpipe[1], &e, sizeof(e));
		_exit(127);
	}
	(void)setpgid(pid, pid); /* the child does it too: whoever is first */
	close(pipefd[1]);
	pipefd[1] = -1;
	close(errpipe[1]);
	errpipe[1] = -1;
	if (o->started) {
		ret = o->started(o->userdata, pid, exec_starttime(pid));
		if (ret < 0) {
			kill_group(pid, false);
			(void)waitpid(pid, &wst, 0);
			goto restore;
		}
	}

	deadline = now_ms() + (long long)timeout * 1000;
	while (!(eof && exited)) {
		long long now = now_ms();
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };

		if (interrupted) {
			kill_group(pid, false);
			(void)waitpid(pid, &wst, 0);
			ret = -ECANCELED;
			goto restore;
		}
		if (now >= deadline && !killed) {
			r->timed_out = true;
			kill_group(pid, true);
			killed = true;
		}
		/* the command is done, something it started still holds the pipe */
		if (exited && !eof && now - exited_at > 2000 && !killed) {
			r->leftovers = true;
			kill_group(pid, true);
			killed = true;
		}
		if (!eof && poll(&pfd, 1, 200) > 0) {
			char buf[65536];
			ssize_t n = read(pipefd[0], buf, sizeof(buf));

			if (n < 0 && errno != EINTR && errno != EAGAIN)
				eof = true;
			else if (n == 0)
				eof = true;
			else if (n > 0 && keep(r, &cap, buf, (size_t)n) < 0) {
				kill_group(pid, false);
				(void)waitpid(pid, &wst, 0);
				ret = -ENOMEM;
				goto restore;
			}
		} else if (eof)
			usleep(20000);
		if (!exited) {
			pid_t w = waitpid(pid, &wst, WNOHANG);

			if (w == pid) {
				exited = true;
				exited_at = now_ms();
			} else if (w < 0 && errno != EINTR) {
				ret = -errno;
				goto restore;
			}
		}
	}
	/* anything of its group still alive (it closed the pipe but stayed) goes */
	if (kill(-pid, 0) == 0) {
		r->leftovers = true;
		kill_group(pid, true);
	}
	if (read(errpipe[0], &child_errno, sizeof(child_errno)) != sizeof(child_errno))
		child_errno = 0;
	if (child_errno)
		ret = -child_errno;
	else
		r->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	if (!r->output && ret >= 0 && keep(r, &cap, "", 0) < 0)
		ret = -ENOMEM;
restore:
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (pipefd[i] >= 0)
			close(pipefd[i]);
		if (errpipe[i] >= 0)
			close(errpipe[i]);
	}
	if (ret < 0)
		exec_result_done(r);
	return ret;
}
