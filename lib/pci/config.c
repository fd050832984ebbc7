// SPDX-License-Identifier: MIT
/*
 * Config space emulation.
 *
 * Every byte has a value, a mask of the bits a write may change and a mask
 * of the bits a written 1 clears (status errors and the like).  That alone
 * gives read-only IDs, BAR sizing (a BAR's writable bits are its address
 * bits, so all-ones reads back the size mask with the type bits), the ROM
 * enable bit, and so on.  Registers with side effects (Command, MSI control
 * and masks, PM control, PCIe device control) are handled after the bytes
 * change; a few read-only fields are computed on read (Status.Interrupt,
 * MSI's Multiple Message Capable, MSI-X enable and function mask, MSI
 * pending bits).
 */
#include <errno.h>
#include <string.h>

#include "pci-internal.h"

#define PCI_PM_CTRL 4
#define PCI_PM_CTRL_STATE_MASK 0x0003
#define PCI_MSI_FLAGS 2
#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QMASK 0x000e
#define PCI_MSI_FLAGS_QSIZE 0x0070
#define PCI_MSIX_FLAGS 2
#define PCI_MSIX_FLAGS_MASKALL 0x4000
#define PCI_MSIX_FLAGS_ENABLE 0x8000
#define PCI_EXP_DEVCTL 8
#define PCI_EXP_DEVCTL_BCR_FLR 0x8000

