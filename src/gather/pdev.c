/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libkmod.h>
#include <limits.h>
#include <linux/openat2.h>
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/macro.h"
#include "base/textsafe.h"
#include "cli/log.h"
#include "gather/pdev.h"
#include "root/root.h"

/* ---- reading sysfs ---- */

/*
 * A device's sysfs directory, read through the root (so that the snapshot
 * records what is read, and nothing leads out of the root). An attribute
 * that is missing, or that the kernel refuses to read (EIO, EACCES, EINVAL:
 * the device's business), is unknown; one that no sysfs could have made (not
 * a regular file, larger than any attribute, a link out) is an error of the
 * root, kept in error and named by root_failed_path().
 */
struct devdir {
	struct root *root;
	char rel[300];
	int error;
};

#define ATTR_MAX 65536 /* sysfs attributes are a page; config space 4 KiB */

static bool root_made(int k)
{
	return k == -ENOTREG || k == -EISDIR || k == -EFBIG || k == -ELOOP || k == -EXDEV ||
	       k == -ENAMETOOLONG || k == -ENOMEM;
}

static int dev_read(struct devdir *dd, const char *name, char **ret, size_t *len)
{
	char path[400];
	int k;

	snprintf(path, sizeof(path), "%s/%s", dd->rel, name);
	k = root_read_file(dd->root, path, ATTR_MAX, ret, len);
	if (k < 0 && root_made(k) && !dd->error)
		dd->error = k;
	return k;
}

/* a one-line attribute, trailing blanks and newline taken off */
static int read_attr(struct devdir *dd, const char *name, char *buf, size_t n)
{
	_cleanup_free_ char *data = NULL;
	size_t k;
	int r;

	buf[0] = '\0';
	r = dev_read(dd, name, &data, &k);
	if (r < 0)
		return r;
	while (k > 0 && (data[k - 1] == '\n' || data[k - 1] == ' '))
		data[--k] = '\0';
	if (k >= n) {
		char path[400];

		/* larger than the attribute can be: the root's doing, not the kernel's */
		snprintf(path, sizeof(path), "%s/%s", dd->rel, name);
		if (!dd->error)
			dd->error = -EFBIG;
		return -EFBIG;
	}
	memcpy(buf, data, k + 1);
	return 0;
}

/* dir/rel with no symlink on the way: what sysfs has, and nothing that leaves the root */
static int read_attr_beneath(int dirfd, const char *rel, char *buf, size_t n)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	struct stat st;
	ssize_t k;

	buf[0] = '\0';
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close((int)fd);
		return -ENOTREG;
	}
	k = read((int)fd, buf, n - 1);
	close((int)fd);
	if (k < 0)
		return -errno;
	buf[k] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static unsigned long read_hex(struct devdir *dd, const char *name)
{
	char buf[32];

	if (read_attr(dd, name, buf, sizeof(buf)) < 0)
		return 0;
	return strtoul(buf, NULL, 16);
}

static int read_int(struct devdir *dd, const char *name, int fallback)
{
	char buf[32], *end;
	long v;

	if (read_attr(dd, name, buf, sizeof(buf)) < 0)
		return fallback;
	v = strtol(buf, &end, 10);
	return end == buf ? fallback : (int)v;
}

/* The last path component of a symlink's target: driver, iommu_group, physfn.
 * Control characters in it (no kernel makes them) are shown escaped. */
static char *link_base(struct devdir *dd, const char *name)
{
	char target[4096], path[400];
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", dd->rel, name);
	n = root_readlink(dd->root, path, target, sizeof(target));
	if (n == -ENAMETOOLONG && !dd->error)
		dd->error = (int)n;
	if (n <= 0)
		return NULL;
	slash = strrchr(target, '/');
	return text_escape_controls(slash ? slash + 1 : target);
}

/* a canonical address, as sysfs names a function: 0000:01:00.0, 10000:e1:00.0 */
static bool is_pci_addr(const char *s)
{
	char addr[PCI_ADDR_SIZE];
	uint16_t v, d;

	return pdev_parse_arg(s, addr, &v, &d) == 1 && strcmp(addr, s) == 0;
}

