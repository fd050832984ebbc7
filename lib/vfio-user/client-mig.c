// SPDX-License-Identifier: MIT
/*
 * The client's migration calls: MIG_DEVICE_STATE and friends through
 * DEVICE_FEATURE, the data through MIG_DATA_READ / MIG_DATA_WRITE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client-internal.h"

/*
 * A feature request: the 8-byte header, then @len bytes of payload (kept
 * as bytes: the header struct ends in a flexible array).
 */
static int feature(struct uvfio_client *c, uint32_t flags, void *payload,
		   size_t len)
{
	uint8_t buf[sizeof(struct uvfio_device_feature) + 16];
	struct uvfio_device_feature hdr = {
		.argsz = (uint32_t)(sizeof(hdr) + len),
		.flags = flags,
	};
	int ret;

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	ret = uvfio_client_feature(c, (struct uvfio_device_feature *)buf);
	if (!ret)
		memcpy(payload, buf + sizeof(hdr), len);
	return ret;
}

static int get_u64(struct uvfio_client *c, uint32_t feat, uint64_t *out)
{
	return feature(c, feat | UVFIO_DEVICE_FEATURE_GET, out, sizeof(*out));
}

int uvfio_client_mig_flags(struct uvfio_client *c, uint64_t *flags)
{
	return get_u64(c, UVFIO_DEVICE_FEATURE_MIGRATION, flags);
}

int uvfio_client_mig_data_size(struct uvfio_client *c, uint64_t *bytes)
{
	return get_u64(c, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE, bytes);
}

int uvfio_client_mig_get_state(struct uvfio_client *c,
			       enum uvfio_device_mig_state *state)
{
	struct uvfio_device_feature_mig_state st = { .data_fd = -1 };
	int ret = feature(c,
			  UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
				  UVFIO_DEVICE_FEATURE_GET,
			  &st, sizeof(st));

	if (!ret)
		*state = st.device_state;
	return ret;
}

int uvfio_client_mig_set_state(struct uvfio_client *c,
			       enum uvfio_device_mig_state state)
{
	struct uvfio_device_feature_mig_state st = { .device_state = state,
						     .data_fd = -1 };

	return feature(c,
		       UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
			       UVFIO_DEVICE_FEATURE_SET,
		       &st, sizeof(st));
}

ssize_t uvfio_client_mig_read(struct uvfio_client *c, void *buf, size_t len)
{
	size_t max = c->caps.max_data_xfer_size;
	struct vfu_mig_data req = { .argsz = sizeof(req) };
	struct vfu_mig_data *rep;
	struct reply out;
	int ret;

	if (len > max)
		len = max;
	req.size = (uint32_t)len;
	rep = malloc(sizeof(*rep) + len);
	if (!rep)
		return -ENOMEM;
	out = (struct reply){ .buf = rep, .max = sizeof(*rep) + len };
	ret = transact(c, VFU_CMD_MIG_DATA_READ, &req, sizeof(req), NULL, 0,
		       &out);
	if (!ret && (out.len < sizeof(*rep) || rep->size > len ||
		     out.len != sizeof(*rep) + rep->size))
		ret = -EPROTO;
	if (!ret)
		memcpy(buf, rep->data, rep->size);
	len = ret ? 0 : rep->size;
	free(rep);
	return ret ? ret : (ssize_t)len;
}

ssize_t uvfio_client_mig_write(struct uvfio_client *c, const void *buf,
			       size_t len)
{
	size_t max = c->caps.max_data_xfer_size, done = 0;
	struct vfu_mig_data *req;
	int ret = 0;

	req = malloc(sizeof(*req) + (len < max ? len : max));
	if (!req)
		return -ENOMEM;
	while (done < len && !ret) {
		size_t n = len - done < max ? len - done : max;

		req->argsz = (uint32_t)sizeof(*req);
		req->size = (uint32_t)n;
		memcpy(req->data, (const uint8_t *)buf + done, n);
		ret = transact(c, VFU_CMD_MIG_DATA_WRITE, req, sizeof(*req) + n,
			       NULL, 0, NULL);
		done += n;
	}
	free(req);
	return ret ? ret : (ssize_t)len;
}
