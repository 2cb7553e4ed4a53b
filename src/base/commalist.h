/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Comma-separated lists, as kernel parameters write their options and IDs
 * (intel_iommu=on,igfx_off, vfio-pci.ids=10de:1b80,10de:10f0). Empty items
 * do not count. Pure.
 */

#include <stdbool.h>
#include <stddef.h>

/* Is item[0..n) one of list's items? */
bool clist_has(const char *list, const char *item, size_t n);
/* Appends item[0..n) to out, a comma first unless out is empty; out has room. */
void clist_push(char *out, const char *item, size_t n);
/* The items of a that b lacks, in a's order (malloc'ed; NULL without memory). */
char *clist_minus(const char *a, const char *b);
/* Is every item of a one of b's? */
bool clist_subset(const char *a, const char *b);
