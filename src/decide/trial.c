/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/lines.h"
#include "base/macro.h"
#include "base/path-util.h"
#include "decide/bootcfg-edit.h"
#include "decide/trial.h"
#include "facts/boot.h"
#include "facts/efi-loadopt.h"

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
	[GRUB_TRIAL_CFG_NO_BLSCFG] = "cfg-no-blscfg",
	[GRUB_TRIAL_BLS_DEFAULT_POSITION] = "bls-default-by-position",
	[GRUB_TRIAL_SDBOOT_NO_EFIVARS] = "sdboot-no-efivars",
	[GRUB_TRIAL_SDBOOT_ONESHOT_PENDING] = "sdboot-oneshot-pending",
	[GRUB_TRIAL_SDBOOT_DEFAULT_POSITION] = "sdboot-default-by-position",
	[GRUB_TRIAL_SDBOOT_SAVED] = "sdboot-default-saved",
	[GRUB_TRIAL_SDBOOT_INITRAMFS] = "sdboot-initramfs",
};

const char *grub_trial_verdict_to_string(enum grub_trial_verdict v)
{
	return v >= 0 && v < _GRUB_TRIAL_VERDICT_MAX ? verdict_names[v] : NULL;
}

static bool cfg_runs_blscfg(const char *cfg, size_t len);

/*
 * blscfg orders its entries by their versions and file names (how exactly
 * has changed between Red Hat's releases), and the trial entry sits next to
 * the target: where the default entry is chosen by position
 * (GRUB_DEFAULT=0, no saved_entry), the trial entry could take its place
 * for good. Only a default named by its id is safe: GRUB_DEFAULT=saved
 * with saved_entry naming an entry that is there (grubby's
 * MACHINEID-KVER), or GRUB_DEFAULT naming one itself.
 */
static enum grub_trial_verdict bls_trial_judge(const struct grub_trial_facts *f)
{
	_cleanup_free_ char *saved = NULL;
	const char *id = f->grub_default;

	if (!cfg_runs_blscfg(f->grub_cfg, f->grub_cfg_len))
		return GRUB_TRIAL_CFG_NO_BLSCFG;
	if (streq_ptr(id, "saved")) {
		saved = grubenv_get_value(f->grubenv, f->grubenv_len, "saved_entry");
		id = saved;
	}
	if (!id || !*id || strcmp(id, GRUB_TRIAL_ID) == 0)
		return GRUB_TRIAL_BLS_DEFAULT_POSITION;
	for (size_t i = 0; i < f->n_bls_ids; i++)
		if (strcmp(f->bls_ids[i], id) == 0)
			return GRUB_TRIAL_POSSIBLE;
	return GRUB_TRIAL_BLS_DEFAULT_POSITION;
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
	if (f->bls)
		return bls_trial_judge(f);
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

/* a trial file left as it is (none of the trial in it) */
static int undo_keep(const char *text, size_t len, char **ret, size_t *ret_len)
{
	*ret = malloc(len + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, text, len);
	(*ret)[len] = '\0';
	*ret_len = len;
	return 0;
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
		return undo_keep(text, len, ret, ret_len);
	}
	if (bls_trial_path(path))
		return 0; /* the trial's own entry: it goes */
	if (sdboot_oneshot_path(path)) {
		char id[256];

		/* ours goes; systemd-boot deleted it when it read it, or someone
		 * set another since: as it is */
		if (efivar_ascii_string((const uint8_t *)text, len, id, sizeof(id)) == 0 &&
		    strcmp(id, BLS_TRIAL_FILE) == 0)
			return 0;
		return undo_keep(text, len, ret, ret_len);
	}
	snprintf(error, error_size,
		 "not a file of a trial boot (custom.cfg, " BLS_TRIAL_FILE
		 ", grubenv, LoaderEntryOneShot)");
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

/* ---- BLS: GRUB's blscfg (RHEL 8+, Fedora) ---- */

bool bls_trial_entry_ours(const char *text, size_t len)
{
	return len >= strlen(BLS_TRIAL_MARK) &&
	       memcmp(text, BLS_TRIAL_MARK, strlen(BLS_TRIAL_MARK)) == 0;
}

bool bls_trial_path(const char *path)
{
	return path_is(path, BLS_TRIAL_FILE);
}

/* the BLS key of a line: its first word, leading spaces skipped (as
 * bls_read() reads it) */
static bool bls_key_is(const struct line *l, const char *key)
{
	size_t i = 0, n = strlen(key);

	while (i < l->len && l->p[i] == ' ')
		i++;
	return i < l->len && l->len - i >= n && memcmp(l->p + i, key, n) == 0 &&
	       (l->len - i == n || l->p[i + n] == ' ' || l->p[i + n] == '\t' ||
		l->p[i + n] == '\r');
}

static char *bls_options_join(const struct bls_keys *k);

/*
 * Lines the loaders and bls_read() read alike: GRUB's blscfg skips leading
 * blanks (tabs too) and ends its key at the first space, and stops at a
 * blank line; bls_read() skips spaces only and ends the key at a space or
 * tab. A tab among the leading blanks or in the key, or a key after a
 * blank line, could be read two ways: refused.
 */
static bool bls_lines_plain(const char *text, size_t len, char *error, size_t error_size)
{
	struct line l = {};
	unsigned blank = 0;

	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		size_t i = 0, n = l.len;

		if (n && l.p[n - 1] == '\r')
			n--;
		while (i < n && (l.p[i] == ' ' || l.p[i] == '\t'))
			i++;
		if (i == n) {
			blank = blank ? blank : l.no;
			continue;
		}
		if (l.p[i] == '#')
			continue;
		if (blank || memchr(l.p, '\t', i)) {
			snprintf(error, error_size,
				 blank ? "line %u is blank and keys follow it (GRUB stops reading "
					 "there)"
				       : "line %u starts with a tab",
				 blank ? blank : l.no);
			return false;
		}
		for (; i < n && l.p[i] != ' '; i++)
			if (l.p[i] == '\t') {
				snprintf(error, error_size, "line %u has a tab in its key", l.no);
				return false;
			}
	}
	return true;
}

