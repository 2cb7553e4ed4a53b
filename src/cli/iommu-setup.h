/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What main() hands to each verb. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

struct root;

/* Exit status (DESIGN.md, iommu-setup(8)) */
enum {
	EXIT_OK = 0,	    /* ready / done */
	EXIT_NOT_READY = 1, /* check found a blocking problem */
	EXIT_BAD_INPUT = 2, /* usage error or bad input; nothing written */
	EXIT_SYSTEM = 3,    /* system error; nothing left half-written */
	/* plan --exit-code, apply --exit-code (for automation; the first that
	 * holds, in this order, after 2 and 3) */
	EXIT_REFUSED = 7,	 /* a safety refusal: host-critical, group not viable */
	EXIT_FIRMWARE = 6,	 /* the firmware has the IOMMU off: no configuration helps */
	EXIT_CHANGES = 4,	 /* changes pending (plan) or made (apply) */
	EXIT_REBOOT_PENDING = 5, /* nothing to change; the running system lacks it */
};

/* The exit status for an error: one of the root's making (a file no system
 * has there, a limit, a journal or record that is not iommu-setup's) is bad
 * input; anything else is the system's. */
static inline int exit_for_error(int r)
{
	switch (r < 0 ? -r : r) {
	case EBADFD: /* ENOTREG (root.h) */
	case EISDIR:
	case EFBIG:
	case ELOOP:
	case EILSEQ:
	case EBADMSG:
	case ENAMETOOLONG:
	case EXDEV:
	case ENOTDIR:
	case E2BIG:
	case EINVAL:
		return EXIT_BAD_INPUT;
	default:
		return EXIT_SYSTEM;
	}
}

struct context {
	struct root *root; /* --root: every access below it goes through this (root.h) */
	const char *kernel;
	bool json;
	bool quiet;
	bool force;	      /* plan, apply: take along group mates the host drives */
	bool replace;	      /* snapshot: replace OUT */
	bool groups;	      /* devices: group tree */
	const char *xml;      /* devices: <hostdev> for this device */
	const char *xml_pool; /* devices: VF pool <network> for this PF */
	char **ids;	      /* plan: --ids */
	size_t n_ids;
	char **devices; /* plan: --device */
	size_t n_devices;
	char **params; /* plan: --param */
	size_t n_params;
	bool no_passthrough;
	bool passthrough; /* --passthrough: iommu=pt even over the host's strict settings */
	bool exit_code;	  /* plan, apply: the detailed exit status (EXIT_CHANGES...) */
	/* the finding that made the verb fail, for --json's failure document:
	 * "HOST_CRITICAL", "GROUP_NOT_VIABLE", ...; NULL when none applies */
	const char *failure_code;
	bool allow_unsafe_interrupts;
	bool initramfs;		  /* apply: rebuild the initramfs even when no file of it changes */
	bool no_mkconfig;	  /* apply: leave grub.cfg alone */
	bool no_initramfs;	  /* apply: leave the initramfs alone */
	bool all_kernels;	  /* plan, apply: the initramfs of every installed kernel */
	bool trial;		  /* plan, apply: a one-shot trial boot (decide/trial.h) */
	unsigned command_timeout; /* apply, revert: seconds a command may take (0: default) */
	int hardware;		  /* plan, apply: --hardware (enum plan_hardware) */
	char **args;		  /* the verb's arguments */
	int n_args;
};

int verb_check(struct context *ctx);
int verb_acpi(struct context *ctx);
int verb_snapshot(struct context *ctx);
int verb_devices(struct context *ctx);
int verb_plan(struct context *ctx);
int verb_rules(struct context *ctx);
int verb_apply(struct context *ctx);
int verb_revert(struct context *ctx);
/* commit (verb-apply.c): the pending trial boot made permanent */
int verb_commit(struct context *ctx);
/* verify [BDF|ID...] (verb-verify.c) */
int verb_verify(struct context *ctx);
/* kernel-check KVER (verb-kernel-check.c): the kernel-install and postinst.d hooks */
int verb_kernel_check(struct context *ctx);
/* probe BDF (verb-probe.c) */
int verb_probe(struct context *ctx);

struct plan_input;
struct plan;
/* Gathers the host below the root and decides the plan for ctx's request;
 * an exit status, the reason logged. */
int plan_for_request(struct context *ctx, bool for_apply, struct plan_input *in, struct plan *p);

struct planned_file;
struct plan_command;
struct json;
struct host;
/* A planned file's change as a unified diff (from /dev/null when created);
 * NULL when unchanged or out of memory. Free it. */
char *planned_file_diff(const struct planned_file *f);
/* One command as --json shows it: command, argv, kind, and why or status */
void commands_json(struct json *j, const struct plan_command *c, bool with_status, int status);
/* --exit-code: EXIT_FIRMWARE, EXIT_CHANGES, EXIT_REBOOT_PENDING or EXIT_OK */
int detailed_exit(bool changes, bool reboot, bool fw_blocks);

struct file_error;
/* Logs err as "file:line: message" (or what of it is there). */
void log_file_error(const struct file_error *err);
