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

#include <uvfio/client.h>
#include <uvfio/dma.h>

#include "caps.h"
#include "msg.h"

#define CLIENT_MAX_MSG_FDS VFU_MAX_FDS
#define CLIENT_MAX_XFER (1u << 20)
#define CLIENT_MAX_PAYLOAD (CLIENT_MAX_XFER + 4096)
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_REGIONS 256

struct client_map {
	uint64_t iova, size;
	uint32_t prot;
	uint8_t *vaddr;
};

/* What a region info reply said about mapping the region. */
struct client_region {
	int fd; /* -1: not mappable (or not asked yet) */
	uint64_t offset, size;
};

struct uvfio_client {
	int sock;
	int twin;
	int timeout_ms;
	pthread_mutex_t lock; /* one request at a time; guards region[] */
	uint16_t next_id;
	struct uvfio_client_caps caps;
	struct client_region region[MAX_REGIONS];

	pthread_mutex_t maps_lock;
	struct client_map *maps;
	unsigned int nr_maps;

	pthread_t twin_thread;
	bool twin_running;
};

/* ---- serving the server's DMA requests ---- */

/* Find the window holding [@iova, @iova + @len) and check @prot. */
static uint8_t *map_lookup(struct uvfio_client *c, uint64_t iova, uint64_t len,
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

static void serve_dma(struct uvfio_client *c, int sock, struct vfu_rx *rx)
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

static bool is_dma_request(const struct vfu_rx *rx)
{
	return (rx->hdr.flags & VFU_FLAGS_TYPE_MASK) ==
		       VFU_FLAGS_TYPE_COMMAND &&
	       (rx->hdr.command == VFU_CMD_DMA_READ ||
		rx->hdr.command == VFU_CMD_DMA_WRITE);
}

static void *twin_main(void *arg)
{
	struct uvfio_client *c = arg;
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

/* ---- requests ---- */

struct reply {
	void *buf; /* where the payload goes, up to @max bytes */
	size_t max;
	size_t len; /* payload length received */
	int fd;	    /* first descriptor received, or -1 */
};

/*
 * Send a command and wait for its reply; c->lock held.  One deadline for
 * the whole request: whatever else the server sends meanwhile (its DMA
 * requests, stale replies) does not extend it.
 */
static int transact_locked(struct uvfio_client *c, uint16_t cmd,
			   const void *req, size_t req_len, const int *fds,
			   unsigned int nr_fds, struct reply *out)
{
	struct vfu_header hdr = { .msg_id = c->next_id++, .command = cmd };
	int64_t deadline = vfu_deadline(c->timeout_ms);
	struct vfu_rx rx;
	int ret;

	ret = vfu_send_until(c->sock, &hdr, req, req_len, fds, nr_fds, deadline,
			     NULL);
	if (ret)
		return ret;
	vfu_rx_init(&rx);
	for (;;) {
		ret = vfu_rx_wait_until(c->sock, &rx, CLIENT_MAX_PAYLOAD,
					deadline);
		if (ret < 0)
			break;
		if (is_dma_request(&rx)) {
			serve_dma(c, c->sock, &rx);
			vfu_rx_reset(&rx);
			continue;
		}
		if ((rx.hdr.flags & VFU_FLAGS_TYPE_MASK) !=
			    VFU_FLAGS_TYPE_REPLY ||
		    rx.hdr.msg_id != hdr.msg_id || rx.hdr.command != cmd) {
			/* Not ours (a stale reply after a timeout): skip. */
			vfu_rx_reset(&rx);
			continue;
		}
		if (rx.hdr.flags & VFU_FLAGS_ERROR)
			ret = rx.hdr.error_no ? -(int)rx.hdr.error_no : -EIO;
		else if (rx.discard)
			ret = -EMSGSIZE;
		else
			ret = 0;
		if (!ret && out) {
			out->len = rx.payload_len;
			memcpy(out->buf, rx.payload,
			       rx.payload_len < out->max ? rx.payload_len :
							   out->max);
			out->fd = rx.nr_fds ? vfu_rx_take_fd(&rx, 0) : -1;
		}
		break;
	}
	vfu_rx_release(&rx);
	return ret;
}

static int transact(struct uvfio_client *c, uint16_t cmd, const void *req,
		    size_t req_len, const int *fds, unsigned int nr_fds,
		    struct reply *out)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = transact_locked(c, cmd, req, req_len, fds, nr_fds, out);
	pthread_mutex_unlock(&c->lock);
	return ret;
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

static int negotiate(struct uvfio_client *c, bool want_twin)
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
	ret = vfu_rx_wait(c->sock, &rx, CLIENT_MAX_PAYLOAD, c->timeout_ms);
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

struct uvfio_client *uvfio_client_open(const char *name,
				       const struct uvfio_client_opts *opts)
{
	struct uvfio_client *c;
	const char *path = name;
	int ret;

	if (!name) {
		errno = EINVAL;
		return NULL;
	}
	if (!strncmp(name, "vfio:", 5) || !strncmp(name, "mdev:", 5)) {
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	if (!strncmp(name, "unix:", 5))
		path = name + 5;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->twin = -1;
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
	ret = negotiate(c, opts && opts->twin_socket);
	if (ret)
		goto fail;
	if (c->twin >= 0) {
		ret = -pthread_create(&c->twin_thread, NULL, twin_main, c);
		if (ret)
			goto fail;
		c->twin_running = true;
	}
	return c;
fail:
	uvfio_client_close(c);
	errno = -ret;
	return NULL;
}

void uvfio_client_close(struct uvfio_client *c)
{
	if (!c)
		return;
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
	pthread_mutex_destroy(&c->maps_lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void uvfio_client_get_caps(struct uvfio_client *c,
			   struct uvfio_client_caps *caps)
{
	*caps = c->caps;
}

/* ---- device calls ---- */

int uvfio_client_device_info(struct uvfio_client *c,
			     struct uvfio_device_info *info)
{
	struct vfu_device_info req = { .argsz = sizeof(req) }, rep = { 0 };
	struct reply out = { .buf = &rep, .max = sizeof(rep) };
	int ret;

	if (!info || info->argsz < UVFIO_DEVICE_INFO_MINSZ)
		return -EINVAL;
	ret = transact(c, VFU_CMD_DEVICE_GET_INFO, &req, sizeof(req), NULL, 0,
		       &out);
	if (ret)
		return ret;
	if (out.len != sizeof(rep))
		return -EPROTO;
	info->flags = rep.flags;
	info->num_regions = rep.num_regions;
	info->num_irqs = rep.num_irqs;
	if (info->argsz >= sizeof(*info))
		info->cap_offset = 0;
	return 0;
}

/* Remember how region @index maps: @fd (taken) at @info's offset. */
static void region_remember(struct uvfio_client *c, uint32_t index, int fd,
			    const struct uvfio_region_info *info)
{
	if (index >= MAX_REGIONS) {
		if (fd >= 0)
			close(fd);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (c->region[index].fd >= 0)
		close(c->region[index].fd);
	c->region[index] = (struct client_region){
		.fd = fd,
		.offset = info->offset,
		.size = info->size,
	};
	pthread_mutex_unlock(&c->lock);
}

int uvfio_client_region_info(struct uvfio_client *c, uint32_t index,
			     struct uvfio_region_info **info)
{
	uint32_t argsz = sizeof(struct uvfio_region_info);

	/* Ask, and ask again with the size the first reply said it needs. */
	for (int attempt = 0; attempt < 2; attempt++) {
		struct uvfio_region_info req = { .argsz = argsz,
						 .index = index };
		struct uvfio_region_info *rep = calloc(1, argsz);
		struct reply out = { .buf = rep, .max = argsz, .fd = -1 };
		int ret;

		if (!rep)
			return -ENOMEM;
		ret = transact(c, VFU_CMD_DEVICE_GET_REGION_INFO, &req,
			       sizeof(req), NULL, 0, &out);
		if (!ret && (out.len < sizeof(*rep) || out.len > argsz))
			ret = -EPROTO;
		/* A reply can never be larger than a message we take. */
		if (!ret && rep->argsz > argsz &&
		    (attempt || rep->argsz > CLIENT_MAX_PAYLOAD))
			ret = -EPROTO;
		if (ret) {
			if (out.fd >= 0)
				close(out.fd);
			free(rep);
			return ret;
		}
		if (out.fd >= 0)
			region_remember(c, index, out.fd, rep);
		if (rep->argsz <= argsz) {
			rep->argsz = (uint32_t)out.len;
			*info = rep;
			return 0;
		}
		argsz = rep->argsz;
		free(rep);
	}
	return -EPROTO;
}

int uvfio_client_irq_info(struct uvfio_client *c, struct uvfio_irq_info *info)
{
	struct uvfio_irq_info req = { .argsz = sizeof(req),
				      .index = info->index };
	struct reply out = { .buf = info, .max = sizeof(*info) };
	int ret;

	ret = transact(c, VFU_CMD_DEVICE_GET_IRQ_INFO, &req, sizeof(req), NULL,
		       0, &out);
	if (!ret && out.len != sizeof(*info))
		ret = -EPROTO;
	return ret;
}

static int set_irqs_chunk(struct uvfio_client *c,
			  const struct uvfio_irq_set *set, uint32_t start,
			  uint32_t count, const int32_t *fds)
{
	struct uvfio_irq_set req = *set;
	int live[VFU_MAX_FDS];
	unsigned int n = 0;

	req.argsz = sizeof(req);
	req.start = start;
	req.count = count;
	/* A chunk carries all its fds, or none (de-assign), as QEMU's. */
	for (uint32_t i = 0; fds && i < count; i++)
		if (fds[i] >= 0)
			live[n++] = fds[i];
	if (n && n != count)
		return -EINVAL;
	return transact(c, VFU_CMD_DEVICE_SET_IRQS, &req, sizeof(req), live, n,
			NULL);
}

int uvfio_client_set_irqs(struct uvfio_client *c,
			  const struct uvfio_irq_set *set)
{
	uint32_t type = set->flags & UVFIO_IRQ_SET_DATA_TYPE_MASK;
	uint32_t step = c->caps.max_msg_fds ? c->caps.max_msg_fds : 1;
	const size_t hdr_len = sizeof(*set);

	if (set->argsz < hdr_len)
		return -EINVAL;
	if (type == UVFIO_IRQ_SET_DATA_BOOL) {
		size_t len = hdr_len + set->count;
		struct uvfio_irq_set *req;
		int ret;

		if (set->argsz < len)
			return -EINVAL;
		req = malloc(len);
		if (!req)
			return -ENOMEM;
		memcpy(req, set, len);
		req->argsz = (uint32_t)len;
		ret = transact(c, VFU_CMD_DEVICE_SET_IRQS, req, len, NULL, 0,
			       NULL);
		free(req);
		return ret;
	}
	if (type != UVFIO_IRQ_SET_DATA_EVENTFD || set->count == 0)
		return transact(c, VFU_CMD_DEVICE_SET_IRQS, set, hdr_len, NULL,
				0, NULL);
	if (set->argsz - hdr_len < (size_t)set->count * sizeof(int32_t))
		return -EINVAL;
	for (uint32_t done = 0; done < set->count;) {
		const int32_t *fds = (const int32_t *)(const void *)set->data;
		uint32_t n = set->count - done < step ? set->count - done :
							step;
		int32_t chunk[VFU_MAX_FDS];
		int ret;

		if (n > VFU_MAX_FDS)
			n = VFU_MAX_FDS;
		memcpy(chunk, fds + done, n * sizeof(int32_t));
		/* Split where a run of valid fds meets a run of -1s. */
		for (uint32_t i = 1; i < n; i++)
			if ((chunk[i] >= 0) != (chunk[0] >= 0)) {
				n = i;
				break;
			}
		ret = set_irqs_chunk(c, set, set->start + done, n, chunk);
		if (ret)
			return ret;
		done += n;
	}
	return 0;
}

int uvfio_client_reset(struct uvfio_client *c)
{
	return transact(c, VFU_CMD_DEVICE_RESET, NULL, 0, NULL, 0, NULL);
}

int uvfio_client_feature(struct uvfio_client *c,
			 struct uvfio_device_feature *feature)
{
	bool get = (feature->flags & UVFIO_DEVICE_FEATURE_GET) &&
		   !(feature->flags & UVFIO_DEVICE_FEATURE_PROBE);
	struct uvfio_device_feature *rep;
	struct reply out;
	int ret;

	if (feature->argsz < sizeof(*feature))
		return -EINVAL;
	/* A GET sends only what a request needs: the header (and any
	 * input the feature reads, which the caller put in argsz). */
	if (!get)
		return transact(c, VFU_CMD_DEVICE_FEATURE, feature,
				feature->argsz, NULL, 0, NULL);
	/* The reply is the server's to shape: only its data, if it fits,
	 * reaches the caller, whose argsz and flags stay as they were. */
	rep = calloc(1, feature->argsz);
	if (!rep)
		return -ENOMEM;
	out = (struct reply){ .buf = rep, .max = feature->argsz, .fd = -1 };
	ret = transact(c, VFU_CMD_DEVICE_FEATURE, feature, feature->argsz, NULL,
		       0, &out);
	if (out.fd >= 0)
		close(out.fd);
	if (!ret && (out.len < sizeof(*rep) || out.len > feature->argsz))
		ret = -EPROTO;
	if (!ret)
		memcpy(feature->data, rep->data, out.len - sizeof(*rep));
	free(rep);
	return ret;
}

ssize_t uvfio_client_region_read(struct uvfio_client *c, uint32_t index,
				 uint64_t offset, void *buf, size_t len)
{
	size_t chunk = c->caps.max_data_xfer_size;
	uint8_t *rep;
	size_t done;

	rep = malloc(sizeof(struct vfu_region_access) + chunk);
	if (!rep)
		return -ENOMEM;
	for (done = 0; done < len;) {
		size_t n = len - done < chunk ? len - done : chunk;
		struct vfu_region_access req = { .offset = offset + done,
						 .region = index,
						 .count = (uint32_t)n };
		struct reply out = { .buf = rep, .max = sizeof(req) + chunk };
		int ret = transact(c, VFU_CMD_REGION_READ, &req, sizeof(req),
				   NULL, 0, &out);

		if (!ret && out.len != sizeof(req) + n)
			ret = -EPROTO;
		if (ret) {
			free(rep);
			return ret;
		}
		memcpy((uint8_t *)buf + done, rep + sizeof(req), n);
		done += n;
	}
	free(rep);
	return (ssize_t)len;
}

static ssize_t region_write(struct uvfio_client *c, uint32_t index,
			    uint64_t offset, const void *buf, size_t len,
			    bool posted)
{
	size_t chunk = c->caps.max_data_xfer_size;
	struct vfu_region_access *req;
	size_t done;
	int ret = 0;

	req = malloc(sizeof(*req) + (len < chunk ? len : chunk));
	if (!req)
		return -ENOMEM;
	for (done = 0; done < len && !ret;) {
		size_t n = len - done < chunk ? len - done : chunk;

		req->offset = offset + done;
		req->region = index;
		req->count = (uint32_t)n;
		memcpy(req->data, (const uint8_t *)buf + done, n);
		if (posted) {
			struct vfu_header hdr = {
				.command = VFU_CMD_REGION_WRITE,
				.flags = VFU_FLAGS_NO_REPLY,
			};

			pthread_mutex_lock(&c->lock);
			hdr.msg_id = c->next_id++;
			ret = vfu_send(c->sock, &hdr, req, sizeof(*req) + n,
				       NULL, 0, c->timeout_ms);
			pthread_mutex_unlock(&c->lock);
		} else {
			ret = transact(c, VFU_CMD_REGION_WRITE, req,
				       sizeof(*req) + n, NULL, 0, NULL);
		}
		done += n;
	}
	free(req);
	return ret ? ret : (ssize_t)len;
}

ssize_t uvfio_client_region_write(struct uvfio_client *c, uint32_t index,
				  uint64_t offset, const void *buf, size_t len)
{
	return region_write(c, index, offset, buf, len, false);
}

int uvfio_client_region_write_posted(struct uvfio_client *c, uint32_t index,
				     uint64_t offset, const void *buf,
				     size_t len)
{
	ssize_t ret = region_write(c, index, offset, buf, len, true);

	return ret < 0 ? (int)ret : 0;
}

int uvfio_client_region_mmap(struct uvfio_client *c, uint32_t index,
			     uint64_t offset, uint64_t size, int prot,
			     void **addr)
{
	struct client_region r;
	bool known;
	void *p;
	int ret = 0;

	if (index >= MAX_REGIONS || !size)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	known = c->region[index].fd >= 0;
	pthread_mutex_unlock(&c->lock);
	if (!known) {
		struct uvfio_region_info *info;

		ret = uvfio_client_region_info(c, index, &info);
		if (ret)
			return ret;
		free(info);
	}
	/* Under the lock: a concurrent region_info may replace the fd. */
	pthread_mutex_lock(&c->lock);
	r = c->region[index];
	if (r.fd < 0)
		ret = -EINVAL; /* not mappable */
	else if (offset > r.size || size > r.size - offset ||
		 offset > (uint64_t)INT64_MAX ||
		 r.offset > (uint64_t)INT64_MAX - offset)
		ret = -EINVAL;
	if (!ret) {
		p = mmap(NULL, size, prot, MAP_SHARED, r.fd,
			 (off_t)(r.offset + offset));
		if (p == MAP_FAILED)
			ret = -errno;
		else
			*addr = p;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int uvfio_client_dma_map(struct uvfio_client *c, uint64_t iova, uint64_t size,
			 uint32_t prot, int fd, uint64_t fd_offset, void *vaddr)
{
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

static void forget_maps(struct uvfio_client *c, bool all, uint64_t iova,
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

int uvfio_client_dma_unmap(struct uvfio_client *c, uint64_t iova, uint64_t size)
{
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

int uvfio_client_dma_unmap_all(struct uvfio_client *c)
{
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

int uvfio_client_buffer_alloc(size_t size, struct uvfio_client_buffer *buf)
{
	int ret;

	/* Sealed at its size: servers refuse memory that could shrink
	 * under them. */
	buf->fd = memfd_create("uvfio-guest-memory",
			       MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (buf->fd < 0)
		return -errno;
	if (ftruncate(buf->fd, (off_t)size) ||
	    fcntl(buf->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)) {
		ret = -errno;
		goto fail;
	}
	buf->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 buf->fd, 0);
	if (buf->addr == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	buf->size = size;
	return 0;
fail:
	close(buf->fd);
	buf->fd = -1;
	buf->addr = NULL;
	return ret;
}

void uvfio_client_buffer_free(struct uvfio_client_buffer *buf)
{
	if (buf->addr)
		munmap(buf->addr, buf->size);
	if (buf->fd >= 0)
		close(buf->fd);
	buf->addr = NULL;
	buf->fd = -1;
}