/* ---- module aliases, cached: VFs by the hundred share one modalias ---- */

struct alias_cache {
	struct kmod_ctx *ctx;
	char **keys;
	char ***values;
	size_t n;
};

static char **lookup_modules(struct alias_cache *c, const char *modalias)
{
	struct kmod_list *list = NULL, *l;
	char **out = NULL;
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->keys[i], modalias) == 0)
			goto copy;
	if (kmod_module_new_from_lookup(c->ctx, modalias, &list) >= 0)
		kmod_list_foreach(l, list)
		{
			struct kmod_module *mod = kmod_module_get_module(l);
			char **nout = realloc(out, (n + 2) * sizeof(*nout));

			if (nout) {
				out = nout;
				out[n] = strdup(kmod_module_get_name(mod));
				if (out[n])
					n++;
				out[n] = NULL;
			}
			kmod_module_unref(mod);
		}
	kmod_module_unref_list(list);
	{
		char **nk = realloc(c->keys, (c->n + 1) * sizeof(*nk));
		char ***nv = nk ? realloc(c->values, (c->n + 1) * sizeof(*nv)) : NULL;

		if (nk)
			c->keys = nk;
		if (!nv) {
			return out;
		}
		c->values = nv;
		c->keys[c->n] = strdup(modalias);
		c->values[c->n] = out;
		if (!c->keys[c->n])
			return out;
		c->n++;
		return out ? out : NULL;
	}
copy:
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->keys[i], modalias) == 0)
			return c->values[i];
	return NULL;
}

static void alias_cache_done(struct alias_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->keys[i]);
		if (c->values[i]) {
			for (char **p = c->values[i]; *p; p++)
				free(*p);
			free(c->values[i]);
		}
	}
	free(c->keys);
	free(c->values);
	if (c->ctx)
		kmod_unref(c->ctx);
}

static void silent_log(void *data, int priority, const char *file, int line, const char *fn,
		       const char *format, va_list args)
{
}

static struct kmod_ctx *kmod_for(struct root *root, const char *kver)
{
	const char *none[] = { "/dev/null/none", NULL };
	char path[PATH_MAX];
	struct kmod_ctx *ctx;

	/* libkmod opens its indexes by path: copies read through the root */
	if (root_kmod_dir(root, kver, path, sizeof(path)) < 0)
		return NULL;
	ctx = kmod_new(path, none);
	if (ctx) {
		kmod_set_log_fn(ctx, silent_log, NULL);
		if (kmod_load_resources(ctx) < 0) {
			kmod_unref(ctx);
			ctx = NULL;
		}
	}
	return ctx;
}

/* ---- names from the PCI ID database (libpci) ---- */

static void pci_quiet(char *msg, ...)
{
}

/* libpci calls this only when it runs out of memory, and it must not return */
_Noreturn static void pci_fatal(char *msg, ...)
{
	fprintf(stderr, "iommu-setup: libpci: %s\n", msg);
	_exit(3);
}

static char *name_or_null(struct pci_access *pa, int flags, ...)
{
	char buf[256], *s;
	va_list ap;
	unsigned a, b, c, d;

	va_start(ap, flags);
	a = va_arg(ap, unsigned);
	b = va_arg(ap, unsigned);
	c = va_arg(ap, unsigned);
	d = va_arg(ap, unsigned);
	va_end(ap);
	s = pci_lookup_name(pa, buf, sizeof(buf),
			    flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, a, b, c, d);
	return s ? strdup(s) : NULL;
}

/* ---- host-critical devices ---- */

/* The last PCI address on a sysfs device path: the function nearest the leaf */
static bool last_pci_in(const char *path, char out[PCI_ADDR_SIZE])
{
	const char *p = path;
	bool found = false;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n >= 12 && n < PCI_ADDR_SIZE) {
			char comp[PCI_ADDR_SIZE];

			memcpy(comp, p, n);
			comp[n] = '\0';
			if (is_pci_addr(comp)) {
				memcpy(out, comp, n + 1);
				found = true;
			}
		}
		p += n + (slash != NULL);
	}
	return found;
}

