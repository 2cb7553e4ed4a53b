/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every external command iommu-setup runs (grub-mkconfig, dracut, lsinitrd
 * …) goes through here: an argument vector and execve, never a shell; in a
 * chroot into the root when it is not /; in a process group of its own; with
 * a time limit after which the whole group is killed; its output captured
 * up to a limit, the end kept (where the error is) and the cut said. When
 * the command itself has exited, whatever it left behind in its group (a
 * daemon holding the pipe) is killed too. SIGINT, SIGTERM and SIGHUP
 * during a run kill the group and end the run with -ECANCELED.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define EXEC_TIMEOUT_DEFAULT (15u * 60u) /* dracut under emulation takes minutes */
#define EXEC_OUTPUT_MAX (1u << 20)	 /* the last MiB of output is kept */

struct exec_opts {
	const char *root;     /* chroot into it unless "/" */
	unsigned timeout_sec; /* 0: EXEC_TIMEOUT_DEFAULT */
	/* called once the process group exists, before waiting (the journal
	 * notes it, so that a later run can make sure it is gone) */
	int (*started)(void *userdata, pid_t pgid, unsigned long long starttime);
	void *userdata;
};

struct exec_result {
	int status;	   /* exit status, or 128 + signal */
	bool timed_out;	   /* killed at the time limit */
	bool leftovers;	   /* processes it left in its group were killed */
	char *output;	   /* stdout and stderr, the end of it; NUL-terminated */
	size_t output_len; /* bytes kept */
	size_t output_cut; /* bytes left out at the start */
};

/* Runs argv (argv[0] absolute, inside the root). 0 when it ran (see
 * r->status, r->timed_out), -errno when it could not be started,
 * -ECANCELED when a signal ended the run. */
int exec_run(char *const argv[], const struct exec_opts *o, struct exec_result *r);
void exec_result_done(struct exec_result *r);

/* The start time of process pid (field 22 of /proc/PID/stat), 0 unknown. */
unsigned long long exec_starttime(pid_t pid);
/* Kills what is left of process group pgid: the processes in it that started
 * at or after starttime and run in the chroot root_fd is (the journal that
 * names them lies below the root: nothing outside it is touched), and waits
 * (a few seconds at most) until they are gone. 1 killed, 0 nothing was left,
 * -errno. */
int exec_kill_leftover(pid_t pgid, unsigned long long starttime, int root_fd);
