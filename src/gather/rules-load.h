/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Loading the vendor rules (the systemd drop-in convention): the shipped
 * files, each replaced by a file of the same name in
 * <root>/etc/iommu-setup/rules.d, or disabled there by a symlink to
 * /dev/null. The shipped directory is $IOMMU_SETUP_RULES_DIR, else the
 * installed one (RULES_DIR), else — for a binary run from its build tree —
 * data/vendor-rules of the source tree it was built in. Reads only; never
 * logs.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/file-error.h"
#include "decide/rules.h"

struct root;

#define ETC_RULES_DIR "etc/iommu-setup/rules.d"

struct rules_file {
	char name[256];
	char path[PATH_MAX];  /* where it was read */
	char shown[PATH_MAX]; /* how rules name it: "10-iommu.rules" when shipped, else the path */
	const char *origin;   /* "shipped", "etc", "masked" */
};

struct rules_origin {
	char shipped[PATH_MAX]; /* the shipped directory used, "" none */
	const char *how;	/* "IOMMU_SETUP_RULES_DIR", "installed", "source tree" */
	char looked[1024];	/* every directory looked in, for messages */
	struct rules_file *files;
	size_t n_files;
	bool found; /* at least one rules file is in effect */
};

/* 0; -EINVAL with err for a malformed rule; another -errno with err. */
int rules_gather(struct root *root, struct rule_set *set, struct rules_origin *o,
		 struct file_error *err);
void rules_origin_done(struct rules_origin *o);
