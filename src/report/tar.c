/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/tar.h"

#define BLOCK 512

struct header {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char chksum[8];
	char typeflag;
	char linkname[100];
	char magic[8]; /* GNU: "ustar  \0" */
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char pad[12];
};

_Static_assert(sizeof(struct header) == BLOCK, "tar header is one block");

void tar_init(struct tar *t, FILE *f)
{
	t->f = f;
	t->error = 0;
}

static void write_bytes(struct tar *t, const void *p, size_t n)
{
	if (t->error)
		return;
	if (n && fwrite(p, 1, n, t->f) != n)
		t->error = errno ? -errno : -EIO;
}

static void pad(struct tar *t, size_t n)
{
	static const char zeros[BLOCK];

	if (n % BLOCK)
		write_bytes(t, zeros, BLOCK - n % BLOCK);
}

static void header(struct tar *t, const char *name, char type, size_t size, unsigned mode,
		   const char *link)
{
	struct header h;
	unsigned sum = 0;

	memset(&h, 0, sizeof(h));
	/* at 100 bytes the field is not NUL-terminated, as tar expects; longer names
	 * came first in a long-name record */
	memcpy(h.name, name, strnlen(name, sizeof(h.name)));
	snprintf(h.mode, sizeof(h.mode), "%07o", mode & 07777);
	snprintf(h.uid, sizeof(h.uid), "%07o", 0);
	snprintf(h.gid, sizeof(h.gid), "%07o", 0);
	snprintf(h.size, sizeof(h.size), "%011zo", size);
	snprintf(h.mtime, sizeof(h.mtime), "%011o", 0);
	h.typeflag = type;
	if (link)
		memcpy(h.linkname, link, strnlen(link, sizeof(h.linkname)));
	memcpy(h.magic, "ustar  ", 8);
	strcpy(h.uname, "root");
	strcpy(h.gname, "root");
	memset(h.chksum, ' ', sizeof(h.chksum));
	for (size_t i = 0; i < sizeof(h); i++)
		sum += ((unsigned char *)&h)[i];
	snprintf(h.chksum, sizeof(h.chksum), "%06o", sum);
	h.chksum[7] = ' ';
	write_bytes(t, &h, sizeof(h));
}

/* GNU long names: a ././@LongLink record (type L, or K for link targets) first */
static void long_name(struct tar *t, const char *s, char type)
{
	size_t n = strlen(s) + 1;

	header(t, "././@LongLink", type, n, 0, NULL);
	write_bytes(t, s, n);
	pad(t, n);
}

static void entry(struct tar *t, const char *path, char type, size_t size, unsigned mode,
		  const char *link)
{
	if (strlen(path) >= 100)
		long_name(t, path, 'L');
	if (link && strlen(link) >= 100)
		long_name(t, link, 'K');
	header(t, path, type, size, mode, link);
}

void tar_add_dir(struct tar *t, const char *path)
{
	char name[4096];

	snprintf(name, sizeof(name), "%s/", path);
	entry(t, name, '5', 0, 0755, NULL);
}

void tar_add_file(struct tar *t, const char *path, const void *data, size_t size, mode_t mode)
{
	entry(t, path, '0', size, mode, NULL);
	write_bytes(t, data, size);
	pad(t, size);
}

void tar_add_symlink(struct tar *t, const char *path, const char *target)
{
	entry(t, path, '2', 0, 0777, target);
}

int tar_finish(struct tar *t)
{
	static const char zeros[2 * BLOCK];

	write_bytes(t, zeros, sizeof(zeros));
	if (!t->error && fflush(t->f) != 0)
		t->error = -errno;
	return t->error;
}
