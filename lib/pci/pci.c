// SPDX-License-Identifier: MIT
/*
 * A PCI function on the device core: lifetime, BARs and ROM, the vfio-pci
 * region layout, BAR access rules and reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/device-internal.h"
#include "pci-internal.h"

#define IO_BAR_MIN 4
#define IO_BAR_MAX 256
#define MEM_BAR_MIN 16
#define ROM_MIN 2048

static int pci_dev_reset(struct uvfio_device *dev);
static void pci_dev_release(struct uvfio_device *dev);

static const struct uvfio_device_ops pci_dev_ops = {
	.reset = pci_dev_reset,
	.irq_enable = pci_irq_enable,
	.release = pci_dev_release,
	.open = pci_dev_open,
	.close = pci_dev_close,
};

struct uvfio_pci *uvfio_pci_new(const char *name,
				const struct uvfio_pci_ops *ops, void *priv,
				const struct uvfio_pci_ids *ids,
				unsigned int config_size)
{
	struct uvfio_pci *pci;

	if (!ops || !ids || !config_size ||
	    (config_size > UVFIO_PCI_CONFIG_SIZE &&
	     config_size != UVFIO_PCIE_CONFIG_SIZE) ||
	    config_size < PCI_STD_HEADER_END) {
		errno = EINVAL;
		return NULL;
	}
	pci = calloc(1, sizeof(*pci));
	if (!pci)
		return NULL;
	pci->dev = uvfio_device_new(name, &pci_dev_ops, pci);
	if (!pci->dev) {
		free(pci);
		return NULL;
	}
	pci->ops = ops;
	pci->priv = priv;
	pci->config_size = config_size;
	pci->express = config_size == UVFIO_PCIE_CONFIG_SIZE;
	pci->space = pci->express ? UVFIO_PCIE_CONFIG_SIZE :
				    UVFIO_PCI_CONFIG_SIZE;
	pci->cap_next = PCI_STD_HEADER_END;
	pci->cap_last_next = PCI_CAPABILITY_LIST;
	pci->ecap_next = 0x100;
	pthread_mutex_init(&pci->irq_lock, NULL);
	pthread_mutex_init(&pci->token_lock, NULL);
	for (unsigned int i = 0; i < UVFIO_PCI_NUM_IRQS; i++)
		pci->irq_count[i] = IRQ_COUNT_AUTO;
	pci_config_init_header(pci, ids);
	uvfio_device_set_flags(pci->dev, UVFIO_DEVICE_FLAGS_PCI);
	return pci;
}

/* The device core calls this last, from uvfio_device_destroy(). */
static void pci_dev_release(struct uvfio_device *dev)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);

	pci_sriov_release(pci); /* its VFs first: they may use the PF */
	if (pci->ops->release)
		pci->ops->release(pci);
	if (pci->msix_owned) {
		free(pci->msix_table);
		free(pci->msix_pba);
	}
	free(pci->rom);
	pthread_mutex_destroy(&pci->irq_lock);
	pthread_mutex_destroy(&pci->token_lock);
	free(pci);
}

void uvfio_pci_destroy(struct uvfio_pci *pci)
{
	if (pci)
		uvfio_device_destroy(pci->dev);
}

void *uvfio_pci_priv(const struct uvfio_pci *pci)
{
	return pci->priv;
}

struct uvfio_device *uvfio_pci_device(const struct uvfio_pci *pci)
{
	return pci->dev;
}

struct uvfio_pci *uvfio_pci_of(struct uvfio_device *dev)
{
	return dev && dev->ops == &pci_dev_ops ? uvfio_device_priv(dev) : NULL;
}

bool uvfio_pci_bus_master(struct uvfio_pci *pci)
{
	return cfg_get16(pci, PCI_COMMAND) & PCI_COMMAND_MASTER;
}

