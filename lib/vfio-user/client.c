// SPDX-License-Identifier: MIT
/*
 * The client library's vfio-user backend.
 *
 * One request is in flight per handle (a mutex serializes callers).  While
 * it waits for its reply, the client answers the server's own requests
 * (DMA_READ / DMA_WRITE) that arrive on the socket; with a twin socket, a
 * thread answers them there at any time.
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
#include <uuid/uuid.h>

#include "client-internal.h"

/* ---- requests ---- */

/* Split @len payload bytes between the reply's two destinations. */
static void copy_reply(struct reply *out, const uint8_t *p, size_t len)
{
	size_t head = len < out->max ? len : out->max;

	memcpy(out->buf, p, head);
	if (out->data && len > head)
		memcpy(out->data, p + head,
		       len - head < out->data_max ? len - head : out->data_max);
}

/*
 * Send a command and wait for its reply; c->lock held.  One deadline for
 * the whole request: whatever else the server sends meanwhile (its DMA
 * requests, stale replies) does not extend it.
 */
/* Send one message, c->lock held: -EPIPE once one was cut short. */
static int send_locked(struct vu_client *c, struct vfu_header *hdr,
		       const struct iovec *req, unsigned int nr_pieces,
		       const int *fds, unsigned int nr_fds, int64_t deadline)
{
	size_t sent;
	int ret;

	if (c->broken)
		return -EPIPE;
	ret = vfu_sendv_until(c->sock, hdr, req, nr_pieces, fds, nr_fds,
			      deadline, &sent);
	/* Cut short: the server would take our next message for its rest. */
	if (ret && sent)
		c->broken = true;
	return ret;
}

static int transact_locked(struct vu_client *c, uint16_t cmd,
			   const struct iovec *req, unsigned int nr_pieces,
			   const int *fds, unsigned int nr_fds,
			   struct reply *out)
{
	struct vfu_header hdr = { .msg_id = c->next_id++, .command = cmd };
	int64_t deadline = vfu_deadline(c->timeout_ms);
	struct vfu_rx *rx = &c->rx;
	int ret;

	ret = send_locked(c, &hdr, req, nr_pieces, fds, nr_fds, deadline);
	if (ret)
		return ret;
	for (;;) {
		ret = vfu_read_wait_until(&c->reader, rx, CLIENT_MAX_PAYLOAD,
					  deadline);
		/* A message the deadline cut is completed by the next call
		 * (and skipped as stale); after any other error the stream
		 * cannot be framed any more. */
		if (ret == -ETIMEDOUT && vfu_rx_partial(rx))
			return ret;
		if (ret < 0) {
			if (ret != -ETIMEDOUT)
				c->broken = true;
			break;
		}
		if (is_dma_request(rx)) {
			serve_dma(c, c->sock, rx);
			vfu_rx_reset(rx);
			continue;
		}
		if ((rx->hdr.flags & VFU_FLAGS_TYPE_MASK) !=
			    VFU_FLAGS_TYPE_REPLY ||
		    rx->hdr.msg_id != hdr.msg_id || rx->hdr.command != cmd) {
			/* Not ours (a stale reply after a timeout): skip. */
			vfu_rx_reset(rx);
			continue;
		}
		if (rx->hdr.flags & VFU_FLAGS_ERROR)
			ret = rx->hdr.error_no ? -(int)rx->hdr.error_no : -EIO;
		else if (rx->discard)
			ret = -EMSGSIZE;
		else
			ret = 0;
		if (!ret && out) {
			out->len = rx->payload_len;
			copy_reply(out, rx->payload, rx->payload_len);
			out->fd = rx->nr_fds ? vfu_rx_take_fd(rx, 0) : -1;
		}
		break;
	}
	vfu_rx_reset(rx);
	return ret;
}

