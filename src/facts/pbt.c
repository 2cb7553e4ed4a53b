/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "facts/pbt.h"

/* XXXX-XXXX, hexadecimal: the volume ID of a FAT file system, as blkid and
 * /dev/disk/by-uuid spell it (proxmox-boot-tool's own test) */
static bool is_vfat_id(const char *s, size_t len)
{
	if (len != PBT_UUID_SIZE - 1 || s[4] != '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (i != 4 && !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int pbt_uuids_parse(const char *text, size_t len, char uuids[][PBT_UUID_SIZE], size_t max,
		    size_t *n, struct file_error *err)
{
	unsigned lineno = 0;

	*n = 0;
	for (size_t at = 0; at < len;) {
		const char *line = text + at;
		const char *nl = memchr(line, '\n', len - at);
		size_t l = nl ? (size_t)(nl - line) : len - at, k = l;
		char shown[64];
		bool dup = false;

		at += l + (nl ? 1 : 0);
		lineno++;
		while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t' || line[k - 1] == '\r'))
			k--;
		while (k > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			k--;
		}
		if (k == 0)
			continue;
		if (!is_vfat_id(line, k)) {
			size_t m = k < 40 ? k : 40;

			for (size_t i = 0; i < m; i++)
				shown[i] = isprint((unsigned char)line[i]) ? line[i] : '?';
			shown[m] = '\0';
			return file_error_set(err, PBT_UUIDS_FILE, lineno,
					      "\"%s%s\" is not the volume ID of a FAT file system "
					      "(XXXX-XXXX), as proxmox-boot-tool init writes it",
					      shown, k > 40 ? "…" : "");
		}
		for (size_t i = 0; i < *n; i++)
			dup |= strncasecmp(uuids[i], line, k) == 0;
		if (dup)
			continue;
		if (*n == max)
			return file_error_set(err, PBT_UUIDS_FILE, lineno,
					      "more than %zu ESPs: iommu-setup reads back at most "
					      "%zu",
					      max, max);
		memcpy(uuids[*n], line, k);
		uuids[(*n)++][k] = '\0';
	}
	return 0;
}

/* is word one of the comma-separated versions of "(versions: a, b)"? */
static bool in_versions(const char *list, size_t len, const char *kver)
{
	size_t kl = strlen(kver);

	for (size_t at = 0; at < len;) {
		size_t w;

		at += strspn(list + at, " ,");
		if (at >= len)
			break;
		w = strcspn(list + at, ", )");
		if (at + w > len)
			w = len - at;
		if (w == kl && strncmp(list + at, kver, kl) == 0)
			return true;
		at += w ? w : 1;
	}
	return false;
}

bool pbt_status_has(const char *status, const char *uuid, const char *kver, char *why, size_t n)
{
	static const char mark[] = " is configured with: ";
	size_t ul = strlen(uuid);

	for (const char *line = status; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t l = eol ? (size_t)(eol - line) : strlen(line);

		if (l > ul + strlen(mark) && strncasecmp(line, uuid, ul) == 0 &&
		    strncmp(line + ul, mark, strlen(mark)) == 0) {
			const char *p = line + ul + strlen(mark), *end = line + l;

			/* "uefi (versions: …)", "grub (versions: …)", or both */
			while (p < end) {
				const char *v = strstr(p, "(versions:");
				const char *close;

				if (!v || v >= end)
					break;
				v += strlen("(versions:");
				close = memchr(v, ')', (size_t)(end - v));
				if (!close)
					close = end;
				if (in_versions(v, (size_t)(close - v), kver))
					return true;
				p = close;
			}
			snprintf(why, n, "the ESP %s does not hold kernel %s (\"%.*s\")", uuid,
				 kver, (int)(l < 200 ? l : 200), line);
			return false;
		}
		line = eol ? eol + 1 : NULL;
	}
	snprintf(why, n,
		 "proxmox-boot-tool status does not list the ESP %s: refresh skipped it (its "
		 "device is missing, or it could not be mounted)",
		 uuid);
	return false;
}