void pci_config_init_header(struct uvfio_pci *pci,
			    const struct uvfio_pci_ids *ids)
{
	put16(pci->cfg, PCI_VENDOR_ID, ids->vendor);
	put16(pci->cfg, PCI_VENDOR_ID + 2, ids->device);
	pci->cfg[PCI_REVISION_ID] = ids->revision;
	pci->cfg[PCI_REVISION_ID + 1] = (uint8_t)ids->class_code;
	put16(pci->cfg, PCI_REVISION_ID + 2, (uint16_t)(ids->class_code >> 8));
	put16(pci->cfg, PCI_SUBSYSTEM_VENDOR_ID, ids->subsystem_vendor);
	put16(pci->cfg, PCI_SUBSYSTEM_VENDOR_ID + 2, ids->subsystem);
	put16(pci->wmask, PCI_COMMAND,
	      PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR);
	put16(pci->w1cmask, PCI_STATUS, PCI_STATUS_W1C);
	pci->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	pci->wmask[PCI_LATENCY_TIMER] = 0xff;
	pci->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

static bool overlaps(unsigned int off, size_t len, unsigned int reg,
		     unsigned int reg_len)
{
	return off < reg + reg_len && reg < off + len;
}

/*
 * Read-only fields that reflect state kept elsewhere, written into @snap
 * at their offsets from their values in pci->cfg (@snap holds only the
 * bytes being read).
 */
static void overlay(struct uvfio_pci *pci, uint8_t *snap)
{
	uint16_t v;

	pthread_mutex_lock(&pci->irq_lock);
	if (pci->intx_level)
		snap[PCI_STATUS] = pci->cfg[PCI_STATUS] | PCI_STATUS_INTERRUPT;
	if (pci->msi) {
		unsigned int flags = pci->msi + PCI_MSI_FLAGS;

		/* vfio-pci: Multiple Message Capable reads as the queue
		 * size last enabled through SET_IRQS. */
		v = cfg_get16(pci, flags);
		v = (uint16_t)((v & ~PCI_MSI_FLAGS_QMASK) | pci->msi_qmax << 1);
		put16(snap, flags, v);
		if (pci->msi_maskable)
			put32(snap, pci->msi + (pci->msi_64 ? 0x14 : 0x10),
			      pci->msi_pending);
	}
	if (pci->msix) {
		unsigned int flags = pci->msix + PCI_MSIX_FLAGS;

		v = cfg_get16(pci, flags);
		v &= (uint16_t) ~(PCI_MSIX_FLAGS_ENABLE |
				  PCI_MSIX_FLAGS_MASKALL);
		if (pci->msix_function_masked)
			v |= PCI_MSIX_FLAGS_MASKALL;
		pthread_mutex_unlock(&pci->irq_lock);
		/* enable mirrors SET_IRQS, as the host kernel sets it */
		if (uvfio_device_irq_enabled(pci->dev,
					     UVFIO_PCI_MSIX_IRQ_INDEX) > 0)
			v |= PCI_MSIX_FLAGS_ENABLE;
		put16(snap, flags, v);
		return;
	}
	pthread_mutex_unlock(&pci->irq_lock);
}

void uvfio_pci_config_read(struct uvfio_pci *pci, unsigned int offset,
			   void *buf, size_t len)
{
	uint8_t snap[PCI_SPACE_MAX];

	if (offset >= pci->space || len > pci->space - offset) {
		memset(buf, 0xff, len);
		return;
	}
	memcpy(snap + offset, pci->cfg + offset, len);
	overlay(pci, snap);
	memcpy(buf, snap + offset, len);
}

static void pm_written(struct uvfio_pci *pci)
{
	unsigned int ctrl = pci->pm + PCI_PM_CTRL;
	unsigned int state = cfg_get16(pci, ctrl) & PCI_PM_CTRL_STATE_MASK;
	unsigned int old = pci->power_state;

	/* Only D0 and D3hot exist (PMC advertises no D1/D2). */
	if (state == 1 || state == 2) {
		put16(pci->cfg, ctrl,
		      (uint16_t)((cfg_get16(pci, ctrl) &
				  ~PCI_PM_CTRL_STATE_MASK) |
				 old));
		return;
	}
	if (state == old)
		return;
	pci->power_state = state;
	if (pci->ops->power_state)
		pci->ops->power_state(pci, state);
	/* No_Soft_Reset is 0: D3hot to D0 resets the function. */
	if (old == 3 && state == 0)
		pci_function_reset(pci);
}

static void devctl_written(struct uvfio_pci *pci)
{
	unsigned int ctl = pci->pcie + PCI_EXP_DEVCTL;
	uint16_t v = cfg_get16(pci, ctl);

	if (!(v & PCI_EXP_DEVCTL_BCR_FLR))
		return;
	/* Initiate FLR reads back as 0. */
	put16(pci->cfg, ctl, v & (uint16_t)~PCI_EXP_DEVCTL_BCR_FLR);
	if (pci->flr)
		pci_function_reset(pci);
}

static void config_write(struct uvfio_pci *pci, unsigned int off,
			 const uint8_t *buf, size_t len)
{
	uint16_t sriov_ctrl = pci->sriov ? cfg_get16(pci, pci->sriov + 8) : 0;

	for (size_t i = 0; i < len; i++) {
		unsigned int o = off + (unsigned int)i;
		uint8_t v = buf[i];
		uint8_t keep = pci->cfg[o] & (uint8_t)~pci->wmask[o];

		pci->cfg[o] = (uint8_t)((keep | (v & pci->wmask[o])) &
					~(v & pci->w1cmask[o]));
	}
	if (overlaps(off, len, PCI_COMMAND, 2))
		pci_command_written(pci);
	if (pci->pm && overlaps(off, len, pci->pm + PCI_PM_CTRL, 2))
		pm_written(pci);
	if (pci->msi && overlaps(off, len, pci->msi, 24))
		pci_msi_config_written(pci);
	if (pci->pcie && overlaps(off, len, pci->pcie + PCI_EXP_DEVCTL, 2))
		devctl_written(pci);
	if (pci->sriov && overlaps(off, len, pci->sriov + 8, 2))
		pci_sriov_control_written(pci, sriov_ctrl);
}

ssize_t pci_config_access(struct uvfio_device *dev, unsigned int region,
			  uint64_t offset, void *buf, size_t len, bool is_write)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);
	unsigned int off = (unsigned int)offset;

	(void)region;
	if (!is_write) {
		uvfio_pci_config_read(pci, off, buf, len);
		return (ssize_t)len;
	}
	if (pci->ops->config_write) {
		int ret = pci->ops->config_write(pci, off, buf, len);

		if (ret)
			return ret < 0 ? ret : (ssize_t)len;
	}
	if (off < pci->space)
		config_write(pci, off, buf,
			     len < pci->space - off ? len : pci->space - off);
	return (ssize_t)len;
}
