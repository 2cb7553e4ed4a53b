/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Everything plan_decide() reads (struct plan_input, decide/plan.h), gathered once below the root. */
#include "decide/plan.h"

struct root;

int plan_input_gather(struct root *root, const char *kver, struct plan_input *in,
		      struct file_error *err);
void plan_input_done(struct plan_input *in);
/* The trial boot's files next to grub_cfg (relative to the root: grub.cfg,
 * grubenv, custom.cfg) and the file system grubenv is on (mountinfo). */
int trial_files_gather(struct root *root, const char *grub_cfg, struct trial_files *t,
		       struct file_error *err);
void trial_files_done(struct trial_files *t);
