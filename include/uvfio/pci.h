/* SPDX-License-Identifier: MIT */
/*
 * The PCI core: a type-0 PCI function built on the device core, as
 * vfio-pci-core is for kernel variant drivers.  A PCI device driver
 * describes its IDs, BARs, capabilities and interrupts; the core emulates
 * config space (per-bit write permissions, BAR sizing, capability chains),
 * lays out the vfio-pci regions (BAR0-5, ROM, CONFIG, VGA) and irq indices
 * (INTx, MSI, MSI-X, ERR, REQ), and routes interrupts.
 *
 * What a client sees is what vfio-pci shows of an enabled device: Command
 * has MEM/IO enabled after realize and after reset (vfio-pci enables the
 * device on open and restores its config state around a reset); memory BAR
 * access with Command.MEM clear or in D3hot fails with -EIO; the MSI-X
 * table reads as 0xff and ignores writes through region access (the PBA is
 * readable).
 *
 * Lifetime and thread-safety follow the device core (include/uvfio/device.h):
 * configure, realize, use, destroy.  BAR and config callbacks run under the
 * device lock.  uvfio_pci_irq_raise/lower may be called from callbacks and
 * from device threads.
 */
#ifndef UVFIO_PCI_H
#define UVFIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uvfio/device.h>
#include <uvfio/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_pci;

struct uvfio_pci_ops {
	/*
	 * Access @len bytes at @offset of BAR @bar (or the ROM, @bar 6) for
	 * BARs without memory.  The range is inside the BAR and never touches
	 * the MSI-X table or PBA.  Return @len or a negative errno.
	 */
	ssize_t (*bar_access)(struct uvfio_pci *pci, unsigned int bar,
			      uint64_t offset, void *buf, size_t len,
			      bool is_write);
	/*
	 * Optional: see a config write first.  Return 1 if the driver handled
	 * it (the core then leaves config space alone), 0 to let the core
	 * apply its permissions, or a negative errno to fail the write
	 * (nothing is applied).  For devices whose registers differ from
	 * what the core emulates.
	 */
	int (*config_write)(struct uvfio_pci *pci, unsigned int offset,
			    const void *buf, size_t len);
	/* Return the function to its power-on state (device part). */
	int (*reset)(struct uvfio_pci *pci);
	/* The PM capability's power state changed (0 = D0 ... 3 = D3hot). */
	void (*power_state)(struct uvfio_pci *pci, unsigned int state);
	/* Free the driver's own state. */
	void (*release)(struct uvfio_pci *pci);
};

struct uvfio_pci_ids {
	uint16_t vendor;
	uint16_t device;
	uint16_t subsystem_vendor;
	uint16_t subsystem;
	uint32_t class_code; /* base class, subclass, prog-if: 0xBBSSPP */
	uint8_t revision;
};

/* Config space size: conventional PCI or PCI Express. */
#define UVFIO_PCI_CONFIG_SIZE 256
#define UVFIO_PCIE_CONFIG_SIZE 4096

/*
 * Create a PCI function named @name with @ids.  @config_size is 256
 * (conventional PCI), 4096 (PCI Express, needed for the PCIe and extended
 * capabilities), or a smaller region size a device insists on reporting
 * (mtty's 0xff).  NULL with errno set.
 */
UVFIO_API struct uvfio_pci *
uvfio_pci_new(const char *name, const struct uvfio_pci_ops *ops, void *priv,
	      const struct uvfio_pci_ids *ids, unsigned int config_size);

/* Destroy the function and its device. */
UVFIO_API void uvfio_pci_destroy(struct uvfio_pci *pci);

UVFIO_API void *uvfio_pci_priv(const struct uvfio_pci *pci);

/* The underlying device, for the transport and for device features. */
UVFIO_API struct uvfio_device *uvfio_pci_device(const struct uvfio_pci *pci);
/* The PCI function @dev is the device of, or NULL for any other device. */
UVFIO_API struct uvfio_pci *uvfio_pci_of(struct uvfio_device *dev);

/* ---- Configuration (before realize) ---- */

