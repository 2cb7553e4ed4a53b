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

#include "cmdline.h"
#include "macro.h"
#include "modules.h"
#include "root.h"

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

static int list_kernels(int root_fd, struct modules_state *m)
{
	_cleanup_(closedirp) DIR *d = root_opendir(root_fd, "lib/modules");
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) && m->n_kernels < MODULES_KERNELS_MAX) {
		char path[512];

		if (de->d_name[0] == '.')
			continue;
		/* a kernel's tree has its module index; leftovers of removed kernels do not */
		snprintf(path, sizeof(path), "lib/modules/%s/modules.dep", de->d_name);
		if (root_exists(root_fd, path) <= 0)
			continue;
		m->kernels[m->n_kernels] = strdup(de->d_name);
		if (!m->kernels[m->n_kernels])
			return -ENOMEM;
		m->n_kernels++;
	}
	qsort(m->kernels, m->n_kernels, sizeof(m->kernels[0]), cmp_version_desc);
	return 0;
}

/* A path libkmod can open that resolves inside the root: /proc/self/fd/N. */
static int fd_path(int fd, char *buf, size_t n)
{
	snprintf(buf, n, "/proc/self/fd/%d", fd);
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

static int add_entry(struct modules_state *m, const char *file, enum modconf_kind kind,
		     const char *module, const char *value)
{
	struct modconf_entry *n = realloc(m->conf, (m->n_conf + 1) * sizeof(*n));
	struct modconf_entry *e;

	if (!n)
		return -ENOMEM;
	m->conf = n;
	e = &m->conf[m->n_conf];
	*e = (struct modconf_entry){ .kind = kind };
	e->file = strdup(file);
	e->module = strdup(module);
	e->value = value ? strdup(value) : NULL;
	if (!e->file || !e->module || (value && !e->value)) {
		free(e->file);
		free(e->module);
		free(e->value);
		return -ENOMEM;
	}
	m->n_conf++;
	return 0;
}

static bool mentions_vfio(const char *s)
{
	return s && (strstr(s, "vfio") || strstr(s, "iommufd"));
}

struct seen {
	char *key, *value;
};

/* Entries libkmod reports without any file: it also reads the running
 * kernel's /proc/cmdline (module.param=value), which is not the root's. */
static bool in_baseline(const struct seen *b, size_t n, const char *key, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(b[i].key, key) == 0 &&
		    strcmp(b[i].value ? b[i].value : "", value ? value : "") == 0)
			return true;
	return false;
}

static int collect(struct modules_state *m, struct kmod_ctx *ctx, const char *file,
		   struct seen **baseline, size_t *n_baseline)
{
	static const struct {
		enum modconf_kind kind;
		struct kmod_config_iter *(*get)(const struct kmod_ctx *ctx);
	} kinds[] = {
		{ MODCONF_OPTIONS, kmod_config_get_options },
		{ MODCONF_SOFTDEP, kmod_config_get_softdeps },
		{ MODCONF_BLACKLIST, kmod_config_get_blacklists },
	};
	int r = 0;

	for (size_t k = 0; k < ARRAY_SIZE(kinds) && r >= 0; k++) {
		struct kmod_config_iter *it = kinds[k].get(ctx);

		while (it && kmod_config_iter_next(it)) {
			const char *key = kmod_config_iter_get_key(it);
			const char *value = kinds[k].kind == MODCONF_BLACKLIST
						    ? NULL
						    : kmod_config_iter_get_value(it);

			if (!file) {
				/* recording the baseline */
				struct seen *nb =
					realloc(*baseline, (*n_baseline + 1) * sizeof(*nb));

				if (!nb) {
					r = -ENOMEM;
					break;
				}
				*baseline = nb;
				nb[*n_baseline].key = strdup(key);
				nb[*n_baseline].value = value ? strdup(value) : NULL;
				(*n_baseline)++;
				continue;
			}
			if (in_baseline(*baseline, *n_baseline, key, value))
				continue;
			/* ours: options for our modules, softdeps and blacklists that
			 * involve them, and blacklists of anything (guides blacklist
			 * the native driver) */
			if (modules_is_vfio(key) || mentions_vfio(value) ||
			    kinds[k].kind == MODCONF_BLACKLIST) {
				r = add_entry(m, file, kinds[k].kind, key, value);
				if (r < 0)
					break;
			}
		}
		kmod_config_iter_free_iter(it);
	}
	return r;
}

struct conf_file {
	char name[256];
	char rel[512];
};

