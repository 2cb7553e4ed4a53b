/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe BDF: ask the kernel itself whether a device can be assigned.
 * For a function already bound to vfio-pci, its IOMMU group is opened and
 * attached to a type1 container, as QEMU does before it maps guest memory;
 * then everything is released. The kernel's answer is reported as it is:
 * EPERM from VFIO_SET_IOMMU is vfio_iommu_type1 refusing a platform without
 * interrupt remapping (unless allow_unsafe_interrupts=1). No binding is ever
 * changed: a device on another driver is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/macro.h"
#include "cli/iommu-setup.h"
#include "cli/log.h"
#include "cli/probe.h"
#include "gather/pdev.h"
#include "report/json.h"
#include "report/report.h"
#include "root/root.h"

static const char *last_component(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void explain(struct probe *p)
{
	if (!p->step) {
		snprintf(p->explain, sizeof(p->explain),
			 "the kernel attached IOMMU group %d to a VFIO type1 container: %s can be "
			 "assigned to a guest",
			 p->group, p->addr);
		return;
	}
	if (strcmp(p->step, "VFIO_SET_IOMMU") == 0 && p->error == EPERM)
		snprintf(
			p->explain, sizeof(p->explain),
			"vfio_iommu_type1 refused the group (EPERM): the platform has no interrupt "
			"remapping and allow_unsafe_interrupts is off; `iommu-setup apply "
			"--allow-unsafe-interrupts` opts in, at the cost of letting a guest forge "
			"interrupts against the host");
	else if (strncmp(p->step, "VFIO_CHECK_EXTENSION", 20) == 0)
		snprintf(
			p->explain, sizeof(p->explain),
			"no VFIO type1 IOMMU backend: vfio_iommu_type1 is not loaded and could not "
			"be loaded (modprobe vfio_iommu_type1)");
	else if (strcmp(p->step, "VFIO_GROUP_GET_STATUS") == 0)
		snprintf(p->explain, sizeof(p->explain),
			 "IOMMU group %d is not viable: every device in it must be on vfio-pci or "
			 "have no driver (see `iommu-setup devices --groups`)",
			 p->group);
	else
		snprintf(p->explain, sizeof(p->explain), "%s failed: %s", p->step,
			 strerror(p->error));
}

/* modprobe NAME with libkmod: the configuration in modprobe.d applies */
static int load_module(const char *name)
{
	struct kmod_ctx *k = kmod_new(NULL, NULL);
	struct kmod_module *m = NULL;
	int r;

	if (!k)
		return -ENOMEM;
	r = kmod_module_new_from_name(k, name, &m);
	if (r >= 0)
		r = kmod_module_probe_insert_module(m, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL,
						    NULL);
	kmod_module_unref(m);
	kmod_unref(k);
	return r;
}

/* the probe itself; returns 0 when it could be made (p->step says how it went) */
static int run_probe(struct probe *p)
{
	char path[64];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	_cleanup_close_ int container = -1, group = -1;
	int type;

	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0) {
		p->step = "open /dev/vfio/vfio";
		p->error = errno;
		return 0;
	}
	p->api_version = ioctl(container, VFIO_GET_API_VERSION);
	if (p->api_version != VFIO_API_VERSION) {
		p->step = "VFIO_GET_API_VERSION";
		p->error = p->api_version < 0 ? errno : EPROTO;
		return 0;
	}
	p->type1v2 = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0;
	p->type1 = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0;
	if (!p->type1v2 && !p->type1) {
		/* the type1 backend registers when its module loads, as QEMU's users load
		 * it: through modprobe's configuration (allow_unsafe_interrupts there) */
		p->loaded_type1 = load_module("vfio_iommu_type1") == 0;
		p->type1v2 = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0;
		p->type1 = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0;
	}
	if (!p->type1v2 && !p->type1) {
		p->step = "VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU)";
		p->error = ENODEV;
		return 0;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", p->group);
	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0) {
		p->step = "open /dev/vfio/<group>";
		p->error = errno;
		return 0;
	}
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0) {
		p->step = "VFIO_GROUP_GET_STATUS";
		p->error = errno;
		return 0;
	}
	p->viable = status.flags & VFIO_GROUP_FLAGS_VIABLE;
	if (!p->viable) {
		p->step = "VFIO_GROUP_GET_STATUS";
		p->error = EBUSY;
		return 0;
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0) {
		p->step = "VFIO_GROUP_SET_CONTAINER";
		p->error = errno;
		return 0;
	}
	type = p->type1v2 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU;
	if (ioctl(container, VFIO_SET_IOMMU, type) < 0) {
		p->step = "VFIO_SET_IOMMU";
		p->error = errno;
	}
	/* released: the group leaves the container, both are closed */
	(void)ioctl(group, VFIO_GROUP_UNSET_CONTAINER);
	return 0;
}

