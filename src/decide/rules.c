/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/lines.h"
#include "base/macro.h"
#include "decide/rules.h"
#include "facts/iomem.h"

static const char *const action_names[_RULE_ACTION_MAX] = {
	[RULE_PARAM] = "param",	    [RULE_OFFER] = "offer",	[RULE_FORBID] = "forbid",
	[RULE_SOFTDEP] = "softdep", [RULE_OPTIONS] = "options", [RULE_WARN] = "warn",
	[RULE_HINT] = "hint",
};

const char *rule_action_to_string(enum rule_action a)
{
	return a >= 0 && a < _RULE_ACTION_MAX ? action_names[a] : NULL;
}

/* four hex digits, or "*" (-1); -2 for anything else */
static int hex16(const char *s, size_t n)
{
	unsigned v;

	if (n == 1 && s[0] == '*')
		return -1;
	if (n != 4 || hex_parse(s, n, &v) < 0)
		return -2;
	return (int)v;
}

static bool version_ok(const char *s)
{
	/* 6.2, 5.14.0: digits and dots */
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return false;
	return true;
}

static int parse_match(struct rule *r, const char *w, size_t n, struct file_error *err,
		       const char *file, unsigned line)
{
	char tok[128];

	if (n >= sizeof(tok))
		return file_error_set(err, file, line, "match \"%.*s…\" is too long", 40, w);
	memcpy(tok, w, n);
	tok[n] = '\0';

	if (strcmp(tok, "always") == 0)
		r->always = true;
	else if (strcmp(tok, "requested") == 0)
		r->requested = true;
	else if (strcmp(tok, "present") == 0)
		r->present = true;
	else if (strncmp(tok, "cpu=", 4) == 0) {
		const char *v = tok + 4;

		if (strcmp(v, "intel") && strcmp(v, "amd") && strcmp(v, "hygon") &&
		    strcmp(v, "zhaoxin"))
			return file_error_set(err, file, line,
					      "cpu=%s: the vendor is intel, amd, hygon or zhaoxin",
					      v);
		snprintf(r->cpu, sizeof(r->cpu), "%.15s", v);
	} else if (strncmp(tok, "cpu-family=", 11) == 0 || strncmp(tok, "cpu-model=", 10) == 0) {
		const char *v = strchr(tok, '=') + 1;
		char *end;
		long x = strtol(v, &end, 0);

		if (!*v || *end || x < 0 || x > 0xffff)
			return file_error_set(err, file, line, "%s: not a number", tok);
		if (tok[4] == 'f')
			r->cpu_family = (int)x;
		else
			r->cpu_model = (int)x;
	} else if (strncmp(tok, "pci=", 4) == 0) {
		const char *v = tok + 4, *colon = strchr(v, ':');

		if (!colon)
			return file_error_set(err, file, line,
					      "%s: pci= takes VVVV:DDDD, either side may be *",
					      tok);
		r->pci_vendor = hex16(v, (size_t)(colon - v));
		r->pci_device = hex16(colon + 1, strlen(colon + 1));
		if (r->pci_vendor == -2 || r->pci_device == -2)
			return file_error_set(err, file, line,
					      "%s: pci= takes VVVV:DDDD, either side may be *",
					      tok);
		r->has_pci = true;
	} else if (strncmp(tok, "class=", 6) == 0) {
		const char *v = tok + 6;
		int base = hex16(v, 2), sub;
		char b[8];

		/* CCSS or CC* */
		if (strlen(v) == 3 && v[2] == '*') {
			snprintf(b, sizeof(b), "00%.2s", v);
			base = hex16(b, 4);
			sub = -1;
		} else if (strlen(v) == 4) {
			base = hex16(v, 4);
			sub = base >= 0 ? base & 0xff : -2;
			base = base >= 0 ? base >> 8 : -2;
		} else
			base = -2, sub = -2;
		if (base < 0 || sub == -2)
			return file_error_set(err, file, line,
					      "%s: class= takes CCSS (0300) or CC* (03*)", tok);
		r->has_class = true;
		r->class_base = base;
		r->class_sub = sub;
	} else if (strncmp(tok, "framebuffer=", 12) == 0) {
		const char *v = tok + 12;

		if (!iomem_is_framebuffer(v))
			return file_error_set(err, file, line,
					      "%s: framebuffer= takes efifb, vesafb, simplefb, "
					      "simpledrm or BOOTFB",
					      tok);
		snprintf(r->framebuffer, sizeof(r->framebuffer), "%.15s", v);
	} else if (strncmp(tok, "kernel>=", 8) == 0) {
		if (!version_ok(tok + 8))
			return file_error_set(err, file, line, "%s: not a kernel version", tok);
		snprintf(r->kernel_min, sizeof(r->kernel_min), "%.63s", tok + 8);
	} else if (strncmp(tok, "kernel<", 7) == 0) {
		if (!version_ok(tok + 7))
			return file_error_set(err, file, line, "%s: not a kernel version", tok);
		snprintf(r->kernel_below, sizeof(r->kernel_below), "%.63s", tok + 7);
	} else
		return file_error_set(
			err, file, line,
			"unknown match \"%s\" (cpu=, cpu-family=, cpu-model=, pci=, class=, "
			"framebuffer=, kernel>=, kernel<, requested, present, always)",
			tok);
	return 0;
}

