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
/*
 * Commands received while waiting for a DMA reply, kept for later: beyond
 * any of these bounds the client is flooding us, and goes.
 */
#define VFU_BACKLOG_MAX_MSGS 256
#define VFU_BACKLOG_MAX_BYTES (8u << 20)
#define VFU_BACKLOG_MAX_FDS 256
/* Messages one connection may handle per wakeup before others get a turn. */
#define VFU_MSGS_PER_WAKEUP 64
/*
 * Replies the client has not read yet, beyond which we stop reading its
 * commands (it then holds at most this plus one message's replies).
 */
#define VFU_OUT_BUDGET (1u << 20)

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
	/*
	 * Connections with work epoll cannot see (queued commands): run
	 * after the events of each round, which then does not sleep.
	 */
	struct vfu_conn *ready;
	/*
	 * Endpoints removed during this round (with their connection): events
	 * of the round may still point at them, so they are freed after it.
	 */
	struct vfu_endpoint *removed;
	/* The endpoint whose client is being handled: not removable then. */
	struct vfu_endpoint *handling;
};

/* A reply that did not fit in the socket: sent when the client reads. */
struct vfu_out {
	struct vfu_out *next;
	size_t len, off;      /* bytes in data, and how many went out */
	int fds[VFU_MAX_FDS]; /* our duplicates, until the first byte goes */
	unsigned int nr_fds;
	uint8_t data[];
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
	/* Serializes DMA on the twin; guards next_id and twin_broken then. */
	pthread_mutex_t twin_lock;
	bool twin_broken; /* out of step: no more DMA through it */
	struct vfu_poll poll;
	struct vfu_reader reader; /* of sock, with read-ahead */
	struct vfu_rx rx;
	bool negotiated;
	bool dead;	      /* released: its endpoint was removed */
	bool broken;	      /* out of step or flooding: the client goes */
	struct vfu_caps peer; /* the client's capabilities */
	bool write_multiple;
	uint16_t next_id; /* ids of our DMA_READ / DMA_WRITE */
	struct vfu_queued *backlog, **backlog_tail;
	unsigned int backlog_nr, backlog_fds;
	size_t backlog_bytes;
	struct vfu_conn *ready_next; /* on the worker's ready list */
	bool on_ready;
	struct vfu_out *out, **out_tail; /* in order, ahead of anything new */
	size_t out_bytes;		 /* not sent yet */
	uint32_t poll_events;		 /* what epoll watches for now */
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
	bool removed;			   /* awaiting its free */
	struct vfu_conn *dead_conn;	   /* its client, released */
	struct vfu_endpoint *removed_next; /* on the worker's list */
};

struct uvfio_server {
	struct uvfio_server_opts opts;
	/* Guards the endpoint array: workers add and remove VFs. */
	pthread_mutex_t lock;
	struct vfu_worker *workers;
	unsigned int nr_workers;
	struct vfu_endpoint **endpoints;
	unsigned int nr_endpoints;
	unsigned int next_worker; /* round robin of added devices */
	bool started;
};

/*
 * server.c: a connection on @sock (the endpoint's client from now on), its
 * release (the socket is closed, the device released), and one step of its
 * input: handle the oldest queued message if there is one, else read and
 * handle at most one new message.  Returns 1 after handling a message, 0
 * if nothing is queued and more bytes are needed, < 0 when the client must
 * go.  Call it again while it returns 1.
 */
struct vfu_conn *vfu_conn_new(struct vfu_endpoint *ep, int sock);
void vfu_conn_free(struct vfu_conn *c);
int vfu_conn_process(struct vfu_conn *c);

/* server-cmd.c: handle one complete message of @c's. */
void vfu_handle_message(struct vfu_conn *c, struct vfu_rx *msg);

/* server-dma.c: message-based DMA through the client. */
int vfu_conn_dma_msg(void *opaque, uint64_t iova, void *buf, size_t len,
		     bool is_write);

/*
 * server.c: reply to @req (nothing for a posted command).  Never waits:
 * what does not fit in the socket is queued, and sent as the client reads.
 * Returns 0, or a negative errno when the connection is broken.
 */
int vfu_conn_reply(struct vfu_conn *c, const struct vfu_header *req,
		   const void *payload, size_t len, const int *fds,
		   unsigned int nr_fds);
int vfu_conn_reply_error(struct vfu_conn *c, const struct vfu_header *req,
			 int err);
/*
 * Keep @msg (a command, complete) for after the command in progress; on
 * success it is the queue's, on failure (-ENOBUFS: over the backlog's
 * bounds, -ENOMEM) still the caller's.
 */
int vfu_conn_queue(struct vfu_conn *c, struct vfu_rx *msg);
/*
 * Send what replies are waiting in the output queue, by @deadline, before
 * a message that must follow them.  Returns 0 once the queue is empty.
 */
int vfu_conn_flush(struct vfu_conn *c, int64_t deadline);

#endif /* UVFIO_VFIO_USER_SERVER_INTERNAL_H */
