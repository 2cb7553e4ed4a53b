/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "cli/output.h"
#include "decide/plan.h"
#include "report/report.h"
#include "root/root.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

static const char *arg_root = "/";
static const char *arg_kernel;
static bool arg_json;
static bool arg_quiet;
static bool arg_force;
static bool arg_groups;
static const char *arg_xml;
static const char *arg_xml_pool;

static char *arg_ids[32];
static size_t arg_n_ids;
static char *arg_devices[64];
static size_t arg_n_devices;
static char *arg_params[32];
static size_t arg_n_params;
static bool arg_no_passthrough;
static bool arg_passthrough;
static bool arg_exit_code;
static bool arg_allow_unsafe;
static bool arg_initramfs;
static bool arg_no_mkconfig;
static bool arg_no_initramfs;
static bool arg_all_kernels;
static bool arg_trial;
static unsigned arg_command_timeout;
static int arg_hardware = PLAN_HARDWARE_SEEN;

enum {
	ARG_GROUPS = 0x100,
	ARG_XML,
	ARG_XML_POOL,
	ARG_IDS,
	ARG_DEVICE,
	ARG_NO_PASSTHROUGH,
	ARG_PASSTHROUGH,
	ARG_PARAM,
	ARG_EXIT_CODE,
	ARG_ALLOW_UNSAFE,
	ARG_INITRAMFS,
	ARG_NO_MKCONFIG,
	ARG_NO_INITRAMFS,
	ARG_REPLACE,
	ARG_COMMAND_TIMEOUT,
	ARG_ALL_KERNELS,
	ARG_HARDWARE,
	ARG_TRIAL,
};
static int arg_verbose;
static bool arg_replace;

/* The options a verb may be given besides --root, --verbose, --help and
 * --version (bootctl's verb table does the same): any other is a usage error. */
enum {
	O_KERNEL = 1u << 0,
	O_JSON = 1u << 1,
	O_QUIET = 1u << 2,
	O_FORCE = 1u << 3,
	O_GROUPS = 1u << 4,
	O_XML = 1u << 5,
	O_XML_POOL = 1u << 6,
	O_IDS = 1u << 7,
	O_DEVICE = 1u << 8,
	O_PASSTHROUGH = 1u << 9, /* --passthrough, --no-passthrough */
	O_PARAM = 1u << 10,
	O_EXIT_CODE = 1u << 11,
	O_ALLOW_UNSAFE = 1u << 12,
	O_INITRAMFS = 1u << 13, /* --initramfs, --no-initramfs */
	O_NO_MKCONFIG = 1u << 14,
	O_COMMAND_TIMEOUT = 1u << 15,
	O_REPLACE = 1u << 16,
	O_ALL_KERNELS = 1u << 17,
	O_HARDWARE = 1u << 18,
	O_TRIAL = 1u << 19,
	O_REQUEST =
		O_IDS | O_DEVICE | O_PASSTHROUGH | O_PARAM | O_ALLOW_UNSAFE | O_FORCE | O_HARDWARE,
};
static unsigned arg_seen;
static const char *verb_name; /* NULL until the verb is known */
static const char *failure_code;
static const char *arg_seen_name[20];

static const struct verb {
	const char *name;
	int (*run)(struct context *ctx);
	unsigned options;
} verbs[] = {
	/* clang-format off */
	{ "check",    verb_check,    O_KERNEL | O_JSON | O_QUIET },
	{ "probe",    verb_probe,    O_JSON },
	{ "verify",   verb_verify,   O_KERNEL | O_JSON | O_QUIET },
	{ "acpi",     verb_acpi,     O_JSON },
	{ "devices",  verb_devices,  O_KERNEL | O_JSON | O_GROUPS | O_XML | O_XML_POOL },
	{ "plan",     verb_plan,     O_KERNEL | O_JSON | O_QUIET | O_REQUEST | O_EXIT_CODE |
				     O_INITRAMFS | O_NO_MKCONFIG | O_ALL_KERNELS | O_TRIAL },
	{ "apply",    verb_apply,    O_KERNEL | O_JSON | O_QUIET | O_REQUEST | O_EXIT_CODE |
				     O_INITRAMFS | O_NO_MKCONFIG | O_COMMAND_TIMEOUT |
				     O_ALL_KERNELS | O_TRIAL },
	{ "commit",   verb_commit,   O_QUIET | O_COMMAND_TIMEOUT },
	{ "revert",   verb_revert,   O_JSON | O_QUIET | O_INITRAMFS | O_NO_MKCONFIG |
				     O_COMMAND_TIMEOUT | O_ALL_KERNELS | O_TRIAL },
	{ "rules",    verb_rules,    O_JSON },
	{ "snapshot", verb_snapshot, O_KERNEL | O_QUIET | O_REPLACE },
	{ "kernel-check", verb_kernel_check, 0 },
	/* clang-format on */
};

