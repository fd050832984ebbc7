// SPDX-License-Identifier: MIT
/*
 * Device DMA to windows the client mapped without a file descriptor: each
 * access becomes DMA_READ / DMA_WRITE messages to the client, on the twin
 * socket when negotiated, else on the main socket.
 *
 * On the main socket the client may be sending commands while we wait for
 * its reply; those are queued and handled, in order, after the command in
 * progress.  That path is only for the connection's own worker thread (a
 * device doing DMA from inside a callback); other threads need the twin
 * socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server-internal.h"

static bool is_reply_to(const struct vfu_rx *rx, uint16_t id, uint16_t cmd)
{
	return (rx->hdr.flags & VFU_FLAGS_TYPE_MASK) == VFU_FLAGS_TYPE_REPLY &&
	       rx->hdr.msg_id == id && rx->hdr.command == cmd;
}

/*
 * Check a DMA reply and copy DMA_READ data out.  Accepts the spec's layout
 * and QEMU's (data 12 bytes in, and a bare header answering DMA_WRITE).
 */
static int parse_reply(const struct vfu_rx *rx, uint64_t iova, void *buf,
		       size_t len, bool is_write)
{
	struct vfu_dma_rw echo;

	if (rx->hdr.flags & VFU_FLAGS_ERROR)
		return rx->hdr.error_no ? -(int)rx->hdr.error_no : -EIO;
	if (rx->discard)
		return -EIO;
	if (is_write) {
		if (rx->payload_len == 0)
			return 0;
		if (rx->payload_len != sizeof(echo))
			return -EIO;
		memcpy(&echo, rx->payload, sizeof(echo));
		return echo.address == iova && echo.count == len ? 0 : -EIO;
	}
	if (rx->payload_len == sizeof(echo) + len) {
		memcpy(&echo, rx->payload, sizeof(echo));
		if (echo.address != iova || echo.count != len)
			return -EIO;
		memcpy(buf, rx->payload + sizeof(echo), len);
		return 0;
	}
	if (rx->payload_len == VFU_QEMU_DMA_RW_DATA_OFFSET + len) {
		memcpy(buf, rx->payload + VFU_QEMU_DMA_RW_DATA_OFFSET, len);
		return 0;
	}
	return -EIO;
}

/* One request and its reply; @sock is the twin or the main socket. */
static int dma_round_trip(struct vfu_conn *c, int sock, uint64_t iova,
			  void *buf, size_t len, bool is_write)
{
	uint16_t cmd = is_write ? VFU_CMD_DMA_WRITE : VFU_CMD_DMA_READ;
	struct vfu_header hdr = { .msg_id = c->next_id++, .command = cmd };
	int timeout = c->ep->srv->opts.msg_timeout_ms;
	size_t req_len = sizeof(struct vfu_dma_rw) + (is_write ? len : 0);
	struct vfu_dma_rw *req = malloc(req_len);
	struct vfu_rx rx;
	int ret;

	if (!req)
		return -ENOMEM;
	req->address = iova;
	req->count = len;
	if (is_write)
		memcpy(req->data, buf, len);
	ret = vfu_send(sock, &hdr, req, req_len, NULL, 0, timeout);
	free(req);
	if (ret)
		return ret;

	vfu_rx_init(&rx);
	for (;;) {
		ret = vfu_rx_wait(sock, &rx, VFU_SERVER_MAX_PAYLOAD, timeout);
		if (ret < 0)
			break;
		if (is_reply_to(&rx, hdr.msg_id, cmd)) {
			ret = parse_reply(&rx, iova, buf, len, is_write);
			break;
		}
		if (sock == c->twin) {
			/* Only our replies belong on the twin socket. */
			vfu_rx_reset(&rx);
			continue;
		}
		/* A command that overtook our reply: handle it later. */
		vfu_conn_queue(c, &rx);
		vfu_rx_init(&rx);
	}
	vfu_rx_release(&rx);
	if (ret < 0)
		uvfio_warn(
			c->ep->dev,
			"DMA %s of %zu bytes at 0x%llx through the client failed: %s",
			is_write ? "write" : "read", len,
			(unsigned long long)iova, strerror(-ret));
	return ret;
}

int vfu_conn_dma_msg(void *opaque, uint64_t iova, void *buf, size_t len,
		     bool is_write)
{
	struct vfu_conn *c = opaque;
	size_t chunk = c->peer.max_data_xfer_size;
	int ret = 0;

	if (c->twin < 0 &&
	    !pthread_equal(pthread_self(), c->ep->worker->thread))
		return -EOPNOTSUPP;
	if (c->twin >= 0)
		pthread_mutex_lock(&c->twin_lock);
	for (size_t done = 0; done < len && !ret; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;

		ret = dma_round_trip(c, c->twin >= 0 ? c->twin : c->sock,
				     iova + done, (uint8_t *)buf + done, n,
				     is_write);
	}
	if (c->twin >= 0)
		pthread_mutex_unlock(&c->twin_lock);
	return ret;
}