/* BAR flags */
#define UVFIO_PCI_BAR_IO (1u << 0) /* I/O space (else memory) */
#define UVFIO_PCI_BAR_64 (1u << 1) /* 64-bit memory BAR: uses bar + 1 */
#define UVFIO_PCI_BAR_PREFETCH (1u << 2)
#define UVFIO_PCI_BAR_MEMORY (1u << 3) /* backed by shared memory */
#define UVFIO_PCI_BAR_MMAP (1u << 4)   /* mmappable (needs MEMORY) */

/*
 * BAR @bar (0-5) of @size bytes, a power of two (I/O: 4 bytes to 256;
 * memory: at least 16, any size a 64-bit BAR holds, > 4 GiB included).
 * Accesses go to ops->bar_access, or to the memory for MEMORY BARs.
 */
UVFIO_API int uvfio_pci_add_bar(struct uvfio_pci *pci, unsigned int bar,
				uint64_t size, uint32_t flags);

/* Memory of a MEMORY BAR, for the driver's own use (NULL otherwise). */
UVFIO_API void *uvfio_pci_bar_memory(struct uvfio_pci *pci, unsigned int bar);

/* An expansion ROM of @size bytes (a power of two >= 2 KiB) holding @data. */
UVFIO_API int uvfio_pci_add_rom(struct uvfio_pci *pci, uint64_t size,
				const void *data, size_t len);

/*
 * How VFIO_DEVICE_RESET behaves.  AUTO (the default) is vfio-pci's: the
 * reset works, and GET_INFO reports it, only if the function has a reset
 * method (PCIe FLR, or the PM capability's D3hot->D0 reset).  SILENT: it
 * always works but is not reported, as mdev drivers such as mtty do.
 */
#define UVFIO_PCI_RESET_AUTO 0
#define UVFIO_PCI_RESET_SILENT 1

UVFIO_API int uvfio_pci_set_reset_mode(struct uvfio_pci *pci, int mode);

/* Interrupt pin: 1 (INTA#) to 4 (INTD#), or 0 for no INTx. */
UVFIO_API int uvfio_pci_set_intx_pin(struct uvfio_pci *pci, uint8_t pin);

/*
 * Set config bytes the core does not manage (device-specific registers
 * outside any capability, or a fixed Status value such as DEVSEL timing).
 * They are read-only unless ops->config_write handles them.  Must not
 * touch the BAR or ROM registers.  Before realize.
 */
UVFIO_API int uvfio_pci_config_init(struct uvfio_pci *pci, unsigned int offset,
				    const void *data, size_t len);

/*
 * Override the vector count GET_IRQ_INFO reports for irq index @index
 * (by default derived from the pin and the capabilities), e.g. MSI
 * vectors without an MSI capability in config space, as mdev samples
 * report; or -1 to leave the index out (GET_IRQ_INFO and SET_IRQS fail
 * with -EINVAL).  Before realize.
 */
UVFIO_API int uvfio_pci_set_irq_count(struct uvfio_pci *pci, unsigned int index,
				      int count);

/*
 * Capabilities, linked in the order added.  Each returns the capability's
 * offset in config space, or a negative errno.
 *   PM: D0/D3hot; power-state writes reach ops->power_state.
 *   MSI: @nvec 1-32 (a power of two), 32/64-bit, optional per-vector mask.
 *   MSI-X: @nvec 1-2048, table and PBA in BARs (offsets 8-byte aligned).
 *   PCIe: an endpoint; @flr advertises Function Level Reset.
 *   Vendor: @len bytes of body after the 3-byte header; returns its offset.
 */
UVFIO_API int uvfio_pci_add_pm(struct uvfio_pci *pci);
UVFIO_API int uvfio_pci_add_msi(struct uvfio_pci *pci, unsigned int nvec,
				bool is_64bit, bool per_vector_mask);
UVFIO_API int uvfio_pci_add_msix(struct uvfio_pci *pci, unsigned int nvec,
				 unsigned int table_bar, uint32_t table_offset,
				 unsigned int pba_bar, uint32_t pba_offset);
