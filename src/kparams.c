/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "kparams.h"
#include "macro.h"

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

static bool list_contains(const char *list, const char *item, size_t n)
{
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");

		if (k == n && strncmp(p, item, n) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

/* appends the item p[0..k) to the comma list out (which has room) */
static void list_push(char *out, const char *p, size_t k)
{
	if (*out)
		strcat(out, ",");
	strncat(out, p, k);
}

/* list ∪ add, keeping list's order; "off" drops out when "on" comes in */
static char *list_merge(const char *list, const char *add, bool on_off)
{
	size_t cap = strlen(list ? list : "") + strlen(add) + 2;
	char *out = calloc(1, cap);

	if (!out)
		return NULL;
	if (on_off && list_contains(add, "on", 2) && !list_contains(list, "on", 2))
		strcat(out, "on");
	for (const char *p = list; p && *p;) {
		size_t k = strcspn(p, ",");

		if (k &&
		    !(on_off && k == 3 && strncmp(p, "off", 3) == 0 &&
		      list_contains(add, "on", 2)) &&
		    !list_contains(out, p, k)) {
			list_push(out, p, k);
		}
		p += k + (p[k] == ',');
	}
	for (const char *p = add; *p;) {
		size_t k = strcspn(p, ",");

		if (k && !list_contains(out, p, k)) {
			list_push(out, p, k);
		}
		p += k + (p[k] == ',');
	}
	return out;
}

/* list minus every item of drop */
static char *list_minus(const char *list, const char *drop)
{
	char *out = calloc(1, strlen(list) + 1);

	if (!out)
		return NULL;
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");

		if (k && !list_contains(drop, p, k)) {
			list_push(out, p, k);
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
			m = list_merge(merged, v ? v : "", false);
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

		if (ids || comma)
			value = list_merge(merged, op->value ? op->value : "", comma);
		else
			value = op->value ? strdup(op->value) : NULL;
		if ((ids || comma || op->value) && !value)
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
		if (lists && v && op->value) {
			_cleanup_free_ char *rest = list_minus(v, op->value);

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
		if (ops[k].kind == KOP_ENSURE) {
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

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
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
	for (size_t i = 0; i < len;) {
		bool q = false;
		size_t start;

		while (i < len && is_space(line[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && (q || !is_space(line[i]))) {
			if (line[i] == '"')
				q = !q;
			i++;
		}
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

				while (after < len && is_space(line[after]))
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