/* Let a write change @bits of Command. */
static void command_allow(struct uvfio_pci *pci, uint16_t bits)
{
	uint16_t wm = (uint16_t)(pci->wmask[PCI_COMMAND] |
				 pci->wmask[PCI_COMMAND + 1] << 8);

	put16(pci->wmask, PCI_COMMAND, wm | bits);
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_bar_check(unsigned int bar, uint64_t size, uint32_t flags)
{
	const uint32_t known = UVFIO_PCI_BAR_IO | UVFIO_PCI_BAR_64 |
			       UVFIO_PCI_BAR_PREFETCH | UVFIO_PCI_BAR_MEMORY |
			       UVFIO_PCI_BAR_MMAP;
	bool io = flags & UVFIO_PCI_BAR_IO, is64 = flags & UVFIO_PCI_BAR_64;

	if (bar >= PCI_NUM_BARS || (flags & ~known) || !pow2(size) ||
	    (is64 && bar == PCI_NUM_BARS - 1) ||
	    (io && (is64 || (flags & ~UVFIO_PCI_BAR_IO) || size < IO_BAR_MIN ||
		    size > IO_BAR_MAX)) ||
	    (!io && size < MEM_BAR_MIN) || (!is64 && size > (1ull << 31)) ||
	    ((flags & UVFIO_PCI_BAR_MMAP) && !(flags & UVFIO_PCI_BAR_MEMORY)))
		return -EINVAL;
	return 0;
}

void pci_bar_wmask(struct uvfio_pci *pci, unsigned int reg, uint64_t size,
		   uint32_t flags)
{
	bool io = flags & UVFIO_PCI_BAR_IO;
	uint64_t mask = ~(size - 1);

	/* The address bits are the writable ones: sizing falls out. */
	put32(pci->wmask, reg, (uint32_t)mask & (io ? ~0x3u : ~0xfu));
	if (flags & UVFIO_PCI_BAR_64)
		put32(pci->wmask, reg + 4, (uint32_t)(mask >> 32));
}

void pci_bar_register(struct uvfio_pci *pci, unsigned int reg, uint64_t size,
		      uint32_t flags)
{
	bool io = flags & UVFIO_PCI_BAR_IO, is64 = flags & UVFIO_PCI_BAR_64;
	uint32_t type =
		io ? 0x1 :
		     (is64 ? 0x4 : 0) |
				(flags & UVFIO_PCI_BAR_PREFETCH ? 0x8 : 0);

	put32(pci->cfg, reg, type);
	pci_bar_wmask(pci, reg, size, flags);
}

int uvfio_pci_add_bar(struct uvfio_pci *pci, unsigned int bar, uint64_t size,
		      uint32_t flags)
{
	bool io = flags & UVFIO_PCI_BAR_IO, is64 = flags & UVFIO_PCI_BAR_64;
	int ret;

	if (pci->realized)
		return -EBUSY;
	ret = pci_bar_check(bar, size, flags);
	if (ret)
		return ret;
	if (pci->bars[bar].present || (is64 && pci->bars[bar + 1].present) ||
	    (bar && (pci->bars[bar - 1].flags & UVFIO_PCI_BAR_64)))
		return -EEXIST;
	pci->bars[bar] = (struct pci_bar){ .size = size,
					   .flags = flags,
					   .present = true };
	pci_bar_register(pci, PCI_BASE_ADDRESS_0 + 4 * bar, size, flags);
	command_allow(pci, io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
	return 0;
}

void *uvfio_pci_bar_memory(struct uvfio_pci *pci, unsigned int bar)
{
	if (bar >= PCI_NUM_BARS || !pci->bars[bar].present)
		return NULL;
	return uvfio_region_memory(pci->dev, bar);
}

int uvfio_pci_add_rom(struct uvfio_pci *pci, uint64_t size, const void *data,
		      size_t len)
{
	if (pci->realized)
		return -EBUSY;
	if (pci->rom)
		return -EEXIST;
	if (!pow2(size) || size < ROM_MIN || size > (1u << 24) || len > size ||
	    (len && !data))
		return -EINVAL;
	pci->rom = calloc(1, size);
	if (!pci->rom)
		return -ENOMEM;
	memcpy(pci->rom, data, len);
	pci->rom_size = size;
	put32(pci->wmask, PCI_ROM_ADDRESS,
	      (uint32_t) ~(size - 1) | PCI_ROM_ADDRESS_ENABLE);
	command_allow(pci, PCI_COMMAND_MEMORY);
	return 0;
}

int uvfio_pci_set_intx_pin(struct uvfio_pci *pci, uint8_t pin)
{
	if (pci->realized)
		return -EBUSY;
	if (pin > 4 || (pin && pci->pf)) /* VFs have no INTx */
		return -EINVAL;
	pci->intx_pin = pin;
	pci->cfg[PCI_INTERRUPT_PIN] = pin;
	if (pin)
		command_allow(pci, PCI_COMMAND_INTX_DISABLE);
	return 0;
}

int uvfio_pci_config_init(struct uvfio_pci *pci, unsigned int offset,
			  const void *data, size_t len)
{
	if (pci->realized)
		return -EBUSY;
	if (!data || offset >= pci->space || len > pci->space - offset ||
	    (offset < PCI_ROM_ADDRESS + 4 && offset + len > PCI_BASE_ADDRESS_0))
		return -EINVAL;
	memcpy(pci->cfg + offset, data, len);
	return 0;
}

int uvfio_pci_set_irq_count(struct uvfio_pci *pci, unsigned int index,
			    int count)
{
	if (pci->realized)
		return -EBUSY;
	if (index >= UVFIO_PCI_NUM_IRQS || count < -1 ||
	    count > (index == UVFIO_PCI_MSIX_IRQ_INDEX ? 2048 :
		     index == UVFIO_PCI_MSI_IRQ_INDEX  ? 32 :
							 1))
		return -EINVAL;
	pci->irq_count[index] = count;
	return 0;
}

int uvfio_pci_set_reset_mode(struct uvfio_pci *pci, int mode)
{
	if (pci->realized)
		return -EBUSY;
	if (mode != UVFIO_PCI_RESET_AUTO && mode != UVFIO_PCI_RESET_SILENT)
		return -EINVAL;
	pci->reset_mode = mode;
	return 0;
}

/* What vfio-pci's reset probe would find: FLR, or a PM reset. */
static bool has_reset_method(const struct uvfio_pci *pci)
{
	return (pci->pcie && pci->flr) || pci->pm;
}

int pci_function_reset(struct uvfio_pci *pci)
{
	int ret = pci->ops->reset ? pci->ops->reset(pci) : 0;

	pci_irq_reset(pci);
	if (pci->pm) {
		unsigned int ctrl = pci->pm + 4;

		put16(pci->cfg, ctrl, cfg_get16(pci, ctrl) & (uint16_t)~0x3);
	}
	pci->power_state = 0;
	/* Any reset, FLR and PM included, returns migration to RUNNING and
	 * ends its sessions, as the kernel's reset_done does. */
	if (!ret && pci->dev->mig_reset)
		pci->dev->mig_reset(pci->dev);
	return ret;
}

static int pci_dev_reset(struct uvfio_device *dev)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);

	if (pci->reset_mode == UVFIO_PCI_RESET_AUTO && !has_reset_method(pci))
		return -EINVAL;
	return pci_function_reset(pci);
}