static void mark(struct pdev_list *l, const char *addr, unsigned flag, const char *what)
{
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->devs[i].addr, addr) == 0) {
			struct pdev *d = &l->devs[i];

			if (d->critical & flag)
				continue; /* said once is enough (IPv4 and IPv6 routes) */
			d->critical |= flag;
			if (!d->critical_what)
				d->critical_what = strdup(what);
			else {
				char *n;

				if (asprintf(&n, "%s; %s", d->critical_what, what) >= 0) {
					free(d->critical_what);
					d->critical_what = n;
				}
			}
		}
}

/* A block device (sys/dev/block/MAJ:MIN or sys/class/block/NAME): its PCI
 * function, or those of the devices below it (dm, md: slaves/). */
static void mark_block(struct root *root, struct pdev_list *l, const char *rel, unsigned flag,
		       const char *what, unsigned depth)
{
	char target[4096], addr[PCI_ADDR_SIZE], slaves[600];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	ssize_t n;

	if (depth > 8)
		return;
	n = root_readlink(root, rel, target, sizeof(target));
	if (n > 0 && last_pci_in(target, addr)) {
		mark(l, addr, flag, what);
		return;
	}
	snprintf(slaves, sizeof(slaves), "%s/slaves", rel);
	d = root_opendir(root, slaves);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char sub[600];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "sys/class/block/%s", de->d_name);
		mark_block(root, l, sub, flag, what, depth + 1);
	}
}

static void find_storage(struct root *root, struct pdev_list *l)
{
	_cleanup_free_ char *text = NULL;

	if (root_read_file(root, "proc/self/mountinfo", 4u << 20, &text, NULL) < 0)
		return;
	for (char *line = text, *eol; line && *line; line = eol ? eol + 1 : NULL) {
		char majmin[32], mnt[512], rel[64], what[600];
		unsigned flag;

		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		/* "36 35 259:2 / /boot rw,relatime shared:5 - ext4 /dev/nvme0n1p2 rw" */
		if (sscanf(line, "%*u %*u %31s %*s %511s", majmin, mnt) != 2)
			continue;
		if (strcmp(mnt, "/") == 0)
			flag = CRITICAL_ROOTFS;
		else if (strcmp(mnt, "/boot") == 0 || strcmp(mnt, "/boot/efi") == 0 ||
			 strcmp(mnt, "/efi") == 0)
			flag = CRITICAL_BOOTFS;
		else
			continue;
		snprintf(rel, sizeof(rel), "sys/dev/block/%s", majmin);
		snprintf(what, sizeof(what), "holds %s", mnt);
		mark_block(root, l, rel, flag, what, 0);
	}
}

/* A network interface: its PCI function, or its lower devices (bond, bridge, VLAN) */
static void mark_netdev(struct root *root, struct pdev_list *l, const char *iface, const char *what,
			unsigned depth)
{
	char rel[600], target[4096], addr[PCI_ADDR_SIZE];
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;
	ssize_t n;

	if (depth > 8 || strchr(iface, '/') || iface[0] == '.')
		return;
	snprintf(rel, sizeof(rel), "sys/class/net/%s", iface);
	n = root_readlink(root, rel, target, sizeof(target));
	if (n > 0 && last_pci_in(target, addr)) {
		mark(l, addr, CRITICAL_ROUTE, what);
		return;
	}
	d = root_opendir(root, rel);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "lower_", 6) == 0)
			mark_netdev(root, l, de->d_name + 6, what, depth + 1);
}