/* A quoted string at *p: its contents into out. */
static int quoted(const char **p, char *out, size_t n, struct file_error *err, const char *file,
		  unsigned line)
{
	const char *s = *p, *e;

	if (*s != '"')
		return file_error_set(err, file, line, "expected a quoted string at \"%.20s\"", s);
	e = strchr(s + 1, '"');
	if (!e)
		return file_error_set(err, file, line, "unterminated quote");
	if ((size_t)(e - s - 1) >= n)
		return file_error_set(err, file, line, "string too long");
	memcpy(out, s + 1, (size_t)(e - s - 1));
	out[e - s - 1] = '\0';
	*p = e + 1;
	return 0;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int parse_line(const char *line, size_t len, const char *file, unsigned lineno,
		      struct rule *r, struct file_error *err)
{
	_cleanup_free_ char *buf = strndup(line, len);
	const char *arrow, *p;
	int k;

	if (!buf)
		return -ENOMEM;
	*r = (struct rule){ .cpu_family = -1, .cpu_model = -1, .line = lineno };
	snprintf(r->file, sizeof(r->file), "%s", file);
	arrow = strstr(buf, "->");
	if (!arrow)
		return file_error_set(err, file, lineno,
				      "no \"->\" between the match and the action");

	/* matches */
	for (p = buf; p < arrow;) {
		size_t n;

		p = skip_blank(p);
		if (p >= arrow)
			break;
		n = strcspn(p, " \t");
		if (p + n > arrow)
			n = (size_t)(arrow - p);
		k = parse_match(r, p, n, err, file, lineno);
		if (k < 0)
			return k;
		p += n;
	}
	if (!r->always && !r->cpu[0] && r->cpu_family < 0 && r->cpu_model < 0 && !r->has_pci &&
	    !r->has_class && !r->framebuffer[0] && !r->kernel_min[0] && !r->kernel_below[0] &&
	    !r->requested && !r->present)
		return file_error_set(err, file, lineno,
				      "a rule needs a match (\"always\" for every host)");

	/* action */
	p = skip_blank(arrow + 2);
	for (k = 0; k < _RULE_ACTION_MAX; k++) {
		size_t n = strlen(action_names[k]);

		if (strncmp(p, action_names[k], n) == 0 && (p[n] == ' ' || p[n] == '\t'))
			break;
	}
	if (k == _RULE_ACTION_MAX)
		return file_error_set(
			err, file, lineno,
			"unknown action at \"%.20s\" (param, offer, forbid, softdep, options, "
			"warn, hint)",
			p);
	r->action = (enum rule_action)k;
	p = skip_blank(p + strlen(action_names[k]));
	if (r->action == RULE_WARN || r->action == RULE_HINT) {
		k = quoted(&p, r->arg, sizeof(r->arg), err, file, lineno);
		if (k < 0)
			return k;
	} else {
		size_t n = strcspn(p, ";");

		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(r->arg))
			return file_error_set(err, file, lineno, "%s needs an argument",
					      action_names[r->action]);
		memcpy(r->arg, p, n);
		r->arg[n] = '\0';
		p += n;
		if ((r->action == RULE_PARAM || r->action == RULE_OFFER ||
		     r->action == RULE_FORBID) &&
		    strpbrk(r->arg, " \t\""))
			return file_error_set(err, file, lineno,
					      "%s takes one NAME[=VALUE], not \"%s\"",
					      action_names[r->action], r->arg);
		if (r->action == RULE_SOFTDEP && !strstr(r->arg, "pre:") &&
		    !strstr(r->arg, "post:"))
			return file_error_set(err, file, lineno,
					      "softdep takes MODULE pre: MODULE... or post:");
		if (r->action == RULE_OPTIONS && !strpbrk(r->arg, " \t"))
			return file_error_set(err, file, lineno,
					      "options takes MODULE OPTION=VALUE...");
	}

	/* ; why "..." ; ref "..." */
	for (p = skip_blank(p); *p;) {
		if (*p != ';')
			return file_error_set(err, file, lineno,
					      "unexpected \"%.20s\" after the action", p);
		p = skip_blank(p + 1);
		if (strncmp(p, "why", 3) == 0) {
			p = skip_blank(p + 3);
			k = quoted(&p, r->why, sizeof(r->why), err, file, lineno);
		} else if (strncmp(p, "ref", 3) == 0) {
			p = skip_blank(p + 3);
			k = quoted(&p, r->ref, sizeof(r->ref), err, file, lineno);
		} else
			return file_error_set(err, file, lineno,
					      "expected why \"...\" or ref \"...\" after ';'");
		if (k < 0)
			return k;
		p = skip_blank(p);
	}
	return 0;
}

