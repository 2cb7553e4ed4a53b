/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: the GRUB trial boot (decide/trial.c): when a one-shot is
 * possible, the trial entry made from the generated one, custom.cfg and
 * grubenv. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide/bootcfg-edit.h"
#include "decide/trial.h"

#include "slurp.h"
#include "unit.h"

/* the parts of a Debian 12 grub.cfg that matter here, as grub-mkconfig
 * writes them: 00_header's grubenv and next_entry handling, 10_linux's
 * top entry, the "Advanced options" submenu with an older kernel and a
 * recovery entry, 41_custom */
static const char cfg[] =
	"### BEGIN /etc/grub.d/00_header ###\n"
	"if [ -s $prefix/grubenv ]; then\n"
	"  set have_grubenv=true\n"
	"  load_env\n"
	"fi\n"
	"if [ \"${next_entry}\" ] ; then\n"
	"   set default=\"${next_entry}\"\n"
	"   set next_entry=\n"
	"   save_env next_entry\n"
	"   set boot_once=true\n"
	"else\n"
	"   set default=\"0\"\n"
	"fi\n"
	"function savedefault {\n"
	"  if [ -z \"${boot_once}\" ]; then\n"
	"    saved_entry=\"${chosen}\"\n"
	"    save_env saved_entry\n"
	"  fi\n"
	"}\n"
	"### END /etc/grub.d/00_header ###\n"
	"### BEGIN /etc/grub.d/10_linux ###\n"
	"menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class gnu --class os "
	"$menuentry_id_option 'gnulinux-simple-70da2802' {\n"
	"\tload_video\n"
	"\tinsmod ext2\n"
	"\tsearch --no-floppy --fs-uuid --set=root 70da2802\n"
	"\techo\t'Loading Linux 6.1.0-50-amd64 ...'\n"
	"\tlinux\t/boot/vmlinuz-6.1.0-50-amd64 root=UUID=70da2802 ro  quiet\n"
	"\techo\t'Loading initial ramdisk ...'\n"
	"\tinitrd\t/boot/initrd.img-6.1.0-50-amd64\n"
	"}\n"
	"submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option "
	"'gnulinux-advanced-70da2802' {\n"
	"\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-49-amd64 (recovery mode)' --class debian "
	"$menuentry_id_option 'gnulinux-6.1.0-49-amd64-recovery-70da2802' {\n"
	"\t\tlinux\t/boot/vmlinuz-6.1.0-49-amd64 root=UUID=70da2802 ro single\n"
	"\t}\n"
	"\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-49-amd64' --class debian "
	"$menuentry_id_option 'gnulinux-6.1.0-49-amd64-advanced-70da2802' {\n"
	"\t\tlinux\t/boot/vmlinuz-6.1.0-49-amd64 root=UUID=70da2802 ro  quiet\n"
	"\t\tinitrd\t/boot/initrd.img-6.1.0-49-amd64\n"
	"\t}\n"
	"}\n"
	"### END /etc/grub.d/10_linux ###\n"
	"### BEGIN /etc/grub.d/41_custom ###\n"
	"if [ -f  ${config_directory}/custom.cfg ]; then\n"
	"  source ${config_directory}/custom.cfg\n"
	"elif [ -z \"${config_directory}\" -a -f  $prefix/custom.cfg ]; then\n"
	"  source $prefix/custom.cfg\n"
	"fi\n"
	"### END /etc/grub.d/41_custom ###\n";

/* grub-editenv create: the header, then '#' to 1024 bytes */
static char *env_block(const char *vars)
{
	static const char h[] = "# GRUB Environment Block\n";
	char *b = malloc(1025);

	if (!b)
		abort();
	memset(b, '#', 1024);
	b[1024] = '\0';
	memcpy(b, h, strlen(h));
	memcpy(b + strlen(h), vars, strlen(vars));
	return b;
}

static struct grub_trial_facts facts(const char *env)
{
	return (struct grub_trial_facts){
		.grubenv = env,
		.grubenv_len = env ? strlen(env) : 0,
		.grub_cfg = cfg,
		.grub_cfg_len = strlen(cfg),
		.grub_default = "0",
		.env_fstype = "ext4",
		.env_source = "/dev/vda2",
		.kver = "6.1.0-50-amd64",
	};
}

/* a plain ext4 /boot with grubenv, a grub.cfg from 00_header and
 * 41_custom, and an entry for the kernel: the trial can be made */
static void test_judge_possible(void)
{
	char *env = env_block("");
	struct grub_trial_facts f = facts(env);

	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	/* a next_entry of our own (a trial made before) is ours to replace */
	free(env);
	env = env_block("next_entry=" GRUB_TRIAL_ID "\n");
	f = facts(env);
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	/* GRUB_DEFAULT=saved alone: next_entry still wins for one boot */
	f.grub_default = "saved";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	free(env);
}

