// SPDX-License-Identifier: MIT
/*
 * The client's migration calls: MIG_DEVICE_STATE and friends through
 * DEVICE_FEATURE, the data through MIG_DATA_READ / MIG_DATA_WRITE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client-internal.h"

static void pump_finish(struct vu_client *c);
static void client_mig_pump_stop_locked(struct vu_client *c, bool force);

int vu_mig_set_state(struct uvfio_client *pub,
		     enum uvfio_device_mig_state state)
{
	struct vu_client *c = to_vu(pub);
	struct uvfio_device_feature_mig_state st = { .device_state = state,
						     .data_fd = -1 };

	/* Data written to a data fd reaches the device before the state
	 * changes, as a write() on the kernel's data_fd would have. */
	pump_finish(c);
	return client_feature(pub,
			      UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
				      UVFIO_DEVICE_FEATURE_SET,
			      &st, sizeof(st));
}

ssize_t vu_mig_read(struct uvfio_client *pub, void *buf, size_t len)
{
	struct vu_client *c = to_vu(pub);
	size_t max = c->caps.max_data_xfer_size;
	struct vfu_mig_data req = { .argsz = sizeof(req) };
	struct vfu_mig_data rep;
	struct reply out;
	int ret;

	if (len > max)
		len = max;
	req.size = (uint32_t)len;
	/* The data lands in @buf directly, behind the reply's header. */
	out = (struct reply){
		.buf = &rep, .max = sizeof(rep), .data = buf, .data_max = len
	};
	ret = transact(c, VFU_CMD_MIG_DATA_READ, &req, sizeof(req), NULL, 0,
		       &out);
	if (!ret && (out.len < sizeof(rep) || rep.size > len ||
		     out.len != sizeof(rep) + rep.size))
		ret = -EPROTO;
	return ret ? ret : (ssize_t)rep.size;
}

ssize_t vu_mig_write(struct uvfio_client *pub, const void *buf, size_t len)
{
	struct vu_client *c = to_vu(pub);
	size_t max = c->caps.max_data_xfer_size, done = 0;
	int ret = 0;

	while (done < len && !ret) {
		size_t n = len - done < max ? len - done : max;
		struct vfu_mig_data head = { .argsz = sizeof(head),
					     .size = (uint32_t)n };
		/* The data goes from @buf as it is. */
		struct iovec req[2] = {
			{ &head, sizeof(head) },
			{ (uint8_t *)(uintptr_t)buf + done, n },
		};

		ret = transactv(c, VFU_CMD_MIG_DATA_WRITE, req, 2, NULL, 0,
				NULL);
		done += n;
	}
	return ret ? ret : (ssize_t)len;
}

/* ---- the data as a file descriptor ---- */

#define PUMP_CHUNK (1u << 20)

/*
 * Before a state change: a resuming pump forwards what was written until
 * the caller closes its end; a saving pump is stopped (what the caller did
 * not read is dropped, the state change ends the session anyway).
 */
static void pump_finish(struct vu_client *c)
{
	pthread_mutex_lock(&c->pump_lock);
	client_mig_pump_stop_locked(c, false);
	pthread_mutex_unlock(&c->pump_lock);
}

/* Move the session's data between the device and our socket end. */
static void *pump_main(void *arg)
{
	struct vu_client *c = arg;
	/* Fixed from before the thread starts until it is joined. */
	bool saving = c->pump_saving;
	uint8_t *buf = malloc(PUMP_CHUNK);
	bool refused = false;

	while (buf) {
		ssize_t n;

		if (saving) {
			n = vu_mig_read(&c->pub, buf, PUMP_CHUNK);
			if (n <= 0)
				break;
			for (ssize_t off = 0; off < n;) {
				ssize_t w = send(c->pump_fd, buf + off,
						 (size_t)(n - off),
						 MSG_NOSIGNAL);

				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					goto out;
				off += w;
			}
		} else {
			n = recv(c->pump_fd, buf, PUMP_CHUNK, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			/* Once the device refused the data, drop the rest
			 * until the caller closes: a shutdown here would
			 * raise SIGPIPE in a caller still writing, where the
			 * kernel's data_fd just fails the state change. */
			if (!refused &&
			    vu_mig_write(&c->pub, buf, (size_t)n) != n)
				refused = true;
		}
	}
out:
	free(buf);
	/* A reader sees end-of-file. */
	shutdown(c->pump_fd, SHUT_RDWR);
	__atomic_store_n(&c->pump_done, true, __ATOMIC_RELEASE);
	return NULL;
}

void client_mig_pump_stop(struct vu_client *c, bool force)
{
	pthread_mutex_lock(&c->pump_lock);
	client_mig_pump_stop_locked(c, force);
	pthread_mutex_unlock(&c->pump_lock);
}

/* c->pump_lock held: the pump fields change only under it. */
static void client_mig_pump_stop_locked(struct vu_client *c, bool force)
{
	if (!c->pump_started)
		return;
	/* Unless forced, a resuming pump ends at the caller's close. */
	if (force || c->pump_saving)
		shutdown(c->pump_fd, SHUT_RDWR);
	pthread_join(c->pump_thread, NULL);
	close(c->pump_fd);
	c->pump_fd = -1;
	c->pump_started = false;
}

static int data_fd_locked(struct vu_client *c, int *fd)
{
	enum uvfio_device_mig_state state;
	int sv[2], ret;

	if (c->pump_started) {
		if (!__atomic_load_n(&c->pump_done, __ATOMIC_ACQUIRE))
			return -EBUSY;
		client_mig_pump_stop_locked(c, true);
	}
	ret = uvfio_client_mig_get_state(&c->pub, &state);
	if (ret)
		return ret;
	if (state != UVFIO_DEVICE_STATE_STOP_COPY &&
	    state != UVFIO_DEVICE_STATE_RESUMING)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	c->pump_saving = state == UVFIO_DEVICE_STATE_STOP_COPY;
	c->pump_fd = sv[1];
	c->pump_done = false;
	ret = -pthread_create(&c->pump_thread, NULL, pump_main, c);
	if (ret) {
		close(sv[0]);
		close(sv[1]);
		c->pump_fd = -1;
		return ret;
	}
	c->pump_started = true;
	*fd = sv[0];
	return 0;
}

int vu_mig_data_fd(struct uvfio_client *pub, int *fd)
{
	struct vu_client *c = to_vu(pub);
	int ret;

	pthread_mutex_lock(&c->pump_lock);
	ret = data_fd_locked(c, fd);
	pthread_mutex_unlock(&c->pump_lock);
	return ret;
}