int transactv(struct vu_client *c, uint16_t cmd, const struct iovec *req,
	      unsigned int nr_pieces, const int *fds, unsigned int nr_fds,
	      struct reply *out)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = transact_locked(c, cmd, req, nr_pieces, fds, nr_fds, out);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int post(struct vu_client *c, uint16_t cmd, const struct iovec *req,
	 unsigned int nr_pieces)
{
	struct vfu_header hdr = { .command = cmd, .flags = VFU_FLAGS_NO_REPLY };
	int ret;

	pthread_mutex_lock(&c->lock);
	hdr.msg_id = c->next_id++;
	ret = send_locked(c, &hdr, req, nr_pieces, NULL, 0,
			  vfu_deadline(c->timeout_ms));
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int transact(struct vu_client *c, uint16_t cmd, const void *req, size_t req_len,
	     const int *fds, unsigned int nr_fds, struct reply *out)
{
	struct iovec piece = { .iov_base = (void *)req, .iov_len = req_len };

	return transactv(c, cmd, &piece, 1, fds, nr_fds, out);
}

/* ---- open and negotiate ---- */

static int connect_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int negotiate(struct vu_client *c, bool want_twin,
		     const uint8_t *vf_token)
{
	struct vfu_caps mine, theirs;
	struct vfu_version *ver;
	struct vfu_header hdr = { .msg_id = c->next_id++,
				  .command = VFU_CMD_VERSION };
	char why[160] = "";
	struct vfu_rx rx;
	size_t len;
	char *json;
	int ret;

	vfu_caps_default(&mine);
	mine.max_msg_fds = CLIENT_MAX_MSG_FDS;
	mine.max_data_xfer_size = CLIENT_MAX_XFER;
	mine.has_pgsizes = true;
	mine.has_max_dma_maps = true;
	mine.has_write_multiple = true;
	mine.write_multiple = true;
	mine.twin_socket = want_twin;
	if (vf_token) {
		mine.has_vf_token = true;
		memcpy(mine.vf_token, vf_token, sizeof(mine.vf_token));
	}
	json = vfu_caps_format(&mine);
	if (!json)
		return -ENOMEM;
	len = sizeof(*ver) + strlen(json) + 1;
	ver = malloc(len);
	if (!ver) {
		free(json);
		return -ENOMEM;
	}
	ver->major = VFU_MAJOR;
	ver->minor = VFU_MINOR;
	strcpy(ver->caps, json);
	free(json);
	ret = vfu_send(c->sock, &hdr, ver, len, NULL, 0, c->timeout_ms);
	free(ver);
	if (ret)
		return ret;

	vfu_rx_init(&rx);
	ret = vfu_read_wait_until(&c->reader, &rx, CLIENT_MAX_PAYLOAD,
				  vfu_deadline(c->timeout_ms));
	if (ret < 0)
		goto out;
	ret = -EPROTO;
	if (rx.hdr.command != VFU_CMD_VERSION || rx.hdr.msg_id != hdr.msg_id ||
	    (rx.hdr.flags & VFU_FLAGS_TYPE_MASK) != VFU_FLAGS_TYPE_REPLY)
		goto out;
	if (rx.hdr.flags & VFU_FLAGS_ERROR) {
		ret = rx.hdr.error_no ? -(int)rx.hdr.error_no : -EPROTO;
		goto out;
	}
	if (rx.discard || rx.payload_len < sizeof(*ver))
		goto out;
	ver = (struct vfu_version *)(void *)rx.payload;
	if (ver->major != VFU_MAJOR || ver->minor > VFU_MINOR)
		goto out;
	if (vfu_caps_parse(ver->caps, rx.payload_len - sizeof(*ver), &theirs,
			   why, sizeof(why)))
		goto out;
	if (theirs.twin_socket) {
		/* Granted: the descriptor must be where it says. */
		if (!want_twin || theirs.twin_fd_index < 0 ||
		    (unsigned int)theirs.twin_fd_index >= rx.nr_fds)
			goto out;
		c->twin =
			vfu_rx_take_fd(&rx, (unsigned int)theirs.twin_fd_index);
	}
	/* A message must fit both ways: what they take, what we take. */
	if (theirs.max_msg_fds > CLIENT_MAX_MSG_FDS)
		theirs.max_msg_fds = CLIENT_MAX_MSG_FDS;
	if (theirs.max_data_xfer_size > CLIENT_MAX_XFER)
		theirs.max_data_xfer_size = CLIENT_MAX_XFER;
	c->caps = (struct uvfio_client_caps){
		.major = ver->major,
		.minor = ver->minor,
		.max_msg_fds = theirs.max_msg_fds,
		.max_data_xfer_size = theirs.max_data_xfer_size,
		.max_dma_maps = theirs.max_dma_maps,
		.write_multiple = theirs.has_write_multiple &&
				  theirs.write_multiple,
		.twin_socket = c->twin >= 0,
	};
	ret = 0;
out:
	vfu_rx_release(&rx);
	return ret;
}

static const struct client_ops vu_ops = {
	.close = vu_close,
	.get_caps = vu_get_caps,
	.device_info = vu_device_info,
	.region_info = vu_region_info,
	.irq_info = vu_irq_info,
	.set_irqs = vu_set_irqs,
	.reset = vu_reset,
	.feature = vu_feature,
	.region_read = vu_region_read,
	.region_write = vu_region_write,
	.region_write_posted = vu_region_write_posted,
	.region_write_multi = vu_region_write_multi,
	.region_mmap = vu_region_mmap,
	.dma_map = vu_dma_map,
	.dma_unmap = vu_dma_unmap,
	.dma_unmap_all = vu_dma_unmap_all,
	.mig_set_state = vu_mig_set_state,
	.mig_read = vu_mig_read,
	.mig_write = vu_mig_write,
	.mig_data_fd = vu_mig_data_fd,
};

struct uvfio_client *vu_client_open(const char *path,
				    const struct uvfio_client_opts *opts)
{
	struct vu_client *c;
	int ret;

	uint8_t token[16];

	/* A token that is no UUID must not open the device without one. */
	if (opts && opts->vf_token &&
	    (strlen(opts->vf_token) != 36 ||
	     uuid_parse(opts->vf_token, token))) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->pub.ops = &vu_ops;
	c->twin = -1;
	c->pump_fd = -1;
	vfu_rx_init(&c->rx);
	pthread_mutex_init(&c->pump_lock, NULL);
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms :
						       DEFAULT_TIMEOUT_MS;
	for (int i = 0; i < MAX_REGIONS; i++)
		c->region[i].fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->maps_lock, NULL);
	c->sock = connect_unix(path);
	if (c->sock < 0) {
		ret = c->sock;
		goto fail;
	}
	vfu_reader_init(&c->reader, c->sock, VFU_READ_AHEAD);
	ret = negotiate(c, opts && opts->twin_socket,
			opts && opts->vf_token ? token : NULL);
	if (ret)
		goto fail;
	if (c->twin >= 0) {
		ret = -pthread_create(&c->twin_thread, NULL, twin_main, c);
		if (ret)
			goto fail;
		c->twin_running = true;
	}
	return &c->pub;
fail:
	vu_close(&c->pub);
	errno = -ret;
	return NULL;
}

void vu_close(struct uvfio_client *pub)
{
	struct vu_client *c = to_vu(pub);

	/* Wake a data-fd thread blocked on the device, then wait for it. */
	if (c->sock >= 0)
		shutdown(c->sock, SHUT_RDWR);
	client_mig_pump_stop(c, true);
	if (c->sock >= 0)
		close(c->sock);
	if (c->twin_running) {
		/* Closing our end would race the reader: shut it down. */
		shutdown(c->twin, SHUT_RDWR);
		pthread_join(c->twin_thread, NULL);
	}
	if (c->twin >= 0)
		close(c->twin);
	for (int i = 0; i < MAX_REGIONS; i++)
		if (c->region[i].fd >= 0)
			close(c->region[i].fd);
	free(c->maps);
	vfu_rx_release(&c->rx);
	vfu_reader_release(&c->reader);
	pthread_mutex_destroy(&c->maps_lock);
	pthread_mutex_destroy(&c->pump_lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void vu_get_caps(struct uvfio_client *pub, struct uvfio_client_caps *caps)
{
	struct vu_client *c = to_vu(pub);
	*caps = c->caps;
}
