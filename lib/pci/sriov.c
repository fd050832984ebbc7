// SPDX-License-Identifier: MIT
/*
 * SR-IOV: a physical function's extended capability (PCI Express Base
 * Specification, "Single Root I/O Virtualization"), and the VFs that exist
 * while its VF Enable bit is set.
 *
 * VFs are made by the PF's driver (vf_create) and owned by the PF: they go
 * when VF Enable is cleared, by the PF's user or by the administrator
 * (uvfio_pci_sriov_configure, the kernel's sriov_numvfs), unless a user
 * has one open (vf-token.c counts them), and with the PF.
 * Everything here runs under the PF's device lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci-internal.h"

/* Register offsets inside the capability, and its length. */
#define SRIOV_CAP 0x04
#define SRIOV_CTRL 0x08
#define SRIOV_CTRL_VFE 0x0001 /* VF Enable */
#define SRIOV_CTRL_MSE 0x0008 /* VF Memory Space Enable */
#define SRIOV_CTRL_ARI 0x0010 /* ARI Capable Hierarchy */
#define SRIOV_STATUS 0x0a
#define SRIOV_INITIAL_VF 0x0c
#define SRIOV_TOTAL_VF 0x0e
#define SRIOV_NUM_VF 0x10
#define SRIOV_VF_OFFSET 0x14
#define SRIOV_VF_STRIDE 0x16
#define SRIOV_VF_DID 0x1a
#define SRIOV_SUP_PGSIZE 0x1c
#define SRIOV_SYS_PGSIZE 0x20
#define SRIOV_BAR 0x24
#define SRIOV_LEN 0x40

/* 4 KiB, 8 KiB, 64 KiB, 256 KiB, 1 MiB and 4 MiB, as most devices offer. */
#define SRIOV_PAGE_SIZES 0x00000553

static int feature_numvfs(struct uvfio_device *dev, uint32_t flags, void *data,
			  size_t size, void *opaque);

static int check_desc(const struct uvfio_pci_sriov *d)
{
	/* Every VF's routing ID must fit in 16 bits. */
	if (!d->total_vfs || d->total_vfs > UVFIO_PCI_SRIOV_MAX_VFS ||
	    !d->vf_offset || (d->total_vfs > 1 && !d->vf_stride) ||
	    !d->vf_create ||
	    d->vf_offset + (uint32_t)(d->total_vfs - 1) * d->vf_stride > 0xffff)
		return -EINVAL;
	for (unsigned int bar = 0; bar < PCI_NUM_BARS; bar++) {
		if (!d->bar_size[bar])
			continue;
		if (pci_bar_check(bar, d->bar_size[bar], d->bar_flags[bar]) ||
		    (bar && d->bar_size[bar - 1] &&
		     (d->bar_flags[bar - 1] & UVFIO_PCI_BAR_64)))
			return -EINVAL;
	}
	return 0;
}

/* What a write may change of the registers fixed while VFs exist. */
static void lock_config(struct uvfio_pci *pf, bool locked)
{
	const struct uvfio_pci_sriov *d = &pf->sriov_desc;
	unsigned int o = pf->sriov;

	put16(pf->wmask, o + SRIOV_NUM_VF, locked ? 0 : 0xffff);
	put32(pf->wmask, o + SRIOV_SYS_PGSIZE, locked ? 0 : SRIOV_PAGE_SIZES);
	for (unsigned int bar = 0; bar < PCI_NUM_BARS; bar++) {
		unsigned int reg = o + SRIOV_BAR + 4 * bar;

		if (!d->bar_size[bar])
			continue;
		if (locked) {
			put32(pf->wmask, reg, 0);
			if (d->bar_flags[bar] & UVFIO_PCI_BAR_64)
				put32(pf->wmask, reg + 4, 0);
		} else {
			pci_bar_wmask(pf, reg, d->bar_size[bar],
				      d->bar_flags[bar]);
		}
	}
}

