/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What main() hands to each verb. */

#include <stdbool.h>
#include <stddef.h>

/* Exit status (DESIGN.md, iommu-setup(8)) */
enum {
	EXIT_OK = 0,	    /* ready / done */
	EXIT_NOT_READY = 1, /* check found a blocking problem */
	EXIT_BAD_INPUT = 2, /* usage error or bad input; nothing written */
	EXIT_SYSTEM = 3,    /* system error; nothing left half-written */
};

struct context {
	const char *root; /* as given */
	int root_fd;
	const char *kernel;
	bool json;
	bool quiet;
	bool force;	      /* snapshot: replace OUT */
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
	bool exit_code;	  /* plan: exit 1 when changes are pending */
	bool allow_unsafe_interrupts;
	bool initramfs;	   /* apply: rebuild the initramfs even when no file of it changes */
	bool no_mkconfig;  /* apply: leave grub.cfg alone */
	bool no_initramfs; /* apply: leave the initramfs alone */
	const char *probe; /* check: ask the kernel about this vfio-pci device */
	char **args;	   /* the verb's arguments */
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
/* check --probe BDF (probe.c) */
int probe_device(struct context *ctx, const char *arg);

struct plan_input;
struct plan;
/* Gathers the host below the root and decides the plan for ctx's request;
 * an exit status, the reason logged. */
int plan_for_request(struct context *ctx, bool for_apply, struct plan_input *in, struct plan *p);

struct file_error;
/* Logs err as "file:line: message" (or what of it is there). */
void log_file_error(const struct file_error *err);