int rules_parse(const char *text, const char *file, struct rule_set *set, struct file_error *err)
{
	unsigned lineno = 0;

	struct line l = {};

	for (size_t pos = 0, tlen = strlen(text); line_next(text, tlen, &pos, &l);) {
		const char *line = l.p, *p = line;
		size_t len = l.len;
		struct rule r, *nr;
		int k;

		lineno++;
		while (p < line + len && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < line + len && *p != '#') {
			size_t n = len - (size_t)(p - line);

			while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			k = parse_line(p, n, file, lineno, &r, err);
			if (k < 0)
				return k;
			nr = realloc(set->rules, (set->n + 1) * sizeof(*nr));
			if (!nr)
				return -ENOMEM;
			set->rules = nr;
			set->rules[set->n++] = r;
		}
	}
	return 0;
}

void rule_set_done(struct rule_set *set)
{
	free(set->rules);
	set->rules = NULL;
	set->n = 0;
}

void rule_format(const struct rule *r, char *buf, size_t n)
{
	size_t u = 0;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (u < n)                                                                         \
			u += (size_t)snprintf(buf + u, n - u, __VA_ARGS__);                        \
	} while (0)
	if (r->always)
		ADD("always ");
	if (r->requested)
		ADD("requested ");
	if (r->present)
		ADD("present ");
	if (r->cpu[0])
		ADD("cpu=%s ", r->cpu);
	if (r->cpu_family >= 0)
		ADD("cpu-family=%d ", r->cpu_family);
	if (r->cpu_model >= 0)
		ADD("cpu-model=%d ", r->cpu_model);
	if (r->has_pci) {
		if (r->pci_vendor < 0)
			ADD("pci=*:");
		else
			ADD("pci=%04x:", r->pci_vendor);
		if (r->pci_device < 0)
			ADD("* ");
		else
			ADD("%04x ", r->pci_device);
	}
	if (r->has_class) {
		if (r->class_sub < 0)
			ADD("class=%02x* ", r->class_base);
		else
			ADD("class=%02x%02x ", r->class_base, r->class_sub);
	}
	if (r->framebuffer[0])
		ADD("framebuffer=%s ", r->framebuffer);
	if (r->kernel_min[0])
		ADD("kernel>=%s ", r->kernel_min);
	if (r->kernel_below[0])
		ADD("kernel<%s ", r->kernel_below);
	if (r->action == RULE_WARN || r->action == RULE_HINT)
		ADD("-> %s \"%s\"", action_names[r->action], r->arg);
	else
		ADD("-> %s %s", action_names[r->action], r->arg);
#undef ADD
}

int kernel_version_cmp(const char *a, const char *b)
{
	/* numeric fields separated by dots; stop at the first non-digit (-13-amd64) */
	while (*a || *b) {
		unsigned long x = 0, y = 0;
		bool ha = *a >= '0' && *a <= '9', hb = *b >= '0' && *b <= '9';

		if (!ha && !hb)
			return 0;
		while (*a >= '0' && *a <= '9')
			x = x * 10 + (unsigned long)(*a++ - '0');
		while (*b >= '0' && *b <= '9')
			y = y * 10 + (unsigned long)(*b++ - '0');
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		else
			a = "";
		if (*b == '.')
			b++;
		else
			b = "";
	}
	return 0;
}

static bool device_matches(const struct rule *r, const struct rule_device *d)
{
	if (r->has_pci && ((r->pci_vendor >= 0 && r->pci_vendor != d->vendor) ||
			   (r->pci_device >= 0 && r->pci_device != d->device)))
		return false;
	if (d->id_only && (r->has_class || r->framebuffer[0]))
		return false;
	if (r->has_class && ((int)(d->class >> 16) != r->class_base ||
			     (r->class_sub >= 0 && (int)((d->class >> 8) & 0xff) != r->class_sub)))
		return false;
	if (r->framebuffer[0] && (!d->framebuffer || strcmp(r->framebuffer, d->framebuffer) != 0))
		return false;
	return true;
}

size_t rule_matches(const struct rule *r, const struct rule_host *host,
		    const struct rule_device *requested, size_t n_requested,
		    const struct rule_device *present, size_t n_present)
{
	const struct rule_device *devs;
	size_t n;

	if (r->cpu[0] && (!host->cpu || strcmp(r->cpu, host->cpu) != 0))
		return RULE_NO_MATCH;
	if (r->cpu_family >= 0 && r->cpu_family != host->cpu_family)
		return RULE_NO_MATCH;
	if (r->cpu_model >= 0 && r->cpu_model != host->cpu_model)
		return RULE_NO_MATCH;
	if ((r->kernel_min[0] || r->kernel_below[0]) && !host->kernel)
		return RULE_NO_MATCH;
	if (r->kernel_min[0] && kernel_version_cmp(host->kernel, r->kernel_min) < 0)
		return RULE_NO_MATCH;
	if (r->kernel_below[0] && kernel_version_cmp(host->kernel, r->kernel_below) >= 0)
		return RULE_NO_MATCH;
	if (!r->has_pci && !r->has_class && !r->framebuffer[0] && !r->requested)
		return RULE_HOST_MATCH;
	devs = r->requested ? requested : present;
	n = r->requested ? n_requested : n_present;
	for (size_t i = 0; i < n; i++)
		if (device_matches(r, &devs[i]))
			return i;
	return RULE_NO_MATCH;
}
