/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lines.h"
#include "base/macro.h"
#include "facts/cpuinfo.h"

static const struct {
	const char *name, *display, *table, *iommu;
} vendors[_CPU_VENDOR_MAX] = {
	[CPU_VENDOR_INTEL] = { "intel", "Intel", "DMAR", "Intel VT-d" },
	[CPU_VENDOR_AMD] = { "amd", "AMD", "IVRS", "AMD-Vi" },
	[CPU_VENDOR_HYGON] = { "hygon", "Hygon", "IVRS", "AMD-Vi" },
	[CPU_VENDOR_ZHAOXIN] = { "zhaoxin", "Zhaoxin", "DMAR", "VT-d" },
	[CPU_VENDOR_OTHER] = { "other", "Other", NULL, NULL },
};

const char *cpu_vendor_display_name(enum cpu_vendor v)
{
	return v >= 0 && v < _CPU_VENDOR_MAX ? vendors[v].display : NULL;
}

const char *cpu_vendor_to_string(enum cpu_vendor v)
{
	return v >= 0 && v < _CPU_VENDOR_MAX ? vendors[v].name : NULL;
}

const char *cpu_vendor_iommu_table(enum cpu_vendor v)
{
	return v >= 0 && v < _CPU_VENDOR_MAX ? vendors[v].table : NULL;
}

const char *cpu_vendor_iommu_name(enum cpu_vendor v)
{
	return v >= 0 && v < _CPU_VENDOR_MAX ? vendors[v].iommu : NULL;
}

static enum cpu_vendor vendor_from_id(const char *id)
{
	/* the CPUID leaf 0 vendor strings */
	if (strcmp(id, "GenuineIntel") == 0)
		return CPU_VENDOR_INTEL;
	if (strcmp(id, "AuthenticAMD") == 0)
		return CPU_VENDOR_AMD;
	if (strcmp(id, "HygonGenuine") == 0)
		return CPU_VENDOR_HYGON;
	if (strcmp(id, "CentaurHauls") == 0 || strcmp(id, "  Shanghai  ") == 0)
		return CPU_VENDOR_ZHAOXIN;
	return CPU_VENDOR_OTHER;
}

/* true if the space-separated list of len bytes contains word */
static bool has_word(const char *list, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= len; i++)
		if ((i == 0 || list[i - 1] == ' ' || list[i - 1] == '\t') &&
		    memcmp(list + i, word, n) == 0 &&
		    (i + n == len || list[i + n] == ' ' || list[i + n] == '\t'))
			return true;
	return false;
}

static void copy_value(char *dst, size_t n, const char *v, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

void cpuinfo_parse(const char *text, struct cpu_info *ret)
{
	struct cpu_info c = { .family = -1, .model = -1, .stepping = -1 };
	struct line l = {};

	/* Fields are "key\t: value"; processors are separated by blank lines. All
	 * processors of a host agree on vendor and features, so the first one is
	 * read and the rest only counted. */
	for (size_t pos = 0, tlen = strlen(text); line_next(text, tlen, &pos, &l);) {
		const char *line = l.p;
		size_t len = l.len;
		const char *colon = memchr(line, ':', len);

		if (colon) {
			size_t klen = (size_t)(colon - line);
			const char *v = colon + 1;
			size_t vlen = len - klen - 1;
			char key[32], value[64];

			while (klen && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
				klen--;
			if (vlen && *v == ' ') {
				v++;
				vlen--;
			}
			copy_value(key, sizeof(key), line, klen);
			copy_value(value, sizeof(value), v, vlen);

			if (strcmp(key, "processor") == 0)
				c.n_processors++;
			else if (c.n_processors > 1)
				; /* fields of further processors */
			else if (strcmp(key, "vendor_id") == 0) {
				copy_value(c.vendor_id, sizeof(c.vendor_id), v, vlen);
				c.vendor = vendor_from_id(c.vendor_id);
				c.found = true;
			} else if (strcmp(key, "model name") == 0)
				copy_value(c.model_name, sizeof(c.model_name), v, vlen);
			else if (strcmp(key, "cpu family") == 0)
				c.family = atoi(value);
			else if (strcmp(key, "model") == 0)
				c.model = atoi(value);
			else if (strcmp(key, "stepping") == 0)
				c.stepping = atoi(value);
			else if (strcmp(key, "flags") == 0) {
				c.vmx = has_word(v, vlen, "vmx");
				c.svm = has_word(v, vlen, "svm");
				c.hypervisor = has_word(v, vlen, "hypervisor");
				c.x2apic = has_word(v, vlen, "x2apic");
			}
		}
	}
	if (!c.found)
		c.vendor = CPU_VENDOR_OTHER;
	*ret = c;
}
