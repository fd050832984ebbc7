/* SPDX-License-Identifier: MIT */
/*
 * The vfio-user server's private state, shared by lib/vfio-user/server*.c.
 */
#ifndef UVFIO_VFIO_USER_SERVER_INTERNAL_H
#define UVFIO_VFIO_USER_SERVER_INTERNAL_H

#include <pthread.h>

#include <uvfio/dma.h>
#include <uvfio/server.h>

#include "caps.h"
#include "msg.h"

/* What we advertise: we accept this many fds and bytes per transfer. */
#define VFU_SERVER_MAX_MSG_FDS VFU_MAX_FDS
#define VFU_SERVER_MAX_XFER (1u << 20)
/* Room for the largest legitimate message around a full transfer. */
#define VFU_SERVER_MAX_PAYLOAD (VFU_SERVER_MAX_XFER + 4096)

enum vfu_poll_kind { VFU_POLL_WAKE, VFU_POLL_LISTEN, VFU_POLL_CONN };

/* What an epoll event points at. */
struct vfu_poll {
	enum vfu_poll_kind kind;
	void *obj;
};

struct vfu_worker {
	struct uvfio_server *srv;
	pthread_t thread;
	int epfd;
	int wake_fd;
	struct vfu_poll wake_poll;
};

/* A message received while waiting for a DMA reply, handled afterwards. */
struct vfu_queued {
	struct vfu_queued *next;
	struct vfu_rx rx;
};

struct vfu_conn {
	struct vfu_endpoint *ep;
	int sock;
	int twin; /* server end of the twin socket, or -1 */
	pthread_mutex_t twin_lock;
	struct vfu_poll poll;
	struct vfu_rx rx;
	bool negotiated;
	bool broken;	      /* a send failed: the stream is unusable */
	struct vfu_caps peer; /* the client's capabilities */
	bool write_multiple;
	uint16_t next_id; /* ids of our DMA_READ / DMA_WRITE */
	struct vfu_queued *backlog, **backlog_tail;
};

/* A device and its socket. */
struct vfu_endpoint {
	struct uvfio_server *srv;
	struct vfu_worker *worker;
	struct uvfio_device *dev;
	char *path;
	int listen_fd;
	struct vfu_poll poll;
	struct vfu_conn *conn;
};

struct uvfio_server {
	struct uvfio_server_opts opts;
	struct vfu_worker *workers;
	unsigned int nr_workers;
	struct vfu_endpoint **endpoints;
	unsigned int nr_endpoints;
	bool started;
};

/*
 * server.c: a connection on @sock (the endpoint's client from now on), its
 * release (the socket is closed, the device released), and one step of its
 * input: handle queued messages, then read; returns 1 after handling a
 * message, 0 if more bytes are needed, < 0 when the client must go.
 */
struct vfu_conn *vfu_conn_new(struct vfu_endpoint *ep, int sock);
void vfu_conn_free(struct vfu_conn *c);
int vfu_conn_process(struct vfu_conn *c);

/* server-cmd.c: handle one complete message of @c's. */
void vfu_handle_message(struct vfu_conn *c, struct vfu_rx *msg);

/* server-dma.c: message-based DMA through the client. */
int vfu_conn_dma_msg(void *opaque, uint64_t iova, void *buf, size_t len,
		     bool is_write);

/* server.c */
int vfu_conn_reply(struct vfu_conn *c, const struct vfu_header *req,
		   const void *payload, size_t len, const int *fds,
		   unsigned int nr_fds);
int vfu_conn_reply_error(struct vfu_conn *c, const struct vfu_header *req,
			 int err);
void vfu_conn_queue(struct vfu_conn *c, struct vfu_rx *msg);

#endif /* UVFIO_VFIO_USER_SERVER_INTERNAL_H */