int bls_trial_entry(const char *text, size_t len, const char *kver, bool expand,
		    const char *grubenv, size_t grubenv_len, const struct kop *ops, size_t m,
		    char **ret, char **from, char **to, char *error, size_t error_size)
{
	_cleanup_free_ char *opts = NULL, *edited = NULL;
	char *out = NULL;
	size_t out_len = 0, n_opt = 0;
	struct bls_keys k;
	struct line l = {};
	bool unknown = false, written = false;
	FILE *f;
	int r;

	*ret = *from = *to = NULL;
	if (!kver_plain(kver)) {
		snprintf(error, error_size, "kernel release \"%.64s\" cannot name a boot entry",
			 kver);
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(error, error_size, "the entry holds a NUL byte");
		return -EINVAL;
	}
	if (!bls_lines_plain(text, len, error, error_size))
		return -EINVAL;
	for (size_t pos = 0; line_next(text, len, &pos, &l);)
		n_opt += bls_key_is(&l, "options");
	bls_read(text, len, &k);
	/* GRUB's blscfg boots the first options line (bls_get_val), where
	 * systemd-boot joins them: one line keeps both readings the same */
	if (expand && n_opt > 1) {
		snprintf(error, error_size,
			 "the entry has %zu options lines, and GRUB's blscfg boots the first "
			 "alone",
			 n_opt);
		return -EINVAL;
	}
	if (k.n_opt != n_opt && n_opt <= ARRAY_SIZE(k.opt)) {
		snprintf(error, error_size, "the entry's options lines cannot be told apart");
		return -EINVAL;
	}
	if (n_opt == 0) {
		snprintf(error, error_size, "the entry has no options line");
		return -EINVAL;
	}
	if (n_opt > ARRAY_SIZE(k.opt)) {
		snprintf(error, error_size, "the entry has %zu options lines, more than %zu", n_opt,
			 ARRAY_SIZE(k.opt));
		return -EINVAL;
	}
	/* the line GRUB would boot, its $variables as grubenv sets them now;
	 * systemd-boot's, its options lines joined as they are */
	if (expand)
		opts = bls_options_expand(&k, grubenv, grubenv_len, &unknown);
	else
		opts = bls_options_join(&k);
	if (!opts)
		return -ENOMEM;
	if (unknown) {
		snprintf(error, error_size,
			 "the entry's options use $kernelopts, which grubenv does not set");
		return -EINVAL;
	}
	/* blscfg expands $name, not ${name}: what GRUB boots is not known */
	for (size_t i = 0; expand && i < k.n_opt; i++)
		if (memmem(k.opt[i], k.opt_len[i], "${", 2)) {
			snprintf(error, error_size,
				 "the entry's options hold ${...}, which GRUB's blscfg does not "
				 "expand as iommu-setup would");
			return -EINVAL;
		}
	if (strpbrk(opts, "\n\r")) {
		snprintf(error, error_size, "the entry's options span lines");
		return -EINVAL;
	}
	r = kparams_edit_line(opts, ops, m, &edited, error, error_size);
	if (r < 0)
		return r;
	/* one line of words: the blanks around them (an empty $variable's) go,
	 * as bls_read() would drop them when the line is read back */
	{
		size_t s = strspn(edited, " \t"), e = strlen(edited);

		while (e > s && (edited[e - 1] == ' ' || edited[e - 1] == '\t'))
			e--;
		memmove(edited, edited + s, e - s);
		edited[e - s] = '\0';
	}
	f = open_memstream(&out, &out_len);
	if (!f)
		return -ENOMEM;
	fprintf(f,
		BLS_TRIAL_MARK " boots once through %s;\n"
			       "# iommu-setup commit or revert removes it\n",
		expand ? "next_entry in grubenv" : "the LoaderEntryOneShot EFI variable");
	fprintf(f, "title iommu-setup trial: %s\n", kver);
	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		/* the title is the trial's; an "id" key (RHEL 8's kernel-install
		 * writes one) would be the target's, not ours: blscfg names the
		 * copy by its file name */
		if (bls_key_is(&l, "title") || bls_key_is(&l, "id"))
			continue;
		if (bls_key_is(&l, "options")) {
			if (!written)
				fprintf(f, "options %s\n", edited);
			written = true;
			continue;
		}
		fwrite(l.p, 1, l.len, f);
		fputc('\n', f);
	}
	r = stream_finish(f, &out);
	if (r < 0)
		return r;
	*from = TAKE_PTR(opts);
	*to = TAKE_PTR(edited);
	*ret = out;
	return 0;
}

