/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "decide/kernel-check.h"
#include "decide/kparams.h"
#include "decide/plan.h"
#include "facts/cmdline.h"

static const struct check *find_code(const struct check_report *r, const char *code)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->items[i].code && strcmp(r->items[i].code, code) == 0)
			return &r->items[i];
	return NULL;
}

/* "name=value" (or "name") once in words: the list of missing words */
static void add_word(char *words, size_t n, const char *name, const char *value)
{
	char w[256];
	size_t len, used = strlen(words);

	snprintf(w, sizeof(w), "%s%s%s", name, value ? "=" : "", value ? value : "");
	len = strlen(w);
	for (const char *p = words; (p = strstr(p, w)); p += len)
		if ((p == words || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return;
	if (used + (used ? 1 : 0) + len + 1 > n)
		return; /* for people: what does not fit is left out */
	snprintf(words + used, n - used, "%s%s", used ? " " : "", w);
}

/* Is item among the comma-separated options of the word(s) name in c? */
static bool has_item(const struct kcmdline *c, const char *name, const char *item)
{
	_cleanup_free_ char *items = kparam_name_eq(name, "vfio_pci.ids") ? kcmdline_vfio_ids(c)
									  : kcmdline_items(c, name);
	size_t len = strlen(item);

	if (!items)
		return false;
	for (const char *p = items; *p;) {
		size_t k = strcspn(p, ",");

		if (k == len && strncmp(p, item, len) == 0)
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

/* One parameter the record says apply added: missing words go to lacks,
 * a wrong value or a second occurrence to wrong. */
static void judge_param(const struct kcmdline *c, const struct record_add *a, char *lacks,
			size_t n_lacks, char *wrong, size_t n_wrong)
{
	const struct kop op = { KOP_ENSURE, a->name, a->value };
	char why[256] = "";

	if (kparam_takes_list(a->name) && a->value) {
		/* what apply added, item by item: IDs or options added by hand stay */
		_cleanup_free_ char *v = strdup(a->value);
		bool missing = false;

		if (!v)
			return;
		for (char *s = v, *item; (item = strsep(&s, ","));)
			if (*item && !has_item(c, a->name, item)) {
				add_word(lacks, n_lacks, a->name, item);
				missing = true;
			}
		if (missing || !kparam_is_comma_list(a->name))
			return;
	} else if (!kcmdline_find(c, a->name)) {
		add_word(lacks, n_lacks, a->name, a->value);
		return;
	}
	if (kparam_takes_list(a->name) && !kparam_is_comma_list(a->name))
		return;
	if (!kline_satisfies(c, &op, false, why, sizeof(why)) && !strstr(wrong, why)) {
		size_t used = strlen(wrong);

		snprintf(wrong + used, n_wrong - used, "%s%s", used ? ", " : "", why);
	}
}

int kernel_check_gaps(const struct host *h, const struct check_report *r, const struct record *rec,
		      char **ret)
{
	const struct boot_state *b = &h->boot;
	_cleanup_free_ char *buf = NULL;
	char lacks[1024] = "", wrong[1024] = "", missing_mods[128] = "";
	const char *where = b->configured_file;
	struct kcmdline from_kernel_cmdline = {};
	const struct kcmdline *line = NULL;
	bool any_param = false, unknown = false, none = false;
	unsigned n_missing = 0;
	size_t size = 0;
	FILE *f;

	*ret = NULL;
	for (size_t i = 0; i < rec->n_files; i++)
		if (file_kind_is_cmdline(rec->files[i].kind) && rec->files[i].n_adds > 0)
			any_param = true;

	/* the line this kernel's boot entry gets */
	if (b->loader == LOADER_GRUB_BLS && !b->bls_entry[0] && b->kernel_cmdline) {
		/* no entry of its own yet: kernel-install makes it from etc/kernel/cmdline */
		if (kcmdline_parse(b->kernel_cmdline, &from_kernel_cmdline) < 0)
			return -ENOMEM;
		line = &from_kernel_cmdline;
		where = "etc/kernel/cmdline";
	} else if (b->configured_found && b->configured_known)
		line = &b->configured;
	else if (b->configured_found)
		unknown = true;
	else
		none = true;

	if (line)
		for (size_t i = 0; i < rec->n_files; i++) {
			const struct record_file *rf = &rec->files[i];

			if (!file_kind_is_cmdline(rf->kind))
				continue;
			for (size_t k = 0; k < rf->n_adds; k++)
				judge_param(line, &rf->adds[k], lacks, sizeof(lacks), wrong,
					    sizeof(wrong));
		}
	/* a kernel that does not turn VT-d on by itself, with a line without intel_iommu=on */
	if (line && find_code(r, "NEXT_BOOT_IOMMU_OFF"))
		add_word(lacks, sizeof(lacks), "intel_iommu", "on");

	if (find_code(r, "VFIO_MODULES_MISSING"))
		for (int i = 0; i < _VFIO_MOD_MAX; i++) {
			const struct mod_info *mi = &h->modules.mods[i];
			size_t used = strlen(missing_mods);

			if (mi->kind != MOD_MISSING ||
			    !(i == VFIO_MOD_VFIO || i == VFIO_MOD_VFIO_PCI ||
			      i == VFIO_MOD_VFIO_IOMMU_TYPE1))
				continue;
			snprintf(missing_mods + used, sizeof(missing_mods) - used, "%s%s",
				 used ? ", " : "", mi->name);
			n_missing++;
		}

	f = open_memstream(&buf, &size);
	if (!f) {
		kcmdline_done(&from_kernel_cmdline);
		return -ENOMEM;
	}
#define SEP() (ftell(f) > 0 ? "; " : "")
	if (any_param && none)
		fprintf(f, "%sno boot configuration for it was found", SEP());
	if (any_param && unknown)
		fprintf(f, "%sits command line (%s) cannot be evaluated: %s", SEP(), where,
			b->configured_why);
	if (lacks[0] || wrong[0])
		fprintf(f, "%sits boot entry %s%s%s%s (in %s)", SEP(), lacks[0] ? "lacks " : "",
			lacks, lacks[0] && wrong[0] ? " and " : "", wrong, where);
	if (line == &b->configured && find_code(r, "FUTURE_KERNELS_CMDLINE"))
		fprintf(f,
			"%setc/kernel/cmdline, which kernels installed later get, differs from %s",
			SEP(), where);
	if (n_missing)
		fprintf(f, "%s%s %s not in its modules", SEP(), missing_mods,
			n_missing == 1 ? "is" : "are");
	if (find_code(r, "MODULE_INDEX_UNREADABLE"))
		fprintf(f, "%sits module index cannot be read (depmod %s)", SEP(), h->modules.kver);
#undef SEP
	kcmdline_done(&from_kernel_cmdline);
	if (fclose(f) != 0)
		return -ENOMEM;
	if (size > 0)
		*ret = TAKE_PTR(buf);
	return 0;
}