static void seen(unsigned bit, const char *name)
{
	arg_seen |= bit;
	for (unsigned i = 0; i < ARRAY_SIZE(arg_seen_name); i++)
		if (bit == 1u << i)
			arg_seen_name[i] = name;
}

static void help(void)
{
	printf("Usage: %s [OPTIONS] [COMMAND] [ARGS]\n"
	       "Prepare a Linux KVM host for PCI device assignment (VFIO) and prove it is ready.\n"
	       "\n"
	       "Commands:\n"
	       "  check                 Read-only readiness report (the default)\n"
	       "  probe BDF             Ask the kernel: attach a vfio-pci device's group to a\n"
	       "                        VFIO container and release it (live host only)\n"
	       "  verify [BDF|ID...]    After the reboot: is each configured device (or each\n"
	       "                        one named) ready for a guest, and if not, why; the\n"
	       "                        only change is the live probe's VFIO attach\n"
	       "  acpi [FILE...]        Decode DMAR / IVRS tables (default: the live ones)\n"
	       "  devices [BDF|ID...]   PCI functions, IOMMU groups, drivers, assignability\n"
	       "          --groups      ... as a tree of IOMMU groups\n"
	       "          --xml BDF     libvirt <hostdev> element for a device\n"
	       "          --xml-pool PF libvirt <network> VF pool of an SR-IOV PF (address\n"
	       "                        or network interface), with the virsh commands\n"
	       "  plan [REQUEST]        Show what apply would change (unified diffs), change nothing\n"
	       "  apply [REQUEST]       Make the planned changes and regenerate the boot\n"
	       "                        configuration; transactional, idempotent\n"
	       "  commit                In the trial boot apply --trial set up: verify, then\n"
	       "                        make its configuration permanent (removes the trial)\n"
	       "  revert                Undo what apply changed (and a pending trial)\n"
	       "         --trial        ... only the pending trial, keeping what apply did\n"
	       "  rules                 The effective vendor rules and where each comes from\n"
	       "  snapshot OUT.tar      Save what check reads as a fixture root (for bug reports)\n"
	       "           --replace    ... replacing an existing OUT.tar\n"
	       "  kernel-check KVER     Will kernel KVER, installed after apply, boot with\n"
	       "                        the configuration? Silent if so, else one line (exit 1)\n"
	       "\n"
	       "Request (plan, apply):\n"
	       "      --ids=VVVV:DDDD[,...]  Devices for vfio-pci by ID\n"
	       "      --device=BDF      A device for vfio-pci (its ID), repeatable\n"
	       "      --param=NAME[=VALUE]  Also a kernel parameter the rules do not\n"
	       "                        decide (intel_iommu=igfx_off, video=efifb:off)\n"
	       "      --no-passthrough  Leave iommu=pt out\n"
	       "      --passthrough     iommu=pt even where the host asks for strict\n"
	       "                        translation (iommu.passthrough=0, iommu=nopt)\n"
	       "      --allow-unsafe-interrupts  Opt in to allow_unsafe_interrupts when the\n"
	       "                        platform lacks interrupt remapping (weaker isolation)\n"
	       "      --force           Assign a device even when its group holds other\n"
	       "                        devices the host still uses (never a host-critical one)\n"
	       "      --hardware=any|intel|amd  Plan for a target whose hardware is not the\n"
	       "                        one below the root (an image built on another\n"
	       "                        machine): that CPU vendor's rules, or both vendors'\n"
	       "                        with any; nothing from the firmware tables or PCI\n"
	       "                        devices seen here, and --ids rather than --device\n"
	       "      --exit-code       plan, apply: detailed exit status for automation\n"
	       "                        (4 changes, 5 reboot pending, 6 firmware has the\n"
	       "                        IOMMU off, 7 safety refusal; see iommu-setup(8))\n"
	       "      --initramfs       apply: rebuild the initramfs even if its files are unchanged\n"
	       "      --no-initramfs    apply: leave the initramfs alone\n"
	       "      --all-kernels     plan, apply, revert: rebuild the initramfs of every\n"
	       "                        installed kernel that has one, not only the target's\n"
	       "      --trial           plan, apply: a one-shot boot of the parameters instead\n"
	       "                        (GRUB, systemd-boot): a menu entry in custom.cfg or a\n"
	       "                        BLS entry of its own, and grubenv's next_entry or\n"
	       "                        LoaderEntryOneShot, or why it is not possible;\n"
	       "                        `commit` in that boot makes it permanent\n"
	       "      --no-mkconfig     apply, revert: leave grub.cfg alone (image builders)\n"
	       "      --no-initramfs    revert: leave the initramfs alone too\n"
	       "      --command-timeout=SECONDS  apply, commit, revert: kill a command (and what it\n"
	       "                        started) that takes longer (default 900)\n"
	       "\n"
	       "Options:\n"
	       "  -r, --root=DIR        Operate on the system below DIR (default: /)\n"
	       "  -k, --kernel=VERSION  Kernel whose modules and initramfs are meant\n"
	       "                        (default: the newest under DIR/lib/modules)\n"
	       "  -j, --json            Machine-readable output\n"
	       "  -q, --quiet           Show problems only\n"
	       "  -v, --verbose         More messages on stderr\n"
	       "  -h, --help            Show this help\n"
	       "  -V, --version         Show the version\n"
	       "\n"
	       "Exit status: 0 ready, 1 not ready, 2 usage or bad input, 3 system error.\n"
	       "See iommu-setup(8).\n",
	       program_invocation_short_name);
}

