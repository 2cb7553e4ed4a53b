/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macro.h"
#include "facts/cmdline.h"
#include "gather/modules.h"
#include "root/root.h"

/* modprobe.d directories in kmod's order: a file name found in an earlier
 * one hides the same name in later ones */
static const char *const conf_dirs[] = {
	"etc/modprobe.d", "run/modprobe.d",	"usr/local/lib/modprobe.d",
	"lib/modprobe.d", "usr/lib/modprobe.d",
};

static int cmp_version_desc(const void *a, const void *b)
{
	return -strverscmp(*(char *const *)a, *(char *const *)b);
}

static int list_kernels(struct root *root, struct modules_state *m)
{
	_cleanup_(closedirp) DIR *d = root_opendir(root, "lib/modules");
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[512], **n;

		if (de->d_name[0] == '.')
			continue;
		/* a kernel's tree has its module index; leftovers of removed kernels do not */
		snprintf(path, sizeof(path), "lib/modules/%s/modules.dep", de->d_name);
		if (root_exists(root, path) <= 0)
			continue;
		n = realloc(m->kernels, (m->n_kernels + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->kernels = n;
		n[m->n_kernels] = strdup(de->d_name);
		if (!n[m->n_kernels])
			return -ENOMEM;
		m->n_kernels++;
	}
	if (m->n_kernels)
		qsort(m->kernels, m->n_kernels, sizeof(m->kernels[0]), cmp_version_desc);
	return 0;
}

static void silent_log(void *data, int priority, const char *file, int line, const char *fn,
		       const char *format, va_list args)
{
}

static struct kmod_ctx *new_ctx(const char *moddir, const char *const *config_paths)
{
	struct kmod_ctx *ctx = kmod_new(moddir, config_paths);

	if (ctx)
		kmod_set_log_fn(ctx, silent_log, NULL);
	return ctx;
}

struct conf_file {
	char name[256];
	char rel[512];
};

static int cmp_conf(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name, ((const struct conf_file *)b)->name);
}

static bool is_masked(struct root *root, const char *rel)
{
	char target[16];

	return root_readlink(root, rel, target, sizeof(target)) >= 0 &&
	       strcmp(target, "/dev/null") == 0;
}

/* The modprobe.d files in kmod's order, read and parsed (modconf.c). */
static int gather_config(struct root *root, struct modules_state *m)
{
	_cleanup_free_ struct conf_file *files = NULL;
	size_t n_files = 0;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(conf_dirs); i++) {
		_cleanup_(closedirp) DIR *d = root_opendir(root, conf_dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			bool dup = false;
			struct conf_file *nf;

			if (de->d_name[0] == '.')
				continue;
			r = root_check_name(root, conf_dirs[i], de->d_name);
			if (r < 0)
				return r;
			if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0) {
				_cleanup_free_ char *text = NULL;
				char rel[600];
				char **ni;

				/* modprobe skips it: worth a word only if it was meant for VFIO */
				snprintf(rel, sizeof(rel), "%s/%s", conf_dirs[i], de->d_name);
				if (root_read_file(root, rel, 1u << 20, &text, NULL) < 0 ||
				    !modules_mentions_vfio(text))
					continue;
				ni = realloc(m->ignored_files, (m->n_ignored + 1) * sizeof(*ni));
				if (!ni)
					return -ENOMEM;
				m->ignored_files = ni;
				if (asprintf(&ni[m->n_ignored], "%s/%s", conf_dirs[i], de->d_name) <
				    0)
					return -ENOMEM;
				m->n_ignored++;
				continue;
			}
			for (size_t k = 0; k < n_files; k++)
				if (strcmp(files[k].name, de->d_name) == 0)
					dup = true;
			if (dup)
				continue;
			nf = realloc(files, (n_files + 1) * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			files = nf;
			snprintf(files[n_files].name, sizeof(files[n_files].name), "%s",
				 de->d_name);
			snprintf(files[n_files].rel, sizeof(files[n_files].rel), "%s/%s",
				 conf_dirs[i], de->d_name);
			n_files++;
		}
	}
	if (n_files)
		qsort(files, n_files, sizeof(*files), cmp_conf);

	m->conf_files = calloc(n_files ? n_files : 1, sizeof(*m->conf_files));
	if (!m->conf_files)
		return -ENOMEM;
	for (size_t i = 0; i < n_files && r >= 0; i++) {
		struct src_file *f = &m->conf_files[m->n_conf_files];

		*f = (struct src_file){ .path = strdup(files[i].rel) };
		if (!f->path)
			return -ENOMEM;
		m->n_conf_files++;
		r = root_read_file(root, files[i].rel, 1u << 20, &f->text, &f->len);
		if (r == -ENOTREG && is_masked(root, files[i].rel))
			r = -ENOENT; /* a link to /dev/null: the file is masked */
		if (r == -ENOENT || r == -EISDIR) {
			r = 0; /* a dangling link or a directory: modprobe reads nothing there */
			continue;
		}
		if (r >= 0)
			r = modconf_parse(&m->all, f->path, f->text, f->len);
	}
	for (size_t i = 0; i < m->all.n && r >= 0; i++) {
		const struct modconf_entry *e = &m->all.entries[i];
		struct modconf_entry *nc;

		if (!modconf_entry_relevant(e))
			continue;
		nc = realloc(m->conf, (m->n_conf + 1) * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		m->conf = nc;
		nc[m->n_conf] = (struct modconf_entry){ .line = e->line, .kind = e->kind };
		nc[m->n_conf].file = e->file ? strdup(e->file) : NULL;
		nc[m->n_conf].module = strdup(e->module);
		nc[m->n_conf].value = e->value ? strdup(e->value) : NULL;
		m->n_conf++;
		if ((e->file && !nc[m->n_conf - 1].file) || !nc[m->n_conf - 1].module ||
		    (e->value && !nc[m->n_conf - 1].value))
			return -ENOMEM;
	}
	return r;
}

