/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading the vendor rules (the systemd drop-in convention): the shipped
 * files in RULES_DIR (or $IOMMU_SETUP_RULES_DIR), each replaced by a file
 * of the same name in <root>/etc/iommu-setup/rules.d, or disabled there by
 * a symlink to /dev/null. `rules` lists the effective rules and where each
 * comes from.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu-setup.h"
#include "json.h"
#include "log.h"
#include "root.h"
#include "rules.h"

#ifndef RULES_DIR
#define RULES_DIR "/usr/share/iommu-setup/rules.d"
#endif
#define ETC_RULES_DIR "etc/iommu-setup/rules.d"

struct rules_file {
	char name[256];
	char path[PATH_MAX];  /* where it was read */
	char shown[PATH_MAX]; /* how rules name it: "10-iommu.rules" when shipped, else the path */
	const char *origin;   /* "shipped", "etc", "masked" */
};

static bool is_rules(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".rules") == 0;
}

static const char *shipped_dir(void)
{
	const char *e = secure_getenv("IOMMU_SETUP_RULES_DIR");

	return e && *e ? e : RULES_DIR;
}

static int add_name(struct rules_file **files, size_t *n, const char *name)
{
	struct rules_file *nf;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*files)[i].name, name) == 0)
			return 0;
	nf = realloc(*files, (*n + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	*files = nf;
	nf[*n] = (struct rules_file){ .origin = "shipped" };
	snprintf(nf[*n].name, sizeof(nf[*n].name), "%s", name);
	(*n)++;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct rules_file *)a)->name, ((const struct rules_file *)b)->name);
}

/* Loads the effective rules. Exit status on failure (2 for a malformed rule). */
static int rules_load(int root_fd, struct rule_set *set, struct rules_file **ret_files,
		      size_t *ret_n)
{
	struct rules_file *files = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int ret = EXIT_OK;

	memset(set, 0, sizeof(*set));
	d = opendir(shipped_dir());
	while (d && (de = readdir(d)))
		if (is_rules(de->d_name) && add_name(&files, &n, de->d_name) < 0)
			ret = EXIT_SYSTEM;
	if (d)
		closedir(d);
	d = root_opendir(root_fd, ETC_RULES_DIR);
	while (d && (de = readdir(d)))
		if (is_rules(de->d_name) && add_name(&files, &n, de->d_name) < 0)
			ret = EXIT_SYSTEM;
	if (d)
		closedir(d);
	if (n)
		qsort(files, n, sizeof(*files), cmp_file);

	for (size_t i = 0; i < n && ret == EXIT_OK; i++) {
		_cleanup_free_ char *text = NULL;
		struct rules_file *f = &files[i];
		char rel[PATH_MAX], target[PATH_MAX];
		struct file_error err = {};
		int r;

		snprintf(rel, sizeof(rel), "%s/%s", ETC_RULES_DIR, f->name);
		if (root_readlink(root_fd, rel, target, sizeof(target)) >= 0 &&
		    strcmp(target, "/dev/null") == 0) {
			f->origin = "masked";
			snprintf(f->path, sizeof(f->path), "%s", rel);
			continue;
		}
		if (root_exists(root_fd, rel) > 0) {
			f->origin = "etc";
			snprintf(f->path, sizeof(f->path), "%s", rel);
			r = root_read_file(root_fd, rel, 1u << 20, &text, NULL);
		} else {
			snprintf(f->path, sizeof(f->path), "%s/%s", shipped_dir(), f->name);
			r = read_file(f->path, 1u << 20, &text, NULL);
		}
		if (r < 0) {
			log_error_errno(r, "%s: %m", f->path);
			ret = EXIT_SYSTEM;
			break;
		}
		snprintf(f->shown, sizeof(f->shown), "%s",
			 strcmp(f->origin, "shipped") == 0 ? f->name : f->path);
		r = rules_parse(text, f->shown, set, &err);
		if (r == -EINVAL) {
			log_error("%s:%u: %s", err.file, err.line, err.message);
			ret = EXIT_BAD_INPUT;
		} else if (r < 0)
			ret = EXIT_SYSTEM;
	}
	if (ret != EXIT_OK) {
		rule_set_done(set);
		free(files);
		return ret;
	}
	if (ret_files)
		*ret_files = files;
	else
		free(files);
	if (ret_n)
		*ret_n = n;
	return EXIT_OK;
}

int verb_rules(struct context *ctx)
{
	struct rules_file *files = NULL;
	struct rule_set set;
	size_t n = 0;
	int ret;

	if (ctx->n_args > 0) {
		log_error("rules takes no arguments");
		return EXIT_BAD_INPUT;
	}
	ret = rules_load(ctx->root_fd, &set, &files, &n);
	if (ret != EXIT_OK)
		return ret;

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_array_begin(&j, "files");
		for (size_t i = 0; i < n; i++) {
			json_object_begin(&j, NULL);
			json_string(&j, "name", files[i].name);
			json_string(&j, "path", files[i].path);
			json_string(&j, "origin", files[i].origin);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "rules");
		for (size_t i = 0; i < set.n; i++) {
			const struct rule *r = &set.rules[i];
			char text[1024];

			rule_format(r, text, sizeof(text));
			json_object_begin(&j, NULL);
			json_string(&j, "file", r->file);
			json_uint(&j, "line", r->line);
			json_string(&j, "rule", text);
			json_string(&j, "action", rule_action_to_string(r->action));
			json_string(&j, "argument", r->arg);
			json_string(&j, "why", r->why[0] ? r->why : NULL);
			json_string(&j, "ref", r->ref[0] ? r->ref : NULL);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		json_finish(&j);
	} else {
		for (size_t i = 0; i < n; i++) {
			printf("%s%s", i ? "\n" : "", files[i].path);
			if (strcmp(files[i].origin, "etc") == 0)
				printf(" (local, replaces the shipped %s)\n", files[i].name);
			else if (strcmp(files[i].origin, "masked") == 0) {
				printf(" -> /dev/null: %s is disabled\n", files[i].name);
				continue;
			} else
				printf(" (shipped)\n");
			for (size_t k = 0; k < set.n; k++) {
				const struct rule *r = &set.rules[k];
				char text[1024];

				if (strcmp(r->file, files[i].shown) != 0)
					continue;
				rule_format(r, text, sizeof(text));
				printf("  %u: %s\n", r->line, text);
				if (r->why[0])
					printf("      why: %s\n", r->why);
				if (r->ref[0])
					printf("      ref: %s\n", r->ref);
			}
		}
	}
	rule_set_done(&set);
	free(files);
	return EXIT_OK;
}

int rules_load_effective(int root_fd, struct rule_set *set)
{
	int r = rules_load(root_fd, set, NULL, NULL);

	if (r == EXIT_OK && set->n == 0)
		log_warning("no vendor rules in %s or %s below the root: plan decides without them",
			    shipped_dir(), ETC_RULES_DIR);
	return r;
}
