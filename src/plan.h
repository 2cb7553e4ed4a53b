/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The plan: what apply writes and runs for a request, each decision with its
 * reason. Built from the host snapshot, the PCI devices and the vendor rules;
 * nothing is written while it is built. `plan` prints it, `apply` executes it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kparams.h"

struct context;
struct host;

#define PLAN_OPS_MAX 16
#define PLAN_FILES_MAX 64
#define PLAN_NOTES_MAX 40
#define PLAN_DEVICES_MAX 64
#define PLAN_COMMANDS_MAX 8
#define MODPROBE_FILE "etc/modprobe.d/iommu-setup.conf"
#define DRACUT_FILE "etc/dracut.conf.d/iommu-setup.conf"
#define ITOOLS_FILE "etc/initramfs-tools/modules"
/* the per-address binding the dracut module (dracut/50iommu-setup) reads */
#define DEVICES_FILE "etc/iommu-setup/vfio-devices.conf"

struct param {
	struct kop op;
	char name[128];
	char value[1024];
	char why[768];
};

enum file_kind {
	FILE_GRUB_DEFAULT,   /* a GRUB defaults file: what names the variable */
	FILE_BLS_ENTRY,	     /* a BLS entry's options line */
	FILE_GRUBENV,	     /* grubenv kernelopts */
	FILE_KERNEL_CMDLINE, /* etc/kernel/cmdline */
	FILE_OWNED,	     /* a file iommu-setup writes whole (modprobe.d, dracut.conf.d) */
	FILE_LINES,	     /* a list of lines iommu-setup adds to (initramfs-tools/modules) */
};

struct planned_file {
	char path[600];
	char *old, *new;
	size_t old_len, new_len;
	char what[64]; /* "GRUB_CMDLINE_LINUX", "BLS options", "kernelopts", ... */
	enum file_kind kind;
	bool created; /* the file does not exist yet */
};

enum command_kind {
	CMD_BOOTCFG,   /* regenerates the boot loader configuration */
	CMD_INITRAMFS, /* rebuilds the target kernel's initramfs */
};

struct plan_command {
	enum command_kind kind;
	char line[512];	  /* the argument vector, words separated by one space */
	char why[640];	  /* why this command, on this host */
	char output[600]; /* the file it writes, relative to the root ("" unknown) */
	/* for CMD_INITRAMFS: the command that lists the image ("" none) */
	char lister[64];
};

struct plan {
	struct param params[PLAN_OPS_MAX];
	size_t n_params;
	struct planned_file files[PLAN_FILES_MAX];
	size_t n_files;
	/* warnings and hints from the rules and the decisions, one line each */
	char notes[PLAN_NOTES_MAX][640];
	size_t n_notes;
	/* the devices for vfio-pci: requested, and the group mates that come along */
	struct {
		char addr[16];
		uint16_t vendor, device;
		uint32_t class;
		char why[160];
	} devs[PLAN_DEVICES_MAX];
	size_t n_devs;
	/* the modprobe.d file's lines after its header */
	char modprobe[2048];
	/* what apply runs afterwards, in order; only the ones needed when
	 * something changed (see plan_commands_needed()) */
	struct plan_command commands[PLAN_COMMANDS_MAX];
	size_t n_commands;
	/* the target kernel: its modules, its initramfs */
	char kver[256];
	bool reboot_required; /* the running command line lacks what is planned */
};

/* Options of the request beyond struct context. */
struct plan_request {
	bool initramfs;	   /* --initramfs: rebuild even when no initramfs file changes */
	bool no_mkconfig;  /* --no-mkconfig: leave the boot loader configuration alone */
	bool no_initramfs; /* --no-initramfs */
	bool for_apply;	   /* a missing regeneration tool is an error, not a note */
};

/*
 * Builds the plan for the request in ctx below ctx's root. h is gathered
 * already. Returns an exit status (EXIT_OK, EXIT_BAD_INPUT with the reason
 * logged, EXIT_SYSTEM).
 */
int plan_build(struct context *ctx, const struct plan_request *req, struct host *h, struct plan *p);
void plan_done(struct plan *p);
/* Adds a note (a warning or hint, one line) to the plan. */
__attribute__((format(printf, 2, 3))) void plan_note(struct plan *p, const char *fmt, ...);

bool planned_file_changed(const struct planned_file *f);
bool plan_pending(const struct plan *p);
/* Does a command of this kind regenerate from a file of that kind? */
bool command_regenerates(enum command_kind cmd, enum file_kind file);
/* Does the plan need cmd, given which files change? */
bool plan_command_needed(const struct plan *p, const struct plan_command *cmd);
/* The kernel command line a planned file holds, before or after; NULL if none. */
char *planned_file_cmdline(const struct planned_file *f, bool new);
/* Is f a file whose words are a kernel command line? */
bool planned_file_is_cmdline(const struct planned_file *f);

/* The kernel parameter ops of the plan, in buf (PLAN_OPS_MAX). */
const struct kop *plan_ops(const struct plan *p, struct kop *buf);

/*
 * Applies ops to the command line held by a file of this kind (the pure
 * editors: grub_edit, bls_entry_edit, grubenv_edit, kernel_cmdline_edit).
 * *ret gets the new text. -EINVAL with error set when it cannot be edited.
 */
int edit_cmdline_file(enum file_kind kind, const char *path, const char *what, const char *text,
		      size_t len, const struct kop *ops, size_t m, char **ret, size_t *ret_len,
		      char *error, size_t error_size);
