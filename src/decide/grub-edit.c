/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/grub-edit.h"
#include "facts/cmdline.h"
#include "facts/shellvars.h"

/* One character of the value as the shell yields it, and where it came from. */
struct vchar {
	char c;
	size_t raw;	/* offset in the text */
	bool expansion; /* produced by $..., `...` */
	bool escaped;	/* written with a backslash */
	bool quoted;	/* inside single or double quotes */
};

struct vword {
	size_t start, end;  /* raw span */
	size_t first, last; /* indices into the vchar stream */
};

enum qstate {
	Q_NONE,
	Q_SINGLE,
	Q_DOUBLE,
};

struct scan {
	struct vchar *v;
	size_t n, cap;
	/* the quoting in force just before the value's end, for insertions there */
	enum qstate q_at_end;
	size_t last_quote; /* raw offset of the last closing quote, or SIZE_MAX */
	bool simple;	   /* no quotes, escapes or expansions at all */
};

static int push(struct scan *s, char c, size_t raw, bool expansion, bool escaped, bool quoted)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 128;
		struct vchar *nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = (struct vchar){ c, raw, expansion, escaped, quoted };
	return 0;
}

/* Skips an expansion starting at t[i] ('$' or '`'); returns the index after it. */
static size_t skip_expansion(const char *t, size_t i, size_t end)
{
	if (t[i] == '`') {
		for (i++; i < end && t[i] != '`'; i++)
			if (t[i] == '\\')
				i++;
		return i < end ? i + 1 : end;
	}
	i++; /* the '$' */
	if (i < end && (t[i] == '(' || t[i] == '{')) {
		char open = t[i], close = open == '(' ? ')' : '}';
		int depth = 0;

		for (; i < end; i++) {
			if (t[i] == '\\') {
				i++;
				continue;
			}
			if (t[i] == '\'' && open == '(') {
				for (i++; i < end && t[i] != '\''; i++)
					;
				continue;
			}
			if (t[i] == open)
				depth++;
			else if (t[i] == close && --depth == 0)
				return i + 1;
		}
		return end;
	}
	if (i < end && strchr("0123456789@*#?$!-", t[i]))
		return i + 1;
	while (i < end && (t[i] == '_' || (t[i] >= 'a' && t[i] <= 'z') ||
			   (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9')))
		i++;
	return i;
}

static bool starts_expansion(const char *t, size_t i, size_t end)
{
	if (t[i] == '`')
		return true;
	return t[i] == '$' && i + 1 < end &&
	       (t[i + 1] == '(' || t[i + 1] == '{' || t[i + 1] == '_' ||
		(t[i + 1] >= 'a' && t[i + 1] <= 'z') || (t[i + 1] >= 'A' && t[i + 1] <= 'Z') ||
		strchr("0123456789@*#?$!-", t[i + 1]));
}

static int scan_value(const char *t, size_t start, size_t end, struct scan *s)
{
	enum qstate q = Q_NONE;
	int r = 0;

	s->last_quote = SIZE_MAX;
	s->simple = true;
	for (size_t i = start; i < end && r >= 0;) {
		char c = t[i];

		if (q == Q_SINGLE) {
			if (c == '\'') {
				q = Q_NONE;
				s->last_quote = i;
				i++;
			} else
				r = push(s, c, i++, false, false, true);
			continue;
		}
		if (c == '\\' && i + 1 < end) {
			s->simple = false;
			if (t[i + 1] == '\n') {
				i += 2; /* line continuation: nothing */
				continue;
			}
			if (q == Q_DOUBLE && !strchr("$`\"\\", t[i + 1])) {
				r = push(s, '\\', i, false, true, q != Q_NONE);
				i++;
				continue;
			}
			r = push(s, t[i + 1], i, false, true, q != Q_NONE);
			i += 2;
			continue;
		}
		if (c == '"') {
			s->simple = false;
			if (q == Q_DOUBLE) {
				q = Q_NONE;
				s->last_quote = i;
			} else
				q = Q_DOUBLE;
			i++;
			continue;
		}
		if (c == '\'' && q == Q_NONE) {
			s->simple = false;
			q = Q_SINGLE;
			i++;
			continue;
		}
		if (starts_expansion(t, i, end)) {
			size_t next = skip_expansion(t, i, end);

			s->simple = false;
			/* an expansion is one opaque, non-blank character here */
			r = push(s, '\x01', i, true, false, q != Q_NONE);
			i = next;
			continue;
		}
		r = push(s, c, i++, false, false, q != Q_NONE);
	}
	s->q_at_end = q;
	return r;
}

/* The bytes of v's last assignment in text, scanned; -EINVAL with err when
 * it cannot be edited with certainty. */
static int scan_assignment(const struct shvar *v, const char *text, size_t len, const char *file,
			   const char *var, size_t *ret_ve, struct scan *sc, struct file_error *err)
{
	size_t vs = v->value_start, ve = v->value_end;
	int r;

	if (!v->editable)
		return file_error_set(err, v->file, v->line,
				      "%s cannot be edited with certainty: %s", var, v->edit_why);
	if (ve > len || vs > ve)
		return file_error_set(err, file, v->line, "%s: internal error locating the value",
				      var);
	/* CRLF: the \r ends the value as bash sees it; it stays where it is */
	while (ve > vs && text[ve - 1] == '\r')
		ve--;
	r = scan_value(text, vs, ve, sc);
	if (r < 0)
		return r;
	if (sc->q_at_end != Q_NONE)
		return file_error_set(err, file, v->line, "%s: unterminated quote", var);
	*ret_ve = ve;
	return 0;
}

/* Kernel words over the shell's characters of a value; '"' in them groups, as
 * in the kernel. An expansion is an opaque part: its word has no text. */
static int build_words(const char *text, size_t ve, const char *file, unsigned line,
		       const char *var, const struct scan *sc, struct vword **ret_vw,
		       struct kword **ret_kw, size_t *ret_nw, struct file_error *err)
{
	struct vword *vw = NULL;
	struct kword *kw = NULL;
	size_t nw = 0;
	int r = 0;

	for (size_t i = 0; i < sc->n;) {
		bool q = false;
		size_t first;

		while (i < sc->n && !sc->v[i].expansion && kcmdline_is_space(sc->v[i].c))
			i++;
		if (i >= sc->n)
			break;
		first = i;
		while (i < sc->n && (q || sc->v[i].expansion || !kcmdline_is_space(sc->v[i].c))) {
			if (!sc->v[i].expansion && sc->v[i].c == '"')
				q = !q;
			i++;
		}
		if (q) {
			/* the kernel would read everything after it as one quoted word */
			r = file_error_set(
				err, file, line,
				"%s: a double quote in the value opens a kernel-level quote that "
				"never closes",
				var);
			goto fail;
		}
		{
			struct vword *nv = realloc(vw, (nw + 1) * sizeof(*vw));
			struct kword *nk = nv ? realloc(kw, (nw + 1) * sizeof(*kw)) : NULL;
			bool opaque = false, escaped = false, contiguous = true;
			char *t;

			if (nv)
				vw = nv;
			if (!nk) {
				r = -ENOMEM;
				goto fail;
			}
			kw = nk;
			vw[nw] = (struct vword){ .start = sc->v[first].raw,
						 .first = first,
						 .last = i - 1 };
			vw[nw].end = sc->v[i - 1].expansion
					     ? skip_expansion(text, sc->v[i - 1].raw, ve)
					     : sc->v[i - 1].raw + (sc->v[i - 1].escaped ? 2 : 1);
			t = malloc(i - first + 1);
			if (!t) {
				r = -ENOMEM;
				goto fail;
			}
			for (size_t k = first; k < i; k++) {
				t[k - first] = sc->v[k].c;
				opaque |= sc->v[k].expansion;
				escaped |= sc->v[k].escaped;
				if (k > first && sc->v[k].raw != sc->v[k - 1].raw + 1)
					contiguous = false;
			}
			t[i - first] = '\0';
			kw[nw] = (struct kword){
				.text = opaque ? NULL : t,
				/* rewritten only when its bytes are exactly its text */
				.editable = !opaque && !escaped && contiguous &&
					    !memchr(t, '"', i - first),
			};
			if (opaque)
				free(t);
			nw++;
		}
	}
	*ret_vw = vw;
	*ret_kw = kw;
	*ret_nw = nw;
	return 0;
fail:
	for (size_t k = 0; k < nw; k++)
		free((char *)kw[k].text);
	free(kw);
	free(vw);
	return r;
}

static int edit(const char *text, size_t len, const char *file, const char *var,
		const struct kop *ops, size_t m, char **ret, size_t *ret_len,
		struct file_error *err)
{
	_cleanup_(shenv_done) struct shenv env = {};
	struct scan sc = {};
	struct vword *vw = NULL;
	struct kword *kw = NULL;
	size_t nw = 0, vs, ve;
	struct kedit e = {};
	const struct shvar *v;
	char *out = NULL;
	size_t olen = 0, ocap;
	int r;

	env.watch = var;
	r = shenv_source(&env, text, len, file);
	if (r < 0)
		return r;
	v = shenv_get(&env, var);
	if (env.watch_line)
		return file_error_set(err, file, env.watch_line,
				      "this line uses $%s: editing %s would change it too", var,
				      var);
	if (env.unterminated_line)
		return file_error_set(
			err, file, env.unterminated_line,
			"a quote, block or substitution opened here never closes: the file cannot be edited with certainty");

	if (!v) {
		const char *nl = memmem(text, len, "\r\n", 2) ? "\r\n" : "\n";
		bool need_nl = len > 0 && text[len - 1] != '\n';
		size_t k = 0;

		if (env.uncertain)
			return file_error_set(err, env.uncertain_file, env.uncertain_line,
					      "%s is not assigned, but this line may set it: %s",
					      var, env.uncertain_why);
		r = kparams_decide(NULL, 0, ops, m, &e);
		if (r < 0)
			return r;
		if (e.n_append == 0) {
			kedit_done(NULL, 0, &e);
			goto unchanged;
		}
		ocap = len + 256 + strlen(var);
		for (size_t i = 0; i < e.n_append; i++)
			ocap += strlen(e.append[i]) + 1;
		out = malloc(ocap);
		if (!out) {
			kedit_done(NULL, 0, &e);
			return -ENOMEM;
		}
		memcpy(out, text, len);
		k = len;
		k += (size_t)snprintf(
			out + k, ocap - k,
			"%s# Added by iommu-setup: kernel parameters for IOMMU and VFIO%s%s=\"",
			need_nl ? nl : "", nl, var);
		for (size_t i = 0; i < e.n_append; i++)
			k += (size_t)snprintf(out + k, ocap - k, "%s%s", i ? " " : "", e.append[i]);
		k += (size_t)snprintf(out + k, ocap - k, "\"%s", nl);
		kedit_done(NULL, 0, &e);
		*ret = out;
		*ret_len = k;
		return 0;
	}
	vs = v->value_start;
	r = scan_assignment(v, text, len, file, var, &ve, &sc, err);
	if (r < 0)
		goto finish;

	r = build_words(text, ve, file, v->line, var, &sc, &vw, &kw, &nw, err);
	if (r < 0)
		goto finish;

	r = kparams_decide(kw, nw, ops, m, &e);
	if (r == -EINVAL) {
		r = file_error_set(err, file, v->line, "%s: %s", var, e.error);
		goto finish;
	}
	if (r < 0)
		goto finish;
	if (!e.changed)
		goto unchanged_free;

	ocap = len + 64 + 2;
	for (size_t i = 0; i < nw; i++)
		if (kw[i].replacement)
			ocap += strlen(kw[i].replacement);
	for (size_t i = 0; i < e.n_append; i++)
		ocap += strlen(e.append[i]) + 1;
	out = malloc(ocap);
	if (!out) {
		r = -ENOMEM;
		goto finish;
	}

	if (sc.simple && e.n_append) {
		/* an unquoted value of plain words: quote it to add words, same value */
		memcpy(out, text, vs);
		olen = vs;
		out[olen++] = '"';
		for (size_t i = 0; i < nw; i++) {
			const char *w = kw[i].action == KW_REPLACE ? kw[i].replacement : kw[i].text;
			size_t k;

			if (kw[i].action == KW_DELETE)
				continue;
			k = strlen(w);
			if (olen > vs + 1)
				out[olen++] = ' ';
			memcpy(out + olen, w, k);
			olen += k;
		}
		for (size_t i = 0; i < e.n_append; i++) {
			size_t k = strlen(e.append[i]);

			if (olen > vs + 1)
				out[olen++] = ' ';
			memcpy(out + olen, e.append[i], k);
			olen += k;
		}
		out[olen++] = '"';
		memcpy(out + olen, text + ve, len - ve);
		olen += len - ve;
	} else {
		size_t pos = 0, insert_at;
		bool appended = e.n_append == 0;

		/* where additions go: after the last word, or before the closing quote */
		if (nw > 0)
			insert_at = vw[nw - 1].end;
		else if (sc.last_quote != SIZE_MAX)
			insert_at = sc.last_quote;
		else
			insert_at = ve;
		if (e.n_append && nw > 0 && kw[nw - 1].text == NULL && sc.last_quote != SIZE_MAX &&
		    sc.last_quote >= insert_at)
			insert_at = sc.last_quote; /* after $(...) inside the quotes */
		else if (e.n_append && nw == 0 && sc.last_quote == SIZE_MAX) {
			r = file_error_set(err, file, v->line,
					   "%s: no quoted text to add parameters to", var);
			goto finish;
		}

		/* after an unquoted last word, the additions need quotes of their own */
		bool wrap = nw > 0 && insert_at == vw[nw - 1].end && !sc.v[vw[nw - 1].last].quoted;

		/* a bare '$' followed by a new '"' would become bash's $"..." */
		if (wrap && e.n_append && insert_at > 0 && text[insert_at - 1] == '$') {
			r = file_error_set(
				err, file, v->line,
				"%s: the value ends in an unquoted '$'; add the parameters by hand",
				var);
			goto finish;
		}

		for (size_t i = 0; i <= nw; i++) {
			size_t upto = i < nw ? vw[i].start : len;

			/* additions, at their place */
			if (!appended && insert_at >= pos && insert_at <= upto) {
				bool blank_before =
					insert_at > 0 && kcmdline_is_space(text[insert_at - 1]);

				memcpy(out + olen, text + pos, insert_at - pos);
				olen += insert_at - pos;
				if (wrap)
					out[olen++] = '"';
				for (size_t k = 0; k < e.n_append; k++) {
					size_t l = strlen(e.append[k]);

					if (k > 0 || (nw > 0 && !blank_before) ||
					    (nw == 0 && insert_at > vs + 1 && !blank_before))
						out[olen++] = ' ';
					memcpy(out + olen, e.append[k], l);
					olen += l;
				}
				if (wrap)
					out[olen++] = '"';
				pos = insert_at;
				appended = true;
			}
			if (i == nw) {
				memcpy(out + olen, text + pos, len - pos);
				olen += len - pos;
				break;
			}
			if (kw[i].action == KW_DELETE) {
				size_t ws = vw[i].start;

				while (ws > pos && (text[ws - 1] == ' ' || text[ws - 1] == '\t'))
					ws--;
				memcpy(out + olen, text + pos, ws - pos);
				olen += ws - pos;
				pos = vw[i].end;
				if (ws == vw[i].start)
					while (pos < ve && (text[pos] == ' ' || text[pos] == '\t'))
						pos++;
				continue;
			}
			memcpy(out + olen, text + pos, vw[i].start - pos);
			olen += vw[i].start - pos;
			if (kw[i].action == KW_REPLACE) {
				size_t l = strlen(kw[i].replacement);

				memcpy(out + olen, kw[i].replacement, l);
				olen += l;
			} else {
				memcpy(out + olen, text + vw[i].start, vw[i].end - vw[i].start);
				olen += vw[i].end - vw[i].start;
			}
			pos = vw[i].end;
		}
	}
	out[olen] = '\0';
	*ret = out;
	*ret_len = olen;
	out = NULL;
	r = 0;
	goto finish;

unchanged_free:
	r = 0;
unchanged:
	out = malloc(len + 1);
	if (!out) {
		r = -ENOMEM;
		goto finish;
	}
	memcpy(out, text, len);
	out[len] = '\0';
	*ret = out;
	*ret_len = len;
	out = NULL;
finish:
	kedit_done(kw, nw, &e);
	for (size_t i = 0; i < nw; i++)
		free((char *)kw[i].text);
	free(kw);
	free(vw);
	free(sc.v);
	free(out);
	return r;
}

/* Every other variable the evaluator can read has the same value in both texts. */
static bool same_other_variables(const char *a, size_t alen, const char *b, size_t blen,
				 const char *var)
{
	_cleanup_(shenv_done) struct shenv ea = {};
	_cleanup_(shenv_done) struct shenv eb = {};

	if (shenv_source(&ea, a, alen, "a") < 0 || shenv_source(&eb, b, blen, "b") < 0)
		return false;
	for (size_t i = 0; i < ea.n; i++) {
		const struct shvar *va = &ea.vars[i], *vb;

		if (strcmp(va->name, var) == 0 || !va->known)
			continue;
		vb = shenv_get(&eb, va->name);
		if (!vb || !vb->known || (va->value == NULL) != (vb->value == NULL) ||
		    (va->value && strcmp(va->value, vb->value) != 0))
			return false;
	}
	return true;
}

int grub_edit(const char *text, size_t len, const char *file, const char *var,
	      const struct kop *ops, size_t m, char **ret, size_t *ret_len, struct file_error *err)
{
	_cleanup_free_ char *again = NULL;
	char *out = NULL;
	size_t olen, alen;
	struct file_error e2;
	int r;

	r = edit(text, len, file, var, ops, m, &out, &olen, err);
	if (r < 0 || (olen == len && memcmp(out, text, len) == 0)) {
		if (r >= 0) {
			*ret = out;
			*ret_len = olen;
		}
		return r;
	}
	/* Never hand out a text we cannot read back the same way: the edit must be
	 * a no-op on its own result, and no other variable may change. Quoting
	 * unusual enough to fool the scanner is refused rather than guessed at. */
	r = edit(out, olen, file, var, ops, m, &again, &alen, &e2);
	if (r == -ENOMEM) {
		free(out);
		return r;
	}
	if (r < 0 || alen != olen || memcmp(again, out, olen) != 0 ||
	    !same_other_variables(text, len, out, olen, var)) {
		const struct shvar *v;
		struct shenv env = {};
		unsigned line = 0;

		if (shenv_source(&env, text, len, file) >= 0 && (v = shenv_get(&env, var)))
			line = v->line;
		shenv_done(&env);
		free(out);
		return file_error_set(
			err, file, line,
			"%s: the quoting around it is too unusual to edit with certainty", var);
	}
	*ret = out;
	*ret_len = olen;
	return 0;
}

int grub_var_words(const char *text, size_t len, const char *file, const char *var,
		   struct gword **ret, size_t *ret_n, struct file_error *err)
{
	_cleanup_(shenv_done) struct shenv env = {};
	const struct shvar *v;
	struct scan sc = {};
	struct vword *vw = NULL;
	struct kword *kw = NULL;
	struct gword *out = NULL;
	size_t nw = 0, ve = 0, dl = strlen(var);
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = shenv_source(&env, text, len, file);
	if (r < 0)
		return r;
	v = shenv_get(&env, var);
	if (!v)
		return 0;
	r = scan_assignment(v, text, len, file, var, &ve, &sc, err);
	if (r >= 0)
		r = build_words(text, ve, file, v->line, var, &sc, &vw, &kw, &nw, err);
	if (r >= 0 && nw) {
		out = calloc(nw, sizeof(*out));
		if (!out)
			r = -ENOMEM;
	}
	for (size_t i = 0; r >= 0 && i < nw; i++) {
		size_t a = vw[i].start, b = vw[i].end;

		out[i].editable = kw[i].editable;
		out[i].text = (char *)TAKE_PTR(kw[i].text);
		/* $VAR or ${VAR} alone: the value it appends to */
		out[i].self_ref = !out[i].text && vw[i].first == vw[i].last &&
				  ((b - a == dl + 1 && text[a] == '$' &&
				    strncmp(text + a + 1, var, dl) == 0) ||
				   (b - a == dl + 3 && strncmp(text + a, "${", 2) == 0 &&
				    strncmp(text + a + 2, var, dl) == 0 && text[b - 1] == '}'));
	}
	for (size_t i = 0; i < nw; i++)
		free((char *)kw[i].text);
	free(kw);
	free(vw);
	free(sc.v);
	if (r < 0) {
		gwords_free(out, nw);
		return r;
	}
	*ret = out;
	*ret_n = nw;
	return 0;
}

void gwords_free(struct gword *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++)
		free(w[i].text);
	free(w);
}
