/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Will a kernel installed after apply boot with what apply configured?
 * (`iommu-setup kernel-check KVER`, run by the kernel-install plugin and the
 * postinst.d hook.) Pure: the host gathered for that kernel (host_gather
 * with its version), its readiness report (checks_run) and the apply record
 * in; the gaps, as one line for people, out.
 *
 * The parameters to keep are those the record says apply added to a
 * command-line source (a GRUB variable, a BLS entry, grubenv kernelopts,
 * etc/kernel/cmdline). The kernel's line is the one check judges for it
 * (boot_state.configured: GRUB's normal entries, its BLS entry, or
 * etc/kernel/cmdline), except on GRUB with BLS when it has no entry yet:
 * then the entry kernel-install will write from etc/kernel/cmdline.
 */

#include "decide/checks.h"
#include "decide/record.h"
#include "facts/host.h"

/*
 * *ret: NULL when the kernel will boot with the configuration, else the
 * gaps joined by "; " ("its boot entry lacks intel_iommu=on iommu=pt (in
 * etc/default/grub); vfio_pci is not in its modules"), malloc'ed.
 * 0, or -ENOMEM.
 */
int kernel_check_gaps(const struct host *h, const struct check_report *r, const struct record *rec,
		      char **ret);
