/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lines.h"
#include "base/macro.h"
#include "decide/bootcfg-edit.h"
#include "facts/efi-loadopt.h"

/* The span of the first line whose first word is key, value after blanks */
static bool find_key_line(const char *text, const char *key, size_t *vstart, size_t *vend)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t')) {
			p += klen;
			while (*p == ' ' || *p == '\t')
				p++;
			*vstart = (size_t)(p - text);
			*vend = eol ? (size_t)(eol - text) : strlen(text);
			if (*vend > *vstart && text[*vend - 1] == '\r')
				(*vend)--;
			return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

static char *splice(const char *text, size_t start, size_t end, const char *mid)
{
	size_t len = strlen(text), mlen = strlen(mid);
	char *out = malloc(len - (end - start) + mlen + 1);

	if (!out)
		return NULL;
	memcpy(out, text, start);
	memcpy(out + start, mid, mlen);
	memcpy(out + start + mlen, text + end, len - end + 1);
	return out;
}

static int edit_span(const char *text, size_t vs, size_t ve, const struct kop *ops, size_t m,
		     char **ret, char *error, size_t error_size)
{
	_cleanup_free_ char *value = strndup(text + vs, ve - vs), *edited = NULL;
	int r;

	if (!value)
		return -ENOMEM;
	r = kparams_edit_line(value, ops, m, &edited, error, error_size);
	if (r < 0)
		return r;
	*ret = splice(text, vs, ve, edited);
	return *ret ? 0 : -ENOMEM;
}

void bls_read(const char *text, size_t len, struct bls_keys *k)
{
	struct line ln = {};

	*k = (struct bls_keys){};
	for (size_t pos = 0; line_next(text, len, &pos, &ln);) {
		const char *line = ln.p, *v;
		size_t l = ln.len, kl = 0, vl;

		while (kl < l && line[kl] == ' ')
			kl++;
		line += kl;
		l -= kl;
		kl = 0;
		while (kl < l && line[kl] != ' ' && line[kl] != '\t')
			kl++;
		v = line + kl;
		while (v < line + l && (*v == ' ' || *v == '\t'))
			v++;
		vl = (size_t)(line + l - v);
		if (vl && v[vl - 1] == '\r')
			vl--;
		if (kl == 7 && strncmp(line, "version", 7) == 0)
			snprintf(k->version, sizeof(k->version), "%.*s", (int)vl, v);
		else if (kl == 5 && strncmp(line, "linux", 5) == 0)
			snprintf(k->linux_path, sizeof(k->linux_path), "%.*s", (int)vl, v);
		else if (kl == 7 && strncmp(line, "options", 7) == 0 &&
			 k->n_opt < ARRAY_SIZE(k->opt)) {
			if (!k->n_opt)
				k->first_line = ln.no;
			k->opt[k->n_opt] = v;
			k->opt_len[k->n_opt++] = vl;
		}
	}
}

bool bls_is_for(const char *version, const char *linux_path, const char *kver)
{
	size_t lp = strlen(linux_path), lk = strlen(kver);

	if (strcmp(version, kver) == 0)
		return true;
	/* linux /vmlinuz-6.1.0-13-amd64 */
	return lp > lk && strcmp(linux_path + lp - lk, kver) == 0 && linux_path[lp - lk - 1] == '-';
}

char *bls_options_expand(const struct bls_keys *k, const char *grubenv, size_t grubenv_len,
			 bool *unknown)
{
	_cleanup_free_ char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < k->n_opt; i++) {
		const char *p = k->opt[i], *end = p + k->opt_len[i];

		if (i)
			fputc(' ', f);
		while (p < end) {
			const char *name;
			size_t n = 0;
			bool braced;
			char key[128];
			_cleanup_free_ char *v = NULL;

			if (*p != '$') {
				fputc(*p++, f);
				continue;
			}
			braced = p + 1 < end && p[1] == '{';
			name = p + 1 + braced;
			while (name + n < end &&
			       (name[n] == '_' || (name[n] >= 'a' && name[n] <= 'z') ||
				(name[n] >= 'A' && name[n] <= 'Z') ||
				(name[n] >= '0' && name[n] <= '9')))
				n++;
			if (n == 0 || n >= sizeof(key)) {
				fputc(*p++, f);
				continue;
			}
			memcpy(key, name, n);
			key[n] = '\0';
			p = name + n + (braced && name + n < end && name[n] == '}');
			v = grubenv ? grubenv_get_value(grubenv, grubenv_len, key) : NULL;
			if (v)
				fputs(v, f);
			else if (strcmp(key, "kernelopts") == 0)
				*unknown =
					true; /* tuned_params and friends are often unset: empty */
		}
	}
	if (fclose(f) != 0)
		return NULL;
	return TAKE_PTR(out);
}