static int cmp_conf(const void *a, const void *b)
{
	return strcmp(((const struct conf_file *)a)->name, ((const struct conf_file *)b)->name);
}

static int gather_config(int root_fd, const char *moddir, struct modules_state *m)
{
	_cleanup_free_ struct conf_file *files = NULL;
	struct seen *baseline = NULL;
	size_t n_files = 0, n_baseline = 0;
	const char *none[] = { "/dev/null/none", NULL };
	struct kmod_ctx *ctx;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(conf_dirs); i++) {
		_cleanup_(closedirp) DIR *d = root_opendir(root_fd, conf_dirs[i]);
		struct dirent *de;

		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t len = strlen(de->d_name);
			bool dup = false;
			struct conf_file *nf;

			if (de->d_name[0] == '.')
				continue;
			if (len < 5 || strcmp(de->d_name + len - 5, ".conf") != 0) {
				_cleanup_free_ char *text = NULL;
				char rel[600];
				char **ni;

				/* modprobe skips it: worth a word only if it was meant for VFIO */
				snprintf(rel, sizeof(rel), "%s/%s", conf_dirs[i], de->d_name);
				if (root_read_file(root_fd, rel, 1u << 20, &text, NULL) < 0 ||
				    !mentions_vfio(text))
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

	/* what libkmod reports with no configuration file at all */
	ctx = new_ctx(moddir, none);
	if (ctx) {
		r = collect(m, ctx, NULL, &baseline, &n_baseline);
		kmod_unref(ctx);
	}
	for (size_t i = 0; i < n_files && r >= 0; i++) {
		_cleanup_close_ int fd = root_openat(root_fd, files[i].rel, O_RDONLY);
		char path[64];
		const char *paths[2] = { path, NULL };

		if (fd < 0)
			continue;
		fd_path(fd, path, sizeof(path));
		ctx = new_ctx(moddir, paths);
		if (!ctx)
			continue;
		r = collect(m, ctx, files[i].rel, &baseline, &n_baseline);
		kmod_unref(ctx);
	}
	for (size_t i = 0; i < n_baseline; i++) {
		free(baseline[i].key);
		free(baseline[i].value);
	}
	free(baseline);
	return r;
}

static int module_state(int root_fd, struct kmod_ctx *ctx, bool live, struct mod_info *mi)
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
			mi->loaded = root_exists(root_fd, path) > 0;
	}
	return 0;
}

int modules_target_kernel(int root_fd, const char *kver, char *ret, size_t n)
{
	struct modules_state m = {};
	int r = list_kernels(root_fd, &m);

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

int modules_gather(int root_fd, const char *kver, const char *running, struct modules_state *m)
{
	_cleanup_close_ int dirfd = -1;
	char rel[512], moddir[64];
	struct kmod_ctx *ctx;
	const char *none[] = { "/dev/null/none", NULL };
	bool live;
	int r;

	memset(m, 0, sizeof(*m));
	for (int i = 0; i < _VFIO_MOD_MAX; i++)
		m->mods[i] = (struct mod_info){ .name = vfio_module_name(i), .loaded = -1 };

	r = list_kernels(root_fd, m);
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

	snprintf(rel, sizeof(rel), "lib/modules/%s", kver);
	dirfd = root_openat(root_fd, rel, O_PATH | O_DIRECTORY);
	if (dirfd < 0)
		return m->error = dirfd, 0;
	fd_path(dirfd, moddir, sizeof(moddir));

	ctx = new_ctx(moddir, none);
	if (!ctx)
		return -ENOMEM;
	r = kmod_load_resources(ctx);
	if (r < 0)
		m->error = r;
	for (int i = 0; i < _VFIO_MOD_MAX && r >= 0; i++)
		r = module_state(root_fd, ctx, live, &m->mods[i]);
	kmod_unref(ctx);
	if (r == -ENOMEM)
		return r;

	return gather_config(root_fd, moddir, m);
}

void modules_state_done(struct modules_state *m)
{
	for (unsigned i = 0; i < m->n_kernels; i++)
		free(m->kernels[i]);
	for (unsigned i = 0; i < m->n_conf; i++) {
		free(m->conf[i].file);
		free(m->conf[i].module);
		free(m->conf[i].value);
	}
	free(m->conf);
	for (unsigned i = 0; i < m->n_ignored; i++)
		free(m->ignored_files[i]);
	free(m->ignored_files);
	memset(m, 0, sizeof(*m));
}