void probe_attach(struct probe *p)
{
	run_probe(p);
	explain(p);
}

int verb_probe(struct context *ctx)
{
	struct probe p = { .group = -1 };
	char rel[128], target[512];
	const char *arg;
	uint16_t v, d;
	ssize_t n;

	if (ctx->n_args != 1) {
		log_error("probe takes one argument, a PCI address (0000:01:00.0)");
		return EXIT_BAD_INPUT;
	}
	arg = ctx->args[0];

	if (!root_is_host(ctx->root)) {
		log_error("probe asks the running kernel: it works on the live host only, not "
			  "with --root %s",
			  ctx->root->path);
		return EXIT_BAD_INPUT;
	}
	if (pdev_parse_arg(arg, p.addr, &v, &d) != 1) {
		log_error("probe: \"%s\" is not a PCI address (0000:01:00.0)", arg);
		return EXIT_BAD_INPUT;
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s", p.addr);
	if (root_exists(ctx->root, rel) <= 0) {
		log_error("probe: no PCI device %s", p.addr);
		return EXIT_BAD_INPUT;
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/driver", p.addr);
	n = root_readlink(ctx->root, rel, target, sizeof(target));
	snprintf(p.driver, sizeof(p.driver), "%.63s", n > 0 ? last_component(target) : "");
	if (strcmp(p.driver, "vfio-pci") != 0) {
		log_error("probe: %s is %s%s, not on vfio-pci; probe never changes a binding: bind "
			  "it first (echo vfio-pci > /sys/bus/pci/devices/%s/driver_override, then "
			  "drivers_probe)",
			  p.addr, p.driver[0] ? "driven by " : "without a driver", p.driver,
			  p.addr);
		return EXIT_BAD_INPUT;
	}
	snprintf(rel, sizeof(rel), "sys/bus/pci/devices/%s/iommu_group", p.addr);
	n = root_readlink(ctx->root, rel, target, sizeof(target));
	if (n <= 0) {
		log_error("probe: %s has no IOMMU group: the IOMMU is not active", p.addr);
		return EXIT_NOT_READY;
	}
	p.group = atoi(last_component(target));
	probe_attach(&p);

	if (ctx->json) {
		struct json j;

		json_init(&j, stdout);
		report_json_begin(&j, "probe", false,
				  p.step && strncmp(p.step, "open /dev/vfio/vfio", 19) == 0,
				  p.step ? "REFUSED by the kernel"
					 : "assignable, the kernel agrees");
		json_string(&j, "device", p.addr);
		json_string(&j, "driver", p.driver);
		json_int(&j, "iommu_group", p.group);
		json_int(&j, "api_version", p.api_version);
		json_bool(&j, "type1v2", p.type1v2);
		json_bool(&j, "viable", p.viable);
		json_bool(&j, "loaded_vfio_iommu_type1", p.loaded_type1);
		json_bool(&j, "assignable", !p.step);
		json_string(&j, "failed_step", p.step);
		if (p.step)
			json_string(&j, "error",
				    strerrorname_np(p.error) ? strerrorname_np(p.error)
							     : strerror(p.error));
		else
			json_null(&j, "error");
		json_string(&j, "explanation", p.explain);
		json_object_end(&j);
		json_finish(&j);
	} else
		printf("%s (IOMMU group %d, vfio-pci): %s\n  %s\n", p.addr, p.group,
		       p.step ? "REFUSED by the kernel" : "assignable, the kernel agrees",
		       p.explain);
	if (!p.step)
		return EXIT_OK;
	/* no /dev/vfio: a system problem; a refusal: not ready */
	return strncmp(p.step, "open /dev/vfio/vfio", 19) == 0 ? EXIT_SYSTEM : EXIT_NOT_READY;
}
