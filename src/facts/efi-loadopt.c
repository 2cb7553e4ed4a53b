/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "facts/efi-loadopt.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void efi_guid_to_string(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(g), le16(g + 4),
		 le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/* UTF-16LE, NUL-terminated within len bytes, to ASCII; returns the bytes used
 * including the NUL, or 0 when there is no NUL */
static size_t ucs2_to_ascii(const uint8_t *p, size_t len, char *out, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		uint16_t c = le16(p + i);

		if (c == 0) {
			out[k < n ? k : n - 1] = '\0';
			return i + 2;
		}
		if (k + 1 < n)
			out[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[k < n ? k : n - 1] = '\0';
	return 0;
}

int efi_load_option_parse(const uint8_t *buf, size_t len, struct efi_load_option *ret)
{
	size_t used, fpl;
	const uint8_t *dp, *end;

	memset(ret, 0, sizeof(*ret));
	if (len < 6)
		return -EBADMSG;
	ret->attributes = le32(buf);
	fpl = le16(buf + 4);
	used = ucs2_to_ascii(buf + 6, len - 6, ret->description, sizeof(ret->description));
	if (!used || fpl > len - 6 - used)
		return -EBADMSG;
	dp = buf + 6 + used;
	end = dp + fpl;
	while (dp + 4 <= end) {
		uint8_t type = dp[0], sub = dp[1];
		uint16_t nlen = le16(dp + 2);

		if (nlen < 4 || nlen > end - dp)
			return -EBADMSG;
		if (type == 0x7f && sub == 0xff)
			return 0; /* end of the whole device path */
		if (type == 0x04 && sub == 0x01 && nlen >= 42) {
			/* hard drive: number, start, size, signature, MBR type, signature type */
			ret->part_number = le32(dp + 4);
			if (dp[41] == 0x02)
				efi_guid_to_string(dp + 24, ret->part_guid);
		} else if (type == 0x04 && sub == 0x04 && !ret->path[0]) {
			if (!ucs2_to_ascii(dp + 4, nlen - 4, ret->path, sizeof(ret->path)))
				return -EBADMSG;
		}
		dp += nlen;
	}
	return -EBADMSG; /* no end node */
}

int efi_path_vendor_dir(const char *path, char *out, size_t n)
{
	const char *p = path, *e;

	while (*p == '\\' || *p == '/')
		p++;
	if (strncasecmp(p, "EFI", 3) != 0 || (p[3] != '\\' && p[3] != '/'))
		return -ENOENT;
	p += 4;
	e = p + strcspn(p, "\\/");
	if (e == p || !*e || (size_t)(e - p) >= n)
		return -ENOENT;
	if (e - p == 4 && strncasecmp(p, "BOOT", 4) == 0)
		return -ENOENT;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

int efivar_ascii_string(const uint8_t *buf, size_t len, char *out, size_t n)
{
	size_t o = 0;

	if (n == 0 || len < 4 || (len - 4) % 2)
		return -EBADMSG;
	for (size_t i = 4; i + 1 < len; i += 2) {
		unsigned c = buf[i] | (unsigned)buf[i + 1] << 8;

		if (c == 0)
			break;
		if (c < 0x20 || c > 0x7e)
			return -EBADMSG;
		if (o + 1 >= n)
			return -E2BIG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o ? 0 : -EBADMSG;
}