/* <0: error, 0: exit successfully, >0: go on */
static int parse_argv(int argc, char *argv[])
{
	/* clang-format off */
	static const struct option options[] = {
		{ "root",    required_argument, NULL, 'r' },
		{ "kernel",  required_argument, NULL, 'k' },
		{ "json",    no_argument,       NULL, 'j' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "force",   no_argument,       NULL, 'f' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ "groups",  no_argument,       NULL, ARG_GROUPS },
		{ "xml",     required_argument, NULL, ARG_XML },
		{ "xml-pool", required_argument, NULL, ARG_XML_POOL },
		{ "ids",     required_argument, NULL, ARG_IDS },
		{ "device",  required_argument, NULL, ARG_DEVICE },
		{ "no-passthrough", no_argument, NULL, ARG_NO_PASSTHROUGH },
		{ "passthrough", no_argument,   NULL, ARG_PASSTHROUGH },
		{ "param",   required_argument, NULL, ARG_PARAM },
		{ "exit-code", no_argument,     NULL, ARG_EXIT_CODE },
		{ "allow-unsafe-interrupts", no_argument, NULL, ARG_ALLOW_UNSAFE },
		{ "initramfs", no_argument,     NULL, ARG_INITRAMFS },
		{ "no-mkconfig", no_argument,   NULL, ARG_NO_MKCONFIG },
		{ "no-initramfs", no_argument,  NULL, ARG_NO_INITRAMFS },
		{ "replace", no_argument,       NULL, ARG_REPLACE },
		{ "command-timeout", required_argument, NULL, ARG_COMMAND_TIMEOUT },
		{ "all-kernels", no_argument,   NULL, ARG_ALL_KERNELS },
		{ "trial",       no_argument,   NULL, ARG_TRIAL },
		{ "hardware", required_argument, NULL, ARG_HARDWARE },
		{}
	};
	/* clang-format on */
	int c;

	while ((c = getopt_long(argc, argv, "r:k:jqfvhV", options, NULL)) >= 0)
		switch (c) {
		case 'r':
			if (!*optarg)
				return log_error_errno(EINVAL, "--root needs a directory");
			arg_root = optarg;
			break;
		case 'k':
			seen(O_KERNEL, "--kernel");
			if (!*optarg || strchr(optarg, '/'))
				return log_error_errno(EINVAL, "--kernel: invalid version \"%s\"",
						       optarg);
			arg_kernel = optarg;
			break;
		case 'j':
			seen(O_JSON, "--json");
			arg_json = true;
			break;
		case 'q':
			seen(O_QUIET, "--quiet");
			arg_quiet = true;
			break;
		case 'f':
			seen(O_FORCE, "--force");
			arg_force = true;
			break;
		case ARG_GROUPS:
			seen(O_GROUPS, "--groups");
			arg_groups = true;
			break;
		case ARG_XML:
			seen(O_XML, "--xml");
			arg_xml = optarg;
			break;
		case ARG_XML_POOL:
			seen(O_XML_POOL, "--xml-pool");
			arg_xml_pool = optarg;
			break;
		case ARG_IDS:
			seen(O_IDS, "--ids");
			if (arg_n_ids == ARRAY_SIZE(arg_ids))
				return log_error_errno(E2BIG, "more than %zu --ids",
						       ARRAY_SIZE(arg_ids));
			arg_ids[arg_n_ids++] = optarg;
			break;
		case ARG_DEVICE:
			seen(O_DEVICE, "--device");
			if (arg_n_devices == ARRAY_SIZE(arg_devices))
				return log_error_errno(E2BIG, "more than %zu --device",
						       ARRAY_SIZE(arg_devices));
			arg_devices[arg_n_devices++] = optarg;
			break;
		case ARG_NO_PASSTHROUGH:
			seen(O_PASSTHROUGH, "--no-passthrough");
			arg_no_passthrough = true;
			break;
		case ARG_PASSTHROUGH:
			seen(O_PASSTHROUGH, "--passthrough");
			arg_passthrough = true;
			break;
		case ARG_PARAM:
			seen(O_PARAM, "--param");
			if (arg_n_params == ARRAY_SIZE(arg_params))
				return log_error_errno(E2BIG, "more than %zu --param",
						       ARRAY_SIZE(arg_params));
			arg_params[arg_n_params++] = optarg;
			break;
		case ARG_EXIT_CODE:
			seen(O_EXIT_CODE, "--exit-code");
			arg_exit_code = true;
			break;
		case ARG_ALLOW_UNSAFE:
			seen(O_ALLOW_UNSAFE, "--allow-unsafe-interrupts");
			arg_allow_unsafe = true;
			break;
		case ARG_INITRAMFS:
			seen(O_INITRAMFS, "--initramfs");
			arg_initramfs = true;
			break;
		case ARG_NO_MKCONFIG:
			seen(O_NO_MKCONFIG, "--no-mkconfig");
			arg_no_mkconfig = true;
			break;
		case ARG_NO_INITRAMFS:
			seen(O_INITRAMFS, "--no-initramfs");
			arg_no_initramfs = true;
			break;
		case ARG_ALL_KERNELS:
			seen(O_ALL_KERNELS, "--all-kernels");
			arg_all_kernels = true;
			break;
		case ARG_TRIAL:
			seen(O_TRIAL, "--trial");
			arg_trial = true;
			break;
		case ARG_HARDWARE:
			seen(O_HARDWARE, "--hardware");
			arg_hardware = plan_hardware_from_string(optarg);
			if (arg_hardware < 0)
				return log_error_errno(
					EINVAL, "--hardware: \"%s\" is not any, intel or amd",
					optarg);
			break;
		case ARG_REPLACE:
			seen(O_REPLACE, "--replace");
			arg_replace = true;
			break;
		case ARG_COMMAND_TIMEOUT: {
			seen(O_COMMAND_TIMEOUT, "--command-timeout");
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 || v > 86400)
				return log_error_errno(EINVAL,
						       "--command-timeout: \"%s\" is not a number "
						       "of seconds from 1 to 86400",
						       optarg);
			arg_command_timeout = (unsigned)v;
			break;
		}
		case 'v':
			arg_verbose++;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf("iommu-setup %s\n", VERSION);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n",
				program_invocation_short_name);
			return -EINVAL;
		}
	return 1;
}