static int module_state(struct root *root, struct kmod_ctx *ctx, bool live, struct mod_info *mi)
{
	struct kmod_list *list = NULL, *filtered = NULL, *l;
	int r;

	mi->kind = MOD_MISSING;
	mi->loaded = -1;
	/* the lookup finds modules.dep entries and modules.builtin alike */
	r = kmod_module_new_from_lookup(ctx, mi->name, &list);
	if (r < 0)
		return r;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);

		if (strcmp(kmod_module_get_name(mod), mi->name) == 0)
			mi->kind = kmod_module_get_path(mod) ? MOD_MODULE : MOD_BUILTIN;
		kmod_module_unref(mod);
	}
	/* KMOD_FILTER_BUILTIN drops what the kernel's modules.builtin lists */
	if (mi->kind != MOD_MISSING &&
	    kmod_module_apply_filter(ctx, KMOD_FILTER_BUILTIN, list, &filtered) >= 0) {
		bool kept = false;

		kmod_list_foreach(l, filtered)
		{
			struct kmod_module *mod = kmod_module_get_module(l);

			if (strcmp(kmod_module_get_name(mod), mi->name) == 0)
				kept = true;
			kmod_module_unref(mod);
		}
		mi->kind = kept ? MOD_MODULE : MOD_BUILTIN;
		kmod_module_unref_list(filtered);
	}
	kmod_module_unref_list(list);

	if (live) {
		char path[128];

		snprintf(path, sizeof(path), "sys/module/%s/initstate", mi->name);
		if (mi->kind == MOD_BUILTIN)
			mi->loaded = 1;
		else
			mi->loaded = root_exists(root, path) > 0;
	}
	return 0;
}

int modules_target_kernel(struct root *root, const char *kver, char *ret, size_t n)
{
	struct modules_state m = {};
	int r = list_kernels(root, &m);

	ret[0] = '\0';
	if (r >= 0 && kver) {
		r = -ENOENT;
		for (unsigned i = 0; i < m.n_kernels; i++)
			if (strcmp(m.kernels[i], kver) == 0)
				r = 0;
		if (r == 0)
			snprintf(ret, n, "%s", kver);
	} else if (r >= 0 && m.n_kernels)
		snprintf(ret, n, "%s", m.kernels[0]);
	modules_state_done(&m);
	return r;
}

int modules_gather(struct root *root, const char *kver, const char *running,
		   struct modules_state *m)
{
	char moddir[PATH_MAX];
	struct kmod_ctx *ctx;
	const char *none[] = { "/dev/null/none", NULL };
	bool live;
	int r;

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		m->mods[i] = (struct mod_info){ .name = vfio_module_name(i), .loaded = -1 };

	r = list_kernels(root, m);
	if (r < 0)
		return r;
	if (kver) {
		bool found = false;

		for (unsigned i = 0; i < m->n_kernels; i++)
			if (strcmp(m->kernels[i], kver) == 0)
				found = true;
		if (!found)
			return -ENOENT;
		m->kver_from_arg = true;
	} else if (m->n_kernels)
		kver = m->kernels[0];
	else
		return 0; /* no kernel installed below the root */
	snprintf(m->kver, sizeof(m->kver), "%s", kver);
	live = running && strcmp(running, kver) == 0;

	/* libkmod opens its indexes by path: copies read through the root */
	r = root_kmod_dir(root, kver, moddir, sizeof(moddir));
	if (r < 0)
		return m->error = r, 0;

