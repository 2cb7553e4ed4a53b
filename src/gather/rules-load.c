/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/macro.h"
#include "gather/rules-load.h"
#include "root/root.h"

#ifndef RULES_DIR
#define RULES_DIR "/usr/share/iommu-setup/rules.d"
#endif

static bool is_rules(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the shipped rules are, and how that was decided. */
static void shipped_dir(struct rules_origin *o)
{
	const char *e = secure_getenv("IOMMU_SETUP_RULES_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (e && *e) {
		snprintf(o->shipped, sizeof(o->shipped), "%s", e);
		o->how = "IOMMU_SETUP_RULES_DIR";
		snprintf(o->looked, sizeof(o->looked), "%s ($IOMMU_SETUP_RULES_DIR)", e);
		return;
	}
	snprintf(o->looked, sizeof(o->looked), "%s", RULES_DIR);
	if (is_dir(RULES_DIR)) {
		snprintf(o->shipped, sizeof(o->shipped), "%s", RULES_DIR);
		o->how = "installed";
		return;
	}
	/* not installed: the source tree of a binary in build/ or build/asan/ */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	for (int up = 1; up <= 2; up++) {
		char *slash = strrchr(exe, '/'), cand[PATH_MAX + 32];

		if (!slash)
			return;
		*slash = '\0';
		snprintf(cand, sizeof(cand), "%s/../data/vendor-rules", exe);
		if (is_dir(cand) && realpath(cand, o->shipped)) {
			o->how = "source tree";
			return;
		}
	}
}

static int add_name(struct rules_origin *o, const char *name)
{
	struct rules_file *nf;

	for (size_t i = 0; i < o->n_files; i++)
		if (strcmp(o->files[i].name, name) == 0)
			return 0;
	nf = realloc(o->files, (o->n_files + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	o->files = nf;
	nf[o->n_files] = (struct rules_file){ .origin = "shipped" };
	snprintf(nf[o->n_files].name, sizeof(nf[0].name), "%s", name);
	o->n_files++;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct rules_file *)a)->name, ((const struct rules_file *)b)->name);
}

void rules_origin_done(struct rules_origin *o)
{
	free(o->files);
	o->files = NULL;
	o->n_files = 0;
}

int rules_gather(struct root *root, struct rule_set *set, struct rules_origin *o,
		 struct file_error *err)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	memset(set, 0, sizeof(*set));
	*o = (struct rules_origin){};
	shipped_dir(o);
	snprintf(o->looked + strlen(o->looked), sizeof(o->looked) - strlen(o->looked),
		 " and /%s below the root", ETC_RULES_DIR);
	d = o->shipped[0] ? opendir(o->shipped) : NULL;
	while (d && (de = readdir(d)) && r >= 0)
		if (is_rules(de->d_name))
			r = add_name(o, de->d_name);
	if (d)
		closedir(d);
	d = root_opendir(root, ETC_RULES_DIR);
	while (d && (de = readdir(d)) && r >= 0)
		if (is_rules(de->d_name))
			r = add_name(o, de->d_name);
	if (d)
		closedir(d);
	if (r < 0)
		return r;
	if (o->n_files)
		qsort(o->files, o->n_files, sizeof(*o->files), cmp_file);

	for (size_t i = 0; i < o->n_files && r >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		struct rules_file *f = &o->files[i];
		char rel[PATH_MAX], target[PATH_MAX];

		snprintf(rel, sizeof(rel), "%s/%s", ETC_RULES_DIR, f->name);
		if (root_readlink(root, rel, target, sizeof(target)) >= 0 &&
		    strcmp(target, "/dev/null") == 0) {
			f->origin = "masked";
			snprintf(f->path, sizeof(f->path), "%s", rel);
			continue;
		}
		if (root_exists(root, rel) > 0) {
			f->origin = "etc";
			snprintf(f->path, sizeof(f->path), "%s", rel);
			r = root_read_file(root, rel, 1u << 20, &text, NULL);
		} else {
			snprintf(f->path, sizeof(f->path), "%.3800s/%.255s", o->shipped, f->name);
			r = read_file(f->path, 1u << 20, &text, NULL);
		}
		if (r < 0) {
			file_error_set(err, f->path, 0, "cannot be read: %s", strerror(-r));
			break;
		}
		snprintf(f->shown, sizeof(f->shown), "%s",
			 strcmp(f->origin, "shipped") == 0 ? f->name : f->path);
		r = rules_parse(text, f->shown, set, err);
		if (r >= 0)
			o->found = true;
	}
	if (r < 0) {
		rule_set_done(set);
		rules_origin_done(o);
	}
	return r;
}
