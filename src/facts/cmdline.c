/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/commalist.h"
#include "base/macro.h"
#include "facts/cmdline.h"

bool kcmdline_is_space(char c)
{
	/* the kernel's isspace(): space, \t \n \v \f \r */
	return c == ' ' || (c >= '\t' && c <= '\r');
}

bool kcmdline_next_word(const char *text, size_t len, size_t *pos, size_t *start, bool *open_quote)
{
	size_t i = *pos;
	bool q = false;

	while (i < len && kcmdline_is_space(text[i]))
		i++;
	if (i >= len) {
		*pos = i;
		return false;
	}
	*start = i;
	while (i < len && (q || !kcmdline_is_space(text[i]))) {
		if (text[i] == '"')
			q = !q;
		i++;
	}
	*pos = i;
	if (open_quote)
		*open_quote = q;
	return true;
}

void kcmdline_done(struct kcmdline *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->params[i].name);
		free(c->params[i].value);
	}
	free(c->params);
	free(c->init_args);
	memset(c, 0, sizeof(*c));
}

/*
 * One word as next_arg() sees it: quotes toggle "in quotes" and are
 * dropped wherever they are, so "a b"=c and a="b c" both work; the first
 * '=' outside the name splits it.
 */
static const char *next_word(const char *p, char **ret)
{
	size_t pos = 0, start = 0, len = 0;
	char *w;

	(void)kcmdline_next_word(p, strlen(p), &pos, &start, NULL);
	w = malloc(pos - start + 1);
	if (!w)
		return NULL;
	/* the quotes group and are dropped wherever they are */
	for (size_t i = start; i < pos; i++)
		if (p[i] != '"')
			w[len++] = p[i];
	w[len] = '\0';
	*ret = w;
	return p + pos;
}

int kcmdline_parse(const char *text, struct kcmdline *ret)
{
	struct kcmdline c = {};
	size_t alloc = 0;
	const char *p = text;

	for (;;) {
		char *word = NULL, *eq;
		struct kparam *kp;

		while (kcmdline_is_space(*p))
			p++;
		if (!*p)
			break;
		/* "--" alone ends the kernel's parameters */
		if (p[0] == '-' && p[1] == '-' && (p[2] == '\0' || kcmdline_is_space(p[2]))) {
			p += 2;
			while (kcmdline_is_space(*p))
				p++;
			c.init_args = strdup(p);
			if (!c.init_args)
				goto oom;
			break;
		}
		p = next_word(p, &word);
		if (!p)
			goto oom;
		if (c.n == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			struct kparam *np = realloc(c.params, na * sizeof(*np));

			if (!np) {
				free(word);
				goto oom;
			}
			c.params = np;
			alloc = na;
		}
		kp = &c.params[c.n++];
		eq = strchr(word, '=');
		kp->name = word;
		kp->value = NULL;
		if (eq) {
			*eq = '\0';
			kp->value = strdup(eq + 1);
			if (!kp->value)
				goto oom;
		}
	}
	*ret = c;
	return 0;
oom:
	kcmdline_done(&c);
	return -ENOMEM;
}

bool kparam_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a;
		char y = *b == '-' ? '_' : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

const struct kparam *kcmdline_find(const struct kcmdline *c, const char *name)
{
	for (size_t i = c->n; i > 0; i--)
		if (kparam_name_eq(c->params[i - 1].name, name))
			return &c->params[i - 1];
	return NULL;
}

bool kcmdline_has(const struct kcmdline *c, const char *name, const char *value)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct kparam *p = &c->params[i];

		if (!kparam_name_eq(p->name, name))
			continue;
		if (!value || (p->value && strcmp(p->value, value) == 0))
			return true;
	}
	return false;
}

char *kcmdline_items(const struct kcmdline *c, const char *name)
{
	size_t cap = 1;
	char *out;

	for (size_t i = 0; i < c->n; i++)
		if (c->params[i].value && kparam_name_eq(c->params[i].name, name))
			cap += strlen(c->params[i].value) + 1;
	out = calloc(1, cap);
	if (!out)
		return NULL;
	for (size_t i = 0; i < c->n; i++) {
		const char *v = c->params[i].value;

		if (!v || !kparam_name_eq(c->params[i].name, name))
			continue;
		for (const char *p = v; *p;) {
			size_t k = strcspn(p, ",");

			if (k && !clist_has(out, p, k))
				clist_push(out, p, k);
			p += k + (p[k] == ',');
		}
	}
	return out;
}

char *kcmdline_vfio_ids(const struct kcmdline *c)
{
	return kcmdline_items(c, "vfio_pci.ids");
}