UVFIO_API int uvfio_pci_add_pcie(struct uvfio_pci *pci, bool flr);
UVFIO_API int uvfio_pci_add_vendor_cap(struct uvfio_pci *pci, const void *body,
				       size_t len);

/* Extended capabilities (PCI Express only), linked from 0x100. */
UVFIO_API int uvfio_pci_add_ext_dsn(struct uvfio_pci *pci, uint64_t serial);
UVFIO_API int uvfio_pci_add_ext_vendor(struct uvfio_pci *pci, uint16_t vsec_id,
				       uint8_t vsec_rev, const void *body,
				       size_t len);

/* ---- SR-IOV ---- */

#define UVFIO_PCI_SRIOV_MAX_VFS 256

/*
 * What a physical function's SR-IOV capability says of its VFs, and how
 * the driver makes one.
 */
struct uvfio_pci_sriov {
	uint16_t total_vfs; /* TotalVFs (= InitialVFs): 1 to ..._MAX_VFS */
	uint16_t vf_offset; /* First VF Offset (routing ID): at least 1 */
	uint16_t vf_stride; /* VF Stride: at least 1 with several VFs */
	uint16_t vf_device; /* VF Device ID */
	/* Each VF's BARs, as uvfio_pci_add_bar() takes them (size 0: none). */
	uint64_t bar_size[6];
	uint32_t bar_flags[6];
	/*
	 * Make VF @index (0-based): uvfio_pci_new_vf(), the VF's
	 * capabilities, realized.  NULL refuses the enabling of VFs.  Called
	 * with @pf's device lock held (its config write or
	 * uvfio_pci_sriov_configure()).
	 */
	struct uvfio_pci *(*vf_create)(struct uvfio_pci *pf, unsigned int index,
				       void *opaque);
	void *opaque;
	/*
	 * The PF stands for one bound to a host driver rather than to
	 * vfio-pci: it has no VF token, and its VFs open without one (a
	 * token presented is refused).  Else the PF has a token, random
	 * until its user sets one, which opening its VFs requires; see
	 * uvfio_device_open().
	 */
	bool no_vf_token;
};

/*
 * The SR-IOV extended capability (PCI Express functions), whose VFs exist
 * while VF Enable is set: the PF's user sets NumVFs, then VF Enable (and
 * VF MSE for their BARs to decode), or the administrator calls
 * uvfio_pci_sriov_configure().  NumVFs, System Page Size and the VF BARs
 * are read-only while VFs exist, and VF Enable stays set while a VF is
 * open (uvfio_device_open) or served (uvfio_server_add_device).  Unlike
 * vfio-pci, which shows the capability read-only, the PF's user may
 * enable VFs: a user-space PF driver owns the PF here.  Enabling 0 VFs or more than TotalVFs,
 * or with vf_create() failing, leaves VF Enable clear.  Returns the
 * capability's offset, or a negative errno.
 */
UVFIO_API int uvfio_pci_add_sriov(struct uvfio_pci *pci,
				  const struct uvfio_pci_sriov *sriov);

/*
 * A new VF @index of @pf, named "<pf>-vf<index>", for @pf's vf_create():
 * PCI Express, its IDs those of @pf but for the VF Device ID, no INTx
 * (pin 0, as vfio-pci shows VFs), its BARs the capability's VF BARs.
 * Command.Memory is kept but means nothing (vfio-pci's virtualized bit): a
 * VF's BARs decode when the PF's VF MSE is set.  Add capabilities, then
 * realize.  NULL with errno set.
 */
UVFIO_API struct uvfio_pci *uvfio_pci_new_vf(struct uvfio_pci *pf,
					     unsigned int index,
					     const struct uvfio_pci_ops *ops,
					     void *priv);

/*
 * The administrator's sriov_numvfs: @numvfs VFs (VF Enable and VF MSE
 * set), or none (0).  0 when that many exist already; -ERANGE above
 * TotalVFs; -EBUSY to change a non-zero count without going through 0, as
 * the kernel, and to remove VFs that are open or served; -ENODEV without
 * the capability; vf_create()'s failure as -ENOMEM or -EIO.  Thread-safe
 * (takes @pf's device lock).
 */
