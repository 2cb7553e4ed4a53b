/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "base/lines.h"
#include "facts/mountinfo.h"

#define MOUNTINFO_FILE "proc/self/mountinfo"

/* the next space-separated field of l from *i, into buf (NULL: skipped)
 * with the octal escapes decoded: 1, 0 when there is none, -1 when it does
 * not fit in n bytes or holds a NUL (*i is past it all the same) */
static int field(const struct line *l, size_t *i, char *buf, size_t n)
{
	size_t k = 0;
	int r = 1;

	while (*i < l->len && l->p[*i] == ' ')
		(*i)++;
	if (*i >= l->len)
		return 0;
	while (*i < l->len && l->p[*i] != ' ') {
		char c = l->p[*i];

		if (c == '\\' && *i + 3 < l->len && l->p[*i + 1] >= '0' && l->p[*i + 1] <= '3' &&
		    l->p[*i + 2] >= '0' && l->p[*i + 2] <= '7' && l->p[*i + 3] >= '0' &&
		    l->p[*i + 3] <= '7') {
			c = (char)((l->p[*i + 1] - '0') * 64 + (l->p[*i + 2] - '0') * 8 +
				   (l->p[*i + 3] - '0'));
			*i += 3;
		}
		(*i)++;
		if (!buf)
			continue;
		if (c == '\0' || k + 1 >= n)
			r = -1;
		else
			buf[k++] = c;
	}
	if (buf)
		buf[k] = '\0';
	return r;
}

/* does mount point mp hold path? "/" holds every path, "/boot" holds
 * "/boot" and "/boot/grub" but not "/bootx" */
static size_t holds(const char *mp, const char *path)
{
	size_t n = strlen(mp);

	if (strcmp(mp, "/") == 0)
		return 1;
	if (strncmp(path, mp, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return 0;
	return n;
}

int mountinfo_find(const char *text, size_t len, const char *path, struct mount_entry *ret,
		   struct file_error *err)
{
	size_t best = 0;
	struct line l = {};

	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		struct mount_entry m = { .line = l.no };
		char tok[8];
		size_t i = 0, h;
		int mp, r;
		bool dash = false;

		if (!l.len)
			continue;
		/* ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS */
		if (field(&l, &i, NULL, 0) <= 0 || field(&l, &i, NULL, 0) <= 0 ||
		    field(&l, &i, m.majmin, sizeof(m.majmin)) <= 0 || field(&l, &i, NULL, 0) <= 0 ||
		    (mp = field(&l, &i, m.mount_point, sizeof(m.mount_point))) == 0 ||
		    field(&l, &i, NULL, 0) <= 0 || (mp > 0 && m.mount_point[0] != '/'))
			return file_error_set(err, MOUNTINFO_FILE, l.no, "not a mountinfo line");
		/* the optional fields, then "-" */
		while ((r = field(&l, &i, tok, sizeof(tok))) != 0)
			if (r > 0 && strcmp(tok, "-") == 0) {
				dash = true;
				break;
			}
		if (!dash)
			return file_error_set(err, MOUNTINFO_FILE, l.no,
					      "not a mountinfo line (no \" - \" separator)");
		/* a mount point longer than we keep cannot hold the (shorter) path */
		if (mp < 0 || !(h = holds(m.mount_point, path)) || h < best)
			continue;
		if (field(&l, &i, m.fstype, sizeof(m.fstype)) <= 0 ||
		    field(&l, &i, m.source, sizeof(m.source)) <= 0)
			return file_error_set(err, MOUNTINFO_FILE, l.no,
					      "the file system type or source of %s is missing or "
					      "longer than %zu bytes",
					      m.mount_point, sizeof(m.source) - 1);
		best = h;
		*ret = m;
	}
	return best ? 0 : -ENOENT;
}
