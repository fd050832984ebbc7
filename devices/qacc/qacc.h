/* SPDX-License-Identifier: MIT */
/*
 * qacc: a queue-based accelerator with SR-IOV (README.md).  Every
 * function, the PF and each VF, has one submission ring and one
 * completion ring in guest memory, a doorbell and an MSI-X vector; its
 * engine copies, fills and computes CRC32C over guest buffers.  A VF
 * migrates through its PF's admin queue.
 *
 * All registers are 32 bits wide, little-endian, in BAR0; the 64-bit
 * bases may also be accessed 8 bytes at a time.
 */
#ifndef UVFIO_DEVICES_QACC_H
#define UVFIO_DEVICES_QACC_H

#include <stdint.h>

#include <uvfio/pci.h>

#define QACC_VENDOR_ID 0x1234
#define QACC_PF_DEVICE_ID 0x5143
#define QACC_VF_DEVICE_ID 0x5144
#define QACC_SUBSYSTEM_VENDOR_ID 0x1af4 /* QEMU's default subsystem */
#define QACC_SUBSYSTEM_ID 0x1100
#define QACC_CLASS_CODE 0x120000 /* processing accelerator */
#define QACC_REVISION 0x01
#define QACC_MAX_VFS 64

/* BAR0 of every function: registers, then the MSI-X table and PBA. */
#define QACC_BAR 0
#define QACC_BAR_SIZE 0x4000
#define QACC_MSIX_TABLE 0x2000
#define QACC_MSIX_PBA 0x3000
#define QACC_MSIX_VECTORS 1

#define QACC_REG_ID 0x00      /* RO: QACC_ID_VALUE */
#define QACC_REG_CTRL 0x04    /* RW: QACC_CTRL_* */
#define QACC_REG_STATUS 0x08  /* RO: QACC_STATUS_* */
#define QACC_REG_QSIZE 0x0c   /* RW while disabled: entries of each ring */
#define QACC_REG_SQ_BASE 0x10 /* RW while disabled, 64-bit, 32-aligned */
#define QACC_REG_CQ_BASE 0x18 /* RW while disabled, 64-bit, 16-aligned */
#define QACC_REG_SQ_TAIL 0x20 /* RW doorbell: the guest's next free slot */
#define QACC_REG_SQ_HEAD 0x24 /* RO: the next slot the device takes */
#define QACC_REG_CQ_HEAD 0x28 /* RW: the guest's next unread completion */
#define QACC_REG_CQ_TAIL 0x2c /* RO: the next completion slot */
#define QACC_REG_DONE 0x30    /* RO, 64-bit: completions posted */
#define QACC_REGS_END 0x38

#define QACC_ID_VALUE 0x43434151 /* "QACC" */

#define QACC_CTRL_ENABLE 0x1 /* run the rings (clearing empties them) */
#define QACC_CTRL_IRQ 0x2    /* MSI-X vector 0 after completions */
#define QACC_CTRL_MASK (QACC_CTRL_ENABLE | QACC_CTRL_IRQ)

#define QACC_STATUS_READY 0x1 /* enabled, rings valid */
#define QACC_STATUS_ERROR 0x2 /* halted: bad rings or unreachable ring */
#define QACC_STATUS_IDLE 0x4  /* nothing in hand and nothing it can take */

#define QACC_QSIZE_MIN 2
#define QACC_QSIZE_MAX 4096
#define QACC_QSIZE_DEFAULT 64

/* Submission entry, 32 bytes. */
#define QACC_DESC_SIZE 32
struct qacc_desc {
	uint8_t opcode; /* QACC_OP_* */
	uint8_t flags;	/* none defined: must be 0 */
	uint16_t rsvd;	/* must be 0 */
	uint32_t len;	/* 1 to QACC_MAX_LEN bytes */
	uint64_t src;	/* COPY, CRC32C: source; FILL: the 8-byte pattern */
	uint64_t dst;	/* COPY, FILL: destination; CRC32C: must be 0 */
	uint64_t tag;	/* the guest's, returned in the completion */
};

#define QACC_OP_COPY 1
#define QACC_OP_FILL 2
#define QACC_OP_CRC32C 3
#define QACC_MAX_LEN (1u << 20)

/* Completion entry, 16 bytes. */
#define QACC_CPL_SIZE 16
struct qacc_cpl {
	uint64_t tag;
	uint32_t result; /* CRC32C: the checksum (standard, as iSCSI's) */
	uint16_t status; /* QACC_ST_* */
	uint16_t phase;	 /* bit 0: flips each time the ring wraps */
};

#define QACC_ST_OK 0
#define QACC_ST_BAD_OPCODE 1
#define QACC_ST_BAD_FIELD 2 /* length, flags or reserved bits */
#define QACC_ST_DMA_ERROR 3 /* a buffer outside the DMA mappings */

_Static_assert(sizeof(struct qacc_desc) == QACC_DESC_SIZE, "qacc desc");
_Static_assert(sizeof(struct qacc_cpl) == QACC_CPL_SIZE, "qacc cpl");

/*
 * A realized qacc PF named @name with @total_vfs (0 to QACC_MAX_VFS; 0:
 * no SR-IOV) VFs.  NULL with errno set.
 */
struct uvfio_pci *qacc_new(const char *name, unsigned int total_vfs);

#endif /* UVFIO_DEVICES_QACC_H */
