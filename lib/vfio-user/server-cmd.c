// SPDX-License-Identifier: MIT
/*
 * vfio-user server: one handler per command.
 *
 * Every handler checks the payload length exactly (short and long messages
 * are both refused) before it reads a field, then maps the command onto
 * the device core, which applies the kernel's rules.  Errors go back as
 * error replies with a positive errno; the connection carries on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvfio/migration.h>

#include "server-internal.h"

#define MAX_INFO_REPLY 65536
#define MAX_IRQ_VECTORS 2048 /* MSI-X's limit */
#define WHY_LEN 160

/* Copy a fixed-size request struct out of the payload, exactly sized. */
#define TAKE(msg, var)                                              \
	((msg)->payload_len == sizeof(var) ?                        \
		 (memcpy(&(var), (msg)->payload, sizeof(var)), 0) : \
		 -EINVAL)

static struct uvfio_device *dev_of(struct vfu_conn *c)
{
	return c->ep->dev;
}

static int handle_version(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct vfu_version ver;
	struct vfu_caps mine;
	char why[WHY_LEN] = "";
	int twin[2] = { -1, -1 };
	unsigned int nr_fds = 0;
	char *json;
	int ret;

	if (c->negotiated || msg->payload_len < sizeof(ver))
		return -EINVAL;
	memcpy(&ver, msg->payload, sizeof(ver));
	if (ver.major != VFU_MAJOR) {
		uvfio_warn(dev_of(c), "client speaks vfio-user %u.%u, not %u.x",
			   ver.major, ver.minor, VFU_MAJOR);
		return -ENOTSUP;
	}
	ret = vfu_caps_parse((const char *)msg->payload + sizeof(ver),
			     msg->payload_len - sizeof(ver), &c->peer, why,
			     sizeof(why));
	if (ret) {
		uvfio_warn(dev_of(c), "VERSION refused: %s", why);
		return ret;
	}
	/* The device's open: the VF token, if SR-IOV asks for one. */
	ret = uvfio_device_open(dev_of(c),
				c->peer.has_vf_token ? c->peer.vf_token : NULL);
	if (ret)
		return ret;

	/* Our answer holds only what the client proposed, plus our limits;
	 * never the token. */
	mine = c->peer;
	mine.has_vf_token = false;
	mine.max_msg_fds = VFU_SERVER_MAX_MSG_FDS;
	mine.max_data_xfer_size = VFU_SERVER_MAX_XFER;
	if (mine.has_max_dma_maps &&
	    mine.max_dma_maps > UVFIO_DMA_DEFAULT_MAX_MAPS)
		mine.max_dma_maps = UVFIO_DMA_DEFAULT_MAX_MAPS;
	mine.pgsizes = 4096;
	/* The legacy migration capability is parsed but not offered: no
	 * migration data travels yet. */
	mine.migration = false;
	c->write_multiple = mine.has_write_multiple && mine.write_multiple;
	if (mine.twin_socket) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, twin)) {
			ret = -errno;
			goto out;
		}
		mine.twin_fd_index = 0;
		nr_fds = 1;
	}
	json = vfu_caps_format(&mine);
	if (!json) {
		ret = -ENOMEM;
		goto out;
	}
	{
		size_t json_len = strlen(json) + 1;
		size_t len = sizeof(ver) + json_len;
		struct vfu_version *reply = malloc(len);

		if (!reply) {
			ret = -ENOMEM;
			free(json);
			goto out;
		}
		reply->major = VFU_MAJOR;
		reply->minor = ver.minor < VFU_MINOR ? ver.minor : VFU_MINOR;
		memcpy(reply->caps, json, json_len);
		ret = vfu_conn_reply(c, &msg->hdr, reply, len, &twin[1],
				     nr_fds);
		free(reply);
		free(json);
	}
	if (!ret) {
		c->negotiated = true;
		/* Device threads look at it without the worker's order. */
		__atomic_store_n(&c->twin, twin[0], __ATOMIC_RELEASE);
		twin[0] = -1;
		uvfio_dma_set_max_maps(uvfio_device_dma(dev_of(c)),
				       mine.max_dma_maps);
		uvfio_info(dev_of(c), "negotiated vfio-user %u.%u%s%s",
			   VFU_MAJOR,
			   ver.minor < VFU_MINOR ? ver.minor : VFU_MINOR,
			   c->write_multiple ? ", write_multiple" : "",
			   c->twin >= 0 ? ", twin socket" : "");
	}