static void find_route(struct root *root, struct pdev_list *l)
{
	_cleanup_free_ char *v4 = NULL, *v6 = NULL;

	if (root_read_file(root, "proc/net/route", 1u << 20, &v4, NULL) >= 0)
		for (char *line = v4, *eol; line && *line; line = eol ? eol + 1 : NULL) {
			char iface[64], dest[16], what[128];
			unsigned mask = 1;

			eol = strchr(line, '\n');
			if (eol)
				*eol = '\0';
			/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
			if (sscanf(line, "%63s %15s %*s %*s %*s %*s %*s %x", iface, dest, &mask) ==
				    3 &&
			    strcmp(dest, "00000000") == 0 && mask == 0) {
				snprintf(what, sizeof(what), "carries the default route (%s)",
					 iface);
				mark_netdev(root, l, iface, what, 0);
			}
		}
	if (root_read_file(root, "proc/net/ipv6_route", 1u << 20, &v6, NULL) >= 0)
		for (char *line = v6, *eol; line && *line; line = eol ? eol + 1 : NULL) {
			char dest[40], plen[4], iface[64], what[128];

			eol = strchr(line, '\n');
			if (eol)
				*eol = '\0';
			if (sscanf(line, "%39s %3s %*s %*s %*s %*s %*s %*s %*s %63s", dest, plen,
				   iface) == 3 &&
			    strcmp(dest, "00000000000000000000000000000000") == 0 &&
			    strcmp(plen, "00") == 0 && strcmp(iface, "lo") != 0) {
				snprintf(what, sizeof(what), "carries the IPv6 default route (%s)",
					 iface);
				mark_netdev(root, l, iface, what, 0);
			}
		}
}

/* ---- the whole list ---- */

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct pdev *)a)->addr, ((const struct pdev *)b)->addr);
}

static const struct pdev_list *sort_list;

static int cmp_by_group(const void *a, const void *b)
{
	const struct pdev *x = &sort_list->devs[*(const unsigned *)a];
	const struct pdev *y = &sort_list->devs[*(const unsigned *)b];

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return strcmp(x->addr, y->addr);
}

/* Groups from the devices' group numbers: sort once, cut runs. O(n log n): a
 * host with 16k VFs has 16k groups. */
static int build_groups(struct pdev_list *l, int groups_fd)
{
	_cleanup_free_ unsigned *order = NULL;
	unsigned n = 0;

	if (l->n == 0)
		return 0;
	order = malloc(l->n * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (unsigned i = 0; i < l->n; i++)
		if (l->devs[i].group >= 0)
			order[n++] = i;
	sort_list = l;
	qsort(order, n, sizeof(*order), cmp_by_group);
	sort_list = NULL;

	/* at most one group per device */
	l->groups = calloc(n ? n : 1, sizeof(*l->groups));
	if (!l->groups)
		return -ENOMEM;
	for (unsigned i = 0; i < n;) {
		unsigned j = i;
		struct pdev_group *g;
		char rel[64];

		while (j < n && l->devs[order[j]].group == l->devs[order[i]].group)
			j++;
		g = &l->groups[l->n_groups++];
		*g = (struct pdev_group){ .number = l->devs[order[i]].group };
		g->members = malloc((j - i) * sizeof(*g->members));
		if (!g->members)
			return -ENOMEM;
		memcpy(g->members, order + i, (j - i) * sizeof(*g->members));
		g->n_members = j - i;
		snprintf(rel, sizeof(rel), "%d/type", g->number);
		if (groups_fd >= 0)
			(void)read_attr_beneath(groups_fd, rel, g->type, sizeof(g->type));
		i = j;
	}
	return 0;
}

/* the configuration space: the standard header (64 bytes) for the IDs, the
 * rest (256 bytes, 4 KiB as root) for the capabilities */
static int read_config(struct devdir *dd, uint8_t cfg[64], struct pci_caps *caps)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int k = dev_read(dd, "config", &data, &len);

	if (k < 0)
		return k;
	if (len < 64)
		return -EIO;
	memcpy(cfg, data, 64);
	pci_caps_parse((const uint8_t *)data, len > 4096 ? 4096 : len, caps);
	return 0;
}

/* The function above the leaf on a sysfs device path: the bridge it sits behind */
static bool parent_pci_in(const char *path, char out[PCI_ADDR_SIZE])
{
	char last[PCI_ADDR_SIZE] = "", prev[PCI_ADDR_SIZE] = "";
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n >= 12 && n < PCI_ADDR_SIZE) {
			char comp[PCI_ADDR_SIZE];

			memcpy(comp, p, n);
			comp[n] = '\0';
			if (is_pci_addr(comp)) {
				memcpy(prev, last, sizeof(prev));
				memcpy(last, comp, n + 1);
			}
		}
		p += n + (slash != NULL);
	}
	memcpy(out, prev, sizeof(prev));
	return prev[0] != '\0';
}