int uvfio_pci_add_sriov(struct uvfio_pci *pci,
			const struct uvfio_pci_sriov *sriov)
{
	unsigned int o;
	int off, ret;

	if (!sriov)
		return -EINVAL;
	if (pci->sriov)
		return -EEXIST;
	if (pci->pf)
		return -EINVAL; /* a VF has no SR-IOV capability */
	ret = check_desc(sriov);
	if (ret)
		return ret;
	pci->vfs = calloc(sriov->total_vfs, sizeof(*pci->vfs));
	if (!pci->vfs)
		return -ENOMEM;
	off = pci_ecap_alloc(pci, PCI_EXT_CAP_ID_SRIOV, 1, SRIOV_LEN);
	if (off < 0) {
		free(pci->vfs);
		pci->vfs = NULL;
		return off;
	}
	o = (unsigned int)off;
	pci->sriov = o;
	pci->sriov_desc = *sriov;
	put16(pci->wmask, o + SRIOV_CTRL,
	      SRIOV_CTRL_VFE | SRIOV_CTRL_MSE | SRIOV_CTRL_ARI);
	put16(pci->cfg, o + SRIOV_INITIAL_VF, sriov->total_vfs);
	put16(pci->cfg, o + SRIOV_TOTAL_VF, sriov->total_vfs);
	put16(pci->cfg, o + SRIOV_VF_OFFSET, sriov->vf_offset);
	put16(pci->cfg, o + SRIOV_VF_STRIDE, sriov->vf_stride);
	put16(pci->cfg, o + SRIOV_VF_DID, sriov->vf_device);
	put32(pci->cfg, o + SRIOV_SUP_PGSIZE, SRIOV_PAGE_SIZES);
	put32(pci->cfg, o + SRIOV_SYS_PGSIZE, 0x1); /* 4 KiB */
	for (unsigned int bar = 0; bar < PCI_NUM_BARS; bar++)
		if (sriov->bar_size[bar])
			pci_bar_register(pci, o + SRIOV_BAR + 4 * bar,
					 sriov->bar_size[bar],
					 sriov->bar_flags[bar]);
	put16(pci->wmask, o + SRIOV_NUM_VF, 0xffff);
	put32(pci->wmask, o + SRIOV_SYS_PGSIZE, SRIOV_PAGE_SIZES);
	ret = pci_vf_token_init(pci);
	if (!ret)
		ret = uvfio_device_add_feature(
			pci->dev, UVFIO_DEVICE_FEATURE_SRIOV_NUMVFS,
			UVFIO_DEVICE_FEATURE_SET, sizeof(uint32_t),
			feature_numvfs, NULL);
	return ret ? ret : off;
}

struct uvfio_pci *uvfio_pci_new_vf(struct uvfio_pci *pf, unsigned int index,
				   const struct uvfio_pci_ops *ops, void *priv)
{
	const struct uvfio_pci_sriov *d = &pf->sriov_desc;
	struct uvfio_pci_ids ids = {
		.vendor = cfg_get16(pf, PCI_VENDOR_ID),
		.device = d->vf_device,
		.subsystem_vendor = cfg_get16(pf, PCI_SUBSYSTEM_VENDOR_ID),
		.subsystem = cfg_get16(pf, PCI_SUBSYSTEM_VENDOR_ID + 2),
		.class_code = cfg_get32(pf, PCI_REVISION_ID) >> 8,
		.revision = pf->cfg[PCI_REVISION_ID],
	};
	struct uvfio_pci *vf;
	char name[80];
	int ret = 0;

	if (!pf->sriov || index >= d->total_vfs) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(name, sizeof(name), "%.64s-vf%u", uvfio_device_name(pf->dev),
		 index);
	vf = uvfio_pci_new(name, ops, priv, &ids, UVFIO_PCIE_CONFIG_SIZE);
	if (!vf)
		return NULL;
	vf->pf = pf;
	vf->vf_index = index;
	for (unsigned int bar = 0; !ret && bar < PCI_NUM_BARS; bar++)
		if (d->bar_size[bar])
			ret = uvfio_pci_add_bar(vf, bar, d->bar_size[bar],
						d->bar_flags[bar]);
	if (ret) {
		/* Checked at uvfio_pci_add_sriov(): cannot happen. */
		uvfio_pci_destroy(vf);
		errno = -ret;
		return NULL;
	}
	return vf;
}

/* Destroy VFs 0..@n-1, out of reach (pci_vfs_claim) or never published. */
static void vfs_destroy(struct uvfio_pci *pf, unsigned int n)
{
	__atomic_store_n(&pf->nr_vfs, 0, __ATOMIC_RELEASE);
	while (n--) {
		uvfio_pci_destroy(pf->vfs[n]);
		pf->vfs[n] = NULL;
	}
}