/* each case that defeats a one-shot, refused with its own reason */
static void test_judge_refused(void)
{
	char *env = env_block(""), *pending = env_block("next_entry=1>2\n");
	struct grub_trial_facts f;
	char *no_custom, *no_clear;

	f = facts(NULL);
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_NO_GRUBENV);
	f = facts("saved_entry=0\n");
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_INVALID);
	f = facts(env);
	f.env_fstype = "btrfs";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_CHECKSUM_FS);
	f.env_fstype = "zfs";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_CHECKSUM_FS);
	f = facts(env);
	f.env_fstype = NULL;
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_FS_UNKNOWN);
	f = facts(env);
	f.env_source = "/dev/mapper/vg0-boot";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_DISKFILTER);
	f.env_source = "/dev/md127";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_DISKFILTER);
	f = facts(env);
	f.grub_default = "saved";
	f.grub_savedefault = "true";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_SAVEDEFAULT);
	f = facts(env);
	f.default_unknown = true;
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_DEFAULT_UNKNOWN);
	f = facts(pending);
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_NEXT_ENTRY_PENDING);
	/* a grub.cfg that reads next_entry but never clears it */
	no_clear = strdup(cfg);
	CHECK(no_clear);
	memcpy(strstr(no_clear, "save_env next_entry"), "echo     next_entry", 19);
	f = facts(env);
	f.grub_cfg = no_clear;
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_CFG_NO_NEXT_ENTRY);
	/* without 41_custom's source lines */
	no_custom = strdup(cfg);
	CHECK(no_custom);
	for (char *p; (p = strstr(no_custom, "source "));)
		memcpy(p, "echo   ", 7);
	f.grub_cfg = no_custom;
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_CFG_NO_CUSTOM);
	f = facts(env);
	f.kver = "6.1.0-48-amd64";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_NO_ENTRY);
	free(no_clear);
	free(no_custom);
	free(env);
	free(pending);
}

/* the top entry for the newest kernel; in the submenu for an older one,
 * never its recovery entry; unpaired braces are an error, not a guess */
static void test_find_entry(void)
{
	struct grub_cfg_entry e;
	const char *p;

	CHECK(grub_cfg_find_entry(cfg, strlen(cfg), "6.1.0-50-amd64", &e) == 0);
	CHECK(e.depth == 0 && strncmp(cfg + e.start, "menuentry 'Debian GNU/Linux' ", 29) == 0);
	CHECK(strncmp(cfg + e.args_start, "root=UUID=70da2802 ro  quiet\n", 29) == 0);
	CHECK(e.args_end - e.args_start == 28);
	CHECK(strncmp(cfg + e.end, "submenu ", 8) == 0);
	CHECK(grub_cfg_find_entry(cfg, strlen(cfg), "6.1.0-49-amd64", &e) == 0);
	CHECK(e.depth == 1);
	p = "\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-49-amd64' ";
	CHECK(strncmp(cfg + e.start, p, strlen(p)) == 0);
	/* a release that only ends like another's is not it */
	CHECK(grub_cfg_find_entry(cfg, strlen(cfg), "0-50-amd64", &e) == -ENOENT);
	CHECK(grub_cfg_find_entry(cfg, strlen(cfg) - 200, "6.1.0-50-amd64", &e) == 0);
	{
		static const char open[] = "menuentry 'x' {\n linux /vmlinuz-1 ro\n";

		CHECK(grub_cfg_find_entry(open, strlen(open), "1", &e) == -EINVAL);
	}
	CHECK(grub_cfg_find_entry("}\n", 2, "1", &e) == -EINVAL);
}

static const struct kop ops[] = {
	{ KOP_ENSURE, "intel_iommu", "on" },
	{ KOP_ENSURE, "iommu", "pt" },
};

/* the trial entry: our title and id, the same body, the linux line with
 * the planned words after the ones it had; the generated entry untouched */
static void test_trial_entry(void)
{
	struct grub_cfg_entry e;
	char *t = NULL, error[200] = "";

	CHECK(grub_cfg_find_entry(cfg, strlen(cfg), "6.1.0-50-amd64", &e) == 0);
	CHECK(grub_trial_entry(cfg, &e, "6.1.0-50-amd64", ops, 2, &t, error, sizeof(error)) == 0);
	CHECK(strncmp(t, GRUB_TRIAL_BEGIN "\n", strlen(GRUB_TRIAL_BEGIN) + 1) == 0);
	CHECK(strstr(t, "\nmenuentry 'iommu-setup trial: 6.1.0-50-amd64' --id " GRUB_TRIAL_ID
			" {\n\tload_video\n"));
	CHECK(strstr(t, "\n\tlinux\t/boot/vmlinuz-6.1.0-50-amd64 root=UUID=70da2802 ro  quiet "
			"intel_iommu=on iommu=pt\n\techo\t'Loading initial ramdisk ...'\n"
			"\tinitrd\t/boot/initrd.img-6.1.0-50-amd64\n}\n" GRUB_TRIAL_END "\n"));
	CHECK(!strstr(t, "gnulinux-simple"));
	free(t);
	/* a parameter already there is not written twice */
	{
		static const struct kop quiet[] = { { KOP_ENSURE, "quiet", NULL } };

		CHECK(grub_trial_entry(cfg, &e, "6.1.0-50-amd64", quiet, 1, &t, error,
				       sizeof(error)) == 0);
		CHECK(strstr(t, "ro  quiet\n") && !strstr(t, "quiet quiet"));
		free(t);
	}
	/* a release the title's quotes cannot hold */
	CHECK(grub_trial_entry(cfg, &e, "6.1'x", ops, 2, &t, error, sizeof(error)) == -EINVAL);
	CHECK(strstr(error, "cannot name a menu entry"));
}

