/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/commalist.h"
#include "base/macro.h"
#include "decide/kparams.h"
#include "facts/cmdline.h"

bool kparam_is_comma_list(const char *name)
{
	/* intel_iommu=on,igfx_off,sm_on ...; amd_iommu=force_isolation,pgtbl_v2 ... */
	return kparam_name_eq(name, "intel_iommu") || kparam_name_eq(name, "amd_iommu");
}

static bool is_ids(const char *name)
{
	return kparam_name_eq(name, "vfio_pci.ids");
}

bool kparam_takes_list(const char *name)
{
	return is_ids(name) || kparam_is_comma_list(name);
}

const char *kparam_opposite(const char *name, const char *item)
{
	if (!kparam_name_eq(name, "intel_iommu") || !item)
		return NULL;
	if (strcmp(item, "on") == 0)
		return "off";
	if (strcmp(item, "off") == 0)
		return "on";
	return NULL;
}

const char *kop_kind_to_string(enum kop_kind k)
{
	static const char *const names[_KOP_KIND_MAX] = {
		[KOP_ENSURE] = "ensure",   [KOP_REMOVE] = "remove", [KOP_SET] = "set",
		[KOP_CORRECT] = "correct", [KOP_DROP] = "drop",
	};

	return k >= 0 && k < _KOP_KIND_MAX ? names[k] : NULL;
}

/* The name part of a word, length returned (up to '=') */
static size_t name_len(const char *w)
{
	return strcspn(w, "=");
}

static bool word_is(const char *w, const char *name)
{
	size_t n;
	char buf[256];

	/* "name=a b": the kernel drops the quotes */
	if (w[0] == '"')
		w++;
	n = name_len(w);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, w, n);
	buf[n] = '\0';
	return kparam_name_eq(buf, name);
}

static const char *word_value(const char *w)
{
	const char *eq = strchr(w, '=');

	return eq ? eq + 1 : NULL;
}

/* ---- comma lists ---- */

/* Is list[0..k) the opposite of an item of add (name's on/off)? */
static bool opposed(const char *name, const char *item, size_t k, const char *add)
{
	char buf[16];
	const char *o;

	if (!name || k >= sizeof(buf))
		return false;
	memcpy(buf, item, k);
	buf[k] = '\0';
	o = kparam_opposite(name, buf);
	return o && clist_has(add, o, strlen(o));
}

/* list ∪ add, keeping list's order; an item's opposite drops out when it comes
 * in ("off" when "on" does, name NULL: no opposites), and "on" takes its place */
static char *list_merge(const char *list, const char *add, const char *name)
{
	size_t cap = strlen(list ? list : "") + strlen(add) + 2;
	char *out = calloc(1, cap);

	if (!out)
		return NULL;
	if (name && kparam_opposite(name, "on") && clist_has(add, "on", 2) &&
	    !clist_has(list, "on", 2))
		strcat(out, "on");
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");

		if (k && !opposed(name, p, k, add) && !clist_has(out, p, k))
			clist_push(out, p, k);
		p += k + (p[k] == ',');
	}
	for (const char *p = add; *p;) {
		size_t k = strcspn(p, ",");

		if (k && !clist_has(out, p, k)) {
			clist_push(out, p, k);
		}
		p += k + (p[k] == ',');
	}
	return out;
}

static int set_replace(struct kword *w, const char *name, size_t nlen, const char *value)
{
	char *r;

	if (asprintf(&r, "%.*s%s%s", (int)nlen, name, value ? "=" : "", value ? value : "") < 0)
		return -ENOMEM;
	if (w->text && strcmp(r, w->text) == 0) {
		free(r);
		return 0;
	}
	free(w->replacement);
	w->replacement = r;
	w->action = KW_REPLACE;
	return 1;
}

static int need_editable(struct kword *w, const struct kop *op, struct kedit *e)
{
	if (w->editable)
		return 0;
	snprintf(e->error, sizeof(e->error),
		 "\"%s\" must change for %s%s%s, but it is written with quotes, escapes or "
		 "expansions that cannot be edited with certainty",
		 w->text ? w->text : "?", op->name, op->value ? "=" : "",
		 op->value ? op->value : "");
	return -EINVAL;
}