static int run(int argc, char *argv[])
{
	struct context ctx = {};
	const struct verb *verb = &verbs[0];
	int r;

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? EXIT_BAD_INPUT : EXIT_OK;
	log_set_max_level(arg_verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING);

	if (optind < argc) {
		verb = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
			if (strcmp(argv[optind], verbs[i].name) == 0)
				verb = &verbs[i];
		if (!verb) {
			log_error("unknown command \"%s\"; see --help", argv[optind]);
			return EXIT_BAD_INPUT;
		}
		optind++;
	}
	verb_name = verb->name;
	for (unsigned i = 0; i < ARRAY_SIZE(arg_seen_name); i++)
		if ((arg_seen & (1u << i)) && !(verb->options & (1u << i))) {
			log_error("%s is not an option of %s; see --help", arg_seen_name[i],
				  verb->name);
			return EXIT_BAD_INPUT;
		}

	r = root_new(arg_root, &ctx.root);
	if (r < 0) {
		log_error_errno(r, "--root %s: %m", arg_root);
		return EXIT_BAD_INPUT;
	}
	ctx.kernel = arg_kernel;
	ctx.json = arg_json;
	ctx.quiet = arg_quiet;
	ctx.force = arg_force;
	ctx.groups = arg_groups;
	ctx.xml = arg_xml;
	ctx.xml_pool = arg_xml_pool;
	ctx.ids = arg_ids;
	ctx.n_ids = arg_n_ids;
	ctx.devices = arg_devices;
	ctx.n_devices = arg_n_devices;
	ctx.params = arg_params;
	ctx.n_params = arg_n_params;
	ctx.no_passthrough = arg_no_passthrough;
	ctx.passthrough = arg_passthrough;
	ctx.exit_code = arg_exit_code;
	ctx.allow_unsafe_interrupts = arg_allow_unsafe;
	ctx.initramfs = arg_initramfs;
	ctx.no_mkconfig = arg_no_mkconfig;
	ctx.no_initramfs = arg_no_initramfs;
	ctx.all_kernels = arg_all_kernels;
	ctx.trial = arg_trial;
	ctx.hardware = arg_hardware;
	ctx.replace = arg_replace;
	ctx.command_timeout = arg_command_timeout;
	if (arg_passthrough && arg_no_passthrough) {
		log_error("--passthrough and --no-passthrough contradict each other");
		ctx.root = root_free(ctx.root);
		return EXIT_BAD_INPUT;
	}
	if (arg_all_kernels && arg_no_initramfs) {
		log_error("--all-kernels and --no-initramfs contradict each other");
		ctx.root = root_free(ctx.root);
		return EXIT_BAD_INPUT;
	}
	if (arg_initramfs && arg_no_initramfs) {
		log_error("--initramfs and --no-initramfs contradict each other");
		ctx.root = root_free(ctx.root);
		return EXIT_BAD_INPUT;
	}
	ctx.args = argv + optind;
	ctx.n_args = argc - optind;

	r = verb->run(&ctx);
	ctx.root = root_free(ctx.root);
	failure_code = ctx.failure_code;
	return r;
}

