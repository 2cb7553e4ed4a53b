/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "facts/cmdline.h"
#include "facts/modconf.h"

const char *modconf_kind_to_string(enum modconf_kind k)
{
	static const char *const names[_MODCONF_KIND_MAX] = {
		[MODCONF_OPTIONS] = "options",	   [MODCONF_SOFTDEP] = "softdep",
		[MODCONF_BLACKLIST] = "blacklist", [MODCONF_INSTALL] = "install",
		[MODCONF_REMOVE] = "remove",	   [MODCONF_ALIAS] = "alias",
		[MODCONF_WEAKDEP] = "weakdep",
	};

	return k >= 0 && k < _MODCONF_KIND_MAX ? names[k] : NULL;
}

bool module_name_eq(const char *a, const char *b)
{
	return kparam_name_eq(a, b);
}

void modconf_done(struct modconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].file);
		free(c->entries[i].module);
		free(c->entries[i].value);
	}
	free(c->entries);
	c->entries = NULL;
	c->n = 0;
}

static int add(struct modconf *c, const char *file, unsigned line, enum modconf_kind kind,
	       const char *module, size_t mlen, const char *value)
{
	struct modconf_entry *n = realloc(c->entries, (c->n + 1) * sizeof(*n)), *e;

	if (!n)
		return -ENOMEM;
	c->entries = n;
	e = &n[c->n];
	*e = (struct modconf_entry){ .line = line, .kind = kind };
	e->file = file ? strdup(file) : NULL;
	e->module = strndup(module, mlen);
	e->value = value ? strdup(value) : NULL;
	if ((file && !e->file) || !e->module || (value && !e->value)) {
		free(e->file);
		free(e->module);
		free(e->value);
		return -ENOMEM;
	}
	/* kmod's underscores(): '-' is '_' outside [...] */
	for (char *p = e->module, depth = 0; *p; p++) {
		if (*p == '[')
			depth = 1;
		else if (*p == ']')
			depth = 0;
		else if (*p == '-' && !depth)
			*p = '_';
	}
	/* options: kmod turns tabs into spaces */
	if (kind == MODCONF_OPTIONS && e->value)
		for (char *p = e->value; *p; p++)
			if (*p == '\t')
				*p = ' ';
	c->n++;
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* the next blank-separated token of s (advanced past it) */
static const char *token(const char **s, size_t *len)
{
	const char *p = *s, *t;

	while (*p && blank(*p))
		p++;
	t = p;
	while (*p && !blank(*p))
		p++;
	*len = (size_t)(p - t);
	*s = p;
	return *len ? t : NULL;
}

/* strtok_r(NULL, "\0"): what follows the delimiter after the previous token */
static const char *rest(const char *s)
{
	if (*s)
		s++;
	return *s ? s : NULL;
}

static int parse_line(struct modconf *c, const char *file, unsigned lineno, const char *line)
{
	static const struct {
		const char *cmd;
		enum modconf_kind kind;
		bool has_rest;
	} cmds[] = {
		{ "options", MODCONF_OPTIONS, true },	   { "softdep", MODCONF_SOFTDEP, true },
		{ "blacklist", MODCONF_BLACKLIST, false }, { "install", MODCONF_INSTALL, true },
		{ "remove", MODCONF_REMOVE, true },	   { "alias", MODCONF_ALIAS, true },
		{ "weakdep", MODCONF_WEAKDEP, true },
	};
	const char *p = line, *cmd, *mod, *r;
	size_t clen, mlen;

	if (!line[0] || line[0] == '#')
		return 0;
	cmd = token(&p, &clen);
	if (!cmd)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strlen(cmds[i].cmd) != clen || strncmp(cmd, cmds[i].cmd, clen) != 0)
			continue;
		mod = token(&p, &mlen);
		if (!mod)
			return 0; /* a bad line: modprobe ignores it */
		if (!cmds[i].has_rest)
			return add(c, file, lineno, cmds[i].kind, mod, mlen, NULL);
		if (cmds[i].kind == MODCONF_ALIAS) {
			/* alias ALIAS MODULE: kept as the alias, the module as value */
			const char *q = p, *target;
			size_t tlen;
			char buf[256];

			target = token(&q, &tlen);
			if (!target || tlen >= sizeof(buf))
				return 0;
			memcpy(buf, target, tlen);
			buf[tlen] = '\0';
			return add(c, file, lineno, MODCONF_ALIAS, mod, mlen, buf);
		}
		r = rest(p);
		if (!r)
			return 0;
		return add(c, file, lineno, cmds[i].kind, mod, mlen, r);
	}
	return 0; /* include, config or garbage: ignored */
}