/* custom.cfg: the block added after what the administrator wrote, replaced
 * in place by the next trial, taken out by commit/revert leaving the rest;
 * a file of ours alone goes away; broken markers are an error */
static void test_custom_cfg(void)
{
	static const char mine[] = "menuentry 'Memtest' {\n\tlinux16 /memtest86+.bin\n}";
	const char *b1 = GRUB_TRIAL_BEGIN "\nA\n" GRUB_TRIAL_END "\n";
	const char *b2 = GRUB_TRIAL_BEGIN "\nB\n" GRUB_TRIAL_END "\n";
	char *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL, error[200] = "";

	CHECK(grub_custom_cfg_set(NULL, 0, b1, &t1, error, sizeof(error)) == 0);
	CHECK(t1 && strcmp(t1, b1) == 0 && grub_custom_cfg_has_trial(t1, strlen(t1)));
	CHECK(grub_custom_cfg_set(t1, strlen(t1), NULL, &t2, error, sizeof(error)) == 0 && !t2);
	free(t1);
	CHECK(grub_custom_cfg_set(mine, strlen(mine), b1, &t1, error, sizeof(error)) == 0);
	CHECK(strncmp(t1, mine, strlen(mine)) == 0 && t1[strlen(mine)] == '\n');
	CHECK(grub_custom_cfg_set(t1, strlen(t1), b2, &t2, error, sizeof(error)) == 0);
	CHECK(strstr(t2, "\nB\n") && !strstr(t2, "\nA\n") && strstr(t2, "Memtest"));
	CHECK(grub_custom_cfg_set(t2, strlen(t2), NULL, &t3, error, sizeof(error)) == 0);
	CHECK(t3 && strcmp(t3, "menuentry 'Memtest' {\n\tlinux16 /memtest86+.bin\n}\n") == 0);
	CHECK(!grub_custom_cfg_has_trial(t3, strlen(t3)));
	CHECK(grub_custom_cfg_set(GRUB_TRIAL_BEGIN "\nA\n", strlen(GRUB_TRIAL_BEGIN) + 3, NULL, &t4,
				  error, sizeof(error)) == -EINVAL);
	CHECK(strstr(error, "do not pair up"));
	CHECK(grub_custom_cfg_set(GRUB_TRIAL_END "\n", strlen(GRUB_TRIAL_END) + 1, NULL, &t4, error,
				  sizeof(error)) == -EINVAL);
	free(t1);
	free(t2);
	free(t3);
}

/* grubenv: next_entry set and unset, every other variable kept, the block
 * 1024 bytes; a value that would need escaping or would not fit, refused */