int bls_entry_uses_kernelopts(const char *text)
{
	size_t vs, ve;

	if (!find_key_line(text, "options", &vs, &ve))
		return 0;
	return memmem(text + vs, ve - vs, "$kernelopts", 11) != NULL;
}

char *bls_entry_options(const char *text)
{
	size_t vs, ve;

	return find_key_line(text, "options", &vs, &ve) ? strndup(text + vs, ve - vs) : NULL;
}

int bls_entry_edit(const char *text, const struct kop *ops, size_t m, char **ret, char *error,
		   size_t error_size)
{
	size_t vs, ve;
	size_t len = strlen(text);

	if (!find_key_line(text, "options", &vs, &ve)) {
		/* an entry without options gets one */
		_cleanup_free_ char *line = NULL;
		char *out;
		int r = kparams_edit_line("", ops, m, &line, error, error_size);

		if (r < 0)
			return r;
		if (!*line) {
			*ret = strdup(text);
			return *ret ? 0 : -ENOMEM;
		}
		if (asprintf(&out, "%s%soptions %s\n", text,
			     len && text[len - 1] != '\n' ? "\n" : "", line) < 0)
			return -ENOMEM;
		*ret = out;
		return 0;
	}
	return edit_span(text, vs, ve, ops, m, ret, error, error_size);
}

int kernel_cmdline_edit(const char *text, const struct kop *ops, size_t m, char **ret, char *error,
			size_t error_size)
{
	size_t end = strcspn(text, "\n");

	if (end > 0 && text[end - 1] == '\r')
		end--;
	return edit_span(text, 0, end, ops, m, ret, error, error_size);
}

/* grubenv: "# GRUB Environment Block\n" then NAME=VALUE lines, '#' to 1024
 * bytes; GRUB's load_env sets them in order, so the last one counts */
bool grub_linux_command(const char *p, size_t len, size_t *args)
{
	static const char *const cmds[] = { "linuxefi", "linux16", "linux" };
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
		size_t k = strlen(cmds[c]);

		if (i + k < len && memcmp(p + i, cmds[c], k) == 0 &&
		    (p[i + k] == ' ' || p[i + k] == '\t')) {
			i += k;
			while (i < len && (p[i] == ' ' || p[i] == '\t'))
				i++;
			*args = i;
			return true;
		}
	}
	return false;
}

bool grubenv_at_padding(const char *text, size_t len, size_t at)
{
	if (at >= len || text[at] != '#')
		return false;
	while (at < len && text[at] == '#')
		at++;
	return at == len;
}

char *grubenv_get_value(const char *text, size_t len, const char *key)
{
	size_t klen = strlen(key);
	const char *found = NULL;
	size_t found_len = 0;

	struct line l = {};

	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		if (grubenv_at_padding(text, len, (size_t)(l.p - text)))
			break; /* the padding */
		if (l.len > klen && strncmp(l.p, key, klen) == 0 && l.p[klen] == '=') {
			found = l.p + klen + 1;
			found_len = l.len - klen - 1;
		}
	}
	return found ? strndup(found, found_len) : NULL;
}