/* BARs, parent bridge, driver module: what readiness is judged from */
static int read_readiness(struct root *root, struct devdir *dd, struct pdev *d)
{
	_cleanup_free_ char *res = NULL;
	char target[PATH_MAX], path[400];
	size_t len;
	unsigned line = 0;
	ssize_t n;
	int k;

	k = dev_read(dd, "resource", &res, &len);
	if (k >= 0 && pci_resource_parse(res, len, d->bars, &line) < 0) {
		log_error("%s/resource:%u: not \"0xSTART 0xEND 0xFLAGS\"", dd->rel, line);
		return -EBADMSG;
	}
	n = root_readlink(root, dd->rel, target, sizeof(target));
	if (n > 0 && (size_t)n < sizeof(target)) {
		target[n] = '\0';
		parent_pci_in(target, d->parent);
	}
	d->driver_builtin = -1;
	if (d->driver) {
		d->driver_module = link_base(dd, "driver/module");
		/* a module's name, nothing a path could be made of */
		if (d->driver_module &&
		    (!d->driver_module[0] ||
		     d->driver_module[strspn(d->driver_module,
					     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789_-")])) {
			free(d->driver_module);
			d->driver_module = NULL;
		}
		if (d->driver_module) {
			snprintf(path, sizeof(path), "sys/module/%s/initstate", d->driver_module);
			/* only a loadable module has an initstate */
			k = root_exists(root, path);
			if (k >= 0)
				d->driver_builtin = k == 0;
		}
	}
	return 0;
}

static int read_dev(struct root *root, const char *name, struct pdev *d, struct alias_cache *ac)
{
	struct devdir dd = { .root = root };
	char buf[256], path[400];
	uint8_t cfg[64];
	char *s;
	int k;

	/* name is a canonical address (is_pci_addr) */
	snprintf(dd.rel, sizeof(dd.rel), "sys/bus/pci/devices/%s", name);
	k = root_exists(root, dd.rel);
	if (k <= 0)
		return k < 0 ? k : -ENOENT;
	*d = (struct pdev){ .group = -1, .sriov_total = -1, .sriov_num = -1 };
	snprintf(d->addr, sizeof(d->addr), "%.*s", PCI_ADDR_SIZE - 1, name);
	sscanf(name, "%x:%x:%x.%x", &d->domain, &d->bus, &d->slot, &d->fn);

	if (read_config(&dd, cfg, &d->caps) >= 0) {
		/* PCI Local Bus spec §6.1: IDs at 0x00/0x02, class at 0x09-0x0b, header type at
		 * 0x0e, subsystem IDs at 0x2c/0x2e (header type 0) */
		d->vendor = (uint16_t)(cfg[0] | cfg[1] << 8);
		d->device = (uint16_t)(cfg[2] | cfg[3] << 8);
		d->class = (uint32_t)(cfg[9] | cfg[10] << 8 | cfg[11] << 16);
		d->bridge = (cfg[0x0e] & 0x7f) != 0;
		if ((cfg[0x0e] & 0x7f) == 0) {
			d->subvendor = (uint16_t)(cfg[0x2c] | cfg[0x2d] << 8);
			d->subdevice = (uint16_t)(cfg[0x2e] | cfg[0x2f] << 8);
		}
	} else {
		d->class = (uint32_t)read_hex(&dd, "class");
		d->bridge = (d->class >> 8) == 0x0604 || (d->class >> 8) == 0x0607;
		d->vendor = 0xffff;
	}
	/* an SR-IOV VF's config space reads 0xffff for its IDs (PCIe base spec §9.3.4.1.1):
	 * the kernel's attributes carry the real ones */
	if (d->vendor == 0xffff) {
		d->vendor = (uint16_t)read_hex(&dd, "vendor");
		d->device = (uint16_t)read_hex(&dd, "device");
		d->subvendor = (uint16_t)read_hex(&dd, "subsystem_vendor");
		d->subdevice = (uint16_t)read_hex(&dd, "subsystem_device");
	}
	/* host bridges are never handed to a guest either */
	if ((d->class >> 8) == 0x0600)
		d->bridge = true;

	d->driver = link_base(&dd, "driver");
	s = link_base(&dd, "iommu_group");
	if (s) {
		d->group = atoi(s);
		free(s);
	}
	d->numa_node = read_int(&dd, "numa_node", -1);
	/* that it exists, not its bytes: reading a ROM hangs some devices */
	snprintf(path, sizeof(path), "%s/rom", dd.rel);
	d->rom = root_exists(root, path) > 0;
	if (read_attr(&dd, "reset_method", buf, sizeof(buf)) >= 0) {
		d->reset_method_attr = true;
		if (buf[0])
			d->reset_methods = strdup(buf);
	}
	s = link_base(&dd, "physfn");
	if (s) {
		snprintf(d->physfn, sizeof(d->physfn), "%s", s);
		free(s);
	} else {
		d->sriov_total = read_int(&dd, "sriov_totalvfs", -1);
		if (d->sriov_total >= 0)
			d->sriov_num = read_int(&dd, "sriov_numvfs", 0);
	}
	/* only display controllers have boot_vga, only network ones a net/ directory */
	if ((d->class >> 16) == 0x03)
		d->boot_vga = read_int(&dd, "boot_vga", 0) == 1;
	/* the same string the kernel builds for the modalias attribute */
	snprintf(buf, sizeof(buf), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", d->vendor,
		 d->device, d->subvendor, d->subdevice, d->class >> 16, (d->class >> 8) & 0xff,
		 d->class & 0xff);
	d->modalias = strdup(buf);
	if (ac->ctx && d->modalias)
		d->modules = lookup_modules(ac, d->modalias);
	if ((d->class >> 16) == 0x02) {
		_cleanup_(closedirp) DIR *nd = NULL;
		struct dirent *de;

		snprintf(path, sizeof(path), "%s/net", dd.rel);
		nd = root_opendir(root, path);
		while (nd && (de = readdir(nd)))
			if (de->d_name[0] != '.' && !d->netdev)
				d->netdev = text_escape_controls(de->d_name);
	}
	k = read_readiness(root, &dd, d);
	if (k < 0 && !dd.error)
		dd.error = k;
	if (dd.error < 0) {
		/* the module list belongs to the alias cache still */
		free(d->driver_module);
		free(d->driver);
		free(d->modalias);
		free(d->reset_methods);
		free(d->netdev);
		*d = (struct pdev){};
		return dd.error;
	}
	return 0;
}

/* the boot framebuffers' claims; a proc/iomem no kernel wrote is an error */
static int read_iomem(struct root *root, struct iomem_fb *fb)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	unsigned line = 0;
	int k;

	*fb = (struct iomem_fb){};
	k = root_read_file(root, "proc/iomem", 4u << 20, &text, &len);
	if (k == -ENOENT || k == -EACCES)
		return 0;
	if (k < 0)
		return k;
	k = iomem_parse_fb(text, len, fb, &line);
	if (k == -EBADMSG)
		log_error("proc/iomem:%u: not \"START-END : NAME\"", line);
	else if (k == -E2BIG)
		log_error("proc/iomem:%u: more than %d framebuffer claims", line, IOMEM_FB_MAX);
	return k;
}

int pdev_gather(struct root *root, const char *kver, struct pdev_list *ret)
{
	struct pdev_list l = {};
	struct alias_cache ac = {};
	_cleanup_(closedirp) DIR *d = NULL;
	struct pci_access *pa = NULL;
	_cleanup_close_ int ids_fd = -1, groups_fd = -1;
	struct dirent *de;
	size_t alloc = 0;
	int r = 0, k;

	memset(ret, 0, sizeof(*ret));
	d = root_opendir(root, "sys/bus/pci/devices");
	if (!d && errno != ENOENT)
		return -errno;
	if (kver)
		ac.ctx = kmod_for(root, kver);

	while (d && (de = readdir(d))) {
		if (!is_pci_addr(de->d_name))
			continue;
		if (l.n == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			struct pdev *nd = realloc(l.devs, na * sizeof(*nd));

			if (!nd) {
				r = -ENOMEM;
				break;
			}
			l.devs = nd;
			alloc = na;
		}
		k = read_dev(root, de->d_name, &l.devs[l.n], &ac);
		if (k >= 0)
			l.n++;
		else if (k != -ENOENT) {
			r = k; /* named by root_failed_path() */
			break;
		}
	}
	/* the cache owns the module lists; hand each device its own copy pointer */
	for (unsigned i = 0; i < l.n; i++)
		if (l.devs[i].modules) {
			size_t m = 0;
			char **copy;

			while (l.devs[i].modules[m])
				m++;
			copy = calloc(m + 1, sizeof(*copy));
			for (size_t j = 0; copy && j < m; j++)
				copy[j] = strdup(l.devs[i].modules[j]);
			l.devs[i].modules = copy;
		}
	alias_cache_done(&ac);
	if (r < 0) {
		pdev_list_done(&l);
		return r;
	}
	if (l.n)
		qsort(l.devs, l.n, sizeof(*l.devs), cmp_dev);

	/* names, when the root has a PCI ID database */
	/* libpci reopens it through /proc/self/fd: the file already resolved, and
	 * regular (a FIFO there would block it) */
	ids_fd = root_open_regular(root, "usr/share/misc/pci.ids");
	if (ids_fd < 0)
		ids_fd = root_open_regular(root, "usr/share/hwdata/pci.ids");
	if (ids_fd >= 0 && l.n && (pa = pci_alloc())) {
		char path[64];

		/* pci_init() would set these, but it also probes for PCI access, which names
		 * do not need */
		pa->warning = pci_quiet;
		pa->debug = pci_quiet;
		pa->error = pci_fatal;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", ids_fd);
		pci_set_name_list_path(pa, strdup(path), 1);
		l.names = pci_load_name_list(pa);
		for (unsigned i = 0; l.names && i < l.n; i++) {
			struct pdev *p = &l.devs[i];

			p->vendor_name = name_or_null(pa, PCI_LOOKUP_VENDOR, p->vendor, 0, 0, 0);
			p->device_name =
				name_or_null(pa, PCI_LOOKUP_DEVICE, p->vendor, p->device, 0, 0);
			p->class_name = name_or_null(pa, PCI_LOOKUP_CLASS, p->class >> 8, 0, 0, 0);
			if (p->subvendor)
				p->subsys_name = name_or_null(
					pa, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE, p->vendor,
					p->device, p->subvendor, p->subdevice);
		}
		pci_cleanup(pa);
	}

	/* groups */
	groups_fd = root_openat(root, "sys/kernel/iommu_groups", O_PATH | O_DIRECTORY);
	l.groups_dir = groups_fd >= 0;
	r = build_groups(&l, groups_fd);
	if (r < 0) {
		pdev_list_done(&l);
		return r;
	}

	find_storage(root, &l);
	find_route(root, &l);
	r = read_iomem(root, &l.fb);
	if (r < 0) {
		pdev_list_done(&l);
		return r;
	}
	for (unsigned i = 0; i < l.n; i++)
		if (l.devs[i].boot_vga)
			mark(&l, l.devs[i].addr, CRITICAL_BOOT_VGA,
			     "is the boot display (boot_vga)");

	*ret = l;
	return 0;
}

void pdev_list_done(struct pdev_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct pdev *d = &l->devs[i];

		free(d->driver);
		free(d->modalias);
		if (d->modules)
			for (char **p = d->modules; *p; p++)
				free(*p);
		free(d->modules);
		free(d->reset_methods);
		free(d->driver_module);
		free(d->netdev);
		free(d->critical_what);
		free(d->vendor_name);
		free(d->device_name);
		free(d->class_name);
		free(d->subsys_name);
	}
	free(l->devs);
	for (unsigned i = 0; i < l->n_groups; i++)
		free(l->groups[i].members);
	free(l->groups);
	memset(l, 0, sizeof(*l));
}