static void test_grubenv_set(void)
{
	char *env = env_block("saved_entry=0\nrecordfail=1\n"), *t = NULL, *u = NULL,
	     error[200] = "";
	char big[1100];
	size_t n = 0;

	CHECK(grubenv_set(env, 1024, "next_entry", GRUB_TRIAL_ID, &t, &n, error, sizeof(error)) ==
	      0);
	CHECK(n == 1024 && strlen(t) == 1024);
	{
		static const char want[] = "# GRUB Environment Block\nsaved_entry=0\nrecordfail=1\n"
					   "next_entry=" GRUB_TRIAL_ID "\n#";

		CHECK(strncmp(t, want, strlen(want)) == 0);
	}
	CHECK(grubenv_set(t, n, "next_entry", NULL, &u, &n, error, sizeof(error)) == 0);
	CHECK(n == 1024 && strcmp(u, env) == 0);
	free(t);
	CHECK(grubenv_set(env, 1024, "next_entry", "a\nb", &t, &n, error, sizeof(error)) ==
	      -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(grubenv_set(env, 1024, "next_entry", big, &t, &n, error, sizeof(error)) == -EINVAL);
	CHECK(strstr(error, "would not fit"));
	CHECK(grubenv_set("next_entry=x\n", 13, "next_entry", NULL, &t, &n, error, sizeof(error)) ==
	      -EINVAL);
	{
		/* GRUB would read these otherwise: a name running into the next line,
		 * an escaped value */
		char *stray = env_block("stray\nsaved_entry=0\n"),
		     *esc = env_block("saved_entry=a\\\nb\n");

		CHECK(grubenv_set(stray, 1024, "next_entry", "x", &t, &n, error, sizeof(error)) ==
		      -EINVAL);
		CHECK(strstr(error, "no '='"));
		CHECK(grubenv_set(esc, 1024, "next_entry", "x", &t, &n, error, sizeof(error)) ==
		      -EINVAL);
		free(stray);
		free(esc);
	}
	free(u);
	free(env);
}

/* the grub.cfg Debian 12's update-grub wrote (tests/data/grub-cfg): the
 * trial is possible with a grubenv, the top entry is the kernel's, and the
 * trial entry boots it with the serial console the administrator had and
 * the planned parameters after it */
static void test_real_cfg(void)
{
	char *path = NULL, *real = NULL, *env = env_block(""), *t = NULL, error[200] = "";
	struct grub_trial_facts f = facts(env);
	struct grub_cfg_entry e;
	size_t n = 0;

	CHECK(corpus_dir);
	CHECK(asprintf(&path, "%s/../grub-cfg/debian12-uefi.cfg", corpus_dir) > 0);
	CHECK(slurp(path, 1 << 20, &real, &n) == 0);
	f.grub_cfg = real;
	f.grub_cfg_len = n;
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	CHECK(grub_cfg_find_entry(real, n, "6.1.0-50-amd64", &e) == 0);
	CHECK(e.line == 86 && e.depth == 0);
	CHECK(grub_trial_entry(real, &e, "6.1.0-50-amd64", ops, 2, &t, error, sizeof(error)) == 0);
	CHECK(strstr(t, "\tlinux\t/boot/vmlinuz-6.1.0-50-amd64 root=UUID=70da2802-43d5-4148-b5ea-"
			"353bc3789870 ro  console=ttyS0,115200n8 intel_iommu=on iommu=pt\n"));
	CHECK(strstr(t, "\tinitrd\t/boot/initrd.img-6.1.0-50-amd64\n}\n" GRUB_TRIAL_END "\n"));
	free(t);
	free(real);
	free(path);
	free(env);
}

/* grub-editenv create (GRUB 2.06, Debian 12) writes a comment line after
 * the header: a variable after it is read and kept, and so is the comment;
 * only the '#' run to the end of the block is the padding */
static void test_grubenv_warning(void)
{
	static const char warn[] =
		"# WARNING: Do not edit this file by tools other than grub-editenv!!!\n";
	char *env = env_block(warn), *t = NULL, *u = NULL, *v = NULL, error[200] = "";
	size_t n = 0;

	CHECK(grubenv_set(env, 1024, "next_entry", GRUB_TRIAL_ID, &t, &n, error, sizeof(error)) ==
	      0);
	CHECK(n == 1024 && strstr(t, warn) && strstr(t, "\nnext_entry=" GRUB_TRIAL_ID "\n#"));
	v = grubenv_get_value(t, n, "next_entry");
	CHECK(v && strcmp(v, GRUB_TRIAL_ID) == 0);
	free(v);
	CHECK(grubenv_set(t, n, "next_entry", NULL, &u, &n, error, sizeof(error)) == 0);
	CHECK(strcmp(u, env) == 0);
	CHECK(!grubenv_at_padding(env, 1024, 25) &&
	      grubenv_at_padding(env, 1024, 25 + sizeof(warn) - 1));
	free(t);
	free(u);
	free(env);
}

/* commit and revert: the trial block out of custom.cfg (the file goes when
 * nothing else is in it), next_entry out of grubenv only while it is ours */
static void test_undo(void)
{
	static const char mine[] = "menuentry 'Memtest' {\n\tlinux16 /memtest86+.bin\n}\n";
	const char *block =
		GRUB_TRIAL_BEGIN "\nmenuentry 'x' --id " GRUB_TRIAL_ID
				 " {\n\tlinux\t/boot/vmlinuz-6.1.0-13-amd64 root=/dev/sda1 ro "
				 "intel_iommu=on\n}\n" GRUB_TRIAL_END "\n";
	char *both = NULL, *t = NULL, *env, *set = NULL, *taken = NULL, *args = NULL,
	     error[200] = "";
	size_t n = 0;

	CHECK(asprintf(&both, "%s%s", mine, block) > 0);
	CHECK(grub_custom_cfg_trial_args(both, strlen(both), &args) == 0);
	CHECK(args && strcmp(args, "root=/dev/sda1 ro intel_iommu=on") == 0);
	free(args);
	CHECK(grub_custom_cfg_trial_args(mine, strlen(mine), &args) == -ENOENT && !args);
	CHECK(grub_trial_undo("boot/grub/custom.cfg", both, strlen(both), &t, &n, error,
			      sizeof(error)) == 0);
	CHECK(t && strcmp(t, mine) == 0 && n == strlen(mine));
	free(t);
	CHECK(grub_trial_undo("boot/grub/custom.cfg", block, strlen(block), &t, &n, error,
			      sizeof(error)) == 0);
	CHECK(!t && n == 0); /* nothing left: the file goes */

	env = env_block("saved_entry=0\n");
	CHECK(grubenv_set(env, 1024, "next_entry", GRUB_TRIAL_ID, &set, &n, error, sizeof(error)) ==
	      0);
	CHECK(grub_trial_undo("boot/grub/grubenv", set, n, &taken, &n, error, sizeof(error)) == 0);
	CHECK(taken && strcmp(taken, env) == 0);
	free(taken);
	free(set);
	/* GRUB cleared it, or another one-shot is someone else's: left as it is */
	CHECK(grubenv_set(env, 1024, "next_entry", "2", &set, &n, error, sizeof(error)) == 0);
	CHECK(grub_trial_undo("boot/grub/grubenv", set, n, &taken, &n, error, sizeof(error)) == 0);
	CHECK(taken && strcmp(taken, set) == 0);
	free(taken);
	free(set);
	CHECK(grub_trial_undo("boot/grub/grubenv", "x", 1, &taken, &n, error, sizeof(error)) ==
	      -EINVAL);
	CHECK(grub_trial_undo("etc/passwd", "x", 1, &taken, &n, error, sizeof(error)) == -EINVAL);
	free(env);
	free(both);
}

/* the running line is the trial's: every word of each is on the other, but
 * for what the loader adds (BOOT_IMAGE, initrd=) */
static void test_booted(void)
{
	struct kcmdline trial = {}, run = {};

	CHECK(kcmdline_parse("root=/dev/sda1 ro intel_iommu=on iommu=pt", &trial) == 0);
	CHECK(kcmdline_parse("BOOT_IMAGE=/boot/vmlinuz-6.1 root=/dev/sda1 ro intel_iommu=on "
			     "iommu=pt",
			     &run) == 0);
	CHECK(trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	/* the default entry: the trial's parameters missing */
	CHECK(kcmdline_parse("BOOT_IMAGE=/boot/vmlinuz-6.1 root=/dev/sda1 ro", &run) == 0);
	CHECK(!trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	/* edited at the GRUB prompt: a word the trial does not have */
	CHECK(kcmdline_parse("root=/dev/sda1 ro intel_iommu=on iommu=pt single", &run) == 0);
	CHECK(!trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	/* a trial that only takes a word out: the default line has one more */
	kcmdline_done(&trial);
	CHECK(kcmdline_parse("root=/dev/sda1 ro", &trial) == 0);
	CHECK(kcmdline_parse("root=/dev/sda1 ro iommu.passthrough=0", &run) == 0);
	CHECK(!trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	kcmdline_done(&trial);
	/* Ubuntu's entries carry $vt_handoff, which GRUB expands: one word or none */
	CHECK(kcmdline_parse("root=/dev/sda1 ro quiet splash $vt_handoff intel_iommu=on", &trial) ==
	      0);
	CHECK(kcmdline_parse("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet splash vt.handoff=7 "
			     "intel_iommu=on",
			     &run) == 0);
	CHECK(trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	CHECK(kcmdline_parse("root=/dev/sda1 ro quiet splash intel_iommu=on", &run) == 0);
	CHECK(trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	/* but not two words for it, nor the default entry's line */
	CHECK(kcmdline_parse("root=/dev/sda1 ro quiet splash vt.handoff=7 single intel_iommu=on",
			     &run) == 0);
	CHECK(!trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	CHECK(kcmdline_parse("root=/dev/sda1 ro quiet splash vt.handoff=7", &run) == 0);
	CHECK(!trial_cmdline_booted(&run, &trial));
	kcmdline_done(&run);
	kcmdline_done(&trial);
	CHECK(!trial_cmdline_booted(&run, &trial)); /* no trial line: never */
}

/* the trial's own initramfs in place of the default one on the initrd line:
 * the word whose file name matches, its directory kept (a separate /boot
 * names it /initrd.img-K), and nothing else on the line or in the block */
static void test_block_initrd(void)
{
	static const char block[] = GRUB_TRIAL_BEGIN
		"\nmenuentry 'x' --id " GRUB_TRIAL_ID " {\n"
		"\tlinux\t/boot/vmlinuz-6.1 root=/dev/sda1 ro initrd.img-6.1=keep\n"
		"\tinitrd\t/intel-ucode.img /boot/initrd.img-6.1\n}\n" GRUB_TRIAL_END "\n";
	char *t = NULL;

	CHECK(grub_trial_block_initrd(block, "initrd.img-6.1", "initrd.img-6.1-" GRUB_TRIAL_ID,
				      &t) == 0);
	CHECK(t &&
	      strstr(t, "\tinitrd\t/intel-ucode.img /boot/initrd.img-6.1-" GRUB_TRIAL_ID "\n}\n"));
	CHECK(strstr(t, "initrd.img-6.1=keep\n")); /* a linux line's word: not the image */
	CHECK(strlen(t) == strlen(block) + strlen("-" GRUB_TRIAL_ID));
	free(t);
	/* a name that only ends the same is not the image */
	CHECK(grub_trial_block_initrd(block, "img-6.1", "x", &t) == -ENOENT && !t);
	CHECK(grub_trial_block_initrd(block, "initramfs-6.1.img", "x", &t) == -ENOENT && !t);
}

/* ---- BLS (GRUB's blscfg, RHEL 8+, Fedora) ---- */

/* RHEL 8's entry: options from $kernelopts and $tuned_params in grubenv */
static const char bls_entry[] = "title Red Hat Enterprise Linux (4.18.0-513.el8.x86_64) 8.9\n"
				"version 4.18.0-513.el8.x86_64\n"
				"linux /vmlinuz-4.18.0-513.el8.x86_64\n"
				"initrd /initramfs-4.18.0-513.el8.x86_64.img $tuned_initrd\n"
				"options $kernelopts $tuned_params\n"
				"grub_users $grub_users\n"
				"grub_arg --unrestricted\n"
				"grub_class kernel\n";

static struct grub_trial_facts bls_facts(const char *env, const char *text)
{
	static const char *const ids[] = { "abc-4.18.0-513.el8.x86_64", "abc-0-rescue" };
	struct grub_trial_facts f = facts(env);

	f.grub_cfg = text;
	f.grub_cfg_len = strlen(text);
	f.grub_default = "saved";
	f.bls = true;
	f.bls_ids = ids;
	f.n_bls_ids = 2;
	return f;
}

/* a default named by its id is safe; one chosen by position is not,
 * because blscfg sorts the trial entry next to the target's */
static void test_bls_judge(void)
{
	static const char bls_cfg[] = "if [ \"${next_entry}\" ] ; then\n"
				      "   set default=\"${next_entry}\"\n"
				      "   set next_entry=\n"
				      "   save_env next_entry\n"
				      "else\n"
				      "   set default=\"${saved_entry}\"\n"
				      "fi\n"
				      "insmod blscfg\n"
				      "blscfg\n";
	char *env = env_block("saved_entry=abc-4.18.0-513.el8.x86_64\n"), *no_saved = env_block(""),
	     *stale = env_block("saved_entry=abc-4.18.0-1.el8.x86_64\n"),
	     *trial = env_block("saved_entry=" GRUB_TRIAL_ID "\n"), *no_blscfg = strdup(bls_cfg);
	struct grub_trial_facts f = bls_facts(env, bls_cfg);

	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	/* no custom.cfg sourcing is needed: the entry is a BLS file */
	CHECK(!strstr(bls_cfg, "custom.cfg"));
	f.grub_default = "abc-0-rescue"; /* GRUB_DEFAULT naming an entry itself */
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	f.grub_default = "0";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_BLS_DEFAULT_POSITION);
	f = bls_facts(no_saved, bls_cfg);
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_BLS_DEFAULT_POSITION);
	f = bls_facts(stale, bls_cfg); /* a saved_entry no entry has */
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_BLS_DEFAULT_POSITION);
	f = bls_facts(trial, bls_cfg);
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_BLS_DEFAULT_POSITION);
	CHECK(no_blscfg);
	memcpy(strstr(no_blscfg, "\nblscfg") + 1, "#lscfg", 6);
	f = bls_facts(env, no_blscfg);
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_CFG_NO_BLSCFG);
	/* what defeats a one-shot on any GRUB still does */
	f = bls_facts(env, bls_cfg);
	f.env_source = "/dev/mapper/rhel-boot";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_GRUBENV_DISKFILTER);
	f = bls_facts(env, bls_cfg);
	f.grub_savedefault = "true";
	CHECK(grub_trial_judge(&f) == GRUB_TRIAL_SAVEDEFAULT);
	free(env);
	free(no_saved);
	free(stale);
	free(trial);
	free(no_blscfg);
}

/* the trial entry: the target's keys, its own title, one options line
 * with the variables expanded as GRUB would and the edit made */
static void test_bls_entry(void)
{
	char *env = env_block("saved_entry=abc-4.18.0-513.el8.x86_64\n"
			      "kernelopts=root=/dev/mapper/rhel-root ro quiet iommu.passthrough=0\n"
			      "tuned_params=skew_tick=1\n"),
	     *t = NULL, *from = NULL, *to = NULL, *args = NULL, *u = NULL, error[200] = "";
	static const struct kop edit[] = { { KOP_ENSURE, "intel_iommu", "on" },
					   { KOP_ENSURE, "iommu", "pt" },
					   { KOP_DROP, "iommu.passthrough", NULL } };
	size_t ul = 0;

	CHECK(bls_trial_entry(bls_entry, strlen(bls_entry), "4.18.0-513.el8.x86_64", true, env,
			      strlen(env), edit, 3, &t, &from, &to, error, sizeof(error)) == 0);
	CHECK(t && strstr(t, "\ntitle iommu-setup trial: 4.18.0-513.el8.x86_64\n"
			     "version 4.18.0-513.el8.x86_64\n"
			     "linux /vmlinuz-4.18.0-513.el8.x86_64\n"
			     "initrd /initramfs-4.18.0-513.el8.x86_64.img $tuned_initrd\n"
			     "options root=/dev/mapper/rhel-root ro quiet skew_tick=1 "
			     "intel_iommu=on iommu=pt\n"
			     "grub_users $grub_users\n"));
	CHECK(!strstr(t, "Red Hat") && !strstr(t, "$kernelopts"));
	CHECK(strcmp(from, "root=/dev/mapper/rhel-root ro quiet iommu.passthrough=0 skew_tick=1") ==
	      0);
	CHECK(strcmp(to, "root=/dev/mapper/rhel-root ro quiet skew_tick=1 intel_iommu=on "
			 "iommu=pt") == 0);
	/* the record's copy gives the line back */
	CHECK(bls_trial_args(t, strlen(t), &args) == 0 && strcmp(args, to) == 0);
	/* its own initramfs: the initrd line's image, the variable kept */
	CHECK(grub_trial_block_initrd(t, "initramfs-4.18.0-513.el8.x86_64.img",
				      "initramfs-4.18.0-513.el8.x86_64-" GRUB_TRIAL_ID ".img",
				      &u) == 0);
	CHECK(u && strstr(u, "\ninitrd /initramfs-4.18.0-513.el8.x86_64-" GRUB_TRIAL_ID
			     ".img $tuned_initrd\n"));
	free(u);
	/* commit and revert: the entry goes */
	CHECK(bls_trial_path("boot/loader/entries/" BLS_TRIAL_FILE));
	CHECK(!bls_trial_path("boot/loader/entries/x-" BLS_TRIAL_FILE));
	CHECK(grub_trial_undo("boot/loader/entries/" BLS_TRIAL_FILE, t, strlen(t), &u, &ul, error,
			      sizeof(error)) == 0 &&
	      !u);
	free(t);
	free(from);
	free(to);
	free(args);
	/* what cannot be copied with certainty is refused, with the reason */
	free(env);
	env = env_block("saved_entry=abc\n");
	CHECK(bls_trial_entry(bls_entry, strlen(bls_entry), "4.18.0-513.el8.x86_64", true, env,
			      strlen(env), edit, 3, &t, &from, &to, error,
			      sizeof(error)) == -EINVAL &&
	      !t);
	CHECK(strstr(error, "$kernelopts, which grubenv does not set"));
	{
		static const char no_opts[] = "title x\nlinux /vmlinuz-6\n";

		CHECK(bls_trial_entry(no_opts, strlen(no_opts), "6", true, env, strlen(env), edit,
				      3, &t, &from, &to, error, sizeof(error)) == -EINVAL);
	}
	CHECK(strstr(error, "no options line"));
	CHECK(bls_trial_entry(bls_entry, strlen(bls_entry), "4.18'x", true, env, strlen(env), edit,
			      3, &t, &from, &to, error, sizeof(error)) == -EINVAL);
	free(env);
}

/* entries the loaders and iommu-setup's reader could read two ways are
 * refused; GRUB boots the first options line, systemd-boot joins them */
static void test_bls_entry_ambiguous(void)
{
	char *env = env_block("kernelopts=root=/dev/sda1 ro\n"), *t = NULL, *from = NULL,
	     *to = NULL, error[200] = "";
	static const char two[] = "title x\nlinux /vmlinuz-6\noptions $kernelopts\noptions quiet\n",
			  tab[] = "title x\nlinux /vmlinuz-6\n\toptions nomodeset\noptions a\n",
			  tabkey[] = "title x\nlinux /vmlinuz-6\noptions\ta b\n",
			  blank[] = "title x\nlinux /vmlinuz-6\n\noptions a\n",
			  braces[] = "title x\nlinux /vmlinuz-6\noptions ${kernelopts}\n";

	CHECK(bls_trial_entry(two, strlen(two), "6", true, env, strlen(env), ops, 2, &t, &from, &to,
			      error, sizeof(error)) == -EINVAL &&
	      strstr(error, "boots the first alone"));
	CHECK(bls_trial_entry(two, strlen(two), "6", false, NULL, 0, ops, 2, &t, &from, &to, error,
			      sizeof(error)) == 0);
	CHECK(strcmp(to, "$kernelopts quiet intel_iommu=on iommu=pt") == 0);
	free(t);
	free(from);
	free(to);
	CHECK(bls_trial_entry(tab, strlen(tab), "6", true, env, strlen(env), ops, 2, &t, &from, &to,
			      error, sizeof(error)) == -EINVAL &&
	      strstr(error, "line 3 starts with a tab"));
	CHECK(bls_trial_entry(tabkey, strlen(tabkey), "6", false, NULL, 0, ops, 2, &t, &from, &to,
			      error, sizeof(error)) == -EINVAL &&
	      strstr(error, "line 3 has a tab in its key"));
	CHECK(bls_trial_entry(blank, strlen(blank), "6", true, env, strlen(env), ops, 2, &t, &from,
			      &to, error, sizeof(error)) == -EINVAL &&
	      strstr(error, "line 3 is blank"));
	CHECK(bls_trial_entry(braces, strlen(braces), "6", true, env, strlen(env), ops, 2, &t,
			      &from, &to, error, sizeof(error)) == -EINVAL &&
	      strstr(error, "${"));
	CHECK(!t);
	/* the first line tells an entry the trial wrote */
	CHECK(!bls_trial_entry_ours(two, strlen(two)));
	CHECK(bls_trial_entry_ours(BLS_TRIAL_MARK " x\n", strlen(BLS_TRIAL_MARK) + 3));
	/* what a record may name as a trial's file */
	CHECK(trial_file_path_valid("boot/loader/entries/" BLS_TRIAL_FILE));
	CHECK(trial_file_path_valid("boot/efi/loader/entries/" BLS_TRIAL_FILE));
	CHECK(!trial_file_path_valid("etc/" BLS_TRIAL_FILE));
	CHECK(!trial_file_path_valid("boot/loader/entries/../../etc/" BLS_TRIAL_FILE));
	CHECK(trial_file_path_valid(SDBOOT_ONESHOT));
	CHECK(trial_file_path_valid("boot/grub/custom.cfg"));
	CHECK(!trial_file_path_valid("etc/grub/custom.cfg"));
	free(env);
}

/* ---- systemd-boot ---- */

/* efivarfs bytes of a loader variable holding s */
static size_t efivar(const char *s, char *buf)
{
	size_t n = strlen(s);

	memset(buf, 0, 4 + 2 * (n + 1));
	buf[0] = 7;
	for (size_t i = 0; i < n; i++)
		buf[4 + 2 * i] = s[i];
	return 4 + 2 * (n + 1);
}

/* the default must be named by LoaderEntryDefault or loader.conf's
 * pattern, matching an entry and not the trial; @saved, another one-shot
 * and no efivarfs are refused */
static void test_sdboot_judge(void)
{
	static const char *const ids[] = { "abc-6.1.0-13-amd64.conf", "abc-6.1.0-12-amd64.conf" };
	static const char conf[] = "timeout 3\n# default *\ndefault abc-6.1.0-13*\n";
	struct sdboot_trial_facts f = { .efivars = true, .ids = ids, .n_ids = 2 };

	CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_DEFAULT_POSITION); /* none named */
	f.loader_conf = conf;
	f.loader_conf_len = strlen(conf);
	CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	f.oneshot = BLS_TRIAL_FILE; /* ours, from a trial made before */
	CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
	f.oneshot = "abc-6.1.0-12-amd64.conf";
	CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_ONESHOT_PENDING);
	f.oneshot = NULL;
	f.oneshot_invalid = true;
	CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_ONESHOT_PENDING);
	f.oneshot_invalid = false;
	f.efivars = false;
	CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_NO_EFIVARS);
	f.efivars = true;
	/* the last "default" wins; a pattern the trial's id matches is refused,
	 * case folded as systemd-boot does */
	{
		static const char star[] = "default abc-*\ndefault *\n",
				  upper[] = "default IOMMU-SETUP-*\n", saved[] = "default @saved\n",
				  none[] = "default xyz-*\n";

		f.loader_conf = star;
		f.loader_conf_len = strlen(star);
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_DEFAULT_POSITION);
		f.loader_conf = upper;
		f.loader_conf_len = strlen(upper);
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_DEFAULT_POSITION);
		f.loader_conf = saved;
		f.loader_conf_len = strlen(saved);
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_SAVED);
		/* a pattern that matches nothing falls through to the first entry */
		f.loader_conf = none;
		f.loader_conf_len = strlen(none);
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_DEFAULT_POSITION);
		/* LoaderEntryDefault comes first */
		f.default_var = "abc-6.1.0-12-amd64.conf";
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_POSSIBLE);
		f.default_var = "@SAVED"; /* folded, as systemd-boot folds it */
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_SAVED);
		/* systemd-boot's sets have no negation: "[!i]*" would match the
		 * trial there, and fnmatch(3) says it does not; sets are refused */
		f.default_var = "[!i]*";
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_DEFAULT_POSITION);
		f.default_var = NULL;
		f.default_invalid = true;
		CHECK(sdboot_trial_judge(&f) == GRUB_TRIAL_SDBOOT_DEFAULT_POSITION);
	}
}

