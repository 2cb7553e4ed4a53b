/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "base/commalist.h"

bool clist_has(const char *list, const char *item, size_t n)
{
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");

		if (k && k == n && strncmp(p, item, n) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

void clist_push(char *out, const char *item, size_t n)
{
	if (*out)
		strcat(out, ",");
	strncat(out, item, n);
}

char *clist_minus(const char *a, const char *b)
{
	char *out = calloc(1, strlen(a) + 1);

	if (!out)
		return NULL;
	for (const char *p = a; *p;) {
		size_t k = strcspn(p, ",");

		if (k && !clist_has(b, p, k) && !clist_has(out, p, k))
			clist_push(out, p, k);
		p += k + (p[k] == ',');
	}
	return out;
}

bool clist_subset(const char *a, const char *b)
{
	for (const char *p = a; *p;) {
		size_t k = strcspn(p, ",");

		if (k && !clist_has(b, p, k))
			return false;
		p += k + (p[k] == ',');
	}
	return true;
}