/* Tell the notifier VF @i came (@added) or goes: its answer. */
static int tell(struct uvfio_pci *pf, unsigned int i, bool added)
{
	return pf->vf_notify(pf, pf->vfs[i], i, added, pf->vf_notify_opaque);
}

/*
 * Tell the notifier VFs 0..@n-1 came, in order: 0, or the errno of the
 * first it could not serve, with *@served the VFs before it.
 */
static int serve(struct uvfio_pci *pf, unsigned int n, unsigned int *served)
{
	for (*served = 0; pf->vf_notify && *served < n; (*served)++) {
		unsigned int i = *served;
		int ret = tell(pf, i, true);

		if (ret) {
			uvfio_err(pf->dev, "VF %u cannot be served: %s", i,
				  strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * Take VFs 0..@n-1 down, the first @served of them served: 0 once they
 * are gone, or -EBUSY with every VF kept and served as before, if one is
 * open or the notifier cannot stop serving one (its server's worker is
 * not this thread): a VF in use is never destroyed.
 */
static int take_down(struct uvfio_pci *pf, unsigned int n, unsigned int served)
{
	bool unserved[UVFIO_PCI_SRIOV_MAX_VFS] = { false };
	int ret = pci_vfs_stop_opens(pf);

	if (ret)
		return ret;
	for (unsigned int i = served; i-- > 0;)
		unserved[i] = !tell(pf, i, false);
	ret = pci_vfs_claim(pf, n);
	if (ret) {
		pci_vfs_gone(pf);
		for (unsigned int i = 0; i < served; i++)
			if (unserved[i] && tell(pf, i, true))
				uvfio_err(pf->dev, "VF %u stays, unserved", i);
		return ret;
	}
	vfs_destroy(pf, n);
	pci_vfs_gone(pf);
	return 0;
}

/* Remove every VF: 0, or -EBUSY if one is open or served (they stay). */
static int vfs_remove(struct uvfio_pci *pf)
{
	unsigned int n = pf->nr_vfs;
	int ret = take_down(pf, n, pf->vf_notify ? n : 0);

	if (!ret)
		lock_config(pf, false);
	return ret;
}

/*
 * VFs 0..@numvfs-1 of the driver, then their notifier: 0, or -EIO /
 * -ENOMEM / the notifier's errno with none left.  (If the VFs served
 * before the one that failed cannot be taken down again, they stay, and
 * the enabling stands: 0.)
 */
static int vfs_create(struct uvfio_pci *pf, unsigned int numvfs)
{
	const struct uvfio_pci_sriov *d = &pf->sriov_desc;
	unsigned int served;
	int ret;

	for (unsigned int i = 0; i < numvfs; i++) {
		struct uvfio_pci *vf = d->vf_create(pf, i, d->opaque);

		if (!vf || vf->pf != pf || !vf->realized) {
			int err = !vf && errno == ENOMEM ? -ENOMEM : -EIO;

			if (vf)
				uvfio_pci_destroy(vf);
			uvfio_err(pf->dev, "VF %u cannot be created: %s", i,
				  strerror(-err));
			vfs_destroy(pf, i); /* none published yet */
			return err;
		}
		pf->vfs[i] = vf;
	}
	__atomic_store_n(&pf->nr_vfs, numvfs, __ATOMIC_RELEASE);
	ret = serve(pf, numvfs, &served);
	if (ret && take_down(pf, numvfs, served)) {
		uvfio_err(pf->dev, "the VFs stay, from VF %u on unserved",
			  served);
		ret = 0;
	}
	return ret;
}

static void set_ctrl(struct uvfio_pci *pf, uint16_t ctrl)
{
	put16(pf->cfg, pf->sriov + SRIOV_CTRL, ctrl);
	__atomic_store_n(&pf->vf_mse, (ctrl & SRIOV_CTRL_MSE) != 0,
			 __ATOMIC_RELEASE);
}

void pci_sriov_control_written(struct uvfio_pci *pf, uint16_t old)
{
	uint16_t ctrl = cfg_get16(pf, pf->sriov + SRIOV_CTRL);
	unsigned int numvfs = cfg_get16(pf, pf->sriov + SRIOV_NUM_VF);

	set_ctrl(pf, ctrl);
	if ((old ^ ctrl) & SRIOV_CTRL_VFE) {
		if (!(ctrl & SRIOV_CTRL_VFE)) {
			if (vfs_remove(pf))
				set_ctrl(pf, ctrl | SRIOV_CTRL_VFE);
		} else if (!numvfs || numvfs > pf->sriov_desc.total_vfs) {
			uvfio_warn(pf->dev,
				   "VF Enable with NumVFs %u (TotalVFs %u): "
				   "ignored",
				   numvfs, pf->sriov_desc.total_vfs);
			set_ctrl(pf, ctrl & (uint16_t)~SRIOV_CTRL_VFE);
		} else if (vfs_create(pf, numvfs)) {
			set_ctrl(pf, ctrl & (uint16_t)~SRIOV_CTRL_VFE);
		} else {
			lock_config(pf, true);
		}
	}
}

/* uvfio_pci_sriov_configure() under the PF's device lock. */
static int sriov_configure(struct uvfio_pci *pf, unsigned int numvfs)
{
	unsigned int o = pf->sriov;
	uint16_t ctrl;
	int ret = 0;

	ctrl = cfg_get16(pf, o + SRIOV_CTRL);
	if (numvfs > pf->sriov_desc.total_vfs) {
		ret = -ERANGE;
	} else if (numvfs == pf->nr_vfs) {
		ret = 0;
	} else if (numvfs && pf->nr_vfs) {
		ret = -EBUSY;
	} else if (!numvfs) {
		/* As pci_disable_sriov(): the VFs go, NumVFs is 0. */
		ret = vfs_remove(pf);
		if (!ret) {
			set_ctrl(pf, ctrl & (uint16_t) ~(SRIOV_CTRL_VFE |
							 SRIOV_CTRL_MSE));
			put16(pf->cfg, o + SRIOV_NUM_VF, 0);
		}
	} else {
		/* As pci_enable_sriov(): NumVFs, then VF Enable and MSE; on
		 * failure NumVFs is 0 again. */
		put16(pf->cfg, o + SRIOV_NUM_VF, (uint16_t)numvfs);
		ret = vfs_create(pf, numvfs);
		if (!ret) {
			lock_config(pf, true);
			set_ctrl(pf, ctrl | SRIOV_CTRL_VFE | SRIOV_CTRL_MSE);
		} else {
			put16(pf->cfg, o + SRIOV_NUM_VF, 0);
		}
	}
	return ret;
}

int uvfio_pci_sriov_configure(struct uvfio_pci *pf, unsigned int numvfs)
{
	int ret;

	if (!pf->sriov)
		return -ENODEV;
	uvfio_device_lock(pf->dev);
	ret = sriov_configure(pf, numvfs);
	uvfio_device_unlock(pf->dev);
	return ret;
}

/* UVFIO_DEVICE_FEATURE_SRIOV_NUMVFS: the administrator's path to
 * uvfio_pci_sriov_configure() through the PF's transport. */
static int feature_numvfs(struct uvfio_device *dev, uint32_t flags, void *data,
			  size_t size, void *opaque)
{
	uint32_t numvfs;

	(void)flags, (void)size, (void)opaque;
	memcpy(&numvfs, data, sizeof(numvfs));
	return sriov_configure(uvfio_device_priv(dev), numvfs);
}

void uvfio_pci_sriov_set_notify(struct uvfio_pci *pf, uvfio_pci_vf_notify_fn fn,
				void *opaque)
{
	uvfio_device_lock(pf->dev);
	pf->vf_notify = fn;
	pf->vf_notify_opaque = opaque;
	uvfio_device_unlock(pf->dev);
}

unsigned int uvfio_pci_sriov_numvfs(struct uvfio_pci *pf)
{
	return __atomic_load_n(&pf->nr_vfs, __ATOMIC_ACQUIRE);
}

struct uvfio_pci *uvfio_pci_sriov_vf(struct uvfio_pci *pf, unsigned int index)
{
	return index < uvfio_pci_sriov_numvfs(pf) ? pf->vfs[index] : NULL;
}

struct uvfio_pci *uvfio_pci_vf_pf(const struct uvfio_pci *vf,
				  unsigned int *index)
{
	if (vf->pf && index)
		*index = vf->vf_index;
	return vf->pf;
}

void pci_sriov_release(struct uvfio_pci *pci)
{
	if (!pci->sriov)
		return;
	vfs_destroy(pci, pci->nr_vfs); /* no other call may be running */
	free(pci->vfs);
	pci->vfs = NULL;
}