static int ensure(struct kword *words, size_t n, const struct kop *op, struct kedit *e)
{
	const bool ids = is_ids(op->name), comma = kparam_is_comma_list(op->name);
	struct kword *first = NULL;
	_cleanup_free_ char *merged = NULL;
	int r;

	/* gather the value: the first occurrence absorbs the others */
	for (size_t i = 0; i < n; i++) {
		struct kword *w = &words[i];
		const char *v;
		char *m;

		if (!w->text || w->action == KW_DELETE || !word_is(w->text, op->name))
			continue;
		v = w->action == KW_REPLACE ? word_value(w->replacement) : word_value(w->text);
		if (!first) {
			first = w;
			merged = strdup(v ? v : "");
			if (!merged)
				return -ENOMEM;
			continue;
		}
		r = need_editable(w, op, e);
		if (r < 0)
			return r;
		if (ids || comma) {
			m = list_merge(merged, v ? v : "", NULL);
			if (!m)
				return -ENOMEM;
			free(merged);
			merged = m;
		}
		w->action = KW_DELETE;
		e->changed = true;
	}

	if (!first) {
		char *a;

		if (op->kind == KOP_CORRECT)
			return 0;
		if (asprintf(&a, "%s%s%s", op->name, op->value ? "=" : "",
			     op->value ? op->value : "") < 0)
			return -ENOMEM;
		e->append = realloc(e->append, (e->n_append + 1) * sizeof(*e->append));
		if (!e->append) {
			free(a);
			return -ENOMEM;
		}
		e->append[e->n_append++] = a;
		e->changed = true;
		return 0;
	}

	{
		const char *text = first->action == KW_REPLACE ? first->replacement : first->text;
		_cleanup_free_ char *value = NULL;

		if (op->kind == KOP_SET || op->kind == KOP_CORRECT)
			value = op->value ? strdup(op->value) : NULL;
		else if (ids || comma)
			value = list_merge(merged, op->value ? op->value : "",
					   comma ? op->name : NULL);
		else
			value = op->value ? strdup(op->value) : NULL;
		if (!value &&
		    (op->kind == KOP_SET || op->kind == KOP_CORRECT ? op->value != NULL
								    : (ids || comma || op->value)))
			return -ENOMEM;
		/* unchanged already? then no edit, whatever the bytes look like */
		if (word_value(text) && value && strcmp(word_value(text), value) == 0 &&
		    first->action != KW_DELETE)
			return 0;
		if (!word_value(text) && !value)
			return 0;
		r = need_editable(first, op, e);
		if (r < 0)
			return r;
		r = set_replace(first, text, name_len(text), value);
		if (r < 0)
			return r;
		if (r > 0)
			e->changed = true;
	}
	return 0;
}

static int remove_op(struct kword *words, size_t n, const struct kop *op, struct kedit *e)
{
	const bool lists = is_ids(op->name) || kparam_is_comma_list(op->name);
	int r;

	for (size_t i = 0; i < n; i++) {
		struct kword *w = &words[i];
		const char *text = w->action == KW_REPLACE ? w->replacement : w->text;
		const char *v;

		if (!text || w->action == KW_DELETE || !word_is(text, op->name))
			continue;
		v = word_value(text);
		if (op->kind == KOP_DROP) {
			r = need_editable(w, op, e);
			if (r < 0)
				return r;
			w->action = KW_DELETE;
			e->changed = true;
			continue;
		}
		if (lists && v && op->value) {
			_cleanup_free_ char *rest = clist_minus(v, op->value);

			if (!rest)
				return -ENOMEM;
			if (strcmp(rest, v) == 0)
				continue;
			r = need_editable(w, op, e);
			if (r < 0)
				return r;
			e->changed = true;
			if (!*rest)
				w->action = KW_DELETE;
			else {
				_cleanup_free_ char *t = strdup(text);

				if (!t)
					return -ENOMEM;
				r = set_replace(w, t, name_len(t), rest);
				if (r < 0)
					return r;
			}
			continue;
		}
		/* only the exact value that was added */
		if ((op->value && (!v || strcmp(v, op->value) != 0)) || (!op->value && v))
			continue;
		r = need_editable(w, op, e);
		if (r < 0)
			return r;
		w->action = KW_DELETE;
		e->changed = true;
	}
	return 0;
}

/* iommu=pt and iommu.passthrough=0 say opposite things: ensuring one drops the other */
static int drop_conflicts(struct kword *words, size_t n, const struct kop *op, struct kedit *e)
{
	static const struct {
		const char *name, *value, *other, *other_value;
	} pairs[] = {
		{ "iommu", "pt", "iommu.passthrough", "0" },
		{ "iommu.passthrough", "1", "iommu", "nopt" },
		{ "iommu.passthrough", "0", "iommu", "pt" },
		{ "iommu", "nopt", "iommu.passthrough", "1" },
	};
	int r;

	for (size_t k = 0; k < ARRAY_SIZE(pairs); k++) {
		if (!kparam_name_eq(op->name, pairs[k].name) || !op->value ||
		    strcmp(op->value, pairs[k].value) != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			struct kword *w = &words[i];
			const char *v;

			if (!w->text || w->action != KW_KEEP || !word_is(w->text, pairs[k].other))
				continue;
			v = word_value(w->text);
			if (!v || strcmp(v, pairs[k].other_value) != 0)
				continue;
			r = need_editable(w, op, e);
			if (r < 0)
				return r;
			w->action = KW_DELETE;
			e->changed = true;
		}
	}
	return 0;
}

