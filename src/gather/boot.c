/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <dlfcn.h>
#include <efivar/efivar.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/macro.h"
#include "decide/bootcfg-edit.h"
#include "decide/trial.h"
#include "gather/boot.h"
#include "gather/regen.h"
#include "root/root.h"

/*
 * libefivar picks its backend in a constructor that reads EFIVARFS_PATH, so
 * it is loaded only after that variable points into the root: dlopen, not
 * linking. Without the library (a minimal initramfs) the state is unknown.
 */
static int (*efi_get)(efi_guid_t, const char *, uint8_t **, size_t *, uint32_t *);

int boot_efi_get_variable(const char *name, uint8_t **data, size_t *size)
{
	const efi_guid_t global = EFI_GLOBAL_GUID;
	uint32_t attr;

	if (!efi_get)
		return -EOPNOTSUPP;
	if (efi_get(global, name, data, size, &attr) < 0)
		return errno > 0 ? -errno : -EIO;
	return 0;
}

/* the global variables (SecureBoot, SetupMode, BootCurrent, Boot####): the
 * copy libefivar reads from, so that a link among them cannot lead it out */
static bool efivar_is_global(const char *name)
{
	static const char global[] = "-8be4df61-93ca-11d2-aa0d-00e098032b8c";
	size_t l = strlen(name);

	return l > sizeof(global) - 1 && strcmp(name + l - (sizeof(global) - 1), global) == 0;
}

static int read_efi(struct root *root, struct boot_state *b)
{
	int (*supported)(void);
	int (*get)(efi_guid_t, const char *, uint8_t **, size_t *, uint32_t *);
	const efi_guid_t global = EFI_GLOBAL_GUID;
	char path[PATH_MAX];
	void *lib;
	uint8_t *data;
	size_t size;
	uint32_t attr;
	int k;

	/* the host's own variables are read where they are, unless a snapshot
	 * records what is read; another root's through a copy */
	k = root_copy_dir(root, EFIVARS_DIR, 65536, efivar_is_global, path, sizeof(path) - 1);
	if (k == -ENOENT) /* none: libefivar finds none either */
		k = root_scratch_subdir(root, "efivars", path, sizeof(path) - 1);
	if (k < 0)
		return k;
	strcat(path, "/");
	setenv("EFIVARFS_PATH", path, 1);
	lib = dlopen("libefivar.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return 0;
	supported = (int (*)(void))dlsym(lib, "efi_variables_supported");
	get = (int (*)(efi_guid_t, const char *, uint8_t **, size_t *, uint32_t *))dlsym(
		lib, "efi_get_variable");
	if (!supported || !get)
		return 0;
	b->efivar = true;
	if (!supported())
		return 0;
	efi_get = get;
	if (get(global, "SecureBoot", &data, &size, &attr) >= 0) {
		b->secure_boot = size >= 1 ? data[0] == 1 : -1;
		free(data);
	}
	if (get(global, "SetupMode", &data, &size, &attr) >= 0) {
		b->setup_mode = size >= 1 ? data[0] == 1 : -1;
		free(data);
	}
	/* the library stays loaded: later reads (BootCurrent) use it too */
	return 0;
}

/* grubenv: boot/grub2 (RHEL) or boot/grub (Debian); NULL without one */
static char *read_grubenv(struct root *root)
{
	char *text = NULL;

	if (root_read_file(root, "boot/grub2/grubenv", 65536, &text, NULL) < 0)
		(void)root_read_file(root, "boot/grub/grubenv", 65536, &text, NULL);
	return text;
}

static int read_src(struct root *root, const char *path, size_t max, struct src_file *f)
{
	int r;

	*f = (struct src_file){ .path = strdup(path) };
	if (!f->path)
		return -ENOMEM;
	r = root_read_file(root, path, max, &f->text, &f->len);
	if (r == -ENOENT)
		return 0;
	return r;
}

static int push_src(struct src_file **list, size_t *n, struct root *root, const char *path,
		    size_t max)
{
	struct src_file *nl = realloc(*list, (*n + 1) * sizeof(*nl));
	int r;

	if (!nl)
		return -ENOMEM;
	*list = nl;
	r = read_src(root, path, max, &nl[*n]);
	(*n)++;
	return r;
}

/* The GRUB defaults: etc/default/grub (or etc/sysconfig/grub) and, where the
 * generator sources them (Debian's grub-mkconfig; RHEL's grub2-mkconfig does
 * not), the etc/default/grub.d/ *.cfg drop-ins in glob order. */
static int gather_grub(struct root *root, struct boot_state *b)
{
	static const char *const candidates[] = { "etc/default/grub", "etc/sysconfig/grub" };
	struct boot_sources *s = &b->sources;
	char tool[64];
	bool dropins;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		src_file_done(&s->grub);
		r = read_src(root, candidates[i], 1u << 20, &s->grub);
		if (r < 0)
			return r;
		if (s->grub.text) {
			snprintf(b->grub_default_file, sizeof(b->grub_default_file), "%s",
				 candidates[i]);
			b->grub_default = true;
			break;
		}
	}
	if (!b->grub_default)
		return 0;
	dropins = !(regen_find_command(root, "grub2-mkconfig", tool, sizeof(tool)) == 0 &&
		    regen_find_command(root, "grub-mkconfig", tool, sizeof(tool)) < 0 &&
		    regen_find_command(root, "update-grub", tool, sizeof(tool)) < 0);
	if (dropins) {
		struct dirent **names = NULL;
		_cleanup_close_ int fd =
			root_openat(root, "etc/default/grub.d", O_RDONLY | O_DIRECTORY);
		char fdpath[64];
		int n = 0;

		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (fd >= 0)
			n = scandir(fdpath, &names, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			char rel[512];
			size_t l = strlen(names[i]->d_name);

			if (r >= 0 && l > 4 && strcmp(names[i]->d_name + l - 4, ".cfg") == 0)
				r = root_check_name(root, "etc/default/grub.d", names[i]->d_name);
			if (r >= 0 && l > 4 && strcmp(names[i]->d_name + l - 4, ".cfg") == 0) {
				snprintf(rel, sizeof(rel), "etc/default/grub.d/%s",
					 names[i]->d_name);
				r = push_src(&s->dropins, &s->n_dropins, root, rel, 1u << 20);
			}
			free(names[i]);
		}
		free(names);
		if (r < 0)
			return r;
	}
	r = shenv_source(&b->grub_env, s->grub.text, s->grub.len, s->grub.path);
	for (size_t i = 0; i < s->n_dropins && r >= 0; i++)
		if (s->dropins[i].text)
			r = shenv_source(&b->grub_env, s->dropins[i].text, s->dropins[i].len,
					 s->dropins[i].path);
	return r < 0 ? r : 0;
}