	ctx = new_ctx(moddir, none);
	if (!ctx)
		return -ENOMEM;
	r = kmod_load_resources(ctx);
	if (r < 0)
		m->error = r;
	for (int i = 0; i < _VFIO_MOD_MAX && r >= 0; i++)
		r = module_state(root, ctx, live, &m->mods[i]);
	kmod_unref(ctx);
	if (r == -ENOMEM)
		return r;

	return gather_config(root, m);
}

void modules_state_done(struct modules_state *m)
{
	for (unsigned i = 0; i < m->n_kernels; i++)
		free(m->kernels[i]);
	free(m->kernels);
	for (unsigned i = 0; i < m->n_conf; i++) {
		free(m->conf[i].file);
		free(m->conf[i].module);
		free(m->conf[i].value);
	}
	free(m->conf);
	for (size_t i = 0; i < m->n_conf_files; i++)
		src_file_done(&m->conf_files[i]);
	free(m->conf_files);
	modconf_done(&m->all);
	for (unsigned i = 0; i < m->n_ignored; i++)
		free(m->ignored_files[i]);
	free(m->ignored_files);
	memset(m, 0, sizeof(*m));
}

struct opt_pair {
	char *module, *options;
};

static int list_options(struct kmod_ctx *ctx, struct opt_pair **ret, size_t *n)
{
	struct kmod_config_iter *it = kmod_config_get_options(ctx);
	int r = 0;

	while (it && kmod_config_iter_next(it)) {
		struct opt_pair *np = realloc(*ret, (*n + 1) * sizeof(*np));

		if (!np) {
			r = -ENOMEM;
			break;
		}
		*ret = np;
		np[*n].module = strdup(kmod_config_iter_get_key(it));
		np[*n].options = strdup(kmod_config_iter_get_value(it));
		(*n)++;
		if (!np[*n - 1].module || !np[*n - 1].options) {
			r = -ENOMEM;
			break;
		}
	}
	kmod_config_iter_free_iter(it);
	return r;
}

static void pairs_free(struct opt_pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].module);
		free(p[i].options);
	}
	free(p);
}

int modules_libkmod_options(struct root *root, const char *kver, const char *module, char **ret)
{
	const char *none[] = { "/dev/null/none", NULL };
	char paths[ARRAY_SIZE(conf_dirs)][PATH_MAX], moddir[PATH_MAX];
	const char *config[ARRAY_SIZE(conf_dirs) + 1];
	struct opt_pair *all = NULL, *base = NULL;
	size_t n_all = 0, n_base = 0, k = 0, n_keep;
	struct kmod_ctx *ctx;
	char *out = NULL;
	size_t used = 0;
	int r;

	r = root_kmod_dir(root, kver, moddir, sizeof(moddir));
	if (r < 0)
		return r;
	/* libkmod reads the directories by path: copies of them, read through the
	 * root, so that it judges what is there by its own rules */
	for (size_t i = 0; i < ARRAY_SIZE(conf_dirs); i++) {
		r = root_copy_dir(root, conf_dirs[i], 1u << 20, NULL, paths[i], sizeof(paths[i]));
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		config[k++] = paths[i];
	}
	r = 0;
	config[k] = NULL;
	/* libkmod adds module.param words of the running kernel's /proc/cmdline
	 * after the files: what a context without files reports is that part */
	ctx = new_ctx(moddir, none);
	if (!ctx)
		r = -ENOMEM;
	if (r >= 0)
		r = list_options(ctx, &base, &n_base);
	kmod_unref(ctx);
	ctx = r >= 0 ? new_ctx(moddir, config) : NULL;
	if (r >= 0 && !ctx)
		r = -ENOMEM;
	if (r >= 0)
		r = list_options(ctx, &all, &n_all);
	kmod_unref(ctx);
	n_keep = n_all;
	if (r >= 0 && n_base <= n_all) {
		bool tail = true;

		for (size_t i = 0; i < n_base; i++)
			if (strcmp(all[n_all - n_base + i].module, base[i].module) != 0 ||
			    strcmp(all[n_all - n_base + i].options, base[i].options) != 0)
				tail = false;
		if (tail)
			n_keep -= n_base;
	}
	if (r >= 0) {
		size_t cap = 1;

		for (size_t i = 0; i < n_keep; i++)
			cap += strlen(all[i].options) + 1;
		out = calloc(1, cap);
		if (!out)
			r = -ENOMEM;
		for (size_t i = 0; out && i < n_keep; i++)
			if (module_name_eq(all[i].module, module) && all[i].options[0])
				used += (size_t)snprintf(out + used, cap - used, "%s%s",
							 used ? " " : "", all[i].options);
	}
	pairs_free(all, n_all);
	pairs_free(base, n_base);
	if (r < 0)
		return r;
	*ret = out;
	return 0;
}
