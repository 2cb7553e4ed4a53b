/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lines.h"
#include "base/path-util.h"
#include "decide/journal.h"

int journal_add_dir(struct journal *j, const char *path)
{
	char **n;

	if (!path_valid_below_root(path))
		return -EINVAL;
	for (size_t i = 0; i < j->n_dirs; i++)
		if (strcmp(j->dirs[i], path) == 0)
			return 0;
	n = realloc(j->dirs, (j->n_dirs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	j->dirs = n;
	n[j->n_dirs] = strdup(path);
	if (!n[j->n_dirs])
		return -ENOMEM;
	j->n_dirs++;
	return 0;
}

int journal_add_file(struct journal *j, const char *path, bool existed, unsigned mode, unsigned uid,
		     unsigned gid)
{
	struct journal_file *n;

	if (!path_valid_below_root(path) || mode > 07777)
		return -EINVAL;
	n = realloc(j->files, (j->n_files + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	j->files = n;
	n[j->n_files] = (struct journal_file){ strdup(path), existed, mode, uid, gid };
	if (!n[j->n_files].path)
		return -ENOMEM;
	j->n_files++;
	return 0;
}

const struct journal_file *journal_find(const struct journal *j, const char *path)
{
	for (size_t i = 0; i < j->n_files; i++)
		if (strcmp(j->files[i].path, path) == 0)
			return &j->files[i];
	return NULL;
}

/* a decimal number that fits, and nothing else */
static bool number(const char *s, size_t n, unsigned base, unsigned max, unsigned *ret)
{
	unsigned long long v = 0;

	if (n == 0 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d >= base)
			return false;
		v = v * base + d;
	}
	if (v > max)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* "file EXISTED MODE UID GID PATH": the five fields, split at single blanks */
static int parse_file(struct journal *j, const char *s)
{
	const char *f[5];
	size_t len[5];
	unsigned existed, mode, uid, gid;
	int r;

	for (int i = 0; i < 5; i++) {
		const char *sp = i < 4 ? strchr(s, ' ') : s + strlen(s);

		if (!sp)
			return -EBADMSG;
		f[i] = s;
		len[i] = (size_t)(sp - s);
		s = i < 4 ? sp + 1 : sp;
	}
	if (!number(f[0], len[0], 10, 1, &existed) || !number(f[1], len[1], 8, 07777, &mode) ||
	    !number(f[2], len[2], 10, 0xffffffffu, &uid) ||
	    !number(f[3], len[3], 10, 0xffffffffu, &gid))
		return -EBADMSG;
	if (journal_find(j, f[4]))
		return -EBADMSG; /* a file journalled twice: not a list iommu-setup wrote */
	r = journal_add_file(j, f[4], existed, mode, uid, gid);
	return r == -EINVAL ? -EBADMSG : r;
}

int journal_parse(const char *text, size_t len, struct journal *ret, unsigned *bad_line)
{
	struct journal j = {};
	struct line l = {};
	unsigned lineno = 0;
	size_t pos = 0;
	int r = 0;

	*bad_line = 0;
	if (memchr(text, '\0', len))
		r = -EBADMSG;
	while (r >= 0 && line_next(text, len, &pos, &l)) {
		char *line = strndup(l.p, l.len);

		lineno++;
		if (!line) {
			r = -ENOMEM;
			break;
		}
		if (strncmp(line, "txn ", 4) == 0 && !j.txn[0] && line[4] &&
		    strlen(line + 4) < sizeof(j.txn) && !strpbrk(line + 4, " \t"))
			snprintf(j.txn, sizeof(j.txn), "%s", line + 4);
		else if (strncmp(line, "dir ", 4) == 0 && path_valid_below_root(line + 4))
			r = journal_add_dir(&j, line + 4);
		else if (strncmp(line, "file ", 5) == 0)
			r = parse_file(&j, line + 5);
		else
			r = -EBADMSG;
		if (r == -EINVAL)
			r = -EBADMSG;
		if (r == -EBADMSG)
			*bad_line = lineno;
		free(line);
	}
	if (r >= 0 && !j.txn[0])
		r = -EBADMSG; /* *bad_line 0: incomplete */
	if (r < 0) {
		journal_done(&j);
		return r;
	}
	*ret = j;
	return 0;
}

int journal_format(const struct journal *j, char **ret, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "txn %s\n", j->txn);
	for (size_t i = 0; i < j->n_dirs; i++)
		fprintf(f, "dir %s\n", j->dirs[i]);
	for (size_t i = 0; i < j->n_files; i++)
		fprintf(f, "file %d %o %u %u %s\n", j->files[i].existed, j->files[i].mode,
			j->files[i].uid, j->files[i].gid, j->files[i].path);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	*ret_len = len;
	return 0;
}

void journal_done(struct journal *j)
{
	for (size_t i = 0; i < j->n_dirs; i++)
		free(j->dirs[i]);
	free(j->dirs);
	for (size_t i = 0; i < j->n_files; i++)
		free(j->files[i].path);
	free(j->files);
	memset(j, 0, sizeof(*j));
}