int modconf_parse(struct modconf *c, const char *file, const char *text, size_t len)
{
	_cleanup_free_ char *line = malloc(len + 1);
	unsigned lineno = 0, start = 1;
	size_t n = 0;
	int r;

	if (!line)
		return -ENOMEM;
	/* kmod's freadline_wrapped(): backslash-newline joins, a backslash before
	 * any other character is dropped, the line counts as where it started */
	for (size_t i = 0; i <= len; i++) {
		char ch = i < len ? text[i] : '\n';

		if (i == len && n == 0)
			break;
		if (ch == '\\') {
			if (i + 1 < len && text[i + 1] == '\n') {
				lineno++;
				i++;
				continue;
			}
			if (i + 1 >= len)
				continue;
			ch = text[++i];
			line[n++] = ch;
			continue;
		}
		if (ch == '\n') {
			lineno++;
			line[n] = '\0';
			r = parse_line(c, file, start, line);
			if (r < 0)
				return r;
			n = 0;
			start = lineno + 1;
			continue;
		}
		if (ch == '\0') {
			/* getc() yields it: the C string ends there */
			line[n++] = '\0';
			continue;
		}
		line[n++] = ch;
	}
	return 0;
}

int modconf_append(struct modconf *dst, const struct modconf *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct modconf_entry *e = &src->entries[i];
		int r = add(dst, e->file, e->line, e->kind, e->module, strlen(e->module), e->value);

		if (r < 0)
			return r;
	}
	return 0;
}

int modconf_add_cmdline(struct modconf *c, const char *cmdline)
{
	struct kcmdline k;
	int r = 0;

	if (kcmdline_parse(cmdline, &k) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < k.n && r >= 0; i++) {
		const char *dot = strchr(k.params[i].name, '.');
		_cleanup_free_ char *opt = NULL;

		/* module.param[=value]; modprobe.blacklist= is a blacklist */
		if (!dot || dot == k.params[i].name || !dot[1])
			continue;
		if ((size_t)(dot - k.params[i].name) == 8 &&
		    strncmp(k.params[i].name, "modprobe", 8) == 0) {
			if (strcmp(dot + 1, "blacklist") != 0 || !k.params[i].value)
				continue;
			for (const char *s = k.params[i].value; *s && r >= 0;) {
				size_t n = strcspn(s, ",");

				if (n)
					r = add(c, NULL, 0, MODCONF_BLACKLIST, s, n, NULL);
				s += n + (s[n] == ',');
			}
			continue;
		}
		if (asprintf(&opt, "%s%s%s", dot + 1, k.params[i].value ? "=" : "",
			     k.params[i].value ? k.params[i].value : "") < 0) {
			r = -ENOMEM;
			break;
		}
		r = add(c, NULL, 0, MODCONF_OPTIONS, k.params[i].name,
			(size_t)(dot - k.params[i].name), opt);
	}
	kcmdline_done(&k);
	return r;
}

char *options_param(const char *options, const char *param)
{
	struct kcmdline k;
	const struct kparam *p;
	char *v = NULL;

	if (!options || kcmdline_parse(options, &k) < 0)
		return NULL;
	p = kcmdline_find(&k, param);
	if (p)
		v = strdup(p->value ? p->value : "");
	kcmdline_done(&k);
	return v;
}

char *modconf_param(const struct modconf *c, const char *module, const char *param,
		    const struct modconf_entry **where)
{
	char *found = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct modconf_entry *e = &c->entries[i];
		char *v;

		if (e->kind != MODCONF_OPTIONS || !module_name_eq(e->module, module))
			continue;
		v = options_param(e->value, param);
		if (!v)
			continue;
		free(found);
		found = v;
		if (where)
			*where = e;
	}
	return found;
}
