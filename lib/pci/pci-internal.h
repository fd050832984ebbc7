/* SPDX-License-Identifier: MIT */
/*
 * The PCI core's private state, shared by the files of lib/pci/.
 */
#ifndef UVFIO_PCI_INTERNAL_H
#define UVFIO_PCI_INTERNAL_H

#include <pthread.h>

#include <uvfio/pci.h>

#define PCI_SPACE_MAX 4096
#define PCI_NUM_BARS 6
#define PCI_ROM_INDEX 6

/* Standard header offsets and bits (PCI Local Bus spec). */
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_PARITY 0x0040
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_INTERRUPT 0x0008
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_STATUS_W1C 0xf900 /* the error bits: write 1 to clear */
#define PCI_REVISION_ID 0x08
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_LATENCY_TIMER 0x0d
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_ROM_ADDRESS 0x30
#define PCI_ROM_ADDRESS_ENABLE 0x01
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define PCI_STD_HEADER_END 0x40

#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_EXT_CAP_ID_DSN 0x0003
#define PCI_EXT_CAP_ID_VNDR 0x000b
#define PCI_EXT_CAP_ID_SRIOV 0x0010

struct pci_bar {
	uint64_t size;
	uint32_t flags; /* UVFIO_PCI_BAR_* */
	bool present;
};

struct uvfio_pci {
	struct uvfio_device *dev;
	const struct uvfio_pci_ops *ops;
	void *priv;
	bool realized;

	unsigned int config_size; /* the CONFIG region's size */
	unsigned int space;	  /* emulated bytes: 256 or 4096 */
	bool express;
	uint8_t cfg[PCI_SPACE_MAX];
	uint8_t wmask[PCI_SPACE_MAX];	/* bits a write may change */
	uint8_t w1cmask[PCI_SPACE_MAX]; /* bits a written 1 clears */

	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t *rom;
	uint64_t rom_size;

	/* capability list building */
	unsigned int cap_next, cap_last_next; /* where the next cap goes */
	unsigned int ecap_next, ecap_last;
	unsigned int pm, msi, msix, pcie; /* capability offsets, 0 if absent */
	bool flr;

	/* Interrupt state, under irq_lock (a leaf lock). */
	pthread_mutex_t irq_lock;
	uint8_t intx_pin;
	bool intx_level;
	unsigned int msi_nvec, msi_qmax;
	bool msi_64, msi_maskable;
	uint32_t msi_pending;
	unsigned int msix_nvec;
	unsigned int msix_table_bar, msix_pba_bar;
	uint32_t msix_table_off, msix_pba_off;
	uint8_t *msix_table, *msix_pba; /* in BAR memory, or owned */
	bool msix_owned, msix_function_masked;

	/* SR-IOV: a PF's capability and VFs (under the device lock but
	 * nr_vfs and vf_mse, also read atomically), or a VF's PF. */
	unsigned int sriov; /* capability offset, 0 if none */
	struct uvfio_pci_sriov sriov_desc;
	struct uvfio_pci **vfs; /* total_vfs slots */
	unsigned int nr_vfs;
	bool vf_mse;
	uvfio_pci_vf_notify_fn vf_notify; /* who serves the VFs */
	void *vf_notify_opaque;
	struct uvfio_pci *pf;
	unsigned int vf_index;
	/* A PF's VF token and open VFs (vf-token.c), under token_lock. */
	pthread_mutex_t token_lock;
	uint8_t vf_token[16];
	unsigned int vf_users;
	bool vfs_going; /* being removed: VF opens are refused */

	unsigned int power_state;
	int reset_mode;			   /* UVFIO_PCI_RESET_* */
	int irq_count[UVFIO_PCI_NUM_IRQS]; /* overrides; IRQ_COUNT_AUTO */
};

#define IRQ_COUNT_AUTO (-2)

/* Little-endian config accessors (PCI is little-endian). */
/* The MSI-X PBA: one pending bit per vector, in whole QWORDs. */
static inline size_t msix_pba_len(unsigned int nvec)
{
	return (nvec + 63) / 64 * 8;
}

static inline uint16_t cfg_get16(const struct uvfio_pci *pci, unsigned int off)
{
	return (uint16_t)(pci->cfg[off] | pci->cfg[off + 1] << 8);
}

static inline uint32_t cfg_get32(const struct uvfio_pci *pci, unsigned int off)
{
	return (uint32_t)cfg_get16(pci, off) | (uint32_t)cfg_get16(pci, off + 2)
						       << 16;
}

static inline void put16(uint8_t *p, unsigned int off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, unsigned int off, uint32_t v)
{
	put16(p, off, (uint16_t)v);
	put16(p, off + 2, (uint16_t)(v >> 16));
}

/* config.c: the CONFIG region's access callback, and header setup. */
ssize_t pci_config_access(struct uvfio_device *dev, unsigned int region,
			  uint64_t offset, void *buf, size_t len,
			  bool is_write);
void pci_config_init_header(struct uvfio_pci *pci,
			    const struct uvfio_pci_ids *ids);

/* caps.c: room for a standard or extended capability of @len bytes. */
int pci_cap_alloc(struct uvfio_pci *pci, uint8_t id, unsigned int len);
int pci_ecap_alloc(struct uvfio_pci *pci, uint16_t id, uint8_t version,
		   unsigned int len);

/* irq.c */
int pci_irq_enable(struct uvfio_device *dev, unsigned int index,
		   unsigned int nvec);
void pci_msi_config_written(struct uvfio_pci *pci);
void pci_command_written(struct uvfio_pci *pci);
bool pci_msix_masked(const struct uvfio_pci *pci, unsigned int vector);
void pci_irq_reset(struct uvfio_pci *pci);
int pci_irqs_realize(struct uvfio_pci *pci);

/* pci.c */
int pci_function_reset(struct uvfio_pci *pci);
/* 0, or -EINVAL if BAR @bar cannot be @size bytes with @flags. */
int pci_bar_check(unsigned int bar, uint64_t size, uint32_t flags);
/* A BAR register at @reg (two if 64-bit): type bits, writable address. */
void pci_bar_register(struct uvfio_pci *pci, unsigned int reg, uint64_t size,
		      uint32_t flags);
/* Its writable address bits only. */
void pci_bar_wmask(struct uvfio_pci *pci, unsigned int reg, uint64_t size,
		   uint32_t flags);

/* sriov.c: a config write reached the SR-IOV Control register (its value
 * before the write: @old); a PF going away takes its VFs. */
void pci_sriov_control_written(struct uvfio_pci *pci, uint16_t old);
void pci_sriov_release(struct uvfio_pci *pci);

/* vf-token.c: a PF's token and its feature; the device's open/close. */
int pci_vf_token_init(struct uvfio_pci *pf);
int pci_dev_open(struct uvfio_device *dev, const uint8_t *token);
void pci_dev_close(struct uvfio_device *dev);
/*
 * Before @pf's VFs go: pci_vfs_stop_opens() refuses new opens (-ENODEV),
 * or fails with -EBUSY if a VF is open; then pci_vfs_claim() takes the
 * @n VFs out of reach, or fails with -EBUSY (nothing claimed) if one is
 * still served.  pci_vfs_gone() once they are gone, or stay.
 */
int pci_vfs_stop_opens(struct uvfio_pci *pf);
int pci_vfs_claim(struct uvfio_pci *pf, unsigned int n);
void pci_vfs_gone(struct uvfio_pci *pf);

#endif /* UVFIO_PCI_INTERNAL_H */
