// SPDX-License-Identifier: MIT
/*
 * The client's device calls: the VFIO ioctls as vfio-user requests.
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

/* ---- device calls ---- */

int vu_device_info(struct uvfio_client *pub, struct uvfio_device_info *info)
{
	struct vu_client *c = to_vu(pub);
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
static void region_remember(struct vu_client *c, uint32_t index, int fd,
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

int vu_region_info(struct uvfio_client *pub, uint32_t index,
		   struct uvfio_region_info **info)
{
	struct vu_client *c = to_vu(pub);
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

int vu_irq_info(struct uvfio_client *pub, struct uvfio_irq_info *info)
{
	struct vu_client *c = to_vu(pub);
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

static int set_irqs_chunk(struct vu_client *c, const struct uvfio_irq_set *set,
			  uint32_t start, uint32_t count, const int32_t *fds)
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

int vu_set_irqs(struct uvfio_client *pub, const struct uvfio_irq_set *set)
{
	struct vu_client *c = to_vu(pub);
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

int vu_reset(struct uvfio_client *pub)
{
	struct vu_client *c = to_vu(pub);
	return transact(c, VFU_CMD_DEVICE_RESET, NULL, 0, NULL, 0, NULL);
}

int vu_feature(struct uvfio_client *pub, struct uvfio_device_feature *feature)
{
	struct vu_client *c = to_vu(pub);
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

ssize_t vu_region_read(struct uvfio_client *pub, uint32_t index,
		       uint64_t offset, void *buf, size_t len)
{
	struct vu_client *c = to_vu(pub);
	size_t chunk = c->caps.max_data_xfer_size;
	size_t done;

	for (done = 0; done < len;) {
		size_t n = len - done < chunk ? len - done : chunk;
		struct vfu_region_access req = { .offset = offset + done,
						 .region = index,
						 .count = (uint32_t)n };
		struct vfu_region_access echo;
		/* The data lands in @buf directly, behind the echoed header. */
		struct reply out = { .buf = &echo,
				     .max = sizeof(echo),
				     .data = (uint8_t *)buf + done,
				     .data_max = n };
		int ret = transact(c, VFU_CMD_REGION_READ, &req, sizeof(req),
				   NULL, 0, &out);

		if (!ret && out.len != sizeof(req) + n)
			ret = -EPROTO;
		if (ret)
			return ret;
		done += n;
	}
	return (ssize_t)len;
}

/* Posted: sent from @buf as it is, no reply waited for. */
static int post_write(struct vu_client *c, uint32_t index, uint64_t offset,
		      const void *buf, size_t n)
{
	struct vfu_region_access head = { .offset = offset,
					  .region = index,
					  .count = (uint32_t)n };
	struct iovec pieces[2] = { { &head, sizeof(head) },
				   { (void *)buf, n } };

	return post(c, VFU_CMD_REGION_WRITE, pieces, 2);
}

static ssize_t region_write(struct vu_client *c, uint32_t index,
			    uint64_t offset, const void *buf, size_t len,
			    bool posted)
{
	size_t chunk = c->caps.max_data_xfer_size;
	struct vfu_region_access *req = NULL;
	size_t done;
	int ret = 0;

	if (!posted) {
		req = malloc(sizeof(*req) + (len < chunk ? len : chunk));
		if (!req)
			return -ENOMEM;
	}
	for (done = 0; done < len && !ret;) {
		size_t n = len - done < chunk ? len - done : chunk;

		if (posted) {
			ret = post_write(c, index, offset + done,
					 (const uint8_t *)buf + done, n);
		} else {
			req->offset = offset + done;
			req->region = index;
			req->count = (uint32_t)n;
			memcpy(req->data, (const uint8_t *)buf + done, n);
			ret = transact(c, VFU_CMD_REGION_WRITE, req,
				       sizeof(*req) + n, NULL, 0, NULL);
		}
		done += n;
	}
	free(req);
	return ret ? ret : (ssize_t)len;
}

ssize_t vu_region_write(struct uvfio_client *pub, uint32_t index,
			uint64_t offset, const void *buf, size_t len)
{
	struct vu_client *c = to_vu(pub);
	return region_write(c, index, offset, buf, len, false);
}

int vu_region_write_posted(struct uvfio_client *pub, uint32_t index,
			   uint64_t offset, const void *buf, size_t len)
{
	struct vu_client *c = to_vu(pub);
	ssize_t ret = region_write(c, index, offset, buf, len, true);

	return ret < 0 ? (int)ret : 0;
}

int vu_region_write_multi(struct uvfio_client *pub,
			  const struct uvfio_region_write *writes,
			  unsigned int nr)
{
	const size_t entry = sizeof(struct vfu_write_multi_entry);
	struct vu_client *c = to_vu(pub);
	uint8_t msg[sizeof(struct vfu_write_multi) +
		    VFU_WRITE_MULTI_MAX * sizeof(struct vfu_write_multi_entry)];
	int ret = 0;

	if (!c->caps.write_multiple)
		return -EOPNOTSUPP;
	for (unsigned int done = 0; done < nr && !ret;) {
		uint64_t n = nr - done < VFU_WRITE_MULTI_MAX ?
				     nr - done :
				     VFU_WRITE_MULTI_MAX;
		struct iovec piece = { msg, sizeof(n) + n * entry };

		memcpy(msg, &n, sizeof(n));
		for (uint64_t i = 0; i < n; i++) {
			const struct uvfio_region_write *w = &writes[done + i];
			struct vfu_write_multi_entry e = {
				.offset = w->offset,
				.region = w->index,
				.count = w->len,
			};

			memcpy(e.data, w->data, w->len);
			memcpy(msg + sizeof(n) + i * entry, &e, entry);
		}
		ret = post(c, VFU_CMD_REGION_WRITE_MULTI, &piece, 1);
		done += (unsigned int)n;
	}
	return ret;
}

int vu_region_mmap(struct uvfio_client *pub, uint32_t index, uint64_t offset,
		   uint64_t size, int prot, void **addr)
{
	struct vu_client *c = to_vu(pub);
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

		ret = vu_region_info(&c->pub, index, &info);
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
