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
	bool no_passthrough;
	bool exit_code; /* plan: exit 1 when changes are pending */
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

struct host;
struct plan;
/* Gathers the host below the root and builds the plan for ctx's request. */
int plan_for_request(struct context *ctx, bool for_apply, struct host *h, struct plan *p);

struct rule_set;
/* The vendor rules in effect below the root; an exit status (2: malformed, logged). */
int rules_load_effective(int root_fd, struct rule_set *set);
