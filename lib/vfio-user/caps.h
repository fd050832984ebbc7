/* SPDX-License-Identifier: MIT */
/*
 * VERSION capabilities: the JSON object both sides exchange.
 */
#ifndef UVFIO_VFIO_USER_CAPS_H
#define UVFIO_VFIO_USER_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults when a capability is absent (the spec's). */
#define VFU_DEFAULT_MAX_MSG_FDS 1
#define VFU_DEFAULT_MAX_DATA_XFER (1u << 20)
#define VFU_DEFAULT_MAX_DMA_MAPS 65535
#define VFU_DEFAULT_PGSIZES 4096

/* What QEMU's client accepts from a server; sane limits for anyone. */
#define VFU_LIMIT_MAX_MSG_FDS 1024
#define VFU_LIMIT_MAX_DATA_XFER (64u << 20)
/* Below a page, a transfer costs more in messages than it moves. */
#define VFU_MIN_DATA_XFER 4096u

struct vfu_caps {
	uint32_t max_msg_fds;
	uint32_t max_data_xfer_size;
	uint32_t max_dma_maps;
	uint64_t pgsizes;
	bool write_multiple;
	/* legacy "migration": {"pgsize", "max_bitmap_size"} */
	bool migration;
	uint64_t mig_pgsize;
	uint64_t mig_max_bitmap_size;
	/* "twin_socket": {"supported", "fd_index"} */
	bool twin_socket;
	int twin_fd_index; /* -1 if absent */
	/* "vf_token": "<uuid>", the SR-IOV VF token (our extension) */
	bool has_vf_token;
	uint8_t vf_token[16];
	/* which keys were present, so that a reply holds only those */
	bool has_pgsizes, has_max_dma_maps, has_write_multiple;
};

void vfu_caps_default(struct vfu_caps *caps);

/*
 * Parse @len bytes of VERSION payload after major/minor: empty, or a JSON
 * object NUL-terminated within @len.  Unknown keys are ignored; known keys
 * of the wrong type or out of range are refused (max_data_xfer_size below
 * VFU_MIN_DATA_XFER too).  Returns 0 or -EINVAL
 * with a reason in @why (@why_len bytes).
 */
int vfu_caps_parse(const char *json, size_t len, struct vfu_caps *caps,
		   char *why, size_t why_len);

/*
 * Format @caps as the JSON object of a VERSION message (no trailing NUL in
 * the count; the string is NUL-terminated).  Optional keys appear only when
 * set.  Returns a malloc'ed string, or NULL.
 */
char *vfu_caps_format(const struct vfu_caps *caps);

#endif /* UVFIO_VFIO_USER_CAPS_H */
