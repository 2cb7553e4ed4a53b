/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/lines.h"
#include "base/macro.h"
#include "decide/bootcfg-edit.h"
#include "decide/trial.h"

#define GRUBENV_HEADER "# GRUB Environment Block\n"
#define GRUBENV_SIZE 1024
/* nesting of menuentry/submenu/function blocks we follow */
#define GRUB_CFG_DEPTH_MAX 16

/* closes f, whose text is in *out (open_memstream); -ENOMEM when it failed */
static int stream_finish(FILE *f, char **out)
{
	bool bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool streq_ptr(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool grubenv_valid(const char *text, size_t len)
{
	return len >= sizeof(GRUBENV_HEADER) - 1 &&
	       memcmp(text, GRUBENV_HEADER, sizeof(GRUBENV_HEADER) - 1) == 0;
}

/* the line's words: does the first equal w0 and another equal w? */
static bool line_has_words(const char *p, size_t len, const char *w0, const char *w)
{
	size_t i = 0, n0 = strlen(w0), nw = strlen(w);
	bool first = true, has0 = false;

	while (i < len) {
		size_t s, e;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		s = i;
		while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != ';')
			i++;
		e = i;
		if (i < len && p[i] == ';')
			i++;
		if (e == s)
			continue;
		if (first) {
			if (e - s != n0 || memcmp(p + s, w0, n0) != 0)
				return false;
			has0 = true;
			first = false;
			continue;
		}
		if (e - s == nw && memcmp(p + s, w, nw) == 0)
			return has0;
	}
	return false;
}

/* 00_header's one-shot: boots ${next_entry} and clears it with save_env */
static bool cfg_handles_next_entry(const char *cfg, size_t len)
{
	bool reads = false, clears = false;
	struct line l = {};

	for (size_t pos = 0; line_next(cfg, len, &pos, &l);) {
		if (memmem(l.p, l.len, "default=\"${next_entry}\"", 23))
			reads = true;
		if (line_has_words(l.p, l.len, "save_env", "next_entry"))
			clears = true;
	}
	return reads && clears;
}

/* 41_custom's block: "source ${config_directory}/custom.cfg" */
static bool cfg_sources_custom(const char *cfg, size_t len)
{
	struct line l = {};

	for (size_t pos = 0; line_next(cfg, len, &pos, &l);) {
		size_t k = strspn(l.p, " \t");

		if (k + 7 < l.len && memcmp(l.p + k, "source", 6) == 0 &&
		    (l.p[k + 6] == ' ' || l.p[k + 6] == '\t') &&
		    memmem(l.p + k, l.len - k, "/custom.cfg", 11))
			return true;
	}
	return false;
}

static bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *const verdict_names[_GRUB_TRIAL_VERDICT_MAX] = {
	[GRUB_TRIAL_POSSIBLE] = "possible",
	[GRUB_TRIAL_NO_GRUBENV] = "no-grubenv",
	[GRUB_TRIAL_GRUBENV_INVALID] = "grubenv-invalid",
	[GRUB_TRIAL_GRUBENV_CHECKSUM_FS] = "grubenv-checksum-fs",
	[GRUB_TRIAL_GRUBENV_DISKFILTER] = "grubenv-diskfilter",
	[GRUB_TRIAL_GRUBENV_FS_UNKNOWN] = "grubenv-fs-unknown",
	[GRUB_TRIAL_SAVEDEFAULT] = "savedefault",
	[GRUB_TRIAL_DEFAULT_UNKNOWN] = "default-unknown",
	[GRUB_TRIAL_NEXT_ENTRY_PENDING] = "next-entry-pending",
	[GRUB_TRIAL_CFG_NO_NEXT_ENTRY] = "cfg-no-next-entry",
	[GRUB_TRIAL_CFG_NO_CUSTOM] = "cfg-no-custom",
	[GRUB_TRIAL_NO_ENTRY] = "no-entry",
	[GRUB_TRIAL_NOT_GRUB] = "not-grub",
	[GRUB_TRIAL_NOTHING] = "nothing-to-try",
	[GRUB_TRIAL_ESP_SYNC] = "esp-sync",
	[GRUB_TRIAL_NO_IMAGE_TOOL] = "no-image-tool",
	[GRUB_TRIAL_NO_INITRAMFS] = "no-initramfs",
};

const char *grub_trial_verdict_to_string(enum grub_trial_verdict v)
{
	return v >= 0 && v < _GRUB_TRIAL_VERDICT_MAX ? verdict_names[v] : NULL;
}

enum grub_trial_verdict grub_trial_judge(const struct grub_trial_facts *f)
{
	struct grub_cfg_entry e;
	_cleanup_free_ char *next = NULL;

	if (!f->grubenv)
		return GRUB_TRIAL_NO_GRUBENV;
	if (!grubenv_valid(f->grubenv, f->grubenv_len))
		return GRUB_TRIAL_GRUBENV_INVALID;
	if (!f->env_fstype || !f->env_source)
		return GRUB_TRIAL_GRUBENV_FS_UNKNOWN;
	if (streq_ptr(f->env_fstype, "btrfs") || streq_ptr(f->env_fstype, "zfs"))
		return GRUB_TRIAL_GRUBENV_CHECKSUM_FS;
	if (f->env_source &&
	    (startswith(f->env_source, "/dev/mapper/") || startswith(f->env_source, "/dev/dm-") ||
	     startswith(f->env_source, "/dev/md")))
		return GRUB_TRIAL_GRUBENV_DISKFILTER;
	if (f->default_unknown)
		return GRUB_TRIAL_DEFAULT_UNKNOWN;
	if (streq_ptr(f->grub_default, "saved") && streq_ptr(f->grub_savedefault, "true"))
		return GRUB_TRIAL_SAVEDEFAULT;
	next = grubenv_get_value(f->grubenv, f->grubenv_len, "next_entry");
	if (next && *next && strcmp(next, GRUB_TRIAL_ID) != 0)
		return GRUB_TRIAL_NEXT_ENTRY_PENDING;
	if (!f->grub_cfg || !cfg_handles_next_entry(f->grub_cfg, f->grub_cfg_len))
		return GRUB_TRIAL_CFG_NO_NEXT_ENTRY;
	if (!cfg_sources_custom(f->grub_cfg, f->grub_cfg_len))
		return GRUB_TRIAL_CFG_NO_CUSTOM;
	if (!f->kver || grub_cfg_find_entry(f->grub_cfg, f->grub_cfg_len, f->kver, &e) < 0)
		return GRUB_TRIAL_NO_ENTRY;
	return GRUB_TRIAL_POSSIBLE;
}

/* ---- grub.cfg's menu entries ---- */

enum block_kind { BLOCK_OTHER, BLOCK_SUBMENU, BLOCK_ENTRY };

struct block {
	enum block_kind kind;
	size_t start;
	unsigned line;
	bool recovery, match;
	size_t args_start, args_end;
};

/* the words after "linux"/"linuxefi"/"linux16" and the kernel image, when
 * the image is .../vmlinuz-KVER (kver NULL: any image) */
static bool linux_line_for(const char *p, size_t len, const char *kver, size_t *args_start,
			   size_t *args_end)
{
	size_t i, img, img_end, vl = kver ? strlen(kver) : 0;

	if (!grub_linux_command(p, len, &i))
		return false;
	img = i;
	while (i < len && p[i] != ' ' && p[i] != '\t')
		i++;
	img_end = i;
	if (img_end == img)
		return false;
	if (kver && (img_end - img < 8 + vl || memcmp(p + img_end - vl, kver, vl) != 0 ||
		     memcmp(p + img_end - vl - 8, "vmlinuz-", 8) != 0))
		return false;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	*args_start = i;
	*args_end = len;
	if (*args_end > *args_start && p[*args_end - 1] == '\r')
		(*args_end)--;
	return true;
}

int grub_cfg_find_entry(const char *cfg, size_t len, const char *kver, struct grub_cfg_entry *ret)
{
	struct block stack[GRUB_CFG_DEPTH_MAX];
	size_t depth = 0;
	struct line l = {};

	for (size_t pos = 0; line_next(cfg, len, &pos, &l);) {
		size_t at = (size_t)(l.p - cfg), k = 0, n = l.len;

		while (k < n && (l.p[k] == ' ' || l.p[k] == '\t'))
			k++;
		while (n > k && (l.p[n - 1] == ' ' || l.p[n - 1] == '\t' || l.p[n - 1] == '\r'))
			n--;
		if (n == k + 1 && l.p[k] == '}') {
			struct block *b;

			if (!depth)
				return -EINVAL;
			b = &stack[--depth];
			if (b->kind == BLOCK_ENTRY && b->match && !b->recovery) {
				unsigned in_submenu = 0;

				for (size_t d = 0; d < depth; d++)
					in_submenu += stack[d].kind == BLOCK_SUBMENU;
				*ret = (struct grub_cfg_entry){
					.start = b->start,
					.end = pos,
					.args_start = b->args_start,
					.args_end = b->args_end,
					.line = b->line,
					.depth = in_submenu,
				};
				return 0;
			}
			continue;
		}
		if (n > k && l.p[n - 1] == '{') {
			struct block *b;
			bool entry = n - k > 10 && (memcmp(l.p + k, "menuentry ", 10) == 0 ||
						    memcmp(l.p + k, "menuentry\t", 10) == 0);
			bool sub = n - k > 8 && (memcmp(l.p + k, "submenu ", 8) == 0 ||
						 memcmp(l.p + k, "submenu\t", 8) == 0);

			if (depth == GRUB_CFG_DEPTH_MAX)
				return -EINVAL;
			b = &stack[depth++];
			*b = (struct block){
				.kind = entry ? BLOCK_ENTRY
					: sub ? BLOCK_SUBMENU
					      : BLOCK_OTHER,
				.start = at,
				.line = l.no,
				.recovery = entry && memmem(l.p, n, "(recovery mode)", 15),
			};
			continue;
		}
		if (depth && stack[depth - 1].kind == BLOCK_ENTRY && !stack[depth - 1].match) {
			size_t s, e;

			if (linux_line_for(l.p, l.len, kver, &s, &e)) {
				stack[depth - 1].match = true;
				stack[depth - 1].args_start = at + s;
				stack[depth - 1].args_end = at + e;
			}
		}
	}
	return depth ? -EINVAL : -ENOENT;
}

/* a kernel release as the title's single quotes can hold it */
static bool kver_plain(const char *kver)
{
	if (!*kver || strlen(kver) > 200)
		return false;
	for (const char *p = kver; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._+-~", *p)))
			return false;
	return true;
}

int grub_trial_entry(const char *cfg, const struct grub_cfg_entry *e, const char *kver,
		     const struct kop *ops, size_t m, char **ret, char *error, size_t error_size)
{
	_cleanup_free_ char *args = NULL, *edited = NULL;
	char *out = NULL;
	size_t out_len = 0;
	const char *body, *close;
	FILE *f;
	int r;

	if (!kver_plain(kver)) {
		snprintf(error, error_size, "kernel release \"%.64s\" cannot name a menu entry",
			 kver);
		return -EINVAL;
	}
	args = strndup(cfg + e->args_start, e->args_end - e->args_start);
	if (!args)
		return -ENOMEM;
	r = kparams_edit_line(args, ops, m, &edited, error, error_size);
	if (r < 0)
		return r;
	/* the body: from the line after "menuentry ... {" to the "}" line */
	body = memchr(cfg + e->start, '\n', e->end - e->start);
	close = cfg + e->end;
	if (close > cfg && close[-1] == '\n')
		close--;
	while (close > cfg + e->start && close[-1] != '\n')
		close--;
	if (!body || body + 1 > close || cfg + e->args_start < body || cfg + e->args_end > close) {
		snprintf(error, error_size, "the menu entry at line %u has no body", e->line);
		return -EINVAL;
	}
	body++;
	if (memchr(cfg + e->start, '\0', e->end - e->start)) {
		snprintf(error, error_size, "the menu entry at line %u holds a NUL byte", e->line);
		return -EINVAL;
	}
	if (memmem(body, (size_t)(close - body), GRUB_TRIAL_BEGIN, strlen(GRUB_TRIAL_BEGIN)) ||
	    memmem(body, (size_t)(close - body), GRUB_TRIAL_END, strlen(GRUB_TRIAL_END))) {
		snprintf(error, error_size, "the menu entry at line %u holds a trial marker line",
			 e->line);
		return -EINVAL;
	}
	f = open_memstream(&out, &out_len);
	if (!f)
		return -ENOMEM;
	fprintf(f,
		GRUB_TRIAL_BEGIN
		"\n"
		"# iommu-setup apply --trial: boots once through next_entry in grubenv;\n"
		"# iommu-setup commit or revert removes it\n"
		"menuentry 'iommu-setup trial: %s' --id " GRUB_TRIAL_ID " {\n",
		kver);
	fwrite(body, 1, (size_t)(cfg + e->args_start - body), f);
	if (e->args_start == e->args_end && *edited && cfg[e->args_start - 1] != ' ' &&
	    cfg[e->args_start - 1] != '\t')
		fputc(' ', f);
	fputs(edited, f);
	fwrite(cfg + e->args_end, 1, (size_t)(close - (cfg + e->args_end)), f);
	fputs("}\n" GRUB_TRIAL_END "\n", f);
	r = stream_finish(f, &out);
	if (r < 0)
		return r;
	*ret = out;
	return 0;
}

int grub_trial_block_initrd(const char *block, const char *from_base, const char *to_base,
			    char **ret)
{
	static const char *const cmds[] = { "initrdefi", "initrd16", "initrd" };
	size_t fl = strlen(from_base), len = strlen(block), out_len = 0;
	struct line l = {};
	bool done = false;
	char *out = NULL;
	FILE *f;

	*ret = NULL;
	f = open_memstream(&out, &out_len);
	if (!f)
		return -ENOMEM;
	for (size_t pos = 0; line_next(block, len, &pos, &l);) {
		size_t i = 0, k = 0, s = 0, e = 0;
		bool cmd = false, hit = false;

		while (i < l.len && (l.p[i] == ' ' || l.p[i] == '\t'))
			i++;
		for (size_t c = 0; c < ARRAY_SIZE(cmds) && !cmd; c++) {
			k = strlen(cmds[c]);
			cmd = i + k < l.len && memcmp(l.p + i, cmds[c], k) == 0 &&
			      (l.p[i + k] == ' ' || l.p[i + k] == '\t');
		}
		/* the words after the command: the one whose file name is from_base */
		for (i += cmd ? k : l.len; !done && !hit && i < l.len;) {
			while (i < l.len && (l.p[i] == ' ' || l.p[i] == '\t'))
				i++;
			s = i;
			while (i < l.len && l.p[i] != ' ' && l.p[i] != '\t' && l.p[i] != '\r')
				i++;
			e = i;
			if (e == s)
				break;
			hit = e - s >= fl && memcmp(l.p + e - fl, from_base, fl) == 0 &&
			      (e - s == fl || l.p[e - fl - 1] == '/');
		}
		if (hit) {
			fwrite(l.p, 1, e - fl, f);
			fputs(to_base, f);
			fwrite(l.p + e, 1, l.len - e, f);
			if (l.nl)
				fputc('\n', f);
			done = true;
		} else
			fwrite(l.p, 1, l.len + l.nl, f);
	}
	if (stream_finish(f, &out) < 0)
		return -ENOMEM;
	if (!done) {
		free(out);
		return -ENOENT;
	}
	*ret = out;
	return 0;
}

/* ---- custom.cfg ---- */

static bool line_is(const struct line *l, const char *s)
{
	size_t n = l->len;

	if (n && l->p[n - 1] == '\r')
		n--;
	return n == strlen(s) && memcmp(l->p, s, n) == 0;
}

/* the trial block's byte range; -ENOENT without one, -EINVAL unpaired */
static int custom_block(const char *text, size_t len, size_t *start, size_t *end,
			unsigned *bad_line)
{
	struct line l = {};
	bool in = false, found = false;

	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		if (line_is(&l, GRUB_TRIAL_BEGIN)) {
			if (in || found) {
				*bad_line = l.no;
				return -EINVAL;
			}
			in = true;
			*start = (size_t)(l.p - text);
		} else if (line_is(&l, GRUB_TRIAL_END)) {
			if (!in) {
				*bad_line = l.no;
				return -EINVAL;
			}
			in = false;
			found = true;
			*end = pos;
		}
	}
	if (in) {
		*bad_line = l.no;
		return -EINVAL;
	}
	return found ? 0 : -ENOENT;
}

bool grub_custom_cfg_has_trial(const char *text, size_t len)
{
	size_t s, e;
	unsigned bad;

	return text && custom_block(text, len, &s, &e, &bad) == 0;
}

int grub_custom_cfg_set(const char *text, size_t len, const char *block, char **ret, char *error,
			size_t error_size)
{
	size_t s = len, e = len, out_len = 0;
	unsigned bad = 0;
	char *out = NULL;
	FILE *f;
	int r;

	if (text) {
		if (memchr(text, '\0', len)) {
			snprintf(error, error_size, "holds a NUL byte");
			return -EINVAL;
		}
		r = custom_block(text, len, &s, &e, &bad);
		if (r == -EINVAL) {
			snprintf(error, error_size,
				 "line %u: the \"%s\" and \"%s\" lines do not pair up", bad,
				 GRUB_TRIAL_BEGIN, GRUB_TRIAL_END);
			return r;
		}
	}
	f = open_memstream(&out, &out_len);
	if (!f)
		return -ENOMEM;
	if (text)
		fwrite(text, 1, s, f);
	if (block) {
		if (text && s && text[s - 1] != '\n')
			fputc('\n', f);
		fputs(block, f);
	}
	if (text && e < len)
		fwrite(text + e, 1, len - e, f);
	r = stream_finish(f, &out);
	if (r < 0)
		return r;
	if (!out_len) {
		free(out);
		out = NULL;
	}
	*ret = out;
	return 0;
}

int grub_custom_cfg_trial_args(const char *text, size_t len, char **ret)
{
	struct line l = {};
	size_t s, e, as, ae;
	unsigned bad;
	int r;

	*ret = NULL;
	if (!text || memchr(text, '\0', len))
		return -ENOENT;
	r = custom_block(text, len, &s, &e, &bad);
	if (r < 0)
		return -ENOENT;
	for (size_t pos = s; pos < e && line_next(text, e, &pos, &l);)
		if (linux_line_for(l.p, l.len, NULL, &as, &ae)) {
			*ret = strndup(l.p + as, ae - as);
			return *ret ? 0 : -ENOMEM;
		}
	return -ENOENT;
}

/* ---- grubenv ---- */

int grubenv_set(const char *text, size_t len, const char *key, const char *value, char **ret,
		size_t *ret_len, char *error, size_t error_size)
{
	size_t klen = strlen(key), size = len < GRUBENV_SIZE ? GRUBENV_SIZE : len, out_len = 0;
	struct line l = {};
	char *out = NULL;
	FILE *f;
	int r;

	if (!grubenv_valid(text, len)) {
		snprintf(error, error_size, "not a GRUB environment block (no \"%.*s\" header)",
			 (int)sizeof(GRUBENV_HEADER) - 2, GRUBENV_HEADER);
		return -EINVAL;
	}
	if (value && value[strcspn(value, "\n\\")]) {
		snprintf(error, error_size, "%s: the value would need escaping", key);
		return -EINVAL;
	}
	f = open_memstream(&out, &out_len);
	if (!f)
		return -ENOMEM;
	fputs(GRUBENV_HEADER, f);
	r = 0;
	for (size_t pos = sizeof(GRUBENV_HEADER) - 1; line_next(text, len, &pos, &l);) {
		if (grubenv_at_padding(text, len, (size_t)(l.p - text)))
			break;
		/* a comment (grub-editenv create writes a WARNING line): kept */
		if (l.len && l.p[0] == '#' && l.nl) {
			fwrite(l.p, 1, l.len + 1, f);
			continue;
		}
		if (!l.nl || memchr(l.p, '\0', l.len)) {
			snprintf(error, error_size, "line %u: not a variable line", l.no + 1);
			r = -EINVAL;
			break;
		}
		if (!memchr(l.p, '=', l.len) || memchr(l.p, '\\', l.len)) {
			/* GRUB reads a name up to the next '=', across lines, and
			 * unescapes backslashes: not a block edited with certainty */
			snprintf(error, error_size, "line %u: %s", l.no + 1,
				 memchr(l.p, '\\', l.len) ? "an escaped value" : "no '=' in it");
			r = -EINVAL;
			break;
		}
		if (l.len > klen && memcmp(l.p, key, klen) == 0 && l.p[klen] == '=')
			continue;
		fwrite(l.p, 1, l.len + 1, f);
	}
	if (value)
		fprintf(f, "%s=%s\n", key, value);
	if (stream_finish(f, &out) < 0)
		return -ENOMEM;
	if (r < 0) {
		free(out);
		return r;
	}
	if (out_len > size) {
		snprintf(error, error_size, "%s would not fit in the %zu-byte block", key, size);
		free(out);
		return -EINVAL;
	}
	{
		char *padded = realloc(out, size + 1);

		if (!padded) {
			free(out);
			return -ENOMEM;
		}
		memset(padded + out_len, '#', size - out_len);
		padded[size] = '\0';
		out = padded;
	}
	*ret_len = size;
	*ret = out;
	return 0;
}

/* ---- taking the trial out ---- */

static bool path_is(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');

	return strcmp(slash ? slash + 1 : path, name) == 0;
}

int grub_trial_undo(const char *path, const char *text, size_t len, char **ret, size_t *ret_len,
		    char *error, size_t error_size)
{
	*ret = NULL;
	*ret_len = 0;
	if (path_is(path, "custom.cfg")) {
		int r = grub_custom_cfg_set(text, len, NULL, ret, error, error_size);

		if (r >= 0 && *ret)
			*ret_len = strlen(*ret);
		return r;
	}
	if (path_is(path, "grubenv")) {
		_cleanup_free_ char *next = NULL;

		if (!grubenv_valid(text, len)) {
			snprintf(error, error_size, "not a GRUB environment block");
			return -EINVAL;
		}
		next = grubenv_get_value(text, len, "next_entry");
		if (next && strcmp(next, GRUB_TRIAL_ID) == 0)
			return grubenv_set(text, len, "next_entry", NULL, ret, ret_len, error,
					   error_size);
		/* GRUB took it (next_entry= once booted), or someone set another */
		*ret = malloc(len + 1);
		if (!*ret)
			return -ENOMEM;
		memcpy(*ret, text, len);
		(*ret)[len] = '\0';
		*ret_len = len;
		return 0;
	}
	snprintf(error, error_size, "not a file of a trial boot (custom.cfg, grubenv)");
	return -EINVAL;
}

/* a word of the running line that GRUB or the loader adds itself */
static bool loader_word(const struct kparam *k)
{
	return kparam_name_eq(k->name, "BOOT_IMAGE") || kparam_name_eq(k->name, "initrd");
}

/* a word GRUB expands when it boots the entry ($vt_handoff on Ubuntu) */
static bool grub_expands(const struct kparam *k)
{
	return strchr(k->name, '$') || (k->value && strchr(k->value, '$'));
}

bool trial_cmdline_booted(const struct kcmdline *running, const struct kcmdline *trial)
{
	size_t expanded = 0, extra = 0;

	if (!trial->n)
		return false;
	for (size_t i = 0; i < trial->n; i++) {
		if (grub_expands(&trial->params[i]))
			expanded++;
		else if (!kcmdline_has(running, trial->params[i].name, trial->params[i].value))
			return false;
	}
	/* a running word the trial lacks: one of its expansions, at most one each
	 * (an empty expansion gives none) */
	for (size_t i = 0; i < running->n; i++)
		if (!loader_word(&running->params[i]) &&
		    !kcmdline_has(trial, running->params[i].name, running->params[i].value))
			extra++;
	return extra <= expanded;
}