out:
	if (ret)
		uvfio_device_close(dev_of(c)); /* the client does not come */
	if (twin[0] >= 0)
		close(twin[0]);
	if (twin[1] >= 0)
		close(twin[1]);
	return ret;
}

/* Why a DMA_MAP with a file descriptor was refused, when a client can act. */
static void explain_dma_map(struct vfu_conn *c, const struct vfu_dma_map *req,
			    int fd, int err)
{
	unsigned long long iova = req->address, size = req->size;
	struct stat st;

	if (err == -EPERM) {
		uvfio_warn(dev_of(c),
			   "DMA_MAP [0x%llx, +0x%llx) refused: the memory's fd "
			   "is not sealed against shrinking (F_SEAL_SHRINK), "
			   "and a truncate would crash the server; share "
			   "sealed memory (QEMU: memory-backend-memfd with "
			   "seal=on, its default)",
			   iova, size);
	} else if (err == -EINVAL && !fstat(fd, &st) &&
		   (req->offset > (uint64_t)st.st_size ||
		    req->size > (uint64_t)st.st_size - req->offset)) {
		uvfio_warn(dev_of(c),
			   "DMA_MAP [0x%llx, +0x%llx) refused: offset 0x%llx "
			   "+ size is beyond the fd's 0x%llx bytes",
			   iova, size, (unsigned long long)req->offset,
			   (unsigned long long)st.st_size);
	} else if (err == -ENOSPC) {
		uvfio_warn(
			dev_of(c),
			"DMA_MAP [0x%llx, +0x%llx) refused: too many windows",
			iova, size);
	}
}

static int handle_dma_map(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct vfu_dma_map req;
	uint32_t prot;
	int ret;

	if (TAKE(msg, req) || req.argsz < sizeof(req))
		return -EINVAL;
	prot = req.flags;
	if (prot & ~(VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE))
		return -EINVAL;
	if (!msg->nr_fds && req.offset)
		return -EINVAL;
	ret = uvfio_dma_map(uvfio_device_dma(dev_of(c)), req.address, req.size,
			    prot, msg->nr_fds ? msg->fds[0] : -1, req.offset);
	if (ret && msg->nr_fds)
		explain_dma_map(c, &req, msg->fds[0], ret);
	if (ret)
		return ret;
	return vfu_conn_reply(c, &msg->hdr, NULL, 0, NULL, 0);
}