/* LoaderEntryOneShot as bootctl writes it; the undo takes ours out and
 * leaves another as it is; a diff shows it as text */
static void test_sdboot_oneshot(void)
{
	char want[128], other[128], error[200] = "", *v = NULL, *u = NULL, *d = NULL;
	size_t wn = efivar(BLS_TRIAL_FILE, want), on = efivar("x.conf", other), n = 0, un = 0;

	CHECK(sdboot_oneshot_value(BLS_TRIAL_FILE, &v, &n) == 0);
	CHECK(n == wn && memcmp(v, want, n) == 0 && n == 4 + 2 * 23);
	CHECK(sdboot_oneshot_path(SDBOOT_ONESHOT));
	CHECK(!sdboot_oneshot_path("sys/firmware/efi/efivars/x"));
	CHECK(grub_trial_undo(SDBOOT_ONESHOT, v, n, &u, &un, error, sizeof(error)) == 0 && !u);
	CHECK(grub_trial_undo(SDBOOT_ONESHOT, other, on, &u, &un, error, sizeof(error)) == 0 && u &&
	      un == on && memcmp(u, other, on) == 0);
	free(u);
	d = unified_diff(SDBOOT_ONESHOT, NULL, 0, v, n);
	CHECK(d && strstr(d, "\n+attributes=0x00000007 value=\"iommu-setup-trial.conf\" "
			     "(UTF-16LE)\n"));
	free(d);
	free(v);
}