/* --json: a verb that fails before it wrote its document still answers in
 * JSON (the contract's failure document), its error as msg */
static void failure_document(int status)
{
	struct json j;

	json_init(&j, stdout);
	report_json_begin(&j, verb_name, false, true,
			  log_last_error() ? log_last_error() : "failed (see the messages)");
	json_int(&j, "status", status);
	json_string(&j, "code", failure_code);
	json_object_end(&j);
	json_finish(&j);
}

int main(int argc, char *argv[])
{
	int r, k;

	/* text from the root reaches the terminal escaped (textsafe.h) */
	k = output_install(output_use_color(STDOUT_FILENO));
	if (k < 0) {
		log_error_errno(k, "Failed to set up the output: %m");
		return EXIT_SYSTEM;
	}
	r = run(argc, argv);
	if (arg_json && r != EXIT_OK && !json_document_begun())
		failure_document(r);

	/* a report that did not reach its reader is a failure (util-linux's close_stdout) */
	errno = 0;
	k = fflush(stdout) != 0 || ferror(stdout) ? (errno ? -errno : -EIO) : 0;
	if (k >= 0)
		k = output_finish();
	else
		(void)output_finish();
	if (k < 0) {
		if (k != -EPIPE)
			log_error_errno(k, "write error on standard output: %m");
		return EXIT_SYSTEM;
	}
	return r;
}
