// SPDX-License-Identifier: MIT
/*
 * qacc's functions: the PF, with the SR-IOV capability, and the VFs it
 * makes when VFs are enabled.  Both kinds have the same BAR0 (registers,
 * MSI-X table and PBA), PCI Express with FLR, and an engine
 * (qacc-engine.c); the PF has the admin queue (qacc-admin.c), a VF
 * migration (qacc-mig.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/migration.h>

#include "qacc-internal.h"

/* Config space's Command register and its Bus Master bit. */
#define CFG_COMMAND 0x04
#define CFG_COMMAND_MASTER 0x04

static bool reg_is_64bit(uint64_t addr)
{
	return addr == QACC_REG_SQ_BASE || addr == QACC_REG_CQ_BASE ||
	       addr == QACC_REG_DONE;
}

/*
 * Registers take aligned 4-byte accesses, and aligned 8-byte ones at the
 * 64-bit registers (low half first); anything else reads all-ones and
 * writes nothing.
 */
static ssize_t qacc_bar_access(struct uvfio_pci *pci, unsigned int bar,
			       uint64_t offset, void *buf, size_t len,
			       bool is_write)
{
	struct qacc_fn *fn = uvfio_pci_priv(pci);
	uint8_t *p = buf;

	if (bar != QACC_BAR)
		return -EINVAL;
	if (!((len == 4 && !(offset % 4)) ||
	      (len == 8 && reg_is_64bit(offset)))) {
		if (!is_write)
			memset(buf, 0xff, len);
		return (ssize_t)len;
	}
	for (size_t done = 0; done < len; done += 4) {
		uint32_t v;

		if (is_write) {
			v = (uint32_t)p[done] | (uint32_t)p[done + 1] << 8 |
			    (uint32_t)p[done + 2] << 16 |
			    (uint32_t)p[done + 3] << 24;
			qacc_reg_write(fn, offset + done, v);
		} else {
			v = qacc_reg_read(fn, offset + done);
			for (int i = 0; i < 4; i++)
				p[done + i] = (uint8_t)(v >> (8 * i));
		}
	}
	return (ssize_t)len;
}

/* The engine does DMA only while Command.Bus Master is set. */
static int qacc_config_write(struct uvfio_pci *pci, unsigned int offset,
			     const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (offset <= CFG_COMMAND && offset + len > CFG_COMMAND)
		qacc_engine_set_bus_master(uvfio_pci_priv(pci),
					   p[CFG_COMMAND - offset] &
						   CFG_COMMAND_MASTER);
	return 0;
}

static int qacc_reset(struct uvfio_pci *pci)
{
	qacc_engine_reset(uvfio_pci_priv(pci));
	return 0;
}

static void fn_free(struct qacc_fn *fn)
{
	pthread_cond_destroy(&fn->idle);
	pthread_cond_destroy(&fn->wake);
	pthread_mutex_destroy(&fn->lock);
	pthread_mutex_destroy(&fn->admin_lock);
	free(fn->vfs);
	free(fn);
}

static void qacc_release(struct uvfio_pci *pci)
{
	struct qacc_fn *fn = uvfio_pci_priv(pci);

	if (fn->pf)
		qacc_admin_detach(fn->pf, fn);
	qacc_engine_stop(fn);
	qacc_mig_release(fn);
	fn_free(fn);
}

static const struct uvfio_pci_ops qacc_ops = {
	.bar_access = qacc_bar_access,
	.config_write = qacc_config_write,
	.reset = qacc_reset,
	.release = qacc_release,
};

static const struct uvfio_pci_ids qacc_ids = {
	.vendor = QACC_VENDOR_ID,
	.device = QACC_PF_DEVICE_ID,
	.subsystem_vendor = QACC_SUBSYSTEM_VENDOR_ID,
	.subsystem = QACC_SUBSYSTEM_ID,
	.class_code = QACC_CLASS_CODE,
	.revision = QACC_REVISION,
};