static int handle_dma_unmap(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_dma *dma = uvfio_device_dma(dev_of(c));
	struct vfu_dma_unmap req;
	int ret = 0;

	if (TAKE(msg, req) || req.argsz < sizeof(req))
		return -EINVAL;
	if (req.flags & VFU_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return -ENOTSUP; /* the v1 migration era's bitmap */
	if (req.flags & ~VFU_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	if (req.flags & VFU_DMA_UNMAP_FLAG_ALL) {
		if (req.address || req.size)
			return -EINVAL;
		uvfio_dma_unmap_all(dma);
	} else {
		ret = uvfio_dma_unmap(dma, req.address, req.size);
	}
	if (ret)
		return ret;
	return vfu_conn_reply(c, &msg->hdr, &req, sizeof(req), NULL, 0);
}

static int handle_device_info(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct vfu_device_info req, reply;
	int ret;

	if (TAKE(msg, req) || req.argsz < sizeof(req))
		return -EINVAL;
	ret = uvfio_device_get_info(dev_of(c), &info);
	if (ret)
		return ret;
	reply = (struct vfu_device_info){
		.argsz = sizeof(reply),
		.flags = info.flags &
			 (VFU_DEVICE_FLAGS_RESET | VFU_DEVICE_FLAGS_PCI),
		.num_regions = info.num_regions,
		.num_irqs = info.num_irqs,
	};
	return vfu_conn_reply(c, &msg->hdr, &reply, sizeof(reply), NULL, 0);
}

static int handle_region_info(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_region_info req, *info;
	size_t size, len;
	int fd = -1, ret;

	if (TAKE(msg, req) || req.argsz < sizeof(req))
		return -EINVAL;
	size = req.argsz < MAX_INFO_REPLY ? req.argsz : MAX_INFO_REPLY;
	info = calloc(1, size);
	if (!info)
		return -ENOMEM;
	info->argsz = (uint32_t)size;
	info->index = req.index;
	ret = uvfio_device_get_region_info(dev_of(c), info);
	if (ret)
		goto out;
	/* Each region has its own memfd, mapped from its start. */
	info->offset = 0;
	if (info->flags & UVFIO_REGION_INFO_FLAG_MMAP)
		fd = uvfio_region_memory_fd(dev_of(c), req.index);
	len = info->argsz < size ? info->argsz : size;
	ret = vfu_conn_reply(c, &msg->hdr, info, len, fd >= 0 ? &fd : NULL,
			     fd >= 0);
out:
	free(info);
	return ret;
}

static int handle_region_io_fds(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_region_info rinfo = { .argsz = sizeof(rinfo) };
	struct vfu_region_io_fds req, reply;
	int ret;

	if (TAKE(msg, req) || req.argsz < sizeof(req) || req.flags || req.count)
		return -EINVAL;
	rinfo.index = req.index;
	ret = uvfio_device_get_region_info(dev_of(c), &rinfo);
	if (ret)
		return ret;
	/* No ioeventfds are offered: every access comes as a message. */
	reply = (struct vfu_region_io_fds){ .argsz = sizeof(reply),
					    .index = req.index };
	return vfu_conn_reply(c, &msg->hdr, &reply, sizeof(reply), NULL, 0);
}

static int handle_irq_info(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_irq_info info;
	int ret;

	if (TAKE(msg, info) || info.argsz < sizeof(info))
		return -EINVAL;
	info.argsz = sizeof(info);
	ret = uvfio_device_get_irq_info(dev_of(c), &info);
	if (ret)
		return ret;
	return vfu_conn_reply(c, &msg->hdr, &info, sizeof(info), NULL, 0);
}

/*
 * SET_IRQS: bools travel in the payload, eventfds as SCM_RIGHTS.  QEMU
 * de-assigns with DATA_EVENTFD and no descriptors at all.
 */
static int handle_set_irqs(struct vfu_conn *c, struct vfu_rx *msg)
{
	const size_t hdr_len = sizeof(struct uvfio_irq_set);
	struct uvfio_irq_set req, *set;
	uint32_t data_type;
	size_t data_len = 0;
	int ret;

	if (msg->payload_len < hdr_len)
		return -EINVAL;
	memcpy(&req, msg->payload, hdr_len);
	data_type = req.flags & UVFIO_IRQ_SET_DATA_TYPE_MASK;
	if (req.argsz < hdr_len || req.count > MAX_IRQ_VECTORS)
		return -EINVAL;
	if (data_type == UVFIO_IRQ_SET_DATA_BOOL) {
		if (msg->payload_len != hdr_len + req.count || msg->nr_fds)
			return -EINVAL;
		data_len = req.count;
	} else if (data_type == UVFIO_IRQ_SET_DATA_EVENTFD) {
		if (msg->payload_len != hdr_len ||
		    (msg->nr_fds && msg->nr_fds != req.count))
			return -EINVAL;
		data_len = (size_t)req.count * sizeof(int32_t);
	} else if (msg->payload_len != hdr_len || msg->nr_fds) {
		return -EINVAL;
	}

	set = malloc(hdr_len + data_len);
	if (!set)
		return -ENOMEM;
	*set = req;
	set->argsz = (uint32_t)(hdr_len + data_len);
	if (data_type == UVFIO_IRQ_SET_DATA_BOOL) {
		memcpy(set->data, msg->payload + hdr_len, data_len);
	} else if (data_type == UVFIO_IRQ_SET_DATA_EVENTFD) {
		for (uint32_t i = 0; i < req.count; i++) {
			int32_t fd = msg->nr_fds ? msg->fds[i] : -1;

			memcpy(set->data + i * sizeof(fd), &fd, sizeof(fd));
		}
	}
	/* The core keeps its own duplicates; ours close with the message. */
	ret = uvfio_device_set_irqs(dev_of(c), set);
	free(set);
	if (ret)
		return ret;
	return vfu_conn_reply(c, &msg->hdr, NULL, 0, NULL, 0);
}

static int handle_region_read(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct vfu_region_access req, *reply;
	ssize_t n;
	int ret;

	if (TAKE(msg, req))
		return -EINVAL;
	if (req.count > VFU_SERVER_MAX_XFER)
		return -E2BIG;
	reply = malloc(sizeof(*reply) + req.count);
	if (!reply)
		return -ENOMEM;
	*reply = req;
	n = uvfio_device_region_access(dev_of(c), req.region, req.offset,
				       reply->data, req.count, false);
	if (n < 0) {
		free(reply);
		return (int)n;
	}
	reply->count = (uint32_t)n;
	ret = vfu_conn_reply(c, &msg->hdr, reply, sizeof(*reply) + (size_t)n,
			     NULL, 0);
	free(reply);
	return ret;
}

static int handle_region_write(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct vfu_region_access req;
	ssize_t n;

	if (msg->payload_len < sizeof(req))
		return -EINVAL;
	memcpy(&req, msg->payload, sizeof(req));
	if (req.count > VFU_SERVER_MAX_XFER)
		return -E2BIG;
	if (msg->payload_len != sizeof(req) + req.count)
		return -EINVAL;
	n = uvfio_device_region_access(dev_of(c), req.region, req.offset,
				       msg->payload + sizeof(req), req.count,
				       true);
	if (n < 0)
		return (int)n;
	req.count = (uint32_t)n;
	return vfu_conn_reply(c, &msg->hdr, &req, sizeof(req), NULL, 0);
}

static int handle_write_multi(struct vfu_conn *c, struct vfu_rx *msg)
{
	const size_t entry = sizeof(struct vfu_write_multi_entry);
	struct vfu_write_multi req;

	if (!c->write_multiple || msg->payload_len < sizeof(req))
		return -EINVAL;
	memcpy(&req, msg->payload, sizeof(req));
	if (!req.wr_cnt || req.wr_cnt > VFU_WRITE_MULTI_MAX ||
	    msg->payload_len != sizeof(req) + req.wr_cnt * entry)
		return -EINVAL;
	/* Validate every entry before performing any. */
	for (uint64_t i = 0; i < req.wr_cnt; i++) {
		struct vfu_write_multi_entry e;

		memcpy(&e, msg->payload + sizeof(req) + i * entry, entry);
		if (!e.count || e.count > VFU_WRITE_MULTI_DATA_MAX)
			return -EINVAL;
	}
	for (uint64_t i = 0; i < req.wr_cnt; i++) {
		struct vfu_write_multi_entry e;
		ssize_t n;

		memcpy(&e, msg->payload + sizeof(req) + i * entry, entry);
		n = uvfio_device_region_access(dev_of(c), e.region, e.offset,
					       e.data, e.count, true);
		if (n < 0)
			return (int)n;
	}
	return vfu_conn_reply(c, &msg->hdr, &req, sizeof(req), NULL, 0);
}

static int handle_reset(struct vfu_conn *c, struct vfu_rx *msg)
{
	int ret;

	if (msg->payload_len)
		return -EINVAL;
	ret = uvfio_device_reset(dev_of(c));
	if (ret)
		return ret;
	return vfu_conn_reply(c, &msg->hdr, NULL, 0, NULL, 0);
}

/*
 * DEVICE_FEATURE: argsz is the largest reply the client takes.  GET fills
 * that much after the request's own data; SET and PROBE echo the request.
 */
static int handle_feature(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_device_feature req, *buf;
	bool get;
	size_t size;
	int ret;

	if (msg->payload_len < sizeof(req))
		return -EINVAL;
	memcpy(&req, msg->payload, sizeof(req));
	if (req.argsz > VFU_SERVER_MAX_XFER)
		return -E2BIG;
	get = (req.flags & UVFIO_DEVICE_FEATURE_GET) &&
	      !(req.flags & UVFIO_DEVICE_FEATURE_PROBE);
	size = get && req.argsz > msg->payload_len ? req.argsz :
						     msg->payload_len;
	buf = calloc(1, size);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, msg->payload, msg->payload_len);
	buf->argsz = (uint32_t)(get ? size : msg->payload_len);
	ret = uvfio_device_feature(dev_of(c), buf);
	if (ret >= 0) {
		buf->argsz = get ? (uint32_t)size : req.argsz;
		ret = vfu_conn_reply(c, &msg->hdr, buf, size, NULL, 0);
	}
	free(buf);
	return ret;
}

/*
 * MIG_DATA_READ / _WRITE: the current data session of the device.  A read
 * returning fewer bytes than asked means no more data now: the end of
 * STOP_COPY's stream, or nothing pending in pre-copy.
 */
static int handle_mig_data(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct uvfio_device *dev = dev_of(c);
	uint64_t session = uvfio_migration_session(dev);
	struct vfu_mig_data req, *reply;
	ssize_t n;
	int ret;

	if (msg->payload_len < sizeof(req))
		return -EINVAL;
	memcpy(&req, msg->payload, sizeof(req));
	if (req.size > VFU_SERVER_MAX_XFER)
		return -E2BIG;
	if (msg->hdr.command == VFU_CMD_MIG_DATA_WRITE) {
		if (msg->payload_len != sizeof(req) + req.size)
			return -EINVAL;
		n = uvfio_migration_write(dev, session,
					  msg->payload + sizeof(req), req.size);
		if (n < 0)
			return (int)n;
		return vfu_conn_reply(c, &msg->hdr, NULL, 0, NULL, 0);
	}
	if (msg->payload_len != sizeof(req))
		return -EINVAL;
	reply = malloc(sizeof(*reply) + req.size);
	if (!reply)
		return -ENOMEM;
	n = uvfio_migration_read(dev, session, reply->data, req.size);
	if (n == -ENOMSG)
		n = 0;
	if (n < 0) {
		free(reply);
		return (int)n;
	}
	reply->argsz = (uint32_t)(sizeof(*reply) + (size_t)n);
	reply->size = (uint32_t)n;
	ret = vfu_conn_reply(c, &msg->hdr, reply, sizeof(*reply) + (size_t)n,
			     NULL, 0);
	free(reply);
	return ret;
}

typedef int (*handler_fn)(struct vfu_conn *c, struct vfu_rx *msg);

static const handler_fn handlers[VFU_CMD_MAX + 1] = {
	[VFU_CMD_VERSION] = handle_version,
	[VFU_CMD_DMA_MAP] = handle_dma_map,
	[VFU_CMD_DMA_UNMAP] = handle_dma_unmap,
	[VFU_CMD_DEVICE_GET_INFO] = handle_device_info,
	[VFU_CMD_DEVICE_GET_REGION_INFO] = handle_region_info,
	[VFU_CMD_DEVICE_GET_REGION_IO_FDS] = handle_region_io_fds,
	[VFU_CMD_DEVICE_GET_IRQ_INFO] = handle_irq_info,
	[VFU_CMD_DEVICE_SET_IRQS] = handle_set_irqs,
	[VFU_CMD_REGION_READ] = handle_region_read,
	[VFU_CMD_REGION_WRITE] = handle_region_write,
	[VFU_CMD_DEVICE_RESET] = handle_reset,
	[VFU_CMD_REGION_WRITE_MULTI] = handle_write_multi,
	[VFU_CMD_DEVICE_FEATURE] = handle_feature,
	[VFU_CMD_MIG_DATA_READ] = handle_mig_data,
	[VFU_CMD_MIG_DATA_WRITE] = handle_mig_data,
};

/* Commands that may carry descriptors, and how many at most. */
static unsigned int max_fds(uint16_t cmd)
{
	switch (cmd) {
	case VFU_CMD_DMA_MAP:
		return 1;
	case VFU_CMD_DEVICE_SET_IRQS:
		return VFU_SERVER_MAX_MSG_FDS;
	default:
		return 0;
	}
}

void vfu_handle_message(struct vfu_conn *c, struct vfu_rx *msg)
{
	const struct vfu_header *hdr = &msg->hdr;
	handler_fn fn;
	int ret;

	if ((hdr->flags & VFU_FLAGS_TYPE_MASK) != VFU_FLAGS_TYPE_COMMAND) {
		/* A reply nobody waits for: nothing to answer. */
		uvfio_dbg(dev_of(c), "unexpected reply id %u to command %u",
			  hdr->msg_id, hdr->command);
		return;
	}
	fn = hdr->command <= VFU_CMD_MAX ? handlers[hdr->command] : NULL;
	if (msg->discard)
		ret = -E2BIG;
	else if (hdr->flags & ~(VFU_FLAGS_TYPE_MASK | VFU_FLAGS_NO_REPLY))
		ret = -EINVAL;
	else if (!fn)
		ret = -EINVAL; /* unknown, or server-to-client only */
	else if (msg->nr_fds > max_fds(hdr->command) || msg->fds_truncated)
		ret = -EINVAL;
	else if (!c->negotiated && hdr->command != VFU_CMD_VERSION)
		ret = -EINVAL;
	else
		ret = fn(c, msg);
	if (ret < 0) {
		uvfio_dbg(dev_of(c),
			  "command %u (id %u, %zu bytes) refused: %s",
			  hdr->command, hdr->msg_id, msg->payload_len,
			  strerror(-ret));
		vfu_conn_reply_error(c, hdr, -ret);
	}
}
