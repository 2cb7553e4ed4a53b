/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/lines.h"
#include "facts/iomem.h"

bool iomem_is_framebuffer(const char *name)
{
	static const char *const names[] = { "efifb", "vesafb", "simplefb", "simpledrm", "BOOTFB" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* a hexadecimal number of at most 16 digits, *p advanced past it */
static bool hex64(const char **p, const char *end, bool prefix, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	unsigned n = 0;

	if (prefix) {
		if (end - s < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
			return false;
		s += 2;
	}
	for (; s < end; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (n == 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (n == 0)
		return false;
	*p = s;
	*ret = v;
	return true;
}

int iomem_parse_fb(const char *text, size_t len, struct iomem_fb *ret, unsigned *line)
{
	struct line l = {};
	unsigned lineno = 0;
	bool any_nonzero = false, any = false;

	*ret = (struct iomem_fb){ .found = true };
	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		const char *p = l.p, *e = l.p + l.len;
		uint64_t start, end;
		size_t nl;

		lineno++;
		if (l.len == 0)
			continue;
		while (p < e && *p == ' ')
			p++;
		if (!hex64(&p, e, false, &start) || p == e || *p != '-' ||
		    (p++, !hex64(&p, e, false, &end)) || e - p < 3 || memcmp(p, " : ", 3) != 0 ||
		    end < start) {
			*line = lineno;
			return -EBADMSG;
		}
		p += 3;
		any = true;
		any_nonzero = any_nonzero || start || end;
		nl = (size_t)(e - p);
		if (nl >= sizeof(ret->r[0].name))
			continue; /* longer than any framebuffer's name */
		{
			char name[sizeof(ret->r[0].name)];

			memcpy(name, p, nl);
			name[nl] = '\0';
			if (!iomem_is_framebuffer(name))
				continue;
			if (ret->n == IOMEM_FB_MAX) {
				*line = lineno;
				return -E2BIG;
			}
			ret->r[ret->n] = (struct iomem_range){ .start = start, .end = end };
			memcpy(ret->r[ret->n].name, name, nl + 1);
			ret->n++;
		}
	}
	ret->hidden = any && !any_nonzero;
	return 0;
}

int pci_resource_parse(const char *text, size_t len, struct pci_bar bars[PCI_BARS], unsigned *line)
{
	struct line l = {};
	unsigned lineno = 0;

	memset(bars, 0, sizeof(*bars) * PCI_BARS);
	for (size_t pos = 0; line_next(text, len, &pos, &l) && lineno < PCI_BARS;) {
		const char *p = l.p, *e = l.p + l.len;
		uint64_t v[3];

		lineno++;
		for (unsigned i = 0; i < 3; i++) {
			if (i > 0) {
				if (p == e || *p != ' ') {
					*line = lineno;
					return -EBADMSG;
				}
				p++;
			}
			if (!hex64(&p, e, true, &v[i])) {
				*line = lineno;
				return -EBADMSG;
			}
		}
		if (p != e || (v[1] < v[0] && !(v[0] == 0 && v[1] == 0))) {
			*line = lineno;
			return -EBADMSG;
		}
		bars[lineno - 1] = (struct pci_bar){ v[0], v[1], v[2] };
	}
	return 0;
}

const struct iomem_range *iomem_fb_in_bars(const struct iomem_fb *fb,
					   const struct pci_bar bars[PCI_BARS])
{
	for (size_t i = 0; i < fb->n; i++)
		for (unsigned b = 0; b < PCI_BARS; b++) {
			const struct pci_bar *bar = &bars[b];

			if (!(bar->flags & PCI_RES_MEM) || bar->end <= bar->start)
				continue;
			/* overlapping: a claim inside the BAR, or one that spans it */
			if (fb->r[i].start <= bar->end && fb->r[i].end >= bar->start)
				return &fb->r[i];
		}
	return NULL;
}
