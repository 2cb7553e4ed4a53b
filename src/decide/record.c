/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/commalist.h"
#include "base/lines.h"
#include "base/macro.h"
#include "base/path-util.h"
#include "decide/kparams.h"
#include "decide/record.h"
#include "facts/cmdline.h"

#define RECORD_MAGIC "iommu-setup-record 2"
/* written by earlier versions: no boot and del lines */
#define RECORD_MAGIC_1 "iommu-setup-record 1"

/* clang-format off */
static const char *const kind_names[] = {
	[FILE_GRUB_DEFAULT]   = "grub-default",
	[FILE_BLS_ENTRY]      = "bls-entry",
	[FILE_GRUBENV]        = "grubenv",
	[FILE_KERNEL_CMDLINE] = "kernel-cmdline",
	[FILE_OWNED]          = "owned",
	[FILE_LINES]          = "lines",
	[FILE_ADOPTED]        = "adopted",
	[FILE_TRIAL]          = "trial",
	[FILE_TRIAL_IMAGE]    = "trial-image",
};
/* clang-format on */

const char *file_kind_to_string(enum file_kind k)
{
	return (size_t)k < ARRAY_SIZE(kind_names) ? kind_names[k] : NULL;
}

int file_kind_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (strcmp(s, kind_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* ---- escaping: one word per field ---- */

static bool needs_escape(char c)
{
	return c == ' ' || c == '%' || c == '\n' || c == '\t' || c == '\\' || c == '\r' ||
	       c == '\0';
}

static int put_word(FILE *f, const char *w)
{
	if (!*w)
		return fputs("%00", f) < 0 ? -EIO : 0; /* an empty word stays a word */
	for (; *w; w++)
		if (needs_escape(*w) ? fprintf(f, "%%%02X", (unsigned char)*w) < 0
				     : fputc(*w, f) == EOF)
			return -EIO;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* decodes one %-escaped word in place; false when malformed */
static bool unescape(char *w)
{
	char *o = w;

	for (char *p = w; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
			return false;
		*o = (char)(hexval(p[1]) << 4 | hexval(p[2]));
		if (*o)
			o++;
		p += 2;
	}
	*o = '\0';
	return true;
}

/* ---- the record in memory ---- */

static void file_done(struct record_file *f)
{
	free(f->path);
	free(f->what);
	free(f->orig);
	free(f->ours);
	for (size_t i = 0; i < f->n_adds; i++) {
		free(f->adds[i].name);
		free(f->adds[i].value);
	}
	free(f->adds);
	for (size_t i = 0; i < f->n_dels; i++) {
		free(f->dels[i].name);
		free(f->dels[i].value);
	}
	free(f->dels);
	for (size_t i = 0; i < f->n_lines; i++)
		free(f->lines[i]);
	free(f->lines);
}

void record_done(struct record *rec)
{
	for (size_t i = 0; i < rec->n_files; i++)
		file_done(&rec->files[i]);
	free(rec->files);
	for (size_t i = 0; i < rec->n_dirs; i++)
		free(rec->dirs[i]);
	free(rec->dirs);
	for (size_t i = 0; i < rec->n_request; i++)
		free(rec->request[i]);
	free(rec->request);
	memset(rec, 0, sizeof(*rec));
}

struct record_file *record_find(struct record *rec, const char *path)
{
	for (size_t i = 0; i < rec->n_files; i++)
		if (strcmp(rec->files[i].path, path) == 0)
			return &rec->files[i];
	return NULL;
}

struct record_file *record_add_file(struct record *rec, const char *path, enum file_kind kind,
				    const char *what)
{
	struct record_file *n = realloc(rec->files, (rec->n_files + 1) * sizeof(*n)), *f;

	if (!n)
		return NULL;
	rec->files = n;
	f = &n[rec->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->what = strdup(what);
	f->kind = kind;
	if (!f->path || !f->what) {
		file_done(f);
		return NULL;
	}
	rec->n_files++;
	return f;
}

static int set_blob(char **dst, size_t *dst_len, const char *text, size_t len)
{
	char *c = malloc(len + 1);

	if (!c)
		return -ENOMEM;
	memcpy(c, text, len);
	c[len] = '\0';
	free(*dst);
	*dst = c;
	*dst_len = len;
	return 0;
}

int record_file_set_ours(struct record_file *f, const char *text, size_t len)
{
	return set_blob(&f->ours, &f->ours_len, text, len);
}

static int add_word(struct record_add **list, size_t *count, const char *name, const char *value)
{
	struct record_add *n;

	for (size_t i = 0; i < *count; i++) {
		struct record_add *a = &(*list)[i];

		if (!kparam_name_eq(a->name, name))
			continue;
		if (!a->value && !value)
			return 0;
		if (!a->value || !value)
			continue;
		if (strcmp(a->value, value) == 0)
			return 0;
		if (kparam_takes_list(name)) {
			/* merge the items */
			for (const char *p = value; *p;) {
				size_t k = strcspn(p, ",");

				if (k && !clist_has(a->value, p, k)) {
					size_t old = strlen(a->value);
					char *nv = realloc(a->value, old + k + 2);

					if (!nv)
						return -ENOMEM;
					nv[old] = ',';
					memcpy(nv + old + 1, p, k);
					nv[old + 1 + k] = '\0';
					a->value = nv;
				}
				p += k;
				if (*p)
					p++;
			}
			return 0;
		}
	}
	n = realloc(*list, (*count + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	*list = n;
	n[*count].name = strdup(name);
	n[*count].value = value ? strdup(value) : NULL;
	if (!n[*count].name || (value && !n[*count].value)) {
		free(n[*count].name);
		free(n[*count].value);
		return -ENOMEM;
	}
	(*count)++;
	return 0;
}

int record_file_add_param(struct record_file *f, const char *name, const char *value)
{
	return add_word(&f->adds, &f->n_adds, name, value);
}

int record_file_del_param(struct record_file *f, const char *name, const char *value)
{
	return add_word(&f->dels, &f->n_dels, name, value);
}

/* appends a copy of s to the string array *v of *n */
static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int record_add_dir(struct record *rec, const char *path)
{
	for (size_t i = 0; i < rec->n_dirs; i++)
		if (strcmp(rec->dirs[i], path) == 0)
			return 0;
	return strv_push(&rec->dirs, &rec->n_dirs, path);
}

int record_add_request(struct record *rec, const char *word)
{
	if (rec->n_request == RECORD_REQUEST_MAX)
		return -E2BIG;
	return strv_push(&rec->request, &rec->n_request, word);
}

void record_remove_file(struct record *rec, const char *path)
{
	struct record_file *f = record_find(rec, path);
	size_t i;

	if (!f)
		return;
	i = (size_t)(f - rec->files);
	file_done(f);
	memmove(f, f + 1, (rec->n_files - i - 1) * sizeof(*f));
	rec->n_files--;
}

bool file_kind_is_trial(enum file_kind k)
{
	return k == FILE_TRIAL || k == FILE_TRIAL_IMAGE;
}

void record_drop_trial(struct record *rec)
{
	for (size_t i = rec->n_files; i-- > 0;)
		if (file_kind_is_trial(rec->files[i].kind))
			record_remove_file(rec, rec->files[i].path);
	for (size_t i = 0; i < rec->n_request; i++)
		free(rec->request[i]);
	free(rec->request);
	rec->request = NULL;
	rec->n_request = 0;
}

bool record_has_trial(const struct record *rec)
{
	for (size_t i = 0; i < rec->n_files; i++)
		if (rec->files[i].kind == FILE_TRIAL)
			return true;
	return false;
}

int record_file_add_line(struct record_file *f, const char *line)
{
	for (size_t i = 0; i < f->n_lines; i++)
		if (strcmp(f->lines[i], line) == 0)
			return 0;
	return strv_push(&f->lines, &f->n_lines, line);
}

/* ---- text ---- */

int record_format(const struct record *rec, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = 0;

	if (!f)
		return -ENOMEM;
	fprintf(f, "%s\ntxn ", RECORD_MAGIC);
	r |= put_word(f, rec->txn[0] ? rec->txn : "-");
	fputc('\n', f);
	if (rec->boot_id[0]) {
		fputs("boot ", f);
		r |= put_word(f, rec->boot_id);
		fputc('\n', f);
	}
	for (size_t i = 0; i < rec->n_dirs; i++) {
		fputs("dir ", f);
		r |= put_word(f, rec->dirs[i]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < rec->n_request; i++) {
		fputs("request ", f);
		r |= put_word(f, rec->request[i]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < rec->n_files; i++) {
		const struct record_file *x = &rec->files[i];

		fputs("file ", f);
		r |= put_word(f, x->path);
		fprintf(f, " %s %s ", file_kind_to_string(x->kind),
			x->created ? "created" : "changed");
		r |= put_word(f, x->what);
		fputc('\n', f);
		if (x->orig) {
			fprintf(f, "orig %zu\n", x->orig_len);
			fwrite(x->orig, 1, x->orig_len, f);
			fputc('\n', f);
		}
		if (x->ours) {
			fprintf(f, "ours %zu\n", x->ours_len);
			fwrite(x->ours, 1, x->ours_len, f);
			fputc('\n', f);
		}
		for (size_t k = 0; k < x->n_adds; k++) {
			fputs("add ", f);
			r |= put_word(f, x->adds[k].name);
			fputc(' ', f);
			r |= put_word(f, x->adds[k].value ? x->adds[k].value : "-");
			fputc('\n', f);
		}
		for (size_t k = 0; k < x->n_dels; k++) {
			fputs("del ", f);
			r |= put_word(f, x->dels[k].name);
			fputc(' ', f);
			r |= put_word(f, x->dels[k].value ? x->dels[k].value : "-");
			fputc('\n', f);
		}
		for (size_t k = 0; k < x->n_lines; k++) {
			fputs("line ", f);
			r |= put_word(f, x->lines[k]);
			fputc('\n', f);
		}
	}
	fputs("end\n", f);
	if (fclose(f) != 0 || r) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* splits a line into at most max words (in place); the count */
static size_t split(char *line, char **w, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < max;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	return n;
}

int record_parse(const char *text, size_t len, struct record *rec, unsigned *lineno)
{
	struct record_file *cur = NULL;
	struct line l = {};
	size_t pos = 0;
	bool ended = false;
	int r = 0;

	memset(rec, 0, sizeof(*rec));
	*lineno = 0;
	while (!ended && line_next(text, len, &pos, &l)) {
		char *line = strndup(l.p, l.len), *w[6];
		size_t n;

		if (!line) {
			r = -ENOMEM;
			break;
		}
		(*lineno)++;
		if (*lineno == 1) {
			r = (strcmp(line, RECORD_MAGIC) == 0 ||
			     strcmp(line, RECORD_MAGIC_1) == 0) &&
					    l.nl
				    ? 0
				    : -EBADMSG;
			free(line);
			if (r < 0)
				break;
			continue;
		}
		if (memchr(l.p, '\0', l.len)) {
			free(line);
			r = -EBADMSG;
			break;
		}
		n = split(line, w, ARRAY_SIZE(w));
		for (size_t i = 0; i < n; i++)
			if (!unescape(w[i]))
				n = 0;
		if (n == 1 && strcmp(w[0], "end") == 0 && line[3] == '\0')
			ended = true;
		else if (n == 2 && strcmp(w[0], "dir") == 0 && path_valid_below_root(w[1]))
			r = record_add_dir(rec, w[1]);
		else if (n == 2 && strcmp(w[0], "request") == 0 && !cur) {
			r = record_add_request(rec, w[1]);
			if (r == -E2BIG)
				r = -EBADMSG; /* more words than a request has */
		} else if (n == 2 && strcmp(w[0], "txn") == 0)
			snprintf(rec->txn, sizeof(rec->txn), "%s", strcmp(w[1], "-") ? w[1] : "");
		else if (n == 2 && strcmp(w[0], "boot") == 0 && strlen(w[1]) < sizeof(rec->boot_id))
			snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", w[1]);
		else if (n == 5 && strcmp(w[0], "file") == 0 && file_kind_from_string(w[2]) >= 0 &&
			 (strcmp(w[3], "created") == 0 || strcmp(w[3], "changed") == 0) &&
			 path_valid_below_root(w[1]) && !record_find(rec, w[1])) {
			cur = record_add_file(rec, w[1],
					      (enum file_kind)file_kind_from_string(w[2]), w[4]);
			if (!cur)
				r = -ENOMEM;
			else
				cur->created = strcmp(w[3], "created") == 0;
		} else if (n == 2 && cur &&
			   (strcmp(w[0], "orig") == 0 || strcmp(w[0], "ours") == 0)) {
			char *end;
			unsigned long long blen = strtoull(w[1], &end, 10);
			bool orig = w[0][1] == 'r';

			if (*end || w[1][0] == '-' || blen > len - pos || len - pos - blen < 1 ||
			    text[pos + blen] != '\n' || (orig ? cur->orig : cur->ours))
				r = -EBADMSG;
			else {
				r = orig ? set_blob(&cur->orig, &cur->orig_len, text + pos, blen)
					 : set_blob(&cur->ours, &cur->ours_len, text + pos, blen);
				pos += blen + 1;
				*lineno += 1;
				for (size_t i = 0; i < blen; i++)
					*lineno += text[pos - blen - 1 + i] == '\n';
			}
		} else if (n == 3 && cur && strcmp(w[0], "add") == 0)
			r = record_file_add_param(cur, w[1], strcmp(w[2], "-") ? w[2] : NULL);
		else if (n == 3 && cur && strcmp(w[0], "del") == 0)
			r = record_file_del_param(cur, w[1], strcmp(w[2], "-") ? w[2] : NULL);
		else if (n == 2 && cur && strcmp(w[0], "line") == 0)
			r = record_file_add_line(cur, w[1]);
		else
			r = -EBADMSG;
		free(line);
		if (r < 0)
			break;
	}
	if (r >= 0 && !ended)
		r = -EBADMSG;
	if (r < 0)
		record_done(rec);
	return r;
}

/* ---- what apply adds ---- */

/* one direction: what from has that to lacks */
static int diff_one(const struct kcmdline *from, const struct kcmdline *to,
		    int (*cb)(void *userdata, const char *name, const char *value), void *userdata)
{
	bool *used = calloc(to->n ? to->n : 1, sizeof(bool));
	int r = 0;

	if (!used)
		return -ENOMEM;
	for (size_t i = 0; i < from->n && r >= 0; i++) {
		const struct kparam *p = &from->params[i];
		bool dup = false, found = false;

		if (kparam_takes_list(p->name) && p->value) {
			_cleanup_free_ char *fi = NULL, *ti = NULL, *d = NULL;

			/* items of a list parameter: once per name */
			for (size_t k = 0; k < i; k++)
				if (kparam_name_eq(from->params[k].name, p->name) &&
				    from->params[k].value)
					dup = true;
			if (dup)
				continue;
			fi = kcmdline_items(from, p->name);
			ti = kcmdline_items(to, p->name);
			d = fi && ti ? clist_minus(fi, ti) : NULL;
			if (!d)
				r = -ENOMEM;
			else if (*d)
				r = cb(userdata, p->name, d);
			continue;
		}
		/* a plain word: the same name and value, each matched once */
		for (size_t k = 0; k < to->n && !found; k++)
			if (!used[k] && kparam_name_eq(to->params[k].name, p->name) &&
			    !to->params[k].value == !p->value &&
			    (!p->value || strcmp(to->params[k].value, p->value) == 0))
				found = used[k] = true;
		if (!found)
			r = cb(userdata, p->name, p->value);
	}
	free(used);
	return r;
}

int cmdline_diff(const char *old_line, const char *new_line,
		 int (*added)(void *userdata, const char *name, const char *value),
		 int (*removed)(void *userdata, const char *name, const char *value),
		 void *userdata)
{
	struct kcmdline a, b;
	int r;

	r = kcmdline_parse(old_line, &a);
	if (r < 0)
		return r;
	r = kcmdline_parse(new_line, &b);
	if (r < 0) {
		kcmdline_done(&a);
		return r;
	}
	r = diff_one(&b, &a, added, userdata);
	if (r >= 0)
		r = diff_one(&a, &b, removed, userdata);
	kcmdline_done(&a);
	kcmdline_done(&b);
	return r;
}

static bool has_line(const char *text, const char *line, size_t n)
{
	struct line l = {};

	for (size_t pos = 0, len = strlen(text); line_next(text, len, &pos, &l);)
		if (l.len == n && strncmp(l.p, line, n) == 0)
			return true;
	return false;
}

int lines_added(const char *old_text, const char *new_text,
		int (*add)(void *userdata, const char *line), void *userdata)
{
	struct line l = {};

	for (size_t pos = 0, len = strlen(new_text); line_next(new_text, len, &pos, &l);) {
		if (!has_line(old_text, l.p, l.len)) {
			_cleanup_free_ char *copy = strndup(l.p, l.len);
			int r;

			if (!copy)
				return -ENOMEM;
			r = add(userdata, copy);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int lines_remove(const char *text, char *const *lines, size_t n, char **ret)
{
	size_t len = strlen(text);
	char *out = malloc(len + 1), *o = out;
	bool *used = calloc(n ? n : 1, sizeof(bool));

	if (!out || !used) {
		free(out);
		free(used);
		return -ENOMEM;
	}
	struct line l = {};

	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		bool drop = false;

		for (size_t i = 0; i < n && !drop; i++)
			if (!used[i] && strlen(lines[i]) == l.len &&
			    strncmp(lines[i], l.p, l.len) == 0)
				drop = used[i] = true;
		if (!drop) {
			memcpy(o, l.p, l.len + l.nl);
			o += l.len + l.nl;
		}
	}
	*o = '\0';
	free(used);
	*ret = out;
	return 0;
}