/* systemd-boot passes options as written: no $variable is expanded */
static void test_sdboot_entry(void)
{
	static const char entry[] = "title Debian\nversion 6.1\nmachine-id abc\n"
				    "options root=/dev/sda1 ro $x\nlinux /abc/6.1/linux\n";
	char *t = NULL, *from = NULL, *to = NULL, error[200] = "";

	CHECK(bls_trial_entry(entry, strlen(entry), "6.1", false, NULL, 0, ops, 2, &t, &from, &to,
			      error, sizeof(error)) == 0);
	CHECK(t && strstr(t, "LoaderEntryOneShot") && !strstr(t, "grubenv"));
	CHECK(strstr(t, "\noptions root=/dev/sda1 ro $x intel_iommu=on iommu=pt\n"));
	CHECK(strstr(t, "\ntitle iommu-setup trial: 6.1\nversion 6.1\nmachine-id abc\n"));
	free(t);
	free(from);
	free(to);
}

int main(int argc, char **argv)
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_judge_possible);
	RUN(test_judge_refused);
	RUN(test_find_entry);
	RUN(test_trial_entry);
	RUN(test_custom_cfg);
	RUN(test_grubenv_set);
	RUN(test_real_cfg);
	RUN(test_grubenv_warning);
	RUN(test_undo);
	RUN(test_booted);
	RUN(test_block_initrd);
	RUN(test_bls_judge);
	RUN(test_bls_entry);
	RUN(test_bls_entry_ambiguous);
	RUN(test_sdboot_judge);
	RUN(test_sdboot_oneshot);
	RUN(test_sdboot_entry);
	UNIT_MAIN_END();
}
