// SPDX-License-Identifier: MIT
/*
 * The capability builder: PM, MSI, MSI-X, PCI Express and vendor-specific
 * capabilities in the standard list, DSN and vendor-specific ones in the
 * extended list.  Each sets its bytes and their write permissions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pci-internal.h"

#define PCI_EXT_CAP_START 0x100
#define PCI_MSI_MAX_VECTORS 32
#define PCI_MSIX_MAX_VECTORS 2048

/* Link a new standard capability of @len bytes; returns its offset. */
int pci_cap_alloc(struct uvfio_pci *pci, uint8_t id, unsigned int len)
{
	unsigned int off = (pci->cap_next + 3) & ~3u;

	if (pci->realized)
		return -EBUSY;
	if (off + len > UVFIO_PCI_CONFIG_SIZE)
		return -ENOSPC;
	pci->cfg[off] = id;
	pci->cfg[pci->cap_last_next] = (uint8_t)off;
	pci->cap_last_next = off + 1;
	pci->cap_next = off + len;
	put16(pci->cfg, PCI_STATUS,
	      cfg_get16(pci, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	return (int)off;
}

/* Link a new extended capability of @len bytes; returns its offset. */
int pci_ecap_alloc(struct uvfio_pci *pci, uint16_t id, uint8_t version,
		   unsigned int len)
{
	unsigned int off = (pci->ecap_next + 3) & ~3u;

	if (pci->realized)
		return -EBUSY;
	if (!pci->express)
		return -EINVAL;
	if (off + len > PCI_SPACE_MAX)
		return -ENOSPC;
	put32(pci->cfg, off, (uint32_t)id | (uint32_t)version << 16);
	if (pci->ecap_last) {
		uint32_t hdr = cfg_get32(pci, pci->ecap_last);

		put32(pci->cfg, pci->ecap_last,
		      (hdr & 0x000fffff) | (uint32_t)off << 20);
	}
	pci->ecap_last = off;
	pci->ecap_next = off + len;
	return (int)off;
}

int uvfio_pci_add_pm(struct uvfio_pci *pci)
{
	int off;

	if (pci->pm)
		return -EEXIST;
	off = pci_cap_alloc(pci, PCI_CAP_ID_PM, 8);
	if (off < 0)
		return off;
	/* PMC: version 3, D0 and D3hot only, no PME.  PMCSR: the power
	 * state is writable; No_Soft_Reset is 0 (D3hot->D0 resets). */
	put16(pci->cfg, (unsigned int)off + 2, 0x0003);
	put16(pci->wmask, (unsigned int)off + 4, 0x0003);
	pci->pm = (unsigned int)off;
	return off;
}

int uvfio_pci_add_msi(struct uvfio_pci *pci, unsigned int nvec, bool is_64bit,
		      bool per_vector_mask)
{
	unsigned int len = 10 + (is_64bit ? 4 : 0) + (per_vector_mask ? 10 : 0);
	unsigned int data, log2 = 0;
	int off;

	if (pci->msi)
		return -EEXIST;
	if (!nvec || nvec > PCI_MSI_MAX_VECTORS || (nvec & (nvec - 1)))
		return -EINVAL;
	while ((1u << log2) < nvec)
		log2++;
	off = pci_cap_alloc(pci, PCI_CAP_ID_MSI, len);
	if (off < 0)
		return off;
	/* Control: 64-bit and mask capability are fixed, MMC is what the
	 * function supports (reads see vfio-pci's qmax instead), Enable and
	 * Multiple Message Enable are writable. */
	put16(pci->cfg, (unsigned int)off + 2,
	      (uint16_t)(log2 << 1 | (is_64bit ? 0x80 : 0) |
			 (per_vector_mask ? 0x100 : 0)));
	put16(pci->wmask, (unsigned int)off + 2, 0x0071);
	put32(pci->wmask, (unsigned int)off + 4, 0xfffffffc);
	if (is_64bit)
		put32(pci->wmask, (unsigned int)off + 8, 0xffffffff);
	data = (unsigned int)off + (is_64bit ? 0xc : 0x8);
	put16(pci->wmask, data, 0xffff);
	if (per_vector_mask)
		put32(pci->wmask, data + 4,
		      nvec == 32 ? 0xffffffff : (1u << nvec) - 1);
	pci->msi = (unsigned int)off;
	pci->msi_nvec = nvec;
	pci->msi_64 = is_64bit;
	pci->msi_maskable = per_vector_mask;
	return off;
}

/* [@off, @off + @len) lies inside BAR @bar, 8-byte aligned. */
static bool in_bar(const struct uvfio_pci *pci, unsigned int bar, uint32_t off,
		   uint64_t len)
{
	return bar < PCI_NUM_BARS && pci->bars[bar].present &&
	       !(pci->bars[bar].flags & UVFIO_PCI_BAR_IO) && !(off & 7) &&
	       off < pci->bars[bar].size && len <= pci->bars[bar].size - off;
}

int uvfio_pci_add_msix(struct uvfio_pci *pci, unsigned int nvec,
		       unsigned int table_bar, uint32_t table_offset,
		       unsigned int pba_bar, uint32_t pba_offset)
{
	uint64_t table_len = (uint64_t)nvec * 16, pba_len = msix_pba_len(nvec);
	int off;

	if (pci->msix)
		return -EEXIST;
	if (!nvec || nvec > PCI_MSIX_MAX_VECTORS ||
	    !in_bar(pci, table_bar, table_offset, table_len) ||
	    !in_bar(pci, pba_bar, pba_offset, pba_len) ||
	    (table_bar == pba_bar && table_offset < pba_offset + pba_len &&
	     pba_offset < table_offset + table_len))
		return -EINVAL;
	off = pci_cap_alloc(pci, PCI_CAP_ID_MSIX, 12);
	if (off < 0)
		return off;
	/* Read-only, as vfio-pci exposes it: enable and mask go through
	 * SET_IRQS and are computed on read. */
	put16(pci->cfg, (unsigned int)off + 2, (uint16_t)(nvec - 1));
	put32(pci->cfg, (unsigned int)off + 4, table_offset | table_bar);
	put32(pci->cfg, (unsigned int)off + 8, pba_offset | pba_bar);
	pci->msix = (unsigned int)off;
	pci->msix_nvec = nvec;
	pci->msix_table_bar = table_bar;
	pci->msix_table_off = table_offset;
	pci->msix_pba_bar = pba_bar;
	pci->msix_pba_off = pba_offset;
	return off;
}

int uvfio_pci_add_pcie(struct uvfio_pci *pci, bool flr)
{
	unsigned int o;
	int off;

	if (pci->pcie)
		return -EEXIST;
	if (!pci->express)
		return -EINVAL;
	off = pci_cap_alloc(pci, PCI_CAP_ID_EXP, 0x3c);
	if (off < 0)
		return off;
	o = (unsigned int)off;
	/* Version 2 endpoint; 128-byte payloads, Role-Based Error
	 * Reporting, FLR if asked; x1 link at 2.5 GT/s, trained. */
	put16(pci->cfg, o + 2, 0x0002);
	put32(pci->cfg, o + 4, (1u << 15) | (flr ? 1u << 28 : 0));
	put16(pci->cfg, o + 8, 0x2810);
	put16(pci->wmask, o + 8, 0xfdff); /* all but Phantom Functions */
	put16(pci->w1cmask, o + 0xa, 0x000f);
	put32(pci->cfg, o + 0xc, 0x00000011);
	put16(pci->wmask, o + 0x10, 0x00c3);
	put16(pci->cfg, o + 0x12, 0x0011);
	put16(pci->wmask, o + 0x28, 0x001f);
	put32(pci->cfg, o + 0x2c, 0x00000002);
	put16(pci->cfg, o + 0x30, 0x0001);
	put16(pci->wmask, o + 0x30, 0x000f);
	pci->pcie = o;
	pci->flr = flr;
	return off;
}

int uvfio_pci_add_vendor_cap(struct uvfio_pci *pci, const void *body,
			     size_t len)
{
	int off;

	if (len > UVFIO_PCI_CONFIG_SIZE || (len && !body))
		return -EINVAL;
	off = pci_cap_alloc(pci, PCI_CAP_ID_VNDR, (unsigned int)len + 3);
	if (off < 0)
		return off;
	pci->cfg[off + 2] = (uint8_t)(len + 3);
	memcpy(pci->cfg + off + 3, body, len);
	return off;
}

int uvfio_pci_add_ext_dsn(struct uvfio_pci *pci, uint64_t serial)
{
	int off = pci_ecap_alloc(pci, PCI_EXT_CAP_ID_DSN, 1, 12);

	if (off < 0)
		return off;
	put32(pci->cfg, (unsigned int)off + 4, (uint32_t)serial);
	put32(pci->cfg, (unsigned int)off + 8, (uint32_t)(serial >> 32));
	return off;
}

int uvfio_pci_add_ext_vendor(struct uvfio_pci *pci, uint16_t vsec_id,
			     uint8_t vsec_rev, const void *body, size_t len)
{
	unsigned int total = 8 + (unsigned int)len;
	int off;

	if (len > PCI_SPACE_MAX || (len && !body) || vsec_rev > 0xf ||
	    total > 0xfff)
		return -EINVAL;
	off = pci_ecap_alloc(pci, PCI_EXT_CAP_ID_VNDR, 1, total);
	if (off < 0)
		return off;
	put32(pci->cfg, (unsigned int)off + 4,
	      vsec_id | (uint32_t)vsec_rev << 16 | total << 20);
	memcpy(pci->cfg + off + 8, body, len);
	return off;
}