int bls_trial_args(const char *text, size_t len, char **ret)
{
	struct bls_keys k;

	*ret = NULL;
	if (!text || memchr(text, '\0', len))
		return -ENOENT;
	bls_read(text, len, &k);
	if (k.n_opt != 1) /* the trial writes one, expanded */
		return -ENOENT;
	*ret = strndup(k.opt[0], k.opt_len[0]);
	return *ret ? 0 : -ENOMEM;
}

/* the options lines' values joined by a blank; NULL when memory runs out */
static char *bls_options_join(const struct bls_keys *k)
{
	size_t n = 1;
	char *out, *q;

	for (size_t i = 0; i < k->n_opt; i++)
		n += k->opt_len[i] + 1;
	out = q = malloc(n);
	if (!out)
		return NULL;
	for (size_t i = 0; i < k->n_opt; i++) {
		if (i)
			*q++ = ' ';
		memcpy(q, k->opt[i], k->opt_len[i]);
		q += k->opt_len[i];
	}
	*q = '\0';
	return out;
}

/* blscfg's command in grub.cfg (10_linux with GRUB_ENABLE_BLSCFG=true) */
static bool cfg_runs_blscfg(const char *cfg, size_t len)
{
	struct line l = {};

	for (size_t pos = 0; line_next(cfg, len, &pos, &l);)
		if (bls_key_is(&l, "blscfg"))
			return true;
	return false;
}

/* ---- systemd-boot ---- */

bool sdboot_oneshot_path(const char *path)
{
	return strcmp(path, SDBOOT_ONESHOT) == 0;
}

int sdboot_oneshot_value(const char *id, char **ret, size_t *ret_len)
{
	size_t n = strlen(id), len = 4 + 2 * (n + 1);
	unsigned char *b = calloc(len + 1, 1);

	if (!b)
		return -ENOMEM;
	/* efivarfs: the attributes, then the data; NV|BS|RT as bootctl sets them */
	b[0] = 0x07;
	for (size_t i = 0; i < n; i++)
		b[4 + 2 * i] = (unsigned char)id[i];
	*ret = (char *)b;
	*ret_len = len;
	return 0;
}

/* systemd-boot folds patterns and ids to lower case before it matches them */
static bool sd_match(const char *pattern, const char *id)
{
	char p[256], s[256];
	size_t i;

	for (i = 0; pattern[i] && i + 1 < sizeof(p); i++)
		p[i] = (char)(pattern[i] >= 'A' && pattern[i] <= 'Z' ? pattern[i] + 32
								     : pattern[i]);
	if (pattern[i])
		return true; /* too long to judge: as if it matched (refused) */
	p[i] = '\0';
	for (i = 0; id[i] && i + 1 < sizeof(s); i++)
		s[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] + 32 : id[i]);
	s[i] = '\0';
	return fnmatch(p, s, 0) == 0;
}