int kparams_decide(struct kword *words, size_t n, const struct kop *ops, size_t m,
		   struct kedit *ret)
{
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < n; i++) {
		words[i].action = KW_KEEP;
		words[i].replacement = NULL;
	}
	for (size_t k = 0; k < m && r >= 0; k++) {
		if (ops[k].kind == KOP_ENSURE || ops[k].kind == KOP_SET ||
		    ops[k].kind == KOP_CORRECT) {
			r = drop_conflicts(words, n, &ops[k], ret);
			if (r >= 0)
				r = ensure(words, n, &ops[k], ret);
		} else
			r = remove_op(words, n, &ops[k], ret);
	}
	return r;
}

void kedit_done(struct kword *words, size_t n, struct kedit *e)
{
	for (size_t i = 0; words && i < n; i++) {
		free(words[i].replacement);
		words[i].replacement = NULL;
	}
	for (size_t i = 0; i < e->n_append; i++)
		free(e->append[i]);
	free(e->append);
	e->append = NULL;
	e->n_append = 0;
}

/* ---- the rule ---- */

static size_t count_items(const struct kcmdline *c, const char *name, const char *item)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if (kparam_name_eq(c->params[i].name, name) && c->params[i].value &&
		    clist_has(c->params[i].value, item, strlen(item)))
			for (const char *p = c->params[i].value; *p;) {
				size_t k = strcspn(p, ",");

				n += k == strlen(item) && strncmp(p, item, k) == 0;
				p += k + (p[k] == ',');
			}
	return n;
}

_printf_(3, 4) static bool fails(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return false;
}

bool kline_satisfies(const struct kcmdline *c, const struct kop *op, bool lenient, char *why,
		     size_t n)
{
	const char *shown = op->value ? "=" : "", *val = op->value ? op->value : "";
	size_t occ = 0;
	const struct kparam *one = NULL;

	for (size_t i = 0; i < c->n; i++)
		if (kparam_name_eq(c->params[i].name, op->name)) {
			occ++;
			one = &c->params[i];
		}

	switch (op->kind) {
	case KOP_ENSURE:
		if (kparam_is_comma_list(op->name) && op->value) {
			for (const char *p = op->value; *p;) {
				size_t k = strcspn(p, ",");
				_cleanup_free_ char *item = strndup(p, k);
				const char *o;
				size_t have;

				if (!item)
					return fails(why, n, "(out of memory)");
				if (k) {
					have = count_items(c, op->name, item);
					if (have == 0 && !lenient)
						return fails(why, n, "lacks %s=%s", op->name, item);
					if (have > 1)
						return fails(why, n, "has %s=%s %zu times",
							     op->name, item, have);
					o = kparam_opposite(op->name, item);
					if (o && count_items(c, op->name, o))
						return fails(why, n,
							     "has %s=%s, which contradicts %s=%s",
							     op->name, o, op->name, item);
				}
				p += k + (p[k] == ',');
			}
			return true;
		}
		/* any other parameter is one word with this value */
		__attribute__((fallthrough));
	case KOP_SET:
	case KOP_CORRECT:
		if (occ == 0)
			return lenient || op->kind == KOP_CORRECT
				       ? true
				       : fails(why, n, "lacks %s%s%s", op->name, shown, val);
		if (occ > 1)
			return fails(why, n, "has %s %zu times", op->name, occ);
		if (!op->value != !one->value)
			return fails(why, n, "has %s%s%s where %s%s%s is wanted", one->name,
				     one->value ? "=" : "", one->value ? one->value : "", op->name,
				     shown, val);
		/* ENSURE takes the IDs in, SET wants those alone */
		if (op->value && (is_ids(op->name) ? !clist_subset(op->value, one->value) ||
							     (op->kind != KOP_ENSURE &&
							      !clist_subset(one->value, op->value))
						   : strcmp(one->value, op->value) != 0))
			return fails(why, n, "has %s=%s where %s=%s is wanted", one->name,
				     one->value, op->name, op->value);
		return true;
	case KOP_REMOVE:
		for (size_t i = 0; i < c->n; i++) {
			const struct kparam *p = &c->params[i];

			if (!kparam_name_eq(p->name, op->name))
				continue;
			if (op->value && p->value && kparam_takes_list(op->name)) {
				for (const char *q = op->value; *q;) {
					size_t k = strcspn(q, ",");

					if (k && clist_has(p->value, q, k))
						return fails(why, n, "still has %.*s in %s=%s",
							     (int)k, q, p->name, p->value);
					q += k + (q[k] == ',');
				}
				continue;
			}
			if ((!op->value && !p->value) ||
			    (op->value && p->value && strcmp(op->value, p->value) == 0))
				return fails(why, n, "still has %s%s%s", p->name, shown, val);
		}
		return true;
	case KOP_DROP:
		return occ == 0 ? true
				: fails(why, n, "still has %s%s%s", one->name,
					one->value ? "=" : "", one->value ? one->value : "");
	case _KOP_KIND_MAX:
		break;
	}
	return false;
}