/* ---- BAR access ---- */

struct window {
	uint64_t start, end; /* [start, end) inside the BAR, or empty */
};

static struct window msix_window(const struct uvfio_pci *pci, unsigned int bar,
				 bool pba)
{
	struct window w = { 0, 0 };

	if (!pci->msix)
		return w;
	if (!pba && pci->msix_table_bar == bar) {
		w.start = pci->msix_table_off;
		w.end = w.start + (uint64_t)pci->msix_nvec * 16;
	} else if (pba && pci->msix_pba_bar == bar) {
		w.start = pci->msix_pba_off;
		w.end = w.start + msix_pba_len(pci->msix_nvec);
	}
	return w;
}

static int device_piece(struct uvfio_pci *pci, unsigned int bar, uint64_t off,
			uint8_t *buf, size_t len, bool is_write)
{
	uint8_t *mem;
	ssize_t n;

	if (pci->bars[bar].flags & UVFIO_PCI_BAR_MEMORY) {
		mem = uvfio_region_memory(pci->dev, bar);
		if (is_write)
			memcpy(mem + off, buf, len);
		else
			memcpy(buf, mem + off, len);
		return 0;
	}
	if (!pci->ops->bar_access)
		return -EIO;
	n = pci->ops->bar_access(pci, bar, off, buf, len, is_write);
	if (n < 0)
		return (int)n;
	return n == (ssize_t)len ? 0 : -EIO;
}

/*
 * Whether memory BARs decode: Command.Memory, or for a VF its PF's VF
 * MSE (a VF's Command.Memory is virtual, as in vfio-pci).
 */
static bool memory_decodes(struct uvfio_pci *pci)
{
	if (pci->pf)
		return __atomic_load_n(&pci->pf->vf_mse, __ATOMIC_ACQUIRE);
	return cfg_get16(pci, PCI_COMMAND) & PCI_COMMAND_MEMORY;
}

/*
 * A BAR access, split around the MSI-X table (reads 0xff, writes dropped,
 * as vfio-pci does) and PBA (readable from the pending bits, writes
 * dropped); the rest goes to the device.
 */
static ssize_t pci_bar_access(struct uvfio_device *dev, unsigned int bar,
			      uint64_t offset, void *buf, size_t len,
			      bool is_write)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);
	struct window table = msix_window(pci, bar, false);
	struct window pba = msix_window(pci, bar, true);
	uint64_t pos = offset, end = offset + len;
	uint8_t *p = buf;

	if (bar == PCI_ROM_INDEX) {
		memcpy(buf, pci->rom + offset, len);
		return (ssize_t)len;
	}
	if (!(pci->bars[bar].flags & UVFIO_PCI_BAR_IO) &&
	    (!memory_decodes(pci) || pci->power_state == 3))
		return -EIO;
	while (pos < end) {
		uint64_t stop = end;
		size_t n;
		int ret;

		if (pos >= table.start && pos < table.end) {
			n = (size_t)((table.end < end ? table.end : end) - pos);
			if (!is_write)
				memset(p, 0xff, n);
		} else if (pos >= pba.start && pos < pba.end) {
			n = (size_t)((pba.end < end ? pba.end : end) - pos);
			if (!is_write) {
				pthread_mutex_lock(&pci->irq_lock);
				memcpy(p, pci->msix_pba + (pos - pba.start), n);
				pthread_mutex_unlock(&pci->irq_lock);
			}
		} else {
			if (table.start > pos && table.start < stop)
				stop = table.start;
			if (pba.start > pos && pba.start < stop)
				stop = pba.start;
			n = (size_t)(stop - pos);
			ret = device_piece(pci, bar, pos, p, n, is_write);
			if (ret)
				return ret;
		}
		pos += n;
		p += n;
	}
	return (ssize_t)len;
}

