/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the GRUB trial (decide/trial.c), the input taken as a
 * grub.cfg, a custom.cfg and a grubenv in turn (not NUL-terminated, so a
 * read past its end is caught). For any input each either refuses or:
 *  - the entry found lies inside the text, and the trial entry made from
 *    it is one block custom.cfg recognises;
 *  - custom.cfg with the block has the trial, and taking it out gives back
 *    what was there (a newline added at its end at most), as commit's and
 *    revert's undo does; a trial line read from any input is a string;
 *  - grubenv with next_entry set is a block of at least 1024 bytes whose
 *    next_entry reads back, setting it twice changes nothing, and unsetting
 *    (or the undo) leaves none; the undo leaves a block without ours as it is;
 *  - the mount found for a path in the input as mountinfo has a mount point
 *    that is "/" or a leading directory of the path;
 *  - the input as a BLS entry: the trial entry made from it has one
 *    options line, which reads back as the edited line, and the undo
 *    removes the entry;
 *  - the input as systemd-boot's loader.conf gets a verdict with a name;
 *    as an EFI variable it is shown in a diff, and the undo of
 *    LoaderEntryOneShot removes it or keeps it byte for byte.
 * A violation aborts, which the fuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decide/bootcfg-edit.h"
#include "decide/trial.h"
#include "facts/mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct kop ops[] = {
	{ KOP_ENSURE, "intel_iommu", "on" },
	{ KOP_ENSURE, "iommu", "pt" },
};
static const char kver[] = "6.1.0-50-amd64";

static void entry(const char *t, size_t n)
{
	struct grub_cfg_entry e;
	char *out = NULL, *custom = NULL, error[256];

	if (grub_cfg_find_entry(t, n, kver, &e) < 0)
		return;
	if (!(e.start < e.args_start && e.args_start <= e.args_end && e.args_end <= e.end &&
	      e.end <= n))
		abort();
	if (grub_trial_entry(t, &e, kver, ops, 2, &out, error, sizeof(error)) < 0)
		return;
	if (grub_custom_cfg_set(NULL, 0, out, &custom, error, sizeof(error)) < 0 || !custom ||
	    !grub_custom_cfg_has_trial(custom, strlen(custom)) || !strstr(out, "intel_iommu="))
		abort();
	free(out);
	free(custom);
}

static void custom(const char *t, size_t n)
{
	static const char block[] = GRUB_TRIAL_BEGIN "\nmenuentry 'x' {\n}\n" GRUB_TRIAL_END "\n";
	char *with = NULL, *without = NULL, error[256];

	char *args = NULL, *undone = NULL;
	size_t ul = 0;

	if (grub_custom_cfg_trial_args(t, n, &args) == 0 && (!args || strlen(args) > n))
		abort();
	free(args);
	if (grub_custom_cfg_has_trial(t, n))
		return;
	if (grub_custom_cfg_set(t, n, block, &with, error, sizeof(error)) < 0)
		return;
	if (!with || !grub_custom_cfg_has_trial(with, strlen(with)))
		abort();
	if (grub_custom_cfg_set(with, strlen(with), NULL, &without, error, sizeof(error)) < 0)
		abort();
	if (n == 0 ? without != NULL
		   : !without || strncmp(without, t, n) != 0 ||
			     !(strlen(without) == n ||
			       (strlen(without) == n + 1 && without[n] == '\n')))
		abort();
	if (grub_trial_undo("boot/grub/custom.cfg", with, strlen(with), &undone, &ul, error,
			    sizeof(error)) < 0 ||
	    (!undone) != (!without) || (undone && strcmp(undone, without) != 0))
		abort();
	free(undone);
	free(with);
	free(without);
}

static void env(const char *t, size_t n)
{
	char *a = NULL, *b = NULL, *c = NULL, *v, error[256];
	size_t al, bl, cl;

	if (grubenv_set(t, n, "next_entry", GRUB_TRIAL_ID, &a, &al, error, sizeof(error)) < 0)
		return;
	v = grubenv_get_value(a, al, "next_entry");
	if (al < 1024 || !v || strcmp(v, GRUB_TRIAL_ID) != 0)
		abort();
	free(v);
	if (grubenv_set(a, al, "next_entry", GRUB_TRIAL_ID, &b, &bl, error, sizeof(error)) < 0 ||
	    bl != al || memcmp(a, b, al) != 0)
		abort();
	if (grubenv_set(a, al, "next_entry", NULL, &c, &cl, error, sizeof(error)) < 0 || cl != al)
		abort();
	v = grubenv_get_value(c, cl, "next_entry");
	if (v)
		abort();
	{
		char *u = NULL;
		size_t ul = 0;

		/* the undo takes ours out, and leaves a block without it as it is */
		if (grub_trial_undo("boot/grub/grubenv", a, al, &u, &ul, error, sizeof(error)) <
			    0 ||
		    ul != cl || memcmp(u, c, cl) != 0)
			abort();
		free(u);
		if (grub_trial_undo("boot/grub/grubenv", c, cl, &u, &ul, error, sizeof(error)) <
			    0 ||
		    ul != cl || memcmp(u, c, cl) != 0)
			abort();
		free(u);
	}
	free(a);
	free(b);
	free(c);
}

static void mounts(const char *t, size_t n)
{
	static const char path[] = "/boot/grub/grubenv";
	struct mount_entry m;
	struct file_error err;
	size_t k;

	if (mountinfo_find(t, n, path, &m, &err) < 0)
		return;
	k = strlen(m.mount_point);
	if (strcmp(m.mount_point, "/") != 0 &&
	    (strncmp(path, m.mount_point, k) != 0 || (path[k] != '/' && path[k] != '\0')))
		abort();
}

static void bls(const char *t, size_t n)
{
	static const char env[] = "# GRUB Environment Block\nkernelopts=root=/dev/sda1 ro\n";
	char *out = NULL, *from = NULL, *to = NULL, *args = NULL, *u = NULL, error[256];
	size_t ul = 1;

	if (bls_trial_entry(t, n, kver, true, env, strlen(env), ops, 2, &out, &from, &to, error,
			    sizeof(error)) < 0) {
		if (out || from || to)
			abort();
		return;
	}
	if (bls_trial_args(out, strlen(out), &args) < 0 || strcmp(args, to) != 0)
		abort();
	if (grub_trial_undo("boot/loader/entries/" BLS_TRIAL_FILE, out, strlen(out), &u, &ul, error,
			    sizeof(error)) < 0 ||
	    u || ul)
		abort();
	free(out);
	free(from);
	free(to);
	free(args);
}

static void sdboot(const char *t, size_t n)
{
	static const char *const ids[] = { "abc-6.1.conf" };
	struct sdboot_trial_facts f = {
		.efivars = true, .loader_conf = t, .loader_conf_len = n, .ids = ids, .n_ids = 1
	};
	char *d, *u = NULL, error[256];
	size_t ul = 0;

	if (!grub_trial_verdict_to_string(sdboot_trial_judge(&f)))
		abort();
	d = unified_diff(SDBOOT_ONESHOT, t, n, NULL, 0);
	free(d);
	if (grub_trial_undo(SDBOOT_ONESHOT, t, n, &u, &ul, error, sizeof(error)) < 0 ||
	    (u && (ul != n || memcmp(u, t, n) != 0)))
		abort();
	free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = malloc(size ? size : 1);

	if (!t)
		return 0;
	memcpy(t, data, size);
	entry(t, size);
	custom(t, size);
	env(t, size);
	mounts(t, size);
	bls(t, size);
	sdboot(t, size);
	free(t);
	return 0;
}