UVFIO_API int uvfio_pci_sriov_configure(struct uvfio_pci *pf,
					unsigned int numvfs);

/*
 * uvfio's device feature for the administrator's sriov_numvfs through the
 * PF's own transport (docs/protocol-extensions.md): SET only, a u32 VF
 * count, answered as uvfio_pci_sriov_configure().  Registered on every PF.
 */
#define UVFIO_DEVICE_FEATURE_SRIOV_NUMVFS 0x8001

/*
 * Told of @pf's VFs as they come and go (whoever serves them): after VF
 * Enable made them, @added for each VF in order, and before they go, not
 * @added, last first, once no VF is open.  An addition that fails (a
 * negative errno) fails the enabling, after the VFs told of so far are
 * told of their removal.  A removal returns 0 once the VF is served no
 * more (or never was), non-zero if it stays served: then the VFs stay,
 * and those removed are told of their addition again (the PF answers
 * EBUSY).  Called under @pf's device lock, from the thread that enables
 * or disables (the PF's config write, its SRIOV_NUMVFS feature, or
 * uvfio_pci_sriov_configure()); not when the PF itself is destroyed.
 */
typedef int (*uvfio_pci_vf_notify_fn)(struct uvfio_pci *pf,
				      struct uvfio_pci *vf, unsigned int index,
				      bool added, void *opaque);
UVFIO_API void uvfio_pci_sriov_set_notify(struct uvfio_pci *pf,
					  uvfio_pci_vf_notify_fn fn,
					  void *opaque);

/*
 * How many VFs exist now (thread-safe), and VF @index of them (NULL if
 * none; under @pf's device lock, or while nothing disables VFs).
 */
UVFIO_API unsigned int uvfio_pci_sriov_numvfs(struct uvfio_pci *pf);
UVFIO_API struct uvfio_pci *uvfio_pci_sriov_vf(struct uvfio_pci *pf,
					       unsigned int index);

/* A VF's physical function and index; NULL for any other function. */
UVFIO_API struct uvfio_pci *uvfio_pci_vf_pf(const struct uvfio_pci *vf,
					    unsigned int *index);

/*
 * Freeze the function: lays out regions and irq indices as vfio-pci does
 * (9 regions, 5 irq indices; ERR only for PCI Express) and realizes the
 * device.
 */
UVFIO_API int uvfio_pci_realize(struct uvfio_pci *pci);

/* ---- Use ---- */

/*
 * Raise interrupt @vector the way the function is set up now: MSI-X
 * vector @vector if MSI-X is enabled (held pending while masked in the
 * table or by the function mask), MSI vector @vector if MSI is (held
 * pending while its mask bit is set), else assert INTx (level: it stays
 * asserted until uvfio_pci_irq_lower()).  Returns 0 or -EINVAL.
 */
UVFIO_API int uvfio_pci_irq_raise(struct uvfio_pci *pci, unsigned int vector);

/* Deassert INTx (no effect on MSI/MSI-X). */
UVFIO_API void uvfio_pci_irq_lower(struct uvfio_pci *pci);

/*
 * Config space as the client sees it, for the driver: read @len bytes at
 * @offset (no side effects).
 */
UVFIO_API void uvfio_pci_config_read(struct uvfio_pci *pci, unsigned int offset,
				     void *buf, size_t len);

/* Whether Command.Bus Master is set: a device must not DMA without it. */
UVFIO_API bool uvfio_pci_bus_master(struct uvfio_pci *pci);

/*
 * MSI-X masking from the function's side (the table's per-vector mask bit,
 * and the Function Mask): unmasking delivers what is pending.
 */
UVFIO_API int uvfio_pci_msix_mask(struct uvfio_pci *pci, unsigned int vector,
				  bool masked);
UVFIO_API void uvfio_pci_msix_function_mask(struct uvfio_pci *pci, bool masked);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_PCI_H */
