/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Which commands regenerate what the next boot reads (pure). */
#include "base/file-error.h"
#include "facts/regen.h"

struct host;
struct plan;
struct plan_request;

/*
 * Adds the regeneration commands (boot loader configuration, initramfs) to
 * the plan, with notes. Pure. Returns 0, or -ENOENT with err when a command
 * apply needs is not installed below the root.
 */
int regen_decide(const struct regen_facts *f, const struct host *h, const struct plan_request *req,
		 struct plan *p, struct file_error *err);
