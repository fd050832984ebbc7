// SPDX-License-Identifier: MIT
/*
 * The kernel backend: open a device of the kernel's VFIO by name, with
 * its group in a type1 container of its own, and the container's calls
 * (DMA mapping and dirty page tracking).
 *
 * Names: "vfio:DDDD:BB:DD.F" (or "vfio:BB:DD.F", domain 0) is a PCI
 * function bound to vfio-pci or a vfio-pci variant driver;
 * "mdev:UUID" is a mediated device.  Their group comes from sysfs.
 * What the kernel can do is probed (CHECK_EXTENSION, the ioctls' own
 * answers), never read off its version.
 *
 * The usual mistakes (no such device, not bound to vfio-pci, no IOMMU
 * group, group not viable, no permission, group busy) fail the open with
 * their errno, and uvfio_client_open_error() names the fix.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <uvfio/dma.h>

#include "kernel-internal.h"

/* ---- naming: sysfs path and the name GROUP_GET_DEVICE_FD takes ---- */

struct kvfio_name {
	char sysfs[PATH_MAX];
	char dev[64]; /* the device's name in its group */
	bool pci;
};

static bool is_bdf(const char *s)
{
	unsigned int dom, bus, slot, fn;
	int n = -1;

	return sscanf(s, "%4x:%2x:%2x.%1u%n", &dom, &bus, &slot, &fn, &n) ==
		       4 &&
	       n == 12 && !s[n] && slot < 32 && fn < 8;
}

static int parse_name(const char *name, struct kvfio_name *out)
{
	const char *arg = name + 5;

	if (!strncmp(name, "mdev:", 5)) {
		uuid_t u;

		if (uuid_parse(arg, u))
			return client_open_error(
				EINVAL, "%s: not a UUID after 'mdev:'", name);
		uuid_unparse_lower(u, out->dev);
		snprintf(out->sysfs, sizeof(out->sysfs),
			 "/sys/bus/mdev/devices/%s", out->dev);
		out->pci = false;
		return 0;
	}
	if (strlen(arg) == 7) /* BB:DD.F, as lspci prints it */
		snprintf(out->dev, sizeof(out->dev), "0000:%s", arg);
	else
		snprintf(out->dev, sizeof(out->dev), "%.12s", arg);
	if (strlen(arg) > 12 || !is_bdf(out->dev))
		return client_open_error(
			EINVAL, "%s: not a PCI address (vfio:DDDD:BB:DD.F)",
			name);
	for (char *p = out->dev; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	snprintf(out->sysfs, sizeof(out->sysfs), "/sys/bus/pci/devices/%s",
		 out->dev);
	out->pci = true;
	return 0;
}

/* The last component of symlink @dir/@link, or "" if there is none. */
static void link_name(const char *dir, const char *link, char *out, size_t len)
{
	char path[PATH_MAX + 32], target[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = 0;
		return;
	}
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(out, len, "%s", base ? base + 1 : target);
}

/* Which group the device is in, or why it cannot be used. */
static int find_group(const struct kvfio_name *nm, unsigned int *group)
{
	char driver[PATH_MAX], grp[PATH_MAX];

	if (access(nm->sysfs, F_OK))
		return nm->pci ?
			       client_open_error(
				       ENOENT,
				       "no PCI device %s (lspci -D lists them)",
				       nm->dev) :
			       client_open_error(
				       ENOENT,
				       "no mdev %s: create it with 'echo %s > /sys/class/mdev_bus/PARENT/mdev_supported_types/TYPE/create'",
				       nm->dev, nm->dev);
	if (nm->pci) {
		link_name(nm->sysfs, "driver", driver, sizeof(driver));
		if (driver[0] && !strstr(driver, "vfio"))
			return client_open_error(
				ENODEV,
				"%s is bound to %s, not vfio-pci: 'echo vfio-pci > %s/driver_override; echo %s > %s/driver/unbind; echo %s > /sys/bus/pci/drivers/vfio-pci/bind' (modprobe vfio-pci first)",
				nm->dev, driver, nm->sysfs, nm->dev, nm->sysfs,
				nm->dev);
		if (!driver[0])
			return client_open_error(
				ENODEV,
				"%s is bound to no driver, not vfio-pci: 'echo vfio-pci > %s/driver_override; echo %s > /sys/bus/pci/drivers/vfio-pci/bind' (modprobe vfio-pci first)",
				nm->dev, nm->sysfs, nm->dev);
	}
	link_name(nm->sysfs, "iommu_group", grp, sizeof(grp));
	if (!grp[0])
		return client_open_error(
			ENODEV,
			"%s has no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on on the kernel command line)",
			nm->dev);
	*group = (unsigned int)strtoul(grp, NULL, 10);
	return 0;
}

static int open_group(unsigned int group)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%u", group);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EACCES:
	case EPERM:
		return client_open_error(
			errno,
			"no permission on %s: run as root, or give the user the group's node (chown USER %s)",
			path, path);
	case EBUSY:
		return client_open_error(
			EBUSY,
			"%s is in use: another process holds IOMMU group %u",
			path, group);
	case ENOENT:
		return client_open_error(
			ENOENT,
			"%s does not exist: is the device bound to a VFIO driver (vfio-pci, an mdev parent)?",
			path);
	default:
		return client_open_error(errno, "%s: %s", path,
					 strerror(errno));
	}
}