/* BLS entries and the grubenv they expand, and etc/kernel/cmdline */
static int gather_bls(struct root *root, struct boot_state *b)
{
	struct boot_sources *s = &b->sources;
	char **list = NULL;
	size_t n = 0;
	int r;

	r = boot_bls_entries(root, &list, &n);
	for (size_t i = 0; i < n && r >= 0; i++)
		r = push_src(&s->bls, &s->n_bls, root, list[i], 65536);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (r < 0)
		return r;
	b->n_bls_entries = (unsigned)n;
	r = read_src(root,
		     root_exists(root, "boot/grub2/grubenv") > 0 ? "boot/grub2/grubenv"
								 : "boot/grub/grubenv",
		     65536, &s->grubenv);
	if (r < 0)
		return r;
	return read_src(root, "etc/kernel/cmdline", 65536, &s->kernel_cmdline);
}

/* The BLS entry of the target kernel; its options with grubenv expanded. */
static int find_bls(const char *kver, struct boot_state *b, char **ret_options, bool *unknown)
{
	const struct boot_sources *s = &b->sources;
	char best[256] = "";
	int r = 0;

	*ret_options = NULL;
	for (size_t i = 0; i < s->n_bls && r >= 0; i++) {
		const char *name = strrchr(s->bls[i].path, '/') + 1;
		struct bls_keys k;

		if (!s->bls[i].text)
			continue;
		bls_read(s->bls[i].text, s->bls[i].len, &k);
		/* of several entries for one kernel (rescue...), take the first by name */
		if (kver && bls_is_for(k.version, k.linux_path, kver) && k.n_opt &&
		    (!best[0] || strcmp(name, best) < 0)) {
			bool unk = false;
			char *opts = bls_options_expand(&k, s->grubenv.text, s->grubenv.len, &unk);

			if (!opts)
				r = -ENOMEM;
			else {
				free(*ret_options);
				*ret_options = opts;
				b->bls_kernelopts = false;
				for (size_t o = 0; o < k.n_opt; o++)
					if (memmem(k.opt[o], k.opt_len[o], "kernelopts", 10))
						b->bls_kernelopts = true;
				*unknown = unk;
				snprintf(best, sizeof(best), "%s", name);
				snprintf(b->bls_entry, sizeof(b->bls_entry), "%s", s->bls[i].path);
			}
		}
	}
	return r < 0 ? r : 0;
}

