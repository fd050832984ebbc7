// SPDX-License-Identifier: MIT
/*
 * The client's side of DMA: the windows it maps into the server, the
 * guest-memory helper, and answering the server's DMA_READ / DMA_WRITE
 * from those windows (inline while waiting for a reply, or on the twin
 * socket's thread).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client-internal.h"

/* ---- serving the server's DMA requests ---- */

/* Find the window holding [@iova, @iova + @len) and check @prot. */
static uint8_t *map_lookup(struct vu_client *c, uint64_t iova, uint64_t len,
			   uint32_t prot)
{
	for (unsigned int i = 0; i < c->nr_maps; i++) {
		struct client_map *m = &c->maps[i];

		if (iova >= m->iova && iova - m->iova < m->size &&
		    len <= m->size - (iova - m->iova))
			return (m->prot & prot) == prot ?
				       m->vaddr + (iova - m->iova) :
				       NULL;
	}
	return NULL;
}

void serve_dma(struct vu_client *c, int sock, struct vfu_rx *rx)
{
	bool is_write = rx->hdr.command == VFU_CMD_DMA_WRITE;
	struct vfu_header hdr = { .msg_id = rx->hdr.msg_id,
				  .command = rx->hdr.command,
				  .flags = VFU_FLAGS_TYPE_REPLY };
	struct vfu_dma_rw req, *reply = NULL;
	size_t reply_len = sizeof(req);
	uint8_t *mem;
	int err = 0;

	if (rx->payload_len < sizeof(req) || rx->discard) {
		err = EINVAL;
		goto out;
	}
	memcpy(&req, rx->payload, sizeof(req));
	if (req.count > CLIENT_MAX_XFER ||
	    rx->payload_len != sizeof(req) + (is_write ? req.count : 0)) {
		err = EINVAL;
		goto out;
	}
	pthread_mutex_lock(&c->maps_lock);
	mem = map_lookup(c, req.address, req.count,
			 is_write ? UVFIO_DMA_WRITE : UVFIO_DMA_READ);
	if (!mem) {
		err = EFAULT;
	} else if (is_write) {
		memcpy(mem, rx->payload + sizeof(req), req.count);
	} else {
		reply = malloc(sizeof(req) + req.count);
		if (reply) {
			*reply = req;
			memcpy(reply->data, mem, req.count);
			reply_len += req.count;
		} else {
			err = ENOMEM;
		}
	}
	pthread_mutex_unlock(&c->maps_lock);
out:
	if (err) {
		hdr.flags |= VFU_FLAGS_ERROR;
		hdr.error_no = (uint32_t)err;
		vfu_send(sock, &hdr, NULL, 0, NULL, 0, c->timeout_ms);
	} else {
		vfu_send(sock, &hdr, reply ? (void *)reply : (void *)&req,
			 reply_len, NULL, 0, c->timeout_ms);
	}
	free(reply);
}

bool is_dma_request(const struct vfu_rx *rx)
{
	return (rx->hdr.flags & VFU_FLAGS_TYPE_MASK) ==
		       VFU_FLAGS_TYPE_COMMAND &&
	       (rx->hdr.command == VFU_CMD_DMA_READ ||
		rx->hdr.command == VFU_CMD_DMA_WRITE);
}

void *twin_main(void *arg)
{
	struct vu_client *c = arg;
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	while (vfu_rx_wait(c->twin, &rx, CLIENT_MAX_PAYLOAD, -1) == 1) {
		if (is_dma_request(&rx))
			serve_dma(c, c->twin, &rx);
		vfu_rx_reset(&rx);
	}
	vfu_rx_release(&rx);
	return NULL;
}

int vu_dma_map(struct uvfio_client *pub, uint64_t iova, uint64_t size,
	       uint32_t prot, int fd, uint64_t fd_offset, void *vaddr)
{
	struct vu_client *c = to_vu(pub);
	struct vfu_dma_map req = { .argsz = sizeof(req),
				   .flags = prot,
				   .offset = fd >= 0 ? fd_offset : 0,
				   .address = iova,
				   .size = size };
	struct client_map *grown;
	int ret;

	if (!vaddr)
		return -EINVAL;
	pthread_mutex_lock(&c->maps_lock);
	grown = realloc(c->maps, (c->nr_maps + 1) * sizeof(*c->maps));
	if (grown)
		c->maps = grown;
	pthread_mutex_unlock(&c->maps_lock);
	if (!grown)
		return -ENOMEM;
	ret = transact(c, VFU_CMD_DMA_MAP, &req, sizeof(req),
		       fd >= 0 ? &fd : NULL, fd >= 0, NULL);
	if (ret)
		return ret;
	pthread_mutex_lock(&c->maps_lock);
	c->maps[c->nr_maps++] = (struct client_map){
		.iova = iova, .size = size, .prot = prot, .vaddr = vaddr
	};
	pthread_mutex_unlock(&c->maps_lock);
	return 0;
}

static void forget_maps(struct vu_client *c, bool all, uint64_t iova,
			uint64_t size)
{
	pthread_mutex_lock(&c->maps_lock);
	for (unsigned int i = 0; i < c->nr_maps;) {
		if (all || (c->maps[i].iova == iova && c->maps[i].size == size))
			c->maps[i] = c->maps[--c->nr_maps];
		else
			i++;
	}
	pthread_mutex_unlock(&c->maps_lock);
}

int vu_dma_unmap(struct uvfio_client *pub, uint64_t iova, uint64_t size)
{
	struct vu_client *c = to_vu(pub);
	struct vfu_dma_unmap req = { .argsz = sizeof(req),
				     .address = iova,
				     .size = size };
	struct vfu_dma_unmap rep;
	struct reply out = { .buf = &rep, .max = sizeof(rep) };
	int ret = transact(c, VFU_CMD_DMA_UNMAP, &req, sizeof(req), NULL, 0,
			   &out);

	if (!ret)
		forget_maps(c, false, iova, size);
	return ret;
}

int vu_dma_unmap_all(struct uvfio_client *pub)
{
	struct vu_client *c = to_vu(pub);
	struct vfu_dma_unmap req = { .argsz = sizeof(req),
				     .flags = VFU_DMA_UNMAP_FLAG_ALL };
	struct vfu_dma_unmap rep;
	struct reply out = { .buf = &rep, .max = sizeof(rep) };
	int ret = transact(c, VFU_CMD_DMA_UNMAP, &req, sizeof(req), NULL, 0,
			   &out);

	if (!ret)
		forget_maps(c, true, 0, 0);
	return ret;
}