int kparams_edit_line(const char *line, const struct kop *ops, size_t m, char **ret, char *error,
		      size_t error_size)
{
	size_t len = strlen(line), n = 0, cap = 0, out_cap;
	struct {
		size_t start, end;
	} *spans = NULL;
	struct kword *words = NULL;
	struct kedit e;
	char *out = NULL, *o;
	size_t last = 0;
	int r = -ENOMEM;

	/* words as the kernel splits them: quotes group */
	for (size_t i = 0, start; kcmdline_next_word(line, len, &i, &start, NULL);) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *ns = realloc(spans, nc * sizeof(*spans));
			void *nw = ns ? realloc(words, nc * sizeof(*words)) : NULL;

			if (ns)
				spans = ns;
			if (!nw)
				goto finish;
			words = nw;
			cap = nc;
		}
		spans[n].start = start;
		spans[n].end = i;
		words[n] = (struct kword){ .text = strndup(line + start, i - start) };
		if (!words[n].text)
			goto finish;
		/* a word with kernel-level quotes is left alone */
		words[n].editable = !memchr(line + start, '"', i - start);
		n++;
	}

	r = kparams_decide(words, n, ops, m, &e);
	if (r < 0) {
		if (r == -EINVAL)
			snprintf(error, error_size, "%s", e.error);
		kedit_done(words, n, &e);
		goto finish;
	}
	out_cap = len + 2;
	for (size_t i = 0; i < n; i++)
		if (words[i].replacement)
			out_cap += strlen(words[i].replacement);
	for (size_t i = 0; i < e.n_append; i++)
		out_cap += strlen(e.append[i]) + 1;
	out = malloc(out_cap);
	if (!out) {
		kedit_done(words, n, &e);
		r = -ENOMEM;
		goto finish;
	}
	o = out;
	for (size_t i = 0; i < n; i++) {
		size_t from = last, to = spans[i].start;

		if (words[i].action == KW_DELETE) {
			/* drop the word and the blanks before it (or after it, at the start) */
			if (o == out && last == 0) {
				size_t after = spans[i].end;

				while (after < len && kcmdline_is_space(line[after]))
					after++;
				memcpy(o, line + from, to - from);
				o += to - from;
				last = after;
				/* keep leading blanks of the line as they were */
				continue;
			}
			last = spans[i].end;
			continue;
		}
		memcpy(o, line + from, to - from);
		o += to - from;
		if (words[i].action == KW_REPLACE) {
			size_t k = strlen(words[i].replacement);

			memcpy(o, words[i].replacement, k);
			o += k;
		} else {
			memcpy(o, line + spans[i].start, spans[i].end - spans[i].start);
			o += spans[i].end - spans[i].start;
		}
		last = spans[i].end;
	}
	/* additions go after the last word, before trailing blanks */
	{
		size_t tail = last;
		bool any = false;

		for (size_t i = 0; i < n; i++)
			if (words[i].action != KW_DELETE)
				any = true;
		for (size_t i = 0; i < e.n_append; i++) {
			size_t k = strlen(e.append[i]);

			if (any || i > 0)
				*o++ = ' ';
			memcpy(o, e.append[i], k);
			o += k;
		}
		memcpy(o, line + tail, len - tail);
		o += len - tail;
	}
	*o = '\0';
	kedit_done(words, n, &e);
	*ret = out;
	r = 0;
finish:
	for (size_t i = 0; i < n; i++)
		free((char *)words[i].text);
	free(words);
	free(spans);
	return r;
}
