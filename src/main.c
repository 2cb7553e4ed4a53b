/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-setup.h"
#include "log.h"
#include "macro.h"
#include "root.h"

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
static const char *arg_probe;

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
	ARG_PROBE,
};
static int arg_verbose;

static const struct verb {
	const char *name;
	int (*run)(struct context *ctx);
} verbs[] = {
	/* clang-format off */
	{ "check",    verb_check },
	{ "acpi",     verb_acpi },
	{ "devices",  verb_devices },
	{ "plan",     verb_plan },
	{ "apply",    verb_apply },
	{ "revert",   verb_revert },
	{ "rules",    verb_rules },
	{ "snapshot", verb_snapshot },
	/* clang-format on */
};

static void help(void)
{
	printf("Usage: %s [OPTIONS] [COMMAND] [ARGS]\n"
	       "Prepare a Linux KVM host for PCI device assignment (VFIO) and prove it is ready.\n"
	       "\n"
	       "Commands:\n"
	       "  check                 Read-only readiness report (the default)\n"
	       "        --probe BDF     Ask the kernel: attach a vfio-pci device's group to a\n"
	       "                        VFIO container and release it (live host only)\n"
	       "  acpi [FILE...]        Decode DMAR / IVRS tables (default: the live ones)\n"
	       "  devices [BDF|ID...]   PCI functions, IOMMU groups, drivers, assignability\n"
	       "          --groups      ... as a tree of IOMMU groups\n"
	       "          --xml BDF     libvirt <hostdev> element for a device\n"
	       "          --xml-pool PF libvirt <network> VF pool of an SR-IOV PF (address\n"
	       "                        or network interface), with the virsh commands\n"
	       "  plan [REQUEST]        Show what apply would change (unified diffs), change nothing\n"
	       "  apply [REQUEST]       Make the planned changes and regenerate the boot\n"
	       "                        configuration; transactional, idempotent\n"
	       "  revert                Undo what apply changed\n"
	       "  rules                 The effective vendor rules and where each comes from\n"
	       "  snapshot OUT.tar      Save what check reads as a fixture root (for bug reports)\n"
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
	       "      --force           Assign a device even when its group holds\n"
	       "                        devices the host still uses\n"
	       "      --exit-code       plan: exit 1 when changes are pending\n"
	       "      --initramfs       apply: rebuild the initramfs even if its files are unchanged\n"
	       "      --no-initramfs    apply: leave the initramfs alone\n"
	       "      --no-mkconfig     apply, revert: leave grub.cfg alone (image builders)\n"
	       "\n"
	       "Options:\n"
	       "  -r, --root=DIR        Operate on the system below DIR (default: /)\n"
	       "  -k, --kernel=VERSION  Kernel whose modules and initramfs are meant\n"
	       "                        (default: the newest under DIR/lib/modules)\n"
	       "  -j, --json            Machine-readable output\n"
	       "  -q, --quiet           Show problems only\n"
	       "  -f, --force           snapshot: replace an existing OUT.tar\n"
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
		{ "probe",   required_argument, NULL, ARG_PROBE },
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
			if (!*optarg || strchr(optarg, '/'))
				return log_error_errno(EINVAL, "--kernel: invalid version \"%s\"",
						       optarg);
			arg_kernel = optarg;
			break;
		case 'j':
			arg_json = true;
			break;
		case 'q':
			arg_quiet = true;
			break;
		case 'f':
			arg_force = true;
			break;
		case ARG_GROUPS:
			arg_groups = true;
			break;
		case ARG_XML:
			arg_xml = optarg;
			break;
		case ARG_XML_POOL:
			arg_xml_pool = optarg;
			break;
		case ARG_IDS:
			if (arg_n_ids == ARRAY_SIZE(arg_ids))
				return log_error_errno(E2BIG, "more than %zu --ids",
						       ARRAY_SIZE(arg_ids));
			arg_ids[arg_n_ids++] = optarg;
			break;
		case ARG_DEVICE:
			if (arg_n_devices == ARRAY_SIZE(arg_devices))
				return log_error_errno(E2BIG, "more than %zu --device",
						       ARRAY_SIZE(arg_devices));
			arg_devices[arg_n_devices++] = optarg;
			break;
		case ARG_NO_PASSTHROUGH:
			arg_no_passthrough = true;
			break;
		case ARG_PASSTHROUGH:
			arg_passthrough = true;
			break;
		case ARG_PARAM:
			if (arg_n_params == ARRAY_SIZE(arg_params))
				return log_error_errno(E2BIG, "more than %zu --param",
						       ARRAY_SIZE(arg_params));
			arg_params[arg_n_params++] = optarg;
			break;
		case ARG_EXIT_CODE:
			arg_exit_code = true;
			break;
		case ARG_ALLOW_UNSAFE:
			arg_allow_unsafe = true;
			break;
		case ARG_INITRAMFS:
			arg_initramfs = true;
			break;
		case ARG_NO_MKCONFIG:
			arg_no_mkconfig = true;
			break;
		case ARG_NO_INITRAMFS:
			arg_no_initramfs = true;
			break;
		case ARG_PROBE:
			arg_probe = optarg;
			break;
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
	struct context ctx = { .root_fd = -1 };
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

	ctx.root_fd = root_open(arg_root);
	if (ctx.root_fd < 0) {
		log_error_errno(ctx.root_fd, "--root %s: %m", arg_root);
		return EXIT_BAD_INPUT;
	}
	ctx.root = arg_root;
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
	ctx.probe = arg_probe;
	if (arg_passthrough && arg_no_passthrough) {
		log_error("--passthrough and --no-passthrough contradict each other");
		closep(&ctx.root_fd);
		return EXIT_BAD_INPUT;
	}
	if (arg_initramfs && arg_no_initramfs) {
		log_error("--initramfs and --no-initramfs contradict each other");
		closep(&ctx.root_fd);
		return EXIT_BAD_INPUT;
	}
	ctx.args = argv + optind;
	ctx.n_args = argc - optind;

	r = verb->run(&ctx);
	closep(&ctx.root_fd);
	return r;
}

int main(int argc, char *argv[])
{
	int r = run(argc, argv);

	/* a report that did not reach its reader is a failure (util-linux's close_stdout) */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			log_error_errno(errno ? errno : EIO, "write error on standard output: %m");
		return EXIT_SYSTEM;
	}
	return r;
}
