/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The plan: what apply writes and runs for a request, each decision with its
 * reason. plan_input_gather() reads everything the decision needs below the
 * root, once (gather/plan-input.c); plan_decide() is pure: input and request in,
 * plan or an error out, nothing read, logged or exited (plan.c). `plan`
 * prints the result, `apply` executes it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/file-error.h"
#include "decide/kparams.h"
#include "decide/rules.h"
#include "decide/trial.h"
#include "facts/host.h"
#include "facts/pdev.h"
#include "facts/regen.h"
#include "facts/sources.h"

struct root;

#define PLAN_OPS_MAX 32
#define PLAN_FILES_MAX 64
#define PLAN_DEVICES_MAX 64
/* the boot loader's command and one initramfs per installed kernel (--all-kernels) */
#define PLAN_COMMANDS_MAX (2 + REGEN_KERNELS_MAX)
#define PLAN_REQUEST_MAX 64
/* vfio-pci's ids parameter: module_param_string(ids, ids, sizeof(ids), 0) over
 * char ids[1024] (drivers/vfio/pci/vfio_pci.c): a longer value is refused by
 * the kernel ("string doesn't fit"), so no ID in it takes effect */
#define VFIO_PCI_IDS_SIZE 1024
#define MODPROBE_FILE "etc/modprobe.d/iommu-setup.conf"
#define DRACUT_FILE "etc/dracut.conf.d/iommu-setup.conf"
#define ITOOLS_FILE "etc/initramfs-tools/modules"
/* the per-address binding the dracut module (dracut/50iommu-setup) reads */
#define DEVICES_FILE "etc/iommu-setup/vfio-devices.conf"
/* in the initramfs: the binding library its boot script sources */
#define BIND_LIBRARY "usr/lib/iommu-setup/iommu-setup-bind.sh"
/* the mark on a modprobe.d line iommu-setup took over from another file */
#define ADOPTED_MARK "# taken over by iommu-setup (/" MODPROBE_FILE "): "

struct param {
	struct kop op;
	char name[128];
	char value[1024];
	char why[768];
};

struct planned_file {
	char path[600];
	char *old, *new;
	size_t old_len, new_len;
	char what[96]; /* "GRUB_CMDLINE_LINUX", "BLS options", "kernelopts", ... */
	enum file_kind kind;
	bool created; /* the file does not exist yet */
	bool removed; /* commit: the file goes (nothing but the trial was in it) */
	/* apply --trial: written for the trial's own initramfs, given back after
	 * its build (the default entry's files stay as they are) */
	bool transient;
};

enum command_kind {
	CMD_BOOTCFG,   /* regenerates the boot loader configuration */
	CMD_INITRAMFS, /* rebuilds one kernel's initramfs (the target's, or with
			* --all-kernels another installed one's) */
	CMD_ESP_SYNC,  /* copies kernels, images and entries to the ESPs that boot
			* (proxmox-boot-tool refresh), after the others */
};

#define COMMAND_ARGS_MAX 6

struct plan_command {
	enum command_kind kind;
	char args[COMMAND_ARGS_MAX][320]; /* the argument vector, args[0] absolute */
	unsigned argc;
	char line[1024];  /* the same for people: words separated by a blank, quoted if need be */
	char why[640];	  /* why this command, on this host */
	char output[600]; /* the file it writes, relative to the root ("" unknown) */
	/* for CMD_INITRAMFS: the command that lists the image ("" not installed) */
	char lister[64];
	char lister_name[16];
	char kver[256]; /* for CMD_INITRAMFS: the kernel whose initramfs it is */
	bool forced;	/* --initramfs: it runs even when no file it reads changes */
};

struct plan_dev {
	char addr[PCI_ADDR_SIZE];
	uint16_t vendor, device;
	uint32_t class;
	char why[160];
};

/*
 * --hardware: whose hardware the plan is for. Without it (SEEN) the plan
 * follows what is below the root: its CPU, its firmware tables, its PCI
 * devices. In an image built on another machine those are the build host's,
 * so INTEL and AMD plan as if the CPU were that vendor's and ANY for both;
 * all three take nothing from the firmware tables (interrupt remapping, a
 * missing IOMMU), the PCI devices (present rules, device lookups, host-
 * critical twins, modalias softdeps) or the CPU below the root, and refuse
 * --device (its address is the build host's).
 */
enum plan_hardware {
	PLAN_HARDWARE_SEEN,
	PLAN_HARDWARE_ANY,
	PLAN_HARDWARE_INTEL,
	PLAN_HARDWARE_AMD,
	_PLAN_HARDWARE_MAX,
};
/* "seen", "any", "intel", "amd" */
const char *plan_hardware_to_string(enum plan_hardware h);
/* any, intel or amd (what --hardware takes); -EINVAL for anything else */
int plan_hardware_from_string(const char *s);

