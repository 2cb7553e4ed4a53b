/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /proc/self/mountinfo (proc(5)): which mount holds a path, its file
 * system type and source. Pure.
 *
 * A line: ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE
 * SOURCE SUPER-OPTIONS, the paths with space, tab, newline and backslash
 * written as \040, \011, \012 and \134. The mount that holds a path is the
 * one whose mount point is its longest leading directory; of several on
 * the same point the last (it hides the ones before).
 */

#include <stddef.h>

#include "base/file-error.h"

struct mount_entry {
	char majmin[32];
	char mount_point[512];
	char fstype[64];
	char source[128];
	unsigned line;
};

/*
 * The mount holding path (absolute, as the root's processes see it) in the
 * text of mountinfo (path shorter than mount_point). -ENOENT when none
 * does, -EINVAL with err (file "proc/self/mountinfo" and the line) for a
 * line that is not a mountinfo line, or when the mount holding path has a
 * type or source longer than the fields here.
 */
int mountinfo_find(const char *text, size_t len, const char *path, struct mount_entry *ret,
		   struct file_error *err);
