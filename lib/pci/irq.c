// SPDX-License-Identifier: MIT
/*
 * Interrupts of a PCI function: the vfio-pci irq indices, which of INTx,
 * MSI and MSI-X is live, and masking at the function (MSI mask bits, the
 * MSI-X table and Function Mask) with pending bits delivered on unmask.
 *
 * Lock order: device lock, then pci->irq_lock, then the core's irq lock.
 */
#include <errno.h>
#include <string.h>

#include "pci-internal.h"

#define PCI_MSI_FLAGS_ENABLE 0x0001
#define PCI_MSI_FLAGS_QSIZE 0x0070
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_CTRL_MASKBIT 0x1

static int fls_u32(uint32_t v)
{
	int n = 0;

	while (v) {
		n++;
		v >>= 1;
	}
	return n;
}

bool pci_msix_masked(const struct uvfio_pci *pci, unsigned int vector)
{
	const uint8_t *ctrl =
		pci->msix_table + vector * MSIX_ENTRY_SIZE + MSIX_ENTRY_CTRL;

	return pci->msix_function_masked || (ctrl[0] & MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_set_mask_locked(struct uvfio_pci *pci, unsigned int vector,
				 bool masked)
{
	uint8_t *ctrl =
		pci->msix_table + vector * MSIX_ENTRY_SIZE + MSIX_ENTRY_CTRL;

	if (masked)
		ctrl[0] |= MSIX_ENTRY_CTRL_MASKBIT;
	else
		ctrl[0] &= (uint8_t)~MSIX_ENTRY_CTRL_MASKBIT;
}

static bool pba_test_clear(struct uvfio_pci *pci, unsigned int vector)
{
	uint8_t *byte = pci->msix_pba + vector / 8;
	uint8_t bit = (uint8_t)(1u << (vector % 8));
	bool was = *byte & bit;

	*byte &= (uint8_t)~bit;
	return was;
}

/* Deliver pending MSI-X vectors that are no longer masked. */
static void msix_flush_locked(struct uvfio_pci *pci)
{
	for (unsigned int v = 0; v < pci->msix_nvec; v++)
		if (!pci_msix_masked(pci, v) && pba_test_clear(pci, v))
			uvfio_device_irq_trigger(pci->dev,
						 UVFIO_PCI_MSIX_IRQ_INDEX, v);
}

int uvfio_pci_msix_mask(struct uvfio_pci *pci, unsigned int vector, bool masked)
{
	if (!pci->msix || vector >= pci->msix_nvec)
		return -EINVAL;
	pthread_mutex_lock(&pci->irq_lock);
	msix_set_mask_locked(pci, vector, masked);
	msix_flush_locked(pci);
	pthread_mutex_unlock(&pci->irq_lock);
	return 0;
}

void uvfio_pci_msix_function_mask(struct uvfio_pci *pci, bool masked)
{
	if (!pci->msix)
		return;
	pthread_mutex_lock(&pci->irq_lock);
	pci->msix_function_masked = masked;
	msix_flush_locked(pci);
	pthread_mutex_unlock(&pci->irq_lock);
}

static uint32_t msi_mask_bits(const struct uvfio_pci *pci)
{
	return cfg_get32(pci, pci->msi + (pci->msi_64 ? 0x10 : 0x0c));
}

/*
 * After a write to the MSI capability: keep Enable only while MSI is live
 * through SET_IRQS and clamp the queue size to qmax (vfio-pci's rules),
 * and deliver pending vectors that were unmasked.
 */
void pci_msi_config_written(struct uvfio_pci *pci)
{
	unsigned int flags = pci->msi + 2;
	uint16_t v = cfg_get16(pci, flags);
	unsigned int qsize = (v & PCI_MSI_FLAGS_QSIZE) >> 4;

	if (uvfio_device_irq_enabled(pci->dev, UVFIO_PCI_MSI_IRQ_INDEX) <= 0)
		v &= (uint16_t)~PCI_MSI_FLAGS_ENABLE;
	pthread_mutex_lock(&pci->irq_lock);
	if (qsize > pci->msi_qmax)
		qsize = pci->msi_qmax;
	v = (uint16_t)((v & ~PCI_MSI_FLAGS_QSIZE) | qsize << 4);
	put16(pci->cfg, flags, v);
	if (pci->msi_maskable) {
		uint32_t deliver = pci->msi_pending & ~msi_mask_bits(pci);

		pci->msi_pending &= ~deliver;
		for (unsigned int i = 0; i < pci->msi_nvec; i++)
			if (deliver & (1u << i))
				uvfio_device_irq_trigger(
					pci->dev, UVFIO_PCI_MSI_IRQ_INDEX, i);
	}
	pthread_mutex_unlock(&pci->irq_lock);
}

/* Command.INTX_DISABLE masks INTx from the function's side. */
void pci_command_written(struct uvfio_pci *pci)
{
	bool disabled = cfg_get16(pci, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE;

	if (pci->intx_pin)
		uvfio_device_irq_mask(pci->dev, UVFIO_PCI_INTX_IRQ_INDEX, 0,
				      disabled);
}

/*
 * The device core's irq_enable hook: one of INTx, MSI and MSI-X at a time
 * (vfio-pci's irq_type); enabling MSI sets qmax, enabling MSI-X unmasks
 * the enabled vectors in the table as the host kernel does.
 */
int pci_irq_enable(struct uvfio_device *dev, unsigned int index,
		   unsigned int nvec)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);

	if (index > UVFIO_PCI_MSIX_IRQ_INDEX)
		return 0;
	if (nvec) {
		for (unsigned int i = 0; i <= UVFIO_PCI_MSIX_IRQ_INDEX; i++)
			if (i != index && uvfio_device_irq_enabled(dev, i) > 0)
				return -EINVAL;
	}
	pthread_mutex_lock(&pci->irq_lock);
	if (index == UVFIO_PCI_MSI_IRQ_INDEX) {
		pci->msi_qmax = nvec ? (unsigned int)fls_u32(2 * nvec - 1) - 1 :
				       0;
		if (!nvec && pci->msi)
			put16(pci->cfg, pci->msi + 2,
			      cfg_get16(pci, pci->msi + 2) &
				      (uint16_t)~PCI_MSI_FLAGS_ENABLE);
	} else if (index == UVFIO_PCI_MSIX_IRQ_INDEX) {
		for (unsigned int v = 0; v < pci->msix_nvec; v++)
			msix_set_mask_locked(pci, v, v >= nvec);
	}
	pthread_mutex_unlock(&pci->irq_lock);
	return 0;
}

int uvfio_pci_irq_raise(struct uvfio_pci *pci, unsigned int vector)
{
	struct uvfio_device *dev = pci->dev;
	int ret = 0;

	pthread_mutex_lock(&pci->irq_lock);
	if (pci->msix_nvec &&
	    uvfio_device_irq_enabled(dev, UVFIO_PCI_MSIX_IRQ_INDEX) > 0) {
		if (vector >= pci->msix_nvec)
			ret = -EINVAL;
		else if (pci_msix_masked(pci, vector))
			pci->msix_pba[vector / 8] |=
				(uint8_t)(1u << (vector % 8));
		else
			uvfio_device_irq_trigger(dev, UVFIO_PCI_MSIX_IRQ_INDEX,
						 vector);
	} else if (pci->msi_nvec &&
		   uvfio_device_irq_enabled(dev, UVFIO_PCI_MSI_IRQ_INDEX) > 0) {
		if (vector >= pci->msi_nvec)
			ret = -EINVAL;
		else if (pci->msi_maskable &&
			 (msi_mask_bits(pci) & (1u << vector)))
			pci->msi_pending |= 1u << vector;
		else
			uvfio_device_irq_trigger(dev, UVFIO_PCI_MSI_IRQ_INDEX,
						 vector);
	} else if (pci->intx_pin) {
		pci->intx_level = true;
		uvfio_device_irq_set_level(dev, UVFIO_PCI_INTX_IRQ_INDEX, 0,
					   true);
	}
	pthread_mutex_unlock(&pci->irq_lock);
	return ret;
}

void uvfio_pci_irq_lower(struct uvfio_pci *pci)
{
	pthread_mutex_lock(&pci->irq_lock);
	if (pci->intx_pin && pci->intx_level) {
		pci->intx_level = false;
		uvfio_device_irq_set_level(pci->dev, UVFIO_PCI_INTX_IRQ_INDEX,
					   0, false);
	}
	pthread_mutex_unlock(&pci->irq_lock);
}

/* On reset: nothing pending, the line low. */
void pci_irq_reset(struct uvfio_pci *pci)
{
	pthread_mutex_lock(&pci->irq_lock);
	pci->msi_pending = 0;
	if (pci->msix_pba)
		memset(pci->msix_pba, 0, msix_pba_len(pci->msix_nvec));
	pthread_mutex_unlock(&pci->irq_lock);
	uvfio_pci_irq_lower(pci);
}

/* One index: the kernel's count unless overridden; -1 leaves it out. */
static int add_index(struct uvfio_pci *pci, unsigned int index, int count,
		     uint32_t flags, bool single)
{
	int ret;

	if (pci->irq_count[index] != IRQ_COUNT_AUTO)
		count = pci->irq_count[index];
	if (count < 0)
		return 0;
	ret = uvfio_device_add_irq(pci->dev, index, (uint32_t)count, flags);
	if (!ret && single)
		ret = uvfio_device_set_irq_single(pci->dev, index);
	return ret;
}

/* The five vfio-pci indices with the kernel's counts and flags. */
int pci_irqs_realize(struct uvfio_pci *pci)
{
	const uint32_t block = UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_NORESIZE;
	const uint32_t level = UVFIO_IRQ_INFO_EVENTFD |
			       UVFIO_IRQ_INFO_MASKABLE |
			       UVFIO_IRQ_INFO_AUTOMASKED;
	int ret;

	/* MSI vectors may exist without the capability (mdev samples). */
	if (pci->irq_count[UVFIO_PCI_MSI_IRQ_INDEX] >= 0)
		pci->msi_nvec =
			(unsigned int)pci->irq_count[UVFIO_PCI_MSI_IRQ_INDEX];
	if (pci->irq_count[UVFIO_PCI_MSIX_IRQ_INDEX] >= 0 &&
	    (unsigned int)pci->irq_count[UVFIO_PCI_MSIX_IRQ_INDEX] <
		    pci->msix_nvec)
		pci->msix_nvec =
			(unsigned int)pci->irq_count[UVFIO_PCI_MSIX_IRQ_INDEX];
	if (pci->irq_count[UVFIO_PCI_MSIX_IRQ_INDEX] == -1)
		pci->msix_nvec = 0;

	ret = add_index(pci, UVFIO_PCI_INTX_IRQ_INDEX, pci->intx_pin ? 1 : 0,
			level, false);
	if (!ret)
		ret = add_index(pci, UVFIO_PCI_MSI_IRQ_INDEX,
				(int)pci->msi_nvec, block, false);
	if (!ret)
		ret = add_index(pci, UVFIO_PCI_MSIX_IRQ_INDEX,
				(int)pci->msix_nvec, block, false);
	/* ERR exists on PCI Express only: elsewhere GET_IRQ_INFO fails. */
	if (!ret)
		ret = add_index(pci, UVFIO_PCI_ERR_IRQ_INDEX,
				pci->pcie ? 1 : -1, block, true);
	if (!ret)
		ret = add_index(pci, UVFIO_PCI_REQ_IRQ_INDEX, 1, block, true);
	if (!ret)
		ret = uvfio_device_set_num_irqs(pci->dev, UVFIO_PCI_NUM_IRQS);
	return ret;
}