struct plan {
	/* the rule the next boot's command lines must follow (kline_satisfies) */
	struct param params[PLAN_OPS_MAX];
	size_t n_params;
	struct planned_file files[PLAN_FILES_MAX];
	size_t n_files;
	/* warnings and hints from the rules and the decisions, one line each */
	char **notes;
	size_t n_notes;
	bool oom; /* a note could not be kept: plan_decide() fails */
	/* the devices for vfio-pci: requested, and the group mates that come along */
	struct plan_dev devs[PLAN_DEVICES_MAX];
	size_t n_devs;
	/* devices vfio-pci gets now (from any file) that the request leaves out */
	struct plan_dev removed[PLAN_DEVICES_MAX];
	size_t n_removed;
	bool devices_requested;	     /* --device or --ids: the request is the set of devices */
	bool by_address;	     /* the dracut module binds them by address */
	char ids[VFIO_PCI_IDS_SIZE]; /* the vendor:device IDs vfio-pci takes, sorted */
	/* the modprobe.d file's lines after its header */
	char modprobe[4096];
	/* what apply runs afterwards, in order; only the ones needed when
	 * something changed (see plan_command_needed()) */
	struct plan_command commands[PLAN_COMMANDS_MAX];
	size_t n_commands;
	/* the target kernel: its modules, its initramfs */
	char kver[256];
	/* the running system lacks what is (or will be) configured: a reboot is needed */
	bool reboot_required;
	/* no vendor rules were found: the plan lacks what they decide */
	bool incomplete;
	/* the hardware the plan is for (--hardware) */
	enum plan_hardware hardware;
	/* the plan follows the hardware below the root, and the running kernel is
	 * not the target kernel (a chroot): it may be the build host's, not the
	 * target's; hardware_warning is the note that says so */
	bool hardware_unverified;
	char hardware_warning[1024];
	/* plan --trial: the default entry's command line and the trial entry's
	 * (for the record: what the trial adds), NULL otherwise */
	char *trial_from, *trial_to;
	/* plan --trial: the trial's own initramfs ("boot/initrd.img-K-iommu-setup-
	 * trial"; "" when the default one serves: nothing in it changes) */
	char trial_image[600];
};

/* The request: what the administrator asked for. */
struct plan_request {
	char *const *devices; /* --device, as given */
	size_t n_devices;
	char *const *ids; /* --ids, as given (comma lists) */
	size_t n_ids;
	char *const *params; /* --param NAME[=VALUE] */
	size_t n_params;
	int passthrough; /* -1 as the rules offer it, 0 --no-passthrough, 1 --passthrough */
	bool allow_unsafe_interrupts;
	bool force;
	bool initramfs;	   /* --initramfs: rebuild even when no initramfs file changes */
	bool no_mkconfig;  /* --no-mkconfig: leave the boot loader configuration alone */
	bool no_initramfs; /* --no-initramfs */
	bool all_kernels;  /* --all-kernels: the initramfs of every installed kernel */
	bool for_apply;	   /* a missing regeneration tool is an error, not a note */
	/* --hardware: whose hardware the plan is for */
	enum plan_hardware hardware;
};

/* Everything the decision reads, gathered once (plan-input.c). */
struct plan_input {
	struct host host; /* cpu, tables, kernel, modules (modprobe.d), boot (sources) */
	struct pdev_list pci;
	struct rule_set rules;
	bool rules_found;
	char rules_dirs[1024]; /* where the rules were looked for, for messages */
	/* the files iommu-setup writes whole, as they are now */
	struct src_file dracut_conf, devices_conf, itools_modules;
	struct regen_facts regen;
};

/*
 * Decides the plan for req over in. Pure. Returns 0, or with err filled:
 * -EINVAL (bad request or a file that cannot be edited with certainty: exit
 * 2), -ENOENT (a tool apply needs is missing, no rules: exit 2), -E2BIG (a
 * limit: exit 3), -ENOMEM.
 */
int plan_decide(const struct plan_input *in, const struct plan_request *req, struct plan *p,
		struct file_error *err);
void plan_done(struct plan *p);
/* The firmware describes no usable IOMMU (checks_firmware_blocks()), when
 * the plan is for the hardware below the root; never with --hardware. */
bool plan_firmware_blocks(const struct plan_input *in, const struct plan *p);

/* A device the configuration gives to vfio-pci at the next boot, and from where */
struct configured_device {
	char addr[PCI_ADDR_SIZE];
	char origin[96]; /* "vfio-pci.ids 8086:10d3 in etc/modprobe.d/vfio.conf:1" */
};

/*
 * The devices the effective configuration gives to vfio-pci: the addresses
 * of etc/iommu-setup/vfio-devices.conf, then every function whose ID is in
 * the vfio-pci IDs the next boot gets (modprobe.d and the configured
 * command line). Pure. -EINVAL with err for a file that cannot be read.
 */