static struct qacc_fn *fn_alloc(void)
{
	struct qacc_fn *fn = calloc(1, sizeof(*fn));

	if (!fn)
		return NULL;
	pthread_mutex_init(&fn->lock, NULL);
	pthread_mutex_init(&fn->admin_lock, NULL);
	pthread_cond_init(&fn->wake, NULL);
	pthread_cond_init(&fn->idle, NULL);
	return fn;
}

/* What PF and VF share, after which the function is realized. */
static int fn_finish(struct qacc_fn *fn)
{
	struct uvfio_pci *pci = fn->pci;
	int ret;

	ret = uvfio_pci_add_msix(pci, QACC_MSIX_VECTORS, QACC_BAR,
				 QACC_MSIX_TABLE, QACC_BAR, QACC_MSIX_PBA);
	if (ret > 0)
		ret = 0;
	if (!ret) {
		ret = uvfio_pci_add_pcie(pci, true);
		if (ret > 0)
			ret = 0;
	}
	/* The engine writes guest memory: a migrating VMM needs the pages. */
	if (!ret)
		ret = uvfio_dirty_log_init(uvfio_pci_device(pci));
	if (!ret)
		ret = qacc_engine_start(fn);
	if (!ret)
		ret = uvfio_pci_realize(pci);
	return ret;
}

static struct uvfio_pci *qacc_vf_create(struct uvfio_pci *pf_pci,
					unsigned int index, void *opaque)
{
	struct qacc_fn *pf = opaque, *vf = fn_alloc();
	int ret;

	if (!vf)
		return NULL;
	vf->pf = pf;
	vf->vf_index = index;
	vf->pci = uvfio_pci_new_vf(pf_pci, index, &qacc_ops, vf);
	if (!vf->pci) {
		ret = errno;
		fn_free(vf);
		errno = ret;
		return NULL;
	}
	ret = qacc_mig_init(vf);
	if (!ret)
		ret = fn_finish(vf);
	if (ret) {
		uvfio_pci_destroy(vf->pci); /* frees @vf through release */
		errno = -ret;
		return NULL;
	}
	qacc_admin_attach(pf, vf);
	return vf->pci;
}

struct uvfio_pci *qacc_new(const char *name, unsigned int total_vfs)
{
	struct qacc_fn *fn;
	int ret;

	if (total_vfs > QACC_MAX_VFS) {
		errno = EINVAL;
		return NULL;
	}
	fn = fn_alloc();
	if (!fn)
		return NULL;
	fn->total_vfs = total_vfs;
	fn->vfs = calloc(total_vfs ? total_vfs : 1, sizeof(*fn->vfs));
	fn->pci = fn->vfs ? uvfio_pci_new(name, &qacc_ops, fn, &qacc_ids,
					  UVFIO_PCIE_CONFIG_SIZE) :
			    NULL;
	if (!fn->pci) {
		ret = errno;
		fn_free(fn);
		errno = ret;
		return NULL;
	}
	ret = uvfio_pci_add_bar(fn->pci, QACC_BAR, QACC_BAR_SIZE, 0);
	if (!ret && total_vfs) {
		struct uvfio_pci_sriov sriov = {
			.total_vfs = (uint16_t)total_vfs,
			.vf_offset = 1,
			.vf_stride = 1,
			.vf_device = QACC_VF_DEVICE_ID,
			.bar_size = { [QACC_BAR] = QACC_BAR_SIZE },
			.vf_create = qacc_vf_create,
			.opaque = fn,
		};

		ret = uvfio_pci_add_sriov(fn->pci, &sriov);
		if (ret > 0)
			ret = 0;
	}
	if (!ret)
		ret = fn_finish(fn);
	if (ret) {
		uvfio_pci_destroy(fn->pci);
		errno = -ret;
		return NULL;
	}
	return fn->pci;
}