int grubenv_edit(const char *text, size_t len, const struct kop *ops, size_t m, char **ret,
		 size_t *ret_len, char *error, size_t error_size)
{
	static const char header[] = "# GRUB Environment Block\n";
	_cleanup_free_ char *value = NULL, *edited = NULL;
	struct line l = {};
	size_t body = 0, vs = 0, ve = 0, size = len, k;
	char *out;
	int r;

	if (len < sizeof(header) - 1 || memcmp(text, header, sizeof(header) - 1) != 0) {
		snprintf(error, error_size, "not a GRUB environment block (no \"%.*s\" header)",
			 (int)sizeof(header) - 2, header);
		return -EINVAL;
	}
	/* the variables end where the '#' padding begins */
	body = sizeof(header) - 1;
	for (size_t pos = body; line_next(text, len, &pos, &l);) {
		size_t at = (size_t)(l.p - text);

		if (grubenv_at_padding(text, len, at))
			break; /* a comment line (grub-editenv's WARNING) is not */
		if (l.len > 11 && strncmp(l.p, "kernelopts=", 11) == 0) {
			vs = at + 11;
			ve = at + l.len;
		}
		body = pos;
	}
	if (!ve) {
		snprintf(error, error_size, "no kernelopts variable to edit");
		return -EINVAL;
	}
	value = strndup(text + vs, ve - vs);
	if (!value)
		return -ENOMEM;
	r = kparams_edit_line(value, ops, m, &edited, error, error_size);
	if (r < 0)
		return r;
	if (size < 1024)
		size = 1024;
	if (body - (ve - vs) + strlen(edited) > size) {
		snprintf(error, error_size, "kernelopts would not fit in the %zu-byte block", size);
		return -EINVAL;
	}
	out = malloc(size + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, text, vs);
	k = vs;
	memcpy(out + k, edited, strlen(edited));
	k += strlen(edited);
	memcpy(out + k, text + ve, body - ve);
	k += body - ve;
	memset(out + k, '#', size - k);
	out[size] = '\0';
	*ret = out;
	*ret_len = size;
	return 0;
}

/* ---- unified diff ---- */

struct lines {
	const char **p;
	size_t *len;
	size_t n;
	bool no_newline_at_end;
};

static int split(const char *t, size_t len, struct lines *l)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < len;) {
		const char *eol = memchr(t + i, '\n', len - i);
		size_t n = eol ? (size_t)(eol - (t + i)) + 1 : len - i;
		const char **np = realloc(l->p, (l->n + 1) * sizeof(*np));
		size_t *nl = np ? realloc(l->len, (l->n + 1) * sizeof(*nl)) : NULL;

		if (np)
			l->p = np;
		if (!nl)
			return -ENOMEM;
		l->len = nl;
		l->p[l->n] = t + i;
		l->len[l->n] = n;
		l->n++;
		if (!eol)
			l->no_newline_at_end = true;
		i += n;
	}
	return 0;
}

static bool same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

struct out {
	char *s;
	size_t n, cap;
};

static void put(struct out *o, const char *p, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		size_t nc = (o->cap + n + 1) * 2;
		char *ns = realloc(o->s, nc);

		if (!ns)
			return;
		o->s = ns;
		o->cap = nc;
	}
	memcpy(o->s + o->n, p, n);
	o->n += n;
	o->s[o->n] = '\0';
}

static void put_line(struct out *o, char tag, const struct lines *l, size_t i)
{
	put(o, &tag, 1);
	put(o, l->p[i], l->len[i]);
	if (l->len[i] == 0 || l->p[i][l->len[i] - 1] != '\n') {
		static const char note[] = "\n\\ No newline at end of file\n";

		put(o, note, sizeof(note) - 1);
	}
}

static char *unified_diff_text(const char *path, const char *a, size_t alen, const char *b,
			       size_t blen);

/* an EFI variable (efivarfs: the attributes, then the data) as a line of
 * text, for a diff people read: its attributes and its value as a string
 * when it is one (UTF-16), else its bytes in hex; NULL out of memory */
