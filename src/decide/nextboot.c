/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/commalist.h"
#include "base/macro.h"
#include "decide/bootcfg-edit.h"
#include "decide/grub-edit.h"
#include "decide/nextboot.h"
#include "facts/cmdline.h"
#include "facts/shellvars.h"

#define GRUB_LINUX "GRUB_CMDLINE_LINUX"
#define GRUB_DEFAULT "GRUB_CMDLINE_LINUX_DEFAULT"

void src_file_done(struct src_file *f)
{
	free(f->path);
	free(f->text);
	*f = (struct src_file){};
}

void boot_sources_done(struct boot_sources *s)
{
	src_file_done(&s->grub);
	for (size_t i = 0; i < s->n_dropins; i++)
		src_file_done(&s->dropins[i]);
	free(s->dropins);
	for (size_t i = 0; i < s->n_bls; i++)
		src_file_done(&s->bls[i]);
	free(s->bls);
	src_file_done(&s->grubenv);
	src_file_done(&s->kernel_cmdline);
	*s = (struct boot_sources){};
}

int src_file_copy(struct src_file *dst, const struct src_file *src)
{
	*dst = (struct src_file){ .len = src->len };
	if (src->path && !(dst->path = strdup(src->path)))
		return -ENOMEM;
	if (src->text) {
		dst->text = malloc(src->len + 1);
		if (!dst->text) {
			src_file_done(dst);
			return -ENOMEM;
		}
		memcpy(dst->text, src->text, src->len);
		dst->text[src->len] = '\0';
	}
	return 0;
}

/* ---- the model ---- */

static void seg_free(struct kseg *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->w[i].text);
	free(s->w);
}

void nextboot_done(struct nextboot *nb)
{
	for (size_t i = 0; i < nb->n_seg; i++)
		seg_free(&nb->seg[i]);
	free(nb->seg);
	for (size_t i = 0; i < nb->n_line; i++) {
		free(nb->line[i].t);
		free(nb->line[i].evaluated);
	}
	free(nb->line);
	*nb = (struct nextboot){};
}

static struct kseg *add_seg(struct nextboot *nb, enum file_kind kind, const struct src_file *src,
			    const char *var, unsigned line, size_t *index)
{
	struct kseg *n = realloc(nb->seg, (nb->n_seg + 1) * sizeof(*n));

	if (!n)
		return NULL;
	nb->seg = n;
	*index = nb->n_seg;
	n = &nb->seg[nb->n_seg++];
	*n = (struct kseg){ .kind = kind, .src = src, .line = line };
	snprintf(n->var, sizeof(n->var), "%s", var);
	return n;
}

static struct kline *add_line(struct nextboot *nb, enum kline_kind kind, const struct src_file *src)
{
	struct kline *n = realloc(nb->line, (nb->n_line + 1) * sizeof(*n));

	if (!n)
		return NULL;
	nb->line = n;
	n = &nb->line[nb->n_line++];
	*n = (struct kline){ .kind = kind, .src = src, .lenient = kind == KLINE_GRUB_RECOVERY };
	return n;
}