/* the default named by a pattern: POSSIBLE when it picks an entry there and
 * never the trial, _VERDICT_MAX when it picks none (the next rule decides) */
static enum grub_trial_verdict sd_default_by(const char *pattern, const char *const *ids,
					     size_t n_ids)
{
	if (strcasecmp(pattern, "@saved") == 0)
		return GRUB_TRIAL_SDBOOT_SAVED;
	/* systemd-boot's globs have sets without negation and no classes, where
	 * fnmatch(3) has both: a set or an escape is not judged */
	if (strpbrk(pattern, "[\\"))
		return GRUB_TRIAL_SDBOOT_DEFAULT_POSITION;
	if (sd_match(pattern, BLS_TRIAL_FILE))
		return GRUB_TRIAL_SDBOOT_DEFAULT_POSITION;
	for (size_t i = 0; i < n_ids; i++)
		if (sd_match(pattern, ids[i]))
			return GRUB_TRIAL_POSSIBLE;
	return _GRUB_TRIAL_VERDICT_MAX;
}

/* loader.conf's "default" (the last one wins, as systemd-boot reads it) */
static char *loader_conf_default(const char *text, size_t len)
{
	struct line l = {};
	char *v = NULL;

	for (size_t pos = 0; line_next(text, len, &pos, &l);) {
		size_t i = 0, e = l.len;

		while (i < e && (l.p[i] == ' ' || l.p[i] == '\t'))
			i++;
		if (l.len - i < 8 || memcmp(l.p + i, "default", 7) != 0 ||
		    (l.p[i + 7] != ' ' && l.p[i + 7] != '\t'))
			continue;
		i += 7;
		while (i < e && (l.p[i] == ' ' || l.p[i] == '\t'))
			i++;
		while (e > i && (l.p[e - 1] == ' ' || l.p[e - 1] == '\t' || l.p[e - 1] == '\r'))
			e--;
		free(v);
		v = strndup(l.p + i, e - i);
		if (!v)
			return NULL;
	}
	return v;
}

enum grub_trial_verdict sdboot_trial_judge(const struct sdboot_trial_facts *f)
{
	_cleanup_free_ char *conf = NULL;
	enum grub_trial_verdict v;

	if (!f->efivars)
		return GRUB_TRIAL_SDBOOT_NO_EFIVARS;
	if (f->oneshot_invalid || (f->oneshot && strcmp(f->oneshot, BLS_TRIAL_FILE) != 0))
		return GRUB_TRIAL_SDBOOT_ONESHOT_PENDING;
	/* LoaderEntryDefault (bootctl set-default) first, then loader.conf */
	if (f->default_invalid)
		return GRUB_TRIAL_SDBOOT_DEFAULT_POSITION;
	if (f->default_var) {
		v = sd_default_by(f->default_var, f->ids, f->n_ids);
		if (v != _GRUB_TRIAL_VERDICT_MAX)
			return v;
	}
	if (f->loader_conf && memchr(f->loader_conf, '\0', f->loader_conf_len))
		return GRUB_TRIAL_SDBOOT_DEFAULT_POSITION;
	conf = f->loader_conf ? loader_conf_default(f->loader_conf, f->loader_conf_len) : NULL;
	if (conf) {
		v = sd_default_by(conf, f->ids, f->n_ids);
		if (v != _GRUB_TRIAL_VERDICT_MAX)
			return v;
	}
	/* the first entry in systemd-boot's order: the trial's place in it is
	 * its file name's, next to the target's */
	return GRUB_TRIAL_SDBOOT_DEFAULT_POSITION;
}

bool trial_file_path_valid(const char *path)
{
	const char *base = strrchr(path, '/');

	if (!path_valid_below_root(path) || !base)
		return false;
	if (sdboot_oneshot_path(path))
		return true;
	if (strcmp(base + 1, BLS_TRIAL_FILE) == 0) {
		for (size_t i = 0; i < BLS_DIRS_N; i++)
			if ((size_t)(base - path) == strlen(bls_dirs[i]) &&
			    memcmp(path, bls_dirs[i], (size_t)(base - path)) == 0)
				return true;
		return false;
	}
	return strncmp(path, "boot/", 5) == 0 &&
	       (strcmp(base + 1, "custom.cfg") == 0 || strcmp(base + 1, "grubenv") == 0);
}