int plan_configured_devices(const struct plan_input *in, struct configured_device *ret, size_t max,
			    size_t *ret_n, struct file_error *err);
/* Sets a command's argument vector from NULL-terminated words (and its line);
 * -E2BIG when a word or their number exceeds what a command holds. */
int plan_command_set(struct plan_command *c, ...) __attribute__((sentinel));
/* Adds a note (a warning or hint, one line) to the plan. */
__attribute__((format(printf, 2, 3))) void plan_note(struct plan *p, const char *fmt, ...);

bool planned_file_changed(const struct planned_file *f);
bool plan_pending(const struct plan *p);
/* Does a command of this kind regenerate from a file of that kind? */
bool command_regenerates(enum command_kind cmd, enum file_kind file);
/* "bootcfg", "initramfs", "esp-sync": the JSON name of a kind */
const char *command_kind_name(enum command_kind cmd);
/* Does the plan need cmd, given which files change? */
bool plan_command_needed(const struct plan *p, const struct plan_command *cmd);
/* The kernel command line a planned file holds, before or after; NULL if none. */
char *planned_file_cmdline(const struct planned_file *f, bool new);
/* Is f a file whose words are a kernel command line? */
bool planned_file_is_cmdline(const struct planned_file *f);
/* Is a file of this kind a kernel command line (GRUB defaults, BLS entry,
 * grubenv, etc/kernel/cmdline)? */
bool file_kind_is_cmdline(enum file_kind k);

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

/* The trial boot's files as they are now (gather/trial.c). */
struct trial_files {
	char dir[600];				   /* grub.cfg's directory, "boot/grub" */
	struct src_file grub_cfg, grubenv, custom; /* text NULL: none */
	struct src_file bls_trial[BLS_DIRS_N];	   /* BLS_TRIAL_FILE in each of bls_dirs */
	/* systemd-boot: loader/loader.conf, the efivarfs files of
	 * LoaderEntryOneShot and LoaderEntryDefault (text NULL: none), and
	 * whether sys/firmware/efi/efivars is there */
	struct src_file loader_conf, oneshot, entry_default;
	bool efivars;
	bool env_mount_found; /* a mount of mountinfo holds grubenv */
	char env_fstype[64], env_source[128];
};

/*
 * plan --trial (decide/trial.h): when a one-shot boot is possible, p's
 * command-line files and its boot loader regeneration give way to the
 * trial's files: the trial block in DIR/custom.cfg (the target kernel's
 * entry of grub.cfg with p's parameters) and next_entry in DIR/grubenv; what
 * else p writes (modprobe.d, the initramfs) stays, shared by both entries,
 * and a note says so. Returns 0 with *verdict (p changed only when it is
 * GRUB_TRIAL_POSSIBLE; else err->code is "TRIAL_IMPOSSIBLE"), -EINVAL with
 * err when an editor refuses, -ENOMEM.
 */
int plan_trial(const struct plan_input *in, struct plan *p, const struct trial_files *t,
	       enum grub_trial_verdict *verdict, struct file_error *err);
/*
 * commit: the trial file path (custom.cfg or grubenv, as the record names
 * it), whose content is cur, planned with the trial taken out
 * (grub_trial_undo): p's real plan also ends the trial. -EINVAL with err
 * when the file cannot be edited with certainty.
 */
int plan_trial_end(struct plan *p, const char *path, const char *cur, size_t len, bool created,
		   struct file_error *err);
/* the trial's own initramfs next to the target kernel's image output
 * (boot/initrd.img-K-iommu-setup-trial, boot/initramfs-K-iommu-setup-trial.img);
 * false when it would not fit in n */
bool plan_trial_image_name(const char *output, char *buf, size_t n);
/* what a record may name as a trial's image: boot/NAME with the trial's id */
bool plan_trial_image_path_valid(const char *path);
/*
 * What an initramfs is built from, as p writes it: the path and new content
 * of every file that changes and goes into the initramfs, in p's order,
 * hashed (64-bit FNV-1a: it tells a change, it is not a signature).
 */
uint64_t plan_initramfs_inputs(const struct plan *p);
/* the trial image's "ours" in the record: what it was built from */
#define TRIAL_INPUTS_FORMAT "initramfs-inputs %016llx\n"
struct record;
/*
 * commit: may the trial's tested initramfs (the record's trial image) become
 * the target kernel's, rather than a rebuild? When c, p's rebuild of it, is
 * needed and the files p writes for it are those the image was built from
 * (plan_initramfs_inputs() as the record keeps it).
 */
bool plan_trial_promotable(const struct plan *p, const struct record *rec,
			   const struct plan_command *c);
