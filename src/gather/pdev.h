/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* Reads every PCI function (facts/pdev.h) from sysfs below the root. */
#include "facts/pdev.h"

struct root;

/*
 * Reads every PCI function below the root. kver: the kernel whose module
 * aliases answer "which modules could drive it" (NULL: skip).
 */
int pdev_gather(struct root *root, const char *kver, struct pdev_list *ret);
void pdev_list_done(struct pdev_list *l);