static int check_viable(int group_fd, unsigned int group)
{
	struct uvfio_group_status st = { .argsz = sizeof(st) };

	if (ioctl(group_fd, UVFIO_GROUP_GET_STATUS, &st))
		return client_open_error(errno, "GROUP_GET_STATUS: %s",
					 strerror(errno));
	if (!(st.flags & UVFIO_GROUP_FLAGS_VIABLE))
		return client_open_error(
			EPERM,
			"IOMMU group %u is not viable: bind every device in /sys/kernel/iommu_groups/%u/devices to vfio-pci (or unbind it)",
			group, group);
	return 0;
}

/* A type1 container holding @group_fd; fills the container's fields. */
static int setup_container(struct kvfio_client *k, int group_fd)
{
	struct {
		struct uvfio_iommu_type1_info info;
		uint8_t caps[1024];
	} buf = { .info.argsz = sizeof(buf) };
	long type;

	k->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (k->container < 0)
		return client_open_error(
			errno, "/dev/vfio/vfio: %s (modprobe vfio_iommu_type1)",
			strerror(errno));
	if (ioctl(k->container, UVFIO_GET_API_VERSION) != UVFIO_API_VERSION)
		return client_open_error(
			EPROTO, "/dev/vfio/vfio: unknown VFIO API version");
	if (ioctl(k->container, UVFIO_CHECK_EXTENSION, UVFIO_TYPE1v2_IOMMU) > 0)
		type = UVFIO_TYPE1v2_IOMMU;
	else if (ioctl(k->container, UVFIO_CHECK_EXTENSION, UVFIO_TYPE1_IOMMU) >
		 0)
		type = UVFIO_TYPE1_IOMMU;
	else
		return client_open_error(
			ENODEV,
			"the container offers no type1 IOMMU: modprobe vfio_iommu_type1");
	if (ioctl(group_fd, UVFIO_GROUP_SET_CONTAINER, &k->container))
		return client_open_error(errno, "GROUP_SET_CONTAINER: %s",
					 strerror(errno));
	if (ioctl(k->container, UVFIO_SET_IOMMU, type))
		return client_open_error(
			errno, "SET_IOMMU: %s%s", strerror(errno),
			errno == EPERM ?
				" (no interrupt remapping: vfio_iommu_type1 allow_unsafe_interrupts=1 if the platform is trusted)" :
				"");
	k->unmap_all =
		ioctl(k->container, UVFIO_CHECK_EXTENSION, UVFIO_UNMAP_ALL) > 0;
	k->dma_avail = 65535; /* type1's default dma_entry_limit */
	if (!ioctl(k->container, UVFIO_IOMMU_GET_INFO, &buf) &&
	    (buf.info.flags & UVFIO_IOMMU_INFO_CAPS) &&
	    buf.info.argsz <= sizeof(buf)) {
		uint32_t off = buf.info.cap_offset;

		/* Walk the chain; offsets are from the start of the info. */
		for (int n = 0; off && n < 16; n++) {
			struct uvfio_info_cap_header h;

			if (off < sizeof(buf.info) ||
			    off > sizeof(buf) - sizeof(h) - sizeof(uint32_t))
				break;
			memcpy(&h, (uint8_t *)&buf + off, sizeof(h));
			if (h.id == UVFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
				memcpy(&k->dma_avail,
				       (uint8_t *)&buf + off + sizeof(h),
				       sizeof(k->dma_avail));
			off = h.next;
		}
	}
	return 0;
}

static int get_device(struct kvfio_client *k, const struct kvfio_name *nm,
		      const char *vf_token)
{
	char name[128];
	uuid_t u;

	if (vf_token) {
		char tok[37];

		if (uuid_parse(vf_token, u))
			return client_open_error(
				EINVAL, "vf_token %s is not a UUID", vf_token);
		uuid_unparse_lower(u, tok);
		snprintf(name, sizeof(name), "%s vf_token=%s", nm->dev, tok);
	} else {
		snprintf(name, sizeof(name), "%s", nm->dev);
	}
	k->device = ioctl(k->group, UVFIO_GROUP_GET_DEVICE_FD, name);
	if (k->device >= 0)
		return 0;
	if (errno == EACCES && nm->pci)
		return client_open_error(
			EACCES,
			"%s: the VF token is missing or wrong (the PF's driver set it: open with vf_token=UUID)",
			nm->dev);
	return client_open_error(errno, "GROUP_GET_DEVICE_FD %s: %s", nm->dev,
				 strerror(errno));
}

static void kvfio_close(struct uvfio_client *pub)
{
	struct kvfio_client *k = to_kvfio(pub);

	if (k->data_fd >= 0)
		close(k->data_fd);
	if (k->device >= 0)
		close(k->device);
	if (k->group >= 0)
		close(k->group);
	if (k->container >= 0)
		close(k->container);
	pthread_mutex_destroy(&k->mig_lock);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static void kvfio_get_caps(struct uvfio_client *pub,
			   struct uvfio_client_caps *caps)
{
	struct kvfio_client *k = to_kvfio(pub);

	/* No protocol: the figures are the kernel's own limits. */
	*caps = (struct uvfio_client_caps){
		.max_data_xfer_size = 1u << 20,
		.max_dma_maps = k->dma_avail,
	};
}

/* ---- the container ---- */

static int kvfio_dma_map(struct uvfio_client *pub, uint64_t iova, uint64_t size,
			 uint32_t prot, int fd, uint64_t fd_offset, void *vaddr)
{
	struct kvfio_client *k = to_kvfio(pub);
	struct uvfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	/* The kernel pins our mapping of the memory: the fd is not used. */
	(void)fd;
	(void)fd_offset;
	if (!vaddr)
		return -EINVAL;
	if (prot & UVFIO_DMA_READ)
		map.flags |= UVFIO_DMA_MAP_FLAG_READ;
	if (prot & UVFIO_DMA_WRITE)
		map.flags |= UVFIO_DMA_MAP_FLAG_WRITE;
	return ioctl(k->container, UVFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static int unmap(struct kvfio_client *k, uint32_t flags, uint64_t iova,
		 uint64_t size)
{
	struct uvfio_iommu_type1_dma_unmap un = {
		.argsz = sizeof(un),
		.flags = flags,
		.iova = iova,
		.size = size,
	};

	return ioctl(k->container, UVFIO_IOMMU_UNMAP_DMA, &un) ? -errno : 0;
}

static int kvfio_dma_unmap(struct uvfio_client *pub, uint64_t iova,
			   uint64_t size)
{
	return unmap(to_kvfio(pub), 0, iova, size);
}

static int kvfio_dma_unmap_all(struct uvfio_client *pub)
{
	struct kvfio_client *k = to_kvfio(pub);

	if (!k->unmap_all)
		return -EOPNOTSUPP;
	return unmap(k, UVFIO_DMA_UNMAP_FLAG_ALL, 0, 0);
}

static int kvfio_dirty_pages(struct uvfio_client *pub, uint32_t flags,
			     uint64_t iova, uint64_t size, uint64_t pgsize,
			     uint64_t *bitmap)
{
	struct kvfio_client *k = to_kvfio(pub);
	struct uvfio_iommu_type1_dirty_bitmap hdr = { .argsz = sizeof(hdr),
						      .flags = flags };
	struct uvfio_iommu_type1_dirty_bitmap_get get = { 0 };
	/* Bytes: the header ends in a flexible array. */
	uint8_t req[sizeof(hdr) + sizeof(get)];

	if (flags == UVFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP) {
		uint64_t pages;

		if (!pgsize || !bitmap || size % pgsize)
			return -EINVAL;
		pages = size / pgsize;
		hdr.argsz = sizeof(req);
		get = (struct uvfio_iommu_type1_dirty_bitmap_get){
			.iova = iova,
			.size = size,
			.bitmap = { .pgsize = pgsize,
				    .size = (pages + 63) / 64 * 8,
				    .data = (uintptr_t)bitmap },
		};
	}
	memcpy(req, &hdr, sizeof(hdr));
	memcpy(req + sizeof(hdr), &get, sizeof(get));
	return ioctl(k->container, UVFIO_IOMMU_DIRTY_PAGES, req) ? -errno : 0;
}

static const struct client_ops kvfio_ops = {
	.close = kvfio_close,
	.get_caps = kvfio_get_caps,
	.device_info = kvfio_device_info,
	.region_info = kvfio_region_info,
	.irq_info = kvfio_irq_info,
	.set_irqs = kvfio_set_irqs,
	.reset = kvfio_reset,
	.feature = kvfio_feature,
	.region_read = kvfio_region_read,
	.region_write = kvfio_region_write,
	.region_write_posted = kvfio_region_write_posted,
	.region_mmap = kvfio_region_mmap,
	.dma_map = kvfio_dma_map,
	.dma_unmap = kvfio_dma_unmap,
	.dma_unmap_all = kvfio_dma_unmap_all,
	.dirty_pages = kvfio_dirty_pages,
	.mig_set_state = kvfio_mig_set_state,
	.mig_read = kvfio_mig_read,
	.mig_write = kvfio_mig_write,
	.mig_data_fd = kvfio_mig_data_fd,
	.mig_precopy_info = kvfio_mig_precopy_info,
};

struct uvfio_client *kvfio_client_open(const char *name,
				       const struct uvfio_client_opts *opts)
{
	struct kvfio_name nm;
	struct kvfio_client *k;
	unsigned int group = 0;
	int ret;

	ret = parse_name(name, &nm);
	if (!ret)
		ret = find_group(&nm, &group);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->pub.ops = &kvfio_ops;
	k->container = k->group = k->device = k->data_fd = -1;
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->mig_lock, NULL);
	k->group = ret = open_group(group);
	if (ret >= 0)
		ret = check_viable(k->group, group);
	if (!ret)
		ret = setup_container(k, k->group);
	if (!ret)
		ret = get_device(k, &nm, opts ? opts->vf_token : NULL);
	if (ret < 0) {
		kvfio_close(&k->pub);
		errno = -ret;
		return NULL;
	}
	return &k->pub;
}