static int push_tok(struct kline *l, size_t seg, size_t word)
{
	struct kline_tok *n = realloc(l->t, (l->n_t + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	l->t = n;
	n[l->n_t++] = (struct kline_tok){ seg, word };
	return 0;
}

/* the kernel's words of a plain text (kernel quotes group); editable unless quoted */
static int split_words(const char *text, size_t len, bool editable, struct kseg *s)
{
	size_t pos = 0, start;

	while (kcmdline_next_word(text, len, &pos, &start, NULL)) {
		struct kword_at *n = realloc(s->w, (s->n + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->w = n;
		n[s->n] = (struct kword_at){ .text = strndup(text + start, pos - start) };
		if (!n[s->n].text)
			return -ENOMEM;
		n[s->n].editable = editable && !memchr(text + start, '"', pos - start);
		s->n++;
	}
	return 0;
}

static const struct src_file *find_src(const struct boot_sources *s, const char *path)
{
	if (s->grub.path && strcmp(s->grub.path, path) == 0)
		return &s->grub;
	for (size_t i = 0; i < s->n_dropins; i++)
		if (strcmp(s->dropins[i].path, path) == 0)
			return &s->dropins[i];
	return NULL;
}

/* the words of chain[0..k], each $VAR replaced by what it appends to */
static int chain_tokens(const struct nextboot *nb, const size_t *segs, size_t k, struct kline *l)
{
	const struct kseg *s = &nb->seg[segs[k]];
	int r = 0;

	/* an assignment we cannot read still appended to the ones before it */
	if (s->unreadable && k > 0)
		return chain_tokens(nb, segs, k - 1, l);
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		if (s->w[i].self_ref)
			r = k > 0 ? chain_tokens(nb, segs, k - 1, l) : 0;
		else
			r = push_tok(l, segs[k], i);
	}
	return r;
}

/* One GRUB variable's segments: the assignments its value is made of. */
static int grub_var(struct nextboot *nb, const struct boot_sources *s, const struct shenv *env,
		    const char *var, size_t **ret, size_t *ret_n)
{
	const struct shvar *v = shenv_get(env, var);
	size_t *segs = NULL, n = 0, idx;
	struct kseg *seg;
	int r = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!v || !v->n_chain) {
		/* nowhere assigned: GRUB_CMDLINE_LINUX is created in etc/default/grub */
		if (strcmp(var, GRUB_LINUX) != 0)
			return 0;
		seg = add_seg(nb, FILE_GRUB_DEFAULT, &s->grub, var, 0, &idx);
		if (!seg)
			return -ENOMEM;
		seg->missing = true;
		if (v && !v->known) {
			/* unset in a way we cannot follow */
			seg->unreadable = true;
			file_error_set(&seg->err, v->file ? v->file : s->grub.path, v->line,
				       "%s cannot be read with certainty: %s", var,
				       v->why ? v->why : "unknown");
		}
		segs = malloc(sizeof(*segs));
		if (!segs)
			return -ENOMEM;
		segs[0] = idx;
		*ret = segs;
		*ret_n = 1;
		return 0;
	}
	segs = calloc(v->n_chain, sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	for (size_t i = 0; i < v->n_chain && r >= 0; i++) {
		const struct src_file *src = find_src(s, v->chain[i].file);
		bool again = false;

		for (size_t k = i + 1; k < v->n_chain; k++)
			if (strcmp(v->chain[k].file, v->chain[i].file) == 0)
				again = true;
		seg = add_seg(nb, FILE_GRUB_DEFAULT, src, var, v->chain[i].line, &segs[n]);
		if (!seg) {
			r = -ENOMEM;
			break;
		}
		n++;
		if (!src) {
			seg->unreadable = true;
			file_error_set(&seg->err, v->chain[i].file, v->chain[i].line,
				       "%s: the file is not among the sources", var);
			continue;
		}
		if (again) {
			/* only the last assignment in a file can be edited */
			seg->unreadable = true;
			file_error_set(&seg->err, src->path, v->chain[i].line,
				       "%s is assigned again later in this file; only the last "
				       "assignment can be edited",
				       var);
			continue;
		}
		{
			struct gword *gw = NULL;
			size_t gn = 0;

			r = grub_var_words(src->text, src->len, src->path, var, &gw, &gn,
					   &seg->err);
			if (r == -EINVAL) {
				seg->unreadable = true;
				r = 0;
				continue;
			}
			if (r < 0)
				break;
			seg->w = calloc(gn ? gn : 1, sizeof(*seg->w));
			if (!seg->w) {
				gwords_free(gw, gn);
				r = -ENOMEM;
				break;
			}
			for (size_t k = 0; k < gn; k++)
				seg->w[k] = (struct kword_at){ .text = TAKE_PTR(gw[k].text),
							       .editable = gw[k].editable,
							       .self_ref = gw[k].self_ref };
			seg->n = gn;
			gwords_free(gw, gn);
		}
	}
	if (r < 0) {
		free(segs);
		return r;
	}
	*ret = segs;
	*ret_n = n;
	return 0;
}

/* the readable words of a line's tokens from one variable's segments */
static char *var_words(const struct nextboot *nb, const struct kline *l, const char *var)
{
	size_t cap = 1;
	char *out;

	for (size_t t = 0; t < l->n_t; t++) {
		const struct kword_at *w = &nb->seg[l->t[t].seg].w[l->t[t].word];

		cap += (w->text ? strlen(w->text) : 0) + 1;
	}
	out = calloc(1, cap);
	for (size_t t = 0; out && t < l->n_t; t++) {
		const struct kseg *s = &nb->seg[l->t[t].seg];
		const struct kword_at *w = &s->w[l->t[t].word];

		if (!w->text || strcmp(s->var, var) != 0)
			continue;
		if (*out)
			strcat(out, " ");
		strcat(out, w->text);
	}
	return out;
}

static int build_grub(struct nextboot *nb, const struct boot_sources *s)
{
	_cleanup_(shenv_done) struct shenv env = {};
	_cleanup_free_ size_t *lsegs = NULL, *dsegs = NULL;
	size_t nl = 0, nd = 0;
	const struct shvar *lv, *dv;
	struct kline *normal, *recovery;
	int r;

	r = shenv_source(&env, s->grub.text, s->grub.len, s->grub.path);
	for (size_t i = 0; i < s->n_dropins && r >= 0; i++)
		if (s->dropins[i].text)
			r = shenv_source(&env, s->dropins[i].text, s->dropins[i].len,
					 s->dropins[i].path);
	if (r < 0)
		return r;
	r = grub_var(nb, s, &env, GRUB_LINUX, &lsegs, &nl);
	if (r >= 0)
		r = grub_var(nb, s, &env, GRUB_DEFAULT, &dsegs, &nd);
	if (r < 0)
		return r;

	normal = add_line(nb, KLINE_GRUB, &s->grub);
	if (!normal)
		return -ENOMEM;
	normal->append = lsegs[nl - 1];
	r = chain_tokens(nb, lsegs, nl - 1, normal);
	if (r >= 0 && nd)
		r = chain_tokens(nb, dsegs, nd - 1, normal);
	if (r < 0)
		return r;
	/* what the shell makes of each variable; where that depends on code we do
	 * not run, the words we can read stand in for it */
	lv = shenv_get(&env, GRUB_LINUX);
	dv = shenv_get(&env, GRUB_DEFAULT);
	{
		_cleanup_free_ char *lt = NULL, *dt = NULL;

		lt = shenv_known(&env, GRUB_LINUX) ? strdup(lv && lv->value ? lv->value : "")
						   : var_words(nb, normal, GRUB_LINUX);
		dt = shenv_known(&env, GRUB_DEFAULT) ? strdup(dv && dv->value ? dv->value : "")
						     : var_words(nb, normal, GRUB_DEFAULT);
		if (!lt || !dt || asprintf(&normal->evaluated, "%s %s", lt, dt) < 0)
			return -ENOMEM;
		recovery = add_line(nb, KLINE_GRUB_RECOVERY, &s->grub);
		if (!recovery)
			return -ENOMEM;
		recovery->append = lsegs[nl - 1];
		r = chain_tokens(nb, lsegs, nl - 1, recovery);
		if (r < 0)
			return r;
		recovery->evaluated = TAKE_PTR(lt);
	}
	return 0;
}

/* $name or ${name} alone: the name, else NULL */
static bool grubenv_ref(const char *w, char *name, size_t n)
{
	size_t k;
	bool braced;

	if (!w || w[0] != '$')
		return false;
	braced = w[1] == '{';
	w += 1 + braced;
	k = strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (!k || k >= n || (braced ? strcmp(w + k, "}") != 0 : w[k] != '\0'))
		return false;
	memcpy(name, w, k);
	name[k] = '\0';
	return true;
}

/* grubenv's variable name as a segment (shared by the entries) */
static int grubenv_seg(struct nextboot *nb, const struct boot_sources *s, const char *name,
		       size_t *ret)
{
	_cleanup_free_ char *value = NULL;
	struct kseg *seg;
	int r;

	for (size_t i = 0; i < nb->n_seg; i++)
		if (nb->seg[i].kind == FILE_GRUBENV && strcmp(nb->seg[i].var, name) == 0) {
			*ret = i;
			return 0;
		}
	seg = add_seg(nb, FILE_GRUBENV, &s->grubenv, name, 0, ret);
	if (!seg)
		return -ENOMEM;
	if (s->grubenv.text)
		value = grubenv_get_value(s->grubenv.text, s->grubenv.len, name);
	seg->missing = !value;
	if (!value)
		return 0;
	/* only kernelopts is iommu-setup's to edit */
	r = split_words(value, strlen(value), strcmp(name, "kernelopts") == 0, seg);
	return r;
}

static int build_bls(struct nextboot *nb, const struct boot_sources *s, size_t i)
{
	const struct src_file *f = &s->bls[i];
	struct bls_keys k;
	struct kline *l;
	struct kseg *seg;
	size_t idx;
	char name[64];
	int r = 0;

	bls_read(f->text, f->len, &k);
	seg = add_seg(nb, FILE_BLS_ENTRY, f, "options", k.first_line, &idx);
	if (!seg)
		return -ENOMEM;
	seg->missing = k.n_opt == 0;
	/* the editor rewrites the first options line; words of later ones stay */
	for (size_t o = 0; o < k.n_opt && r >= 0; o++)
		r = split_words(k.opt[o], k.opt_len[o], o == 0, &nb->seg[idx]);
	if (r < 0)
		return r;
	l = add_line(nb, KLINE_BLS, f);
	if (!l)
		return -ENOMEM;
	snprintf(l->version, sizeof(l->version), "%s", k.version);
	snprintf(l->linux_path, sizeof(l->linux_path), "%s", k.linux_path);
	l->append = idx;
	for (size_t w = 0; w < nb->seg[idx].n && r >= 0; w++) {
		size_t g;

		if (!grubenv_ref(nb->seg[idx].w[w].text, name, sizeof(name))) {
			r = push_tok(&nb->line[nb->n_line - 1], idx, w);
			continue;
		}
		r = grubenv_seg(nb, s, name, &g);
		if (r < 0)
			break;
		l = &nb->line[nb->n_line - 1];
		if (strcmp(name, "kernelopts") == 0)
			l->append = g;
		for (size_t gw = 0; gw < nb->seg[g].n && r >= 0; gw++)
			r = push_tok(l, g, gw);
	}
	if (r < 0)
		return r;
	/* GRUB's blscfg expands the variables; an unset one is empty */
	{
		struct kline *line = &nb->line[nb->n_line - 1];
		size_t cap = 1;
		char *e;

		for (size_t t = 0; t < line->n_t; t++) {
			const struct kword_at *w = &nb->seg[line->t[t].seg].w[line->t[t].word];

			cap += (w->text ? strlen(w->text) : 0) + 1;
		}
		e = calloc(1, cap);
		if (!e)
			return -ENOMEM;
		for (size_t t = 0; t < line->n_t; t++) {
			const struct kword_at *w = &nb->seg[line->t[t].seg].w[line->t[t].word];

			if (*e)
				strcat(e, " ");
			strcat(e, w->text ? w->text : "");
		}
		line->evaluated = e;
	}
	return 0;
}

static int build_kernel_cmdline(struct nextboot *nb, const struct boot_sources *s)
{
	const struct src_file *f = &s->kernel_cmdline;
	size_t first = strcspn(f->text, "\n"), idx;
	struct kseg *seg;
	struct kline *l;
	int r;

	seg = add_seg(nb, FILE_KERNEL_CMDLINE, f, "", 1, &idx);
	if (!seg)
		return -ENOMEM;
	/* kernel-install reads every line; the editor rewrites the first */
	r = split_words(f->text, first, true, seg);
	if (r >= 0 && first < f->len)
		r = split_words(f->text + first, f->len - first, false, &nb->seg[idx]);
	if (r < 0)
		return r;
	l = add_line(nb, KLINE_KERNEL_CMDLINE, f);
	if (!l)
		return -ENOMEM;
	l->append = idx;
	for (size_t w = 0; w < nb->seg[idx].n; w++)
		if (push_tok(l, idx, w) < 0)
			return -ENOMEM;
	l->evaluated = strndup(f->text, f->len);
	if (!l->evaluated)
		return -ENOMEM;
	for (char *p = l->evaluated; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return 0;
}

int nextboot_build(const struct boot_sources *s, struct nextboot *ret)
{
	struct nextboot nb = {};
	int r = 0;

	if (s->grub_entries && s->grub.text)
		r = build_grub(&nb, s);
	for (size_t i = 0; i < s->n_bls && r >= 0; i++)
		if (s->bls[i].text)
			r = build_bls(&nb, s, i);
	if (r >= 0 && s->kernel_cmdline.text)
		r = build_kernel_cmdline(&nb, s);
	if (r < 0) {
		nextboot_done(&nb);
		return r;
	}
	*ret = nb;
	return 0;
}

int kline_cmdline(const struct nextboot *nb, const struct kline *l, struct kcmdline *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t cap = 1;

	if (l->evaluated)
		return kcmdline_parse(l->evaluated, ret);
	for (size_t t = 0; t < l->n_t; t++) {
		const struct kword_at *w = &nb->seg[l->t[t].seg].w[l->t[t].word];

		cap += (w->text ? strlen(w->text) : 0) + 1;
	}
	text = calloc(1, cap);
	if (!text)
		return -ENOMEM;
	for (size_t t = 0; t < l->n_t; t++) {
		const struct kword_at *w = &nb->seg[l->t[t].seg].w[l->t[t].word];

		if (!w->text)
			continue;
		if (*text)
			strcat(text, " ");
		strcat(text, w->text);
	}
	return kcmdline_parse(text, ret);
}

void kline_describe(const struct kline *l, char *buf, size_t n)
{
	switch (l->kind) {
	case KLINE_GRUB:
		snprintf(buf, n, "GRUB's entries (%s + %s)", GRUB_LINUX, GRUB_DEFAULT);
		break;
	case KLINE_GRUB_RECOVERY:
		snprintf(buf, n, "GRUB's recovery entries (%s)", GRUB_LINUX);
		break;
	case KLINE_BLS:
		snprintf(buf, n, "%s", l->src->path);
		break;
	case KLINE_KERNEL_CMDLINE:
		snprintf(buf, n, "%s (kernels installed later)", l->src->path);
		break;
	case _KLINE_KIND_MAX:
		buf[0] = '\0';
		break;
	}
}

bool kline_is_for(const struct kline *l, const char *kver)
{
	return l->kind != KLINE_BLS || bls_is_for(l->version, l->linux_path, kver);
}

/* ---- the planner ---- */

bool kop_names(const struct kop *ops, size_t m, const char *name)
{
	for (size_t i = 0; i < m; i++)
		if (kparam_name_eq(ops[i].name, name))
			return true;
	return false;
}

struct segops {
	struct kop *ops;
	size_t n;
	char **values; /* the ops' values, owned here */
};

static void segops_done(struct segops *so)
{
	for (size_t i = 0; i < so->n; i++)
		free(so->values[i]);
	free(so->values);
	free(so->ops);
}

static int segop(struct segops *so, enum kop_kind kind, const char *name, const char *value)
{
	struct kop *n;
	char **nv, *v = NULL;

	for (size_t i = 0; i < so->n; i++)
		if (so->ops[i].kind == kind && kparam_name_eq(so->ops[i].name, name) &&
		    strcmp(so->ops[i].value ? so->ops[i].value : "", value ? value : "") == 0)
			return 0;
	if (value && !(v = strdup(value)))
		return -ENOMEM;
	n = realloc(so->ops, (so->n + 1) * sizeof(*n));
	if (n)
		so->ops = n;
	nv = n ? realloc(so->values, (so->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(v);
		return -ENOMEM;
	}
	so->values = nv;
	nv[so->n] = v;
	n[so->n] = (struct kop){ kind, name, v };
	so->n++;
	return 0;
}

static void where(const struct kseg *s, char *buf, size_t n)
{
	const char *path = s->src && s->src->path ? s->src->path : "?";

	if (s->kind == FILE_GRUB_DEFAULT && s->line)
		snprintf(buf, n, "%s (%s:%u)", s->var, path, s->line);
	else if (s->kind == FILE_GRUB_DEFAULT)
		snprintf(buf, n, "%s (%s)", s->var, path);
	else if (s->kind == FILE_GRUBENV)
		snprintf(buf, n, "$%s (%s)", s->var, path);
	else
		snprintf(buf, n, "%s", path);
}

static int add_finding(struct nb_plan *p, enum nb_finding_kind kind, size_t op,
		       const struct kline *l, const struct kseg *s)
{
	struct nb_finding *n;

	for (size_t i = 0; i < p->n_findings; i++)
		if (p->findings[i].kind == kind && p->findings[i].op == op) {
			char w[600];

			where(s, w, sizeof(w));
			if (strcmp(p->findings[i].where, w) == 0)
				return 0;
		}
	n = realloc(p->findings, (p->n_findings + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->findings = n;
	n = &n[p->n_findings++];
	*n = (struct nb_finding){ .kind = kind, .op = op };
	kline_describe(l, n->line, sizeof(n->line));
	where(s, n->where, sizeof(n->where));
	return 0;
}

static size_t count_name(const struct kcmdline *c, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += kparam_name_eq(c->params[i].name, name);
	return n;
}

/* the parameter name of a literal word ("name=value", quotes as the kernel drops them) */
static bool word_named(const char *w, const char *name)
{
	struct kcmdline c;
	bool r;

	if (!w || kcmdline_parse(w, &c) < 0)
		return false;
	r = c.n == 1 && kparam_name_eq(c.params[0].name, name);
	kcmdline_done(&c);
	return r;
}

/* items of value and their opposites: what a second occurrence must lose */
static char *with_opposites(const char *name, const char *value)
{
	/* an opposite ("off") is no longer than 3, an item at least 1 */
	char *out = calloc(1, 4 * strlen(value ? value : "") + 8);

	for (const char *p = value ? value : ""; out && *p;) {
		size_t k = strcspn(p, ",");
		_cleanup_free_ char *item = strndup(p, k);
		const char *o;

		if (!item) {
			free(out);
			return NULL;
		}
		if (k) {
			clist_push(out, item, k);
			o = kparam_opposite(name, item);
			if (o)
				clist_push(out, o, strlen(o));
		}
		p += k + (p[k] == ',');
	}
	return out;
}

static int plan_line(const struct nextboot *nb, const struct kline *l, const struct kop *rule,
		     size_t m, struct segops *so, struct nb_plan *p, struct file_error *err)
{
	struct kcmdline eval = {};
	char desc[160];
	int r;

	r = kline_cmdline(nb, l, &eval);
	if (r < 0)
		return r;
	kline_describe(l, desc, sizeof(desc));
	for (size_t k = 0; k < m && r >= 0; k++) {
		const struct kop *op = &rule[k];
		size_t literal = 0, first = SIZE_MAX;

		for (size_t t = 0; t < l->n_t; t++) {
			const struct kword_at *w = &nb->seg[l->t[t].seg].w[l->t[t].word];

			if (word_named(w->text, op->name)) {
				literal++;
				if (first == SIZE_MAX)
					first = t;
			}
		}
		if (kline_satisfies(&eval, op, l->lenient, NULL, 0)) {
			if ((op->kind == KOP_ENSURE || op->kind == KOP_SET ||
			     op->kind == KOP_CORRECT) &&
			    first != SIZE_MAX && l->t[first].seg != l->append)
				r = add_finding(p, NB_ALREADY, k, l, &nb->seg[l->t[first].seg]);
			continue;
		}
		if (l->lenient)
			continue; /* made right by the edits of the line it shares segments with */
		if (count_name(&eval, op->name) != literal) {
			const struct kseg *s = &nb->seg[l->append];

			/* it lives where it cannot be edited: say where, if we know */
			for (size_t g = 0; g < nb->n_seg && r >= 0; g++)
				if (nb->seg[g].unreadable && nb->seg[g].kind == FILE_GRUB_DEFAULT &&
				    l->kind == KLINE_GRUB) {
					*err = nb->seg[g].err;
					r = -EINVAL;
				}
			if (r >= 0)
				r = file_error_set(
					err, s->src ? s->src->path : "?", s->line,
					"%s: %s comes (also) from an expansion that cannot "
					"be edited with certainty",
					desc, op->name);
			break;
		}
		if (first == SIZE_MAX) {
			const struct kseg *s = &nb->seg[l->append];

			if (op->kind == KOP_REMOVE || op->kind == KOP_DROP ||
			    op->kind == KOP_CORRECT)
				continue;
			if (s->unreadable) {
				*err = s->err;
				r = -EINVAL;
				break;
			}
			r = segop(&so[l->append], op->kind, op->name, op->value);
			if (r >= 0)
				r = add_finding(p, NB_ADDED, k, l, s);
			continue;
		}
		/* where it lives: the first occurrence is kept (corrected), the others go */
		for (size_t t = first; t < l->n_t && r >= 0; t++) {
			const size_t sg = l->t[t].seg, keeper = l->t[first].seg;
			const struct kword_at *w = &nb->seg[sg].w[l->t[t].word];
			struct kcmdline one;
			bool fine;

			if (!word_named(w->text, op->name))
				continue;
			if (nb->seg[sg].unreadable) {
				*err = nb->seg[sg].err;
				r = -EINVAL;
				break;
			}
			if (kcmdline_parse(w->text, &one) < 0) {
				r = -ENOMEM;
				break;
			}
			if (op->kind == KOP_REMOVE || op->kind == KOP_DROP) {
				fine = kline_satisfies(&one, op, false, NULL, 0);
				if (!fine) {
					r = segop(&so[sg], op->kind, op->name, op->value);
					if (r >= 0)
						r = add_finding(p, NB_REMOVED, k, l, &nb->seg[sg]);
				}
			} else if (sg == keeper) {
				/* its editor makes it right and takes in a second one there */
				fine = t == first && kline_satisfies(&one, op, false, NULL, 0);
				r = segop(&so[sg], op->kind, op->name, op->value);
				if (r >= 0 && !fine)
					r = add_finding(p, t == first ? NB_CORRECTED : NB_DUPLICATE,
							k, l, &nb->seg[sg]);
			} else if (kparam_is_comma_list(op->name) && op->kind == KOP_ENSURE) {
				_cleanup_free_ char *items = with_opposites(op->name, op->value);
				struct kop rm = { KOP_REMOVE, op->name, items };

				if (!items)
					r = -ENOMEM;
				else if (!kline_satisfies(&one, &rm, false, NULL, 0)) {
					r = segop(&so[sg], KOP_REMOVE, op->name, items);
					if (r >= 0)
						r = add_finding(p, NB_DUPLICATE, k, l,
								&nb->seg[sg]);
				}
			} else {
				r = segop(&so[sg], KOP_DROP, op->name, NULL);
				if (r >= 0)
					r = add_finding(p, NB_DUPLICATE, k, l, &nb->seg[sg]);
			}
			kcmdline_done(&one);
		}
	}
	kcmdline_done(&eval);
	return r;
}

/* the sources with edited texts, sharing nothing with s */
static int sources_copy(const struct boot_sources *s, struct boot_sources *c)
{
	int r;

	*c = (struct boot_sources){ .grub_entries = s->grub_entries };
	c->dropins = calloc(s->n_dropins ? s->n_dropins : 1, sizeof(*c->dropins));
	c->bls = calloc(s->n_bls ? s->n_bls : 1, sizeof(*c->bls));
	if (!c->dropins || !c->bls)
		return -ENOMEM;
	r = src_file_copy(&c->grub, &s->grub);
	for (size_t i = 0; i < s->n_dropins && r >= 0; i++, c->n_dropins++)
		r = src_file_copy(&c->dropins[i], &s->dropins[i]);
	for (size_t i = 0; i < s->n_bls && r >= 0; i++, c->n_bls++)
		r = src_file_copy(&c->bls[i], &s->bls[i]);
	if (r >= 0)
		r = src_file_copy(&c->grubenv, &s->grubenv);
	if (r >= 0)
		r = src_file_copy(&c->kernel_cmdline, &s->kernel_cmdline);
	return r;
}

/* the copy of src in c (same position) */
static struct src_file *twin(const struct boot_sources *s, struct boot_sources *c,
			     const struct src_file *src)
{
	if (src == &s->grub)
		return &c->grub;
	if (src == &s->grubenv)
		return &c->grubenv;
	if (src == &s->kernel_cmdline)
		return &c->kernel_cmdline;
	if (src >= s->dropins && src < s->dropins + s->n_dropins)
		return &c->dropins[src - s->dropins];
	if (src >= s->bls && src < s->bls + s->n_bls)
		return &c->bls[src - s->bls];
	return NULL;
}

static int apply_segops(const struct kseg *seg, const struct segops *so, struct src_file *f,
			struct file_error *err)
{
	char error[384] = "", *out = NULL;
	size_t olen = 0;
	int r;

	if (!so->n)
		return 0;
	switch (seg->kind) {
	case FILE_GRUB_DEFAULT:
		r = grub_edit(f->text ? f->text : "", f->text ? f->len : 0, f->path, seg->var,
			      so->ops, so->n, &out, &olen, err);
		if (r < 0)
			return r;
		break;
	case FILE_BLS_ENTRY:
		r = bls_entry_edit(f->text, so->ops, so->n, &out, error, sizeof(error));
		break;
	case FILE_GRUBENV:
		if (strcmp(seg->var, "kernelopts") != 0) {
			r = -EINVAL;
			snprintf(error, sizeof(error),
				 "$%s must change but is not iommu-setup's to edit", seg->var);
			break;
		}
		r = f->text ? grubenv_edit(f->text, f->len, so->ops, so->n, &out, &olen, error,
					   sizeof(error))
			    : -EINVAL;
		if (!f->text)
			snprintf(error, sizeof(error), "there is no grubenv");
		break;
	case FILE_KERNEL_CMDLINE:
		r = kernel_cmdline_edit(f->text, so->ops, so->n, &out, error, sizeof(error));
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (r == -EINVAL && seg->kind != FILE_GRUB_DEFAULT)
		return file_error_set(err, f->path ? f->path : "?", seg->line, "%s", error);
	if (r < 0)
		return r;
	if (seg->kind != FILE_GRUB_DEFAULT && seg->kind != FILE_GRUBENV)
		olen = strlen(out);
	free(f->text);
	f->text = out;
	f->len = olen;
	return 0;
}

int kline_other_words(const struct nextboot *nb, const struct kline *l, const struct kop *rule,
		      size_t m, char **ret)
{
	struct kcmdline c;
	size_t cap = 1;
	char *out;
	int r = kline_cmdline(nb, l, &c);

	if (r < 0)
		return r;
	for (size_t i = 0; i < c.n; i++)
		cap += strlen(c.params[i].name) +
		       (c.params[i].value ? strlen(c.params[i].value) : 0) + 2;
	out = calloc(1, cap);
	if (!out) {
		kcmdline_done(&c);
		return -ENOMEM;
	}
	/* in order: the words keep their places */
	for (size_t i = 0; i < c.n; i++) {
		if (kop_names(rule, m, c.params[i].name))
			continue;
		strcat(out, c.params[i].name);
		if (c.params[i].value) {
			strcat(out, "=");
			strcat(out, c.params[i].value);
		}
		strcat(out, " ");
	}
	kcmdline_done(&c);
	*ret = out;
	return 0;
}

void nb_plan_done(struct nb_plan *p)
{
	for (size_t i = 0; i < p->n_edits; i++)
		free(p->edits[i].text);
	free(p->edits);
	free(p->findings);
	*p = (struct nb_plan){};
}

static int add_edit(struct nb_plan *p, const struct src_file *orig, enum file_kind kind,
		    const char *what, const struct src_file *edited, bool created)
{
	struct nb_edit *n = realloc(p->edits, (p->n_edits + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->edits = n;
	n = &n[p->n_edits];
	*n = (struct nb_edit){ .src = orig, .kind = kind, .len = edited->len, .created = created };
	snprintf(n->what, sizeof(n->what), "%s", what);
	n->text = malloc(edited->len + 1);
	if (!n->text)
		return -ENOMEM;
	memcpy(n->text, edited->text, edited->len);
	n->text[edited->len] = '\0';
	p->n_edits++;
	return 0;
}

/* what a file's edits touched: its variables, or its kind's key */
static void edited_what(const struct nextboot *nb, const struct segops *so,
			const struct src_file *src, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < nb->n_seg; i++) {
		const struct kseg *s = &nb->seg[i];
		const char *w = s->kind == FILE_GRUB_DEFAULT ? s->var
				: s->kind == FILE_BLS_ENTRY  ? "BLS options"
				: s->kind == FILE_GRUBENV    ? "kernelopts"
							     : "kernel-install command line";

		if (s->src != src || !so[i].n || strstr(buf, w))
			continue;
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? " + " : "", w);
	}
}

/* etc/kernel/cmdline from the target kernel's entry, when the entries have
 * their own options and the file is missing (kernel-install would otherwise
 * give kernels installed later the running command line) */
static int seed_kernel_cmdline(const struct boot_sources *s, const struct boot_sources *edited,
			       const char *kver, struct nb_plan *p)
{
	_cleanup_free_ char *opts = NULL;
	struct src_file f = {};
	int r;

	if (s->kernel_cmdline.text || !kver)
		return 0;
	for (size_t i = 0; i < edited->n_bls && !opts; i++) {
		struct bls_keys k;
		struct kline l = { .kind = KLINE_BLS };

		if (!edited->bls[i].text)
			continue;
		bls_read(edited->bls[i].text, edited->bls[i].len, &k);
		snprintf(l.version, sizeof(l.version), "%s", k.version);
		snprintf(l.linux_path, sizeof(l.linux_path), "%s", k.linux_path);
		if (!k.n_opt || !kline_is_for(&l, kver))
			continue;
		if (memmem(k.opt[0], k.opt_len[0], "$kernelopts", 11) ||
		    memmem(k.opt[0], k.opt_len[0], "${kernelopts}", 13))
			return 0; /* kernels installed later get $kernelopts too */
		opts = strndup(k.opt[0], k.opt_len[0]);
		if (!opts)
			return -ENOMEM;
	}
	if (!opts)
		return 0;
	if (asprintf(&f.text, "%s\n", opts) < 0)
		return -ENOMEM;
	f.len = strlen(f.text);
	r = add_edit(p, &s->kernel_cmdline, FILE_KERNEL_CMDLINE, "kernel-install command line", &f,
		     true);
	free(f.text);
	if (r >= 0) {
		struct nb_finding *n = realloc(p->findings, (p->n_findings + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->findings = n;
		n[p->n_findings++] = (struct nb_finding){ .kind = NB_CREATED_FILE, .op = SIZE_MAX };
		snprintf(n[p->n_findings - 1].line, sizeof(n[0].line), "%s", "etc/kernel/cmdline");
	}
	return r;
}

/* The bytes of a line, each word followed by a blank as the kernel sees them. */
static size_t line_bytes(const struct nextboot *nb, const struct kline *l)
{
	struct kcmdline c;
	size_t n = 0;

	if (l->evaluated)
		return strlen(l->evaluated);
	if (kline_cmdline(nb, l, &c) < 0)
		return 0;
	for (size_t i = 0; i < c.n; i++)
		n += strlen(c.params[i].name) +
		     (c.params[i].value ? 1 + strlen(c.params[i].value) : 0) + 1;
	kcmdline_done(&c);
	return n;
}

/*
 * What the boot loader puts on the command line besides the line itself:
 * GRUB's linux command adds "BOOT_IMAGE=<path> "; grub-mkconfig's 10_linux
 * writes "root=<device> ro" before GRUB_CMDLINE_LINUX (a UUID=, 41 bytes) and
 * "single" in recovery entries. BLS entries and etc/kernel/cmdline carry
 * their own root=.
 */
static size_t loader_adds(const struct kline *l, const char *kver)
{
	const size_t image = strlen("BOOT_IMAGE=/boot/vmlinuz- ") + (kver ? strlen(kver) : 32);
	const size_t root = strlen("root=UUID=00000000-0000-0000-0000-000000000000 ro ");

	switch (l->kind) {
	case KLINE_GRUB:
		return image + root;
	case KLINE_GRUB_RECOVERY:
		return image + root + strlen(" single");
	case KLINE_BLS:
		return strlen("BOOT_IMAGE= ") + strlen(l->linux_path);
	default:
		return image;
	}
}

int nextboot_plan(const struct boot_sources *s, const struct kop *rule, size_t m, const char *kver,
		  struct nb_plan *ret, struct file_error *err)
{
	struct nextboot nb = {}, after = {};
	struct boot_sources edited = {};
	struct segops *so = NULL;
	struct nb_plan p = {};
	int r;

	*ret = (struct nb_plan){};
	r = nextboot_build(s, &nb);
	if (r < 0)
		return r;
	so = calloc(nb.n_seg ? nb.n_seg : 1, sizeof(*so));
	if (!so) {
		r = -ENOMEM;
		goto finish;
	}
	for (size_t i = 0; i < nb.n_line && r >= 0; i++)
		r = plan_line(&nb, &nb.line[i], rule, m, so, &p, err);
	if (r < 0)
		goto finish;

	/* the edits, file by file, each segment through its file's editor */
	r = sources_copy(s, &edited);
	for (size_t i = 0; i < nb.n_seg && r >= 0; i++) {
		struct src_file *f = twin(s, &edited, nb.seg[i].src);

		if (!so[i].n)
			continue;
		if (!f) {
			r = -EINVAL;
			file_error_set(err, "?", 0, "internal error: a segment without a file");
			break;
		}
		r = apply_segops(&nb.seg[i], &so[i], f, err);
	}
	if (r < 0)
		goto finish;

	/* read everything again: every line as the rule wants it, nothing else lost */
	r = nextboot_build(&edited, &after);
	if (r < 0)
		goto finish;
	if (after.n_line != nb.n_line) {
		r = file_error_set(err, s->grub.path ? s->grub.path : "?", 0,
				   "the edit would change which boot entries exist");
		goto finish;
	}
	for (size_t i = 0; i < after.n_line && r >= 0; i++) {
		const struct kline *l = &after.line[i];
		_cleanup_free_ char *o1 = NULL, *o2 = NULL;
		struct kcmdline c;
		char why[300], desc[160];
		const struct kseg *at = &nb.seg[nb.line[i].append];

		kline_describe(l, desc, sizeof(desc));
		r = kline_cmdline(&after, l, &c);
		if (r < 0)
			break;
		for (size_t k = 0; k < m && r >= 0; k++)
			if (!kline_satisfies(&c, &rule[k], l->lenient, why, sizeof(why)))
				r = file_error_set(err,
						   at->src && at->src->path ? at->src->path : "?",
						   at->line,
						   "%s cannot be edited with certainty: it would "
						   "still be wrong (%s)",
						   desc, why);
		kcmdline_done(&c);
		if (r < 0)
			break;
		/* the kernel keeps COMMAND_LINE_SIZE bytes and drops the rest: the end,
		 * where the parameters go */
		if (line_bytes(&after, l) > line_bytes(&nb, &nb.line[i]) &&
		    line_bytes(&after, l) + loader_adds(l, kver) >= COMMAND_LINE_SIZE) {
			r = file_error_set(
				err, at->src && at->src->path ? at->src->path : "?", at->line,
				"%s would be %zu bytes, about %zu with what the boot loader adds "
				"(BOOT_IMAGE=, root=): the kernel keeps %d (COMMAND_LINE_SIZE) and "
				"would drop the end, where the parameters go; shorten the line",
				desc, line_bytes(&after, l),
				line_bytes(&after, l) + loader_adds(l, kver),
				COMMAND_LINE_SIZE - 1);
			break;
		}
		r = kline_other_words(&nb, &nb.line[i], rule, m, &o1);
		if (r >= 0)
			r = kline_other_words(&after, l, rule, m, &o2);
		if (r >= 0 && strcmp(o1, o2) != 0)
			r = file_error_set(err, at->src && at->src->path ? at->src->path : "?",
					   at->line,
					   "%s cannot be edited with certainty: other words would "
					   "change (\"%s\" would become \"%s\")",
					   desc, o1, o2);
	}
	if (r < 0)
		goto finish;

	/* the files that change, in the order the sources come */
	for (size_t i = 0; i < 2 + s->n_dropins + s->n_bls + 1 && r >= 0; i++) {
		const struct src_file *o = i == 0	       ? &s->grub
					   : i <= s->n_dropins ? &s->dropins[i - 1]
					   : i <= s->n_dropins + s->n_bls
						   ? &s->bls[i - 1 - s->n_dropins]
					   : i == 1 + s->n_dropins + s->n_bls ? &s->grubenv
									      : &s->kernel_cmdline;
		struct src_file *e = twin(s, &edited, o);
		enum file_kind kind = o == &s->grubenv		? FILE_GRUBENV
				      : o == &s->kernel_cmdline ? FILE_KERNEL_CMDLINE
				      : i > s->n_dropins	? FILE_BLS_ENTRY
								: FILE_GRUB_DEFAULT;
		char what[96];

		if (!e || !e->text ||
		    (o->text && e->len == o->len && memcmp(e->text, o->text, e->len) == 0))
			continue;
		edited_what(&nb, so, o, what, sizeof(what));
		r = add_edit(&p, o, kind, what, e, !o->text);
	}
	if (r >= 0)
		r = seed_kernel_cmdline(s, &edited, kver, &p);
finish:
	for (size_t i = 0; so && i < nb.n_seg; i++)
		segops_done(&so[i]);
	free(so);
	nextboot_done(&nb);
	nextboot_done(&after);
	boot_sources_done(&edited);
	if (r < 0) {
		nb_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}