static char *efivar_view(const char *data, size_t len)
{
	const unsigned char *u = (const unsigned char *)data;
	char text[512];
	char *out = NULL;
	size_t n = 0;
	FILE *f;

	if (len < 4)
		return strdup("(not an EFI variable: fewer than 4 bytes)\n");
	f = open_memstream(&out, &n);
	if (!f)
		return NULL;
	fprintf(f, "attributes=0x%08x ", u[0] | u[1] << 8 | u[2] << 16 | (unsigned)u[3] << 24);
	if (efivar_ascii_string(u, len, text, sizeof(text)) == 0)
		fprintf(f, "value=\"%s\" (UTF-16LE)\n", text);
	else {
		fputs("value=0x", f);
		for (size_t i = 4; i < len; i++)
			fprintf(f, "%02x", u[i]);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *unified_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen)
{
	_cleanup_free_ char *va = NULL, *vb = NULL;

	if (strncmp(path, EFIVARS_DIR "/", sizeof(EFIVARS_DIR)) == 0) {
		/* none, or empty: the variable is not there */
		va = a && alen ? efivar_view(a, alen) : NULL;
		vb = b && blen ? efivar_view(b, blen) : NULL;
		if ((a && alen && !va) || (b && blen && !vb))
			return NULL;
		a = va;
		alen = va ? strlen(va) : 0;
		b = vb;
		blen = vb ? strlen(vb) : 0;
	}
	return unified_diff_text(path, a, alen, b, blen);
}

static char *unified_diff_text(const char *path, const char *a, size_t alen, const char *b,
			       size_t blen)
{
	struct lines la = {}, lb = {};
	struct out o = {};
	unsigned *lcs = NULL;
	char head[1200];
	/* edit script: for each step, 0 same, 1 delete (a), 2 insert (b) */
	struct step {
		char op;
		size_t i, j;
	} *steps = NULL;
	size_t ns = 0, w;

	if (split(a, alen, &la) < 0 || split(b, blen, &lb) < 0)
		goto finish;
	w = lb.n + 1;
	/* small files (boot configuration): the plain LCS table is fine */
	lcs = calloc((la.n + 1) * w, sizeof(*lcs));
	steps = calloc(la.n + lb.n + 1, sizeof(*steps));
	if (!lcs || !steps)
		goto finish;
	for (size_t i = la.n; i-- > 0;)
		for (size_t j = lb.n; j-- > 0;)
			lcs[i * w + j] = same(&la, i, &lb, j)
						 ? lcs[(i + 1) * w + j + 1] + 1
						 : (lcs[(i + 1) * w + j] > lcs[i * w + j + 1]
							    ? lcs[(i + 1) * w + j]
							    : lcs[i * w + j + 1]);
	for (size_t i = 0, j = 0; i < la.n || j < lb.n;) {
		if (i < la.n && j < lb.n && same(&la, i, &lb, j))
			steps[ns++] = (struct step){ 0, i++, j++ };
		else if (i < la.n && (j == lb.n || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]))
			steps[ns++] = (struct step){ 1, i++, j }; /* deletions first, as diff -u */
		else
			steps[ns++] = (struct step){ 2, i, j++ };
	}

	snprintf(head, sizeof(head), "--- a/%s\n+++ b/%s\n", path, path);
	put(&o, head, strlen(head));
	for (size_t k = 0; k < ns;) {
		size_t start, end, ai, bi, acount = 0, bcount = 0;

		if (steps[k].op == 0) {
			k++;
			continue;
		}
		/* a hunk: 3 lines of context around changes closer than 6 lines apart */
		start = k >= 3 ? k - 3 : 0;
		while (start < k && steps[start].op != 0)
			start++;
		for (end = k; end < ns;) {
			size_t run = 0;

			while (end + run < ns && steps[end + run].op == 0)
				run++;
			if (end + run >= ns || run > 6) {
				end += run < 3 ? run : 3;
				break;
			}
			end += run;
			while (end < ns && steps[end].op != 0)
				end++;
		}
		ai = steps[start].i;
		bi = steps[start].j;
		for (size_t s = start; s < end; s++) {
			acount += steps[s].op != 2;
			bcount += steps[s].op != 1;
		}
		snprintf(head, sizeof(head), "@@ -%zu,%zu +%zu,%zu @@\n", acount ? ai + 1 : ai,
			 acount, bcount ? bi + 1 : bi, bcount);
		put(&o, head, strlen(head));
		for (size_t s = start; s < end; s++) {
			if (steps[s].op == 0)
				put_line(&o, ' ', &la, steps[s].i);
			else if (steps[s].op == 1)
				put_line(&o, '-', &la, steps[s].i);
			else
				put_line(&o, '+', &lb, steps[s].j);
		}
		k = end;
	}
finish:
	free(la.p);
	free(la.len);
	free(lb.p);
	free(lb.len);
	free(lcs);
	free(steps);
	return o.s;
}

bool grub_cfg_is_stub(const char *text)
{
	/* anaconda's gen_grub_cfgstub and Debian's grub-install write three lines:
	 * search ...; set prefix=...; configfile $prefix/grub.cfg. A generated
	 * configuration has menu entries or blscfg. */
	return strstr(text, "configfile") && !strstr(text, "menuentry") &&
	       !strstr(text, "blscfg") && strlen(text) < 4096;
}
