// SPDX-License-Identifier: MIT
/*
 * Device DMA to windows the client mapped without a file descriptor: each
 * access becomes DMA_READ / DMA_WRITE messages to the client, on the twin
 * socket when negotiated, else on the main socket.
 *
 * On the main socket the client may be sending commands while we wait for
 * its reply; those are queued (up to a bound) and handled, in order, after
 * the command in progress.  That path is only for the connection's own
 * worker thread (a device doing DMA from inside a callback); other threads
 * need the twin socket.
 *
 * Each request and each wait for a reply has one deadline, msg_timeout.
 * An error after part of a message went either way desynchronizes the
 * stream: the rest would be read as commands.  Such a connection is dropped; such a twin socket is
 * no longer used.
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

/*
 * The stream of @twin (or of the main socket) is unusable: part of a
 * message went out or came in, and the rest never will where it should
 * (@why says how), or the client is gone (@why NULL).  The main socket
 * takes the connection down; the twin is not used again.
 */
static void stream_broken(struct vfu_conn *c, bool twin, const char *why)
{
	if (why)
		uvfio_warn(c->ep->dev, "%s: %s is out of step, %s", why,
			   twin ? "the twin socket" : "the connection",
			   twin ? "no more DMA through it" : "closing it");
	if (twin)
		c->twin_broken = true;
	else
		c->broken = true;
}

/*
 * Send the request for one chunk (its id in *@id); @sock is the twin or
 * the main socket.  Replies queued on the main socket go first: the
 * stream is in order.
 */
static int dma_request(struct vfu_conn *c, int sock, uint64_t iova, void *buf,
		       size_t len, bool is_write, uint16_t *id)
{
	uint16_t cmd = is_write ? VFU_CMD_DMA_WRITE : VFU_CMD_DMA_READ;
	struct vfu_header hdr = { .msg_id = c->next_id++, .command = cmd };
	int64_t deadline = vfu_deadline(c->ep->srv->opts.msg_timeout_ms);
	struct vfu_dma_rw req = { .address = iova, .count = len };
	/* A write's data goes from @buf, not through a copy. */
	struct iovec pieces[2] = { { &req, sizeof(req) },
				   { buf, is_write ? len : 0 } };
	bool twin = sock != c->sock;
	size_t sent;
	int ret;

	*id = hdr.msg_id;
	if (!twin) {
		ret = vfu_conn_flush(c, deadline);
		if (ret)
			return ret;
	}
	ret = vfu_sendv_until(sock, &hdr, pieces, 2, NULL, 0, deadline, &sent);
	if (ret && sent)
		stream_broken(c, twin, "DMA request cut short");
	return ret;
}

/*
 * Wait for the reply to request @id (for @len bytes at @iova) and take it.
 * The wait has one deadline: messages that arrive meanwhile do not extend
 * it.
 */
static int dma_reply(struct vfu_conn *c, int sock, uint16_t id, uint64_t iova,
		     void *buf, size_t len, bool is_write)
{
	uint16_t cmd = is_write ? VFU_CMD_DMA_WRITE : VFU_CMD_DMA_READ;
	int64_t deadline = vfu_deadline(c->ep->srv->opts.msg_timeout_ms);
	bool twin = sock != c->sock;
	struct vfu_rx rx;
	int ret;

	vfu_rx_init(&rx);
	for (;;) {
		/* The main socket's bytes may be in the connection's
		 * reader already; the twin carries nothing else. */
		if (twin)
			ret = vfu_rx_wait_until(
				sock, &rx, VFU_SERVER_MAX_PAYLOAD, deadline);
		else
			ret = vfu_read_wait_until(&c->reader, &rx,
						  VFU_SERVER_MAX_PAYLOAD,
						  deadline);
		if (ret < 0) {
			/* A timeout between messages leaves the stream
			 * intact (a late reply is dropped as unexpected);
			 * anything else does not. */
			if (vfu_rx_partial(&rx))
				stream_broken(c, twin, "DMA reply cut short");
			else if (ret != -ETIMEDOUT)
				stream_broken(c, twin, NULL);
			break;
		}
		if (is_reply_to(&rx, id, cmd)) {
			ret = parse_reply(&rx, iova, buf, len, is_write);
			break;
		}
		/* Only our replies belong on the twin socket, and a reply
		 * nobody waits for (a late one) is dropped anyway. */
		if (twin || (rx.hdr.flags & VFU_FLAGS_TYPE_MASK) !=
				    VFU_FLAGS_TYPE_COMMAND) {
			vfu_rx_reset(&rx);
			continue;
		}
		/* A command that overtook our reply: handle it later. */
		ret = vfu_conn_queue(c, &rx);
		if (ret) {
			stream_broken(c, false,
				      "too many commands sent during a DMA");
			break;
		}
		vfu_rx_init(&rx);
	}
	vfu_rx_release(&rx);
	return ret;
}

/*
 * Requests in flight at once on the twin socket: while the client serves
 * one, the next is on its way (a round trip per MiB cost a third of the
 * bandwidth across CPUs).  The client serves them in order; replies are
 * small, so its writes never wait on our reads.  On the main socket,
 * where the client's own commands interleave, one at a time.
 */
#define DMA_TWIN_WINDOW 4

/* @len bytes in @chunk requests, up to @window of them in flight. */
static int dma_chunks(struct vfu_conn *c, int sock, uint64_t iova, uint8_t *buf,
		      size_t len, bool is_write, size_t chunk,
		      unsigned int window)
{
	uint16_t ids[DMA_TWIN_WINDOW];
	size_t sent = 0, done = 0;
	unsigned int k = 0; /* requests sent */
	int ret = 0;

	while (done < len && !ret) {
		while (!ret && sent < len && sent - done < window * chunk) {
			size_t n = len - sent < chunk ? len - sent : chunk;

			ret = dma_request(c, sock, iova + sent, buf + sent, n,
					  is_write, &ids[k++ % window]);
			sent += n;
		}
		if (!ret) {
			size_t n = len - done < chunk ? len - done : chunk;

			ret = dma_reply(c, sock, ids[(done / chunk) % window],
					iova + done, buf + done, n, is_write);
			done += n;
		}
	}
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
	int twin = __atomic_load_n(&c->twin, __ATOMIC_ACQUIRE);
	/* What the client takes, within what we take back in one reply. */
	size_t chunk = c->peer.max_data_xfer_size < VFU_SERVER_MAX_XFER ?
			       c->peer.max_data_xfer_size :
			       VFU_SERVER_MAX_XFER;
	int ret = 0;

	if (!chunk)
		return -EIO;
	if (twin < 0 && !pthread_equal(pthread_self(), c->ep->worker->thread))
		return -EOPNOTSUPP;
	if (twin >= 0) {
		pthread_mutex_lock(&c->twin_lock);
		if (c->twin_broken)
			ret = -EPIPE;
	} else if (c->broken) {
		ret = -EPIPE;
	}
	if (!ret)
		ret = dma_chunks(c, twin >= 0 ? twin : c->sock, iova, buf, len,
				 is_write, chunk,
				 twin >= 0 ? DMA_TWIN_WINDOW : 1);
	if (twin >= 0)
		pthread_mutex_unlock(&c->twin_lock);
	return ret;
}
