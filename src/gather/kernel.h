/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Reads what the running kernel says about its IOMMU (facts/kernel.h) below the root. */
#include "facts/kernel.h"

struct root;

int kernel_gather(struct root *root, struct kernel_state *k);
void kernel_state_done(struct kernel_state *k);
