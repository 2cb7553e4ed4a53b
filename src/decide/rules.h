/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Vendor rules: one rule a line, "MATCH... -> ACTION ARGS [; why "..."] [; ref "..."]".
 *
 *   cpu=intel -> param intel_iommu=on ; why "VT-d stays off unless asked"
 *   pci=1002:* class=0300 -> warn "AMD GPUs may not reset" ; ref "gnif/vendor-reset"
 *   requested pci=10de:* -> softdep nouveau pre: vfio-pci
 *
 * Matches (all must hold; "always" matches everything): cpu=intel|amd|hygon|zhaoxin,
 * cpu-family=N, cpu-model=N, pci=VVVV:DDDD (either side may be "*"), class=CCCC
 * or CC* (base class), framebuffer=NAME (a boot framebuffer, proc/iomem's efifb,
 * vesafb, simplefb, simpledrm or BOOTFB, lies in one of the device's BARs), kernel>=X.Y /
 * kernel<X.Y, requested (the rule is about the devices the administrator asked for), present (about
 * any device of the host). Actions: param NAME[=VALUE] (ensure), offer NAME[=VALUE] (ensure unless
 * declined, as iommu=pt), forbid NAME[=VALUE], softdep MODULE pre: MODULE...,
 * options MODULE OPTS..., warn "MESSAGE", hint "MESSAGE".
 * Pure: text in, rules out; a malformed line is an error naming file:line.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/file-error.h"

enum rule_action {
	RULE_PARAM,
	RULE_OFFER,
	RULE_FORBID,
	RULE_SOFTDEP,
	RULE_OPTIONS,
	RULE_WARN,
	RULE_HINT,
	_RULE_ACTION_MAX,
};

struct rule {
	/* match */
	char cpu[16];		   /* "" any */
	int cpu_family, cpu_model; /* -1 any */
	bool has_pci;
	int pci_vendor, pci_device; /* -1: "*" */
	bool has_class;
	int class_base, class_sub;	       /* class_sub -1: "CC*" */
	char framebuffer[16];		       /* "" any */
	char kernel_min[64], kernel_below[64]; /* "" unbounded */
	bool requested, present;
	bool always;
	/* action */
	enum rule_action action;
	char arg[512]; /* the action's text: "intel_iommu=on", "nouveau pre: vfio-pci", the message */
	char why[512];
	char ref[256];
	/* origin */
	char file[512];
	unsigned line;
};

struct rule_set {
	struct rule *rules;
	size_t n;
};

/* What a rule is matched against. */
struct rule_host {
	const char *cpu; /* "intel", "amd", ... */
	int cpu_family, cpu_model;
	const char *kernel; /* the target kernel's version, NULL unknown */
};

struct rule_device {
	uint16_t vendor, device;
	uint32_t class;		 /* 0xCCSSPP */
	const char *framebuffer; /* the boot framebuffer in its BARs, NULL when none */
	/* only the ID is known (--ids with --hardware: no device below the root
	 * is the target's): class= and framebuffer= do not match it */
	bool id_only;
};

/*
 * Does r apply? Host matchers against host; device matchers (pci=, class=)
 * against the requested devices (with "requested") or the host's devices
 * (otherwise). Returns the index of the first matching device, SIZE_MAX for
 * a host-level match, or -1 (as size_t: RULE_NO_MATCH) when it does not apply.
 */
#define RULE_NO_MATCH ((size_t)-1 - 1)
#define RULE_HOST_MATCH ((size_t)-1)
size_t rule_matches(const struct rule *r, const struct rule_host *host,
		    const struct rule_device *requested, size_t n_requested,
		    const struct rule_device *present, size_t n_present);
/* strverscmp-like comparison of kernel versions: "6.1.0-13-amd64" vs "6.2" */
int kernel_version_cmp(const char *a, const char *b);

/* Parses text (named file) and appends its rules to set. -EINVAL with err. */
int rules_parse(const char *text, const char *file, struct rule_set *set, struct file_error *err);
void rule_set_done(struct rule_set *set);
const char *rule_action_to_string(enum rule_action a);
/* One line of text for a rule: "cpu=intel -> param intel_iommu=on" */
void rule_format(const struct rule *r, char *buf, size_t n);