static int set_configured(struct boot_state *b, const char *file, const char *how,
			  const char *value)
{
	snprintf(b->configured_file, sizeof(b->configured_file), "%s", file);
	snprintf(b->configured_how, sizeof(b->configured_how), "%s", how);
	b->configured_found = true;
	b->configured_known = true;
	b->configured_raw = strdup(value);
	if (!b->configured_raw)
		return -ENOMEM;
	return kcmdline_parse(value, &b->configured);
}

static void set_unknown(struct boot_state *b, const char *file, const char *how, const char *why)
{
	snprintf(b->configured_file, sizeof(b->configured_file), "%s", file);
	snprintf(b->configured_how, sizeof(b->configured_how), "%s", how);
	snprintf(b->configured_why, sizeof(b->configured_why), "%s", why);
	b->configured_found = true;
	b->configured_known = false;
}

static int grub_cmdline(struct boot_state *b)
{
	const struct shvar *lin = shenv_get(&b->grub_env, "GRUB_CMDLINE_LINUX");
	const struct shvar *def = shenv_get(&b->grub_env, "GRUB_CMDLINE_LINUX_DEFAULT");
	const char *how = "GRUB_CMDLINE_LINUX + GRUB_CMDLINE_LINUX_DEFAULT";
	_cleanup_free_ char *joined = NULL;

	if (!shenv_known(&b->grub_env, "GRUB_CMDLINE_LINUX") ||
	    !shenv_known(&b->grub_env, "GRUB_CMDLINE_LINUX_DEFAULT")) {
		const struct shvar *v = lin && !lin->known ? lin : def;
		char why[256];

		if (v && !v->known)
			snprintf(why, sizeof(why), "%s (%s:%u): %s", v->name, v->file, v->line,
				 v->why);
		else
			snprintf(why, sizeof(why), "%s:%u: %s", b->grub_env.uncertain_file,
				 b->grub_env.uncertain_line, b->grub_env.uncertain_why);
		set_unknown(b, b->grub_default_file, how, why);
		return 0;
	}
	if (asprintf(&joined, "%s %s", lin && lin->value ? lin->value : "",
		     def && def->value ? def->value : "") < 0)
		return -ENOMEM;
	return set_configured(b, b->grub_default_file, how, joined);
}