/* ---- realize ---- */

static int add_bar_regions(struct uvfio_pci *pci)
{
	for (unsigned int bar = 0; bar < PCI_NUM_BARS; bar++) {
		const struct pci_bar *b = &pci->bars[bar];
		struct uvfio_region_desc d = {
			.size = b->size,
			.flags = UVFIO_REGION_INFO_FLAG_READ |
				 UVFIO_REGION_INFO_FLAG_WRITE,
			.access = pci_bar_access,
			.has_memory = b->flags & UVFIO_PCI_BAR_MEMORY,
		};
		int ret;

		if (!b->present)
			continue;
		if (b->flags & UVFIO_PCI_BAR_MMAP)
			d.flags |= UVFIO_REGION_INFO_FLAG_MMAP;
		ret = uvfio_device_add_region(pci->dev, bar, &d);
		if (ret)
			return ret;
		/* The table page may be mapped; SET_IRQS still rules. */
		if (pci->msix && pci->msix_table_bar == bar &&
		    (b->flags & UVFIO_PCI_BAR_MMAP)) {
			ret = uvfio_region_add_cap(
				pci->dev, bar,
				UVFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1, NULL,
				0);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* MSI-X table and PBA: in the BAR's memory if it has some, else ours. */
static int msix_storage(struct uvfio_pci *pci)
{
	size_t table_len = (size_t)pci->msix_nvec * 16;
	size_t pba_len = msix_pba_len(pci->msix_nvec);
	uint8_t *tmem = uvfio_pci_bar_memory(pci, pci->msix_table_bar);
	uint8_t *pmem = uvfio_pci_bar_memory(pci, pci->msix_pba_bar);

	if (!pci->msix)
		return 0;
	if (tmem && pmem) {
		pci->msix_table = tmem + pci->msix_table_off;
		pci->msix_pba = pmem + pci->msix_pba_off;
	} else {
		pci->msix_owned = true;
		pci->msix_table = calloc(1, table_len);
		pci->msix_pba = calloc(1, pba_len);
		if (!pci->msix_table || !pci->msix_pba)
			return -ENOMEM;
	}
	memset(pci->msix_pba, 0, pba_len);
	/* Every vector starts masked, as the spec's reset state. */
	for (unsigned int v = 0; v < pci->msix_nvec; v++)
		pci->msix_table[v * 16 + 12] = 1;
	return 0;
}

int uvfio_pci_realize(struct uvfio_pci *pci)
{
	const struct uvfio_region_desc config = {
		.size = pci->config_size,
		.flags = UVFIO_REGION_INFO_FLAG_READ |
			 UVFIO_REGION_INFO_FLAG_WRITE,
		.access = pci_config_access,
	};
	int ret;

	if (pci->realized)
		return -EBUSY;
	ret = add_bar_regions(pci);
	if (!ret && pci->rom) {
		const struct uvfio_region_desc rom = {
			.size = pci->rom_size,
			.flags = UVFIO_REGION_INFO_FLAG_READ,
			.access = pci_bar_access,
		};

		ret = uvfio_device_add_region(pci->dev, PCI_ROM_INDEX, &rom);
	}
	if (!ret)
		ret = uvfio_device_add_region(
			pci->dev, UVFIO_PCI_CONFIG_REGION_INDEX, &config);
	if (!ret)
		ret = uvfio_device_set_num_regions(pci->dev,
						   UVFIO_PCI_NUM_REGIONS);
	if (!ret)
		ret = msix_storage(pci);
	if (!ret)
		ret = pci_irqs_realize(pci);
	if (!ret)
		ret = uvfio_device_set_reset_flag(
			pci->dev, pci->reset_mode == UVFIO_PCI_RESET_AUTO &&
					  has_reset_method(pci));
	if (!ret) {
		/* Enabled, as vfio-pci's open leaves a device. */
		uint16_t wm = (uint16_t)(pci->wmask[PCI_COMMAND] |
					 pci->wmask[PCI_COMMAND + 1] << 8);

		put16(pci->cfg, PCI_COMMAND,
		      wm & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
		ret = uvfio_device_realize(pci->dev);
	}
	if (ret) {
		uvfio_err(pci->dev, "PCI function cannot be realized: %s",
			  strerror(-ret));
		return ret;
	}
	pci->realized = true;
	return 0;
}