static int gather(struct root *root, const char *kver, struct boot_state *b)
{
	_cleanup_free_ char *bls = NULL;
	const struct shvar *blscfg;
	bool bls_unknown = false, sdboot = false;
	int r;

	memset(b, 0, sizeof(*b));
	b->secure_boot = b->setup_mode = -1;

	b->uefi = root_exists(root, "sys/firmware/efi") > 0;
	if (b->uefi) {
		r = read_efi(root, b);
		if (r < 0)
			return r;
	}

	r = gather_grub(root, b);
	if (r >= 0)
		r = gather_bls(root, b);
	if (r < 0)
		return r;
	if (b->sources.kernel_cmdline.text) {
		/* kernel-install takes the words of every line (tr -s "$IFS" ' '),
		 * not the first line */
		const char *t = b->sources.kernel_cmdline.text;
		size_t len = b->sources.kernel_cmdline.len, o = 0;

		b->kernel_cmdline = malloc(len + 1);
		if (!b->kernel_cmdline)
			return -ENOMEM;
		for (size_t i = 0; i < len; i++) {
			bool sp = t[i] == ' ' || t[i] == '\t' || t[i] == '\n';

			if (!sp)
				b->kernel_cmdline[o++] = t[i];
			else if (o > 0 && b->kernel_cmdline[o - 1] != ' ')
				b->kernel_cmdline[o++] = ' ';
		}
		while (o > 0 && b->kernel_cmdline[o - 1] == ' ')
			o--;
		b->kernel_cmdline[o] = '\0';
	}
	r = find_bls(kver, b, &bls, &bls_unknown);
	if (r < 0)
		return r;
	for (size_t i = 0; i < LOADER_CONFS_N && !sdboot; i++)
		sdboot = root_exists(root, loader_confs[i]) > 0;

	blscfg = shenv_get(&b->grub_env, "GRUB_ENABLE_BLSCFG");
	if (b->grub_default && !sdboot) {
		bool bls_on = blscfg && blscfg->known && blscfg->value &&
			      strcmp(blscfg->value, "true") == 0;

		b->loader = bls_on ? LOADER_GRUB_BLS : LOADER_GRUB;
		if (bls_on && bls) {
			if (bls_unknown)
				set_unknown(
					b, b->bls_entry, "BLS options ($kernelopts)",
					"the entry uses $kernelopts but grubenv does not set it");
			else
				return set_configured(
					b, b->bls_entry,
					b->bls_kernelopts ? "BLS options, $kernelopts from grubenv"
							  : "BLS options",
					bls);
			return 0;
		}
		return grub_cmdline(b);
	}
	if (sdboot) {
		b->loader = LOADER_SYSTEMD_BOOT;
		if (bls && !bls_unknown)
			return set_configured(b, b->bls_entry, "BLS options", bls);
	}
	if (b->kernel_cmdline)
		return set_configured(b, "etc/kernel/cmdline", "kernel-install command line",
				      b->kernel_cmdline);
	return 0;
}

int boot_gather(struct root *root, const char *kver, struct boot_state *b)
{
	int r = gather(root, kver, b);

	b->sources.grub_entries = b->loader == LOADER_GRUB || b->loader == LOADER_GRUB_BLS;
	return r;
}

void boot_state_done(struct boot_state *b)
{
	boot_sources_done(&b->sources);
	free(b->configured_raw);
	kcmdline_done(&b->configured);
	free(b->kernel_cmdline);
	shenv_done(&b->grub_env);
	memset(b, 0, sizeof(*b));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int boot_bls_entries(struct root *root, char ***ret, size_t *ret_n)
{
	char **list = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < BLS_DIRS_N; i++) {
		_cleanup_(closedirp) DIR *d = root_opendir(root, bls_dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			char **nl;

			/* apply --trial's entry is not one the host boots by default */
			if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 ||
			    strcmp(de->d_name, BLS_TRIAL_FILE) == 0)
				continue;
			r = root_check_name(root, bls_dirs[i], de->d_name);
			if (r < 0)
				goto fail;
			nl = realloc(list, (n + 1) * sizeof(*nl));
			if (!nl)
				goto oom;
			list = nl;
			if (asprintf(&list[n], "%s/%s", bls_dirs[i], de->d_name) < 0)
				goto oom;
			n++;
		}
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_str);
	*ret = list;
	*ret_n = n;
	return 0;
oom:
	r = -ENOMEM;
fail:
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return r;
}

int boot_bls_effective(struct root *root, const char *kver, struct bls_effective **ret,
		       size_t *ret_n)
{
	_cleanup_free_ char *grubenv = NULL;
	struct bls_effective *out = NULL;
	char **list = NULL;
	size_t n = 0, k = 0;
	int r;

	grubenv = read_grubenv(root);
	r = boot_bls_entries(root, &list, &n);
	if (r < 0)
		return r;
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		r = -ENOMEM;
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		struct bls_keys e;

		if (root_read_file(root, list[i], 65536, &text, &len) < 0)
			continue;
		bls_read(text, len, &e);
		if (bls_is_for(e.version, e.linux_path, kver)) {
			snprintf(out[k].path, sizeof(out[k].path), "%s", list[i]);
			out[k].options = bls_options_expand(
				&e, grubenv, grubenv ? strlen(grubenv) : 0, &out[k].unknown);
			if (!out[k].options)
				r = -ENOMEM;
			k++;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			free(out[i].options);
		free(out);
		return r;
	}
	*ret = out;
	*ret_n = k;
	return 0;
}
