/* SPDX-License-Identifier: MIT */
/*
 * Moving vfio-user messages over a UNIX stream socket, with the file
 * descriptors that travel as SCM_RIGHTS.
 */
#ifndef UVFIO_VFIO_USER_MSG_H
#define UVFIO_VFIO_USER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "protocol.h"

/* Most descriptors one message may carry (both directions). */
#define VFU_MAX_FDS 16

/* CLOCK_MONOTONIC in ms, and the deadline @timeout_ms from now (-1 if < 0). */
int64_t vfu_now_ms(void);
int64_t vfu_deadline(int timeout_ms);

/* Wait for poll() @events on @sock until @deadline: 0, or -ETIMEDOUT. */
int vfu_wait_fd(int sock, short events, int64_t deadline);

/*
 * Send one message: header then @len bytes of @payload, with @nr_fds
 * descriptors attached to its first byte.  @hdr->msg_size is set here.
 * Waits at most @timeout_ms for room in the socket (-1: forever).  Returns
 * 0 or a negative errno (-EPIPE when the peer is gone).
 */
int vfu_send(int sock, struct vfu_header *hdr, const void *payload, size_t len,
	     const int *fds, unsigned int nr_fds, int timeout_ms);

/*
 * The same until @deadline (vfu_now_ms() time, -1: none); *@sent (if not
 * NULL) receives how many bytes went out, also on failure: a message cut
 * short leaves the stream unusable.
 */
int vfu_send_until(int sock, struct vfu_header *hdr, const void *payload,
		   size_t len, const int *fds, unsigned int nr_fds,
		   int64_t deadline, size_t *sent);

/* The same with the payload gathered from @nr_pieces (at most 4) pieces. */
#define VFU_SEND_PIECES_MAX 4
int vfu_sendv_until(int sock, struct vfu_header *hdr,
		    const struct iovec *payload, unsigned int nr_pieces,
		    const int *fds, unsigned int nr_fds, int64_t deadline,
		    size_t *sent);

/*
 * One non-blocking sendmsg() of @iov, @nr_fds descriptors attached: the
 * bytes sent (0 if the socket is full), or a negative errno.
 */
ssize_t vfu_send_nb(int sock, struct iovec *iov, unsigned int iovcnt,
		    const int *fds, unsigned int nr_fds);

/* Consume @n bytes from the front of an iovec array. */
void vfu_iov_advance(struct iovec **iov, unsigned int *iovcnt, size_t n);

/*
 * One message as it comes in: header, payload and the descriptors that
 * came with it.
 */
struct vfu_rx {
	struct vfu_header hdr;
	size_t hdr_got;
	uint64_t start; /* stream offset of its first byte */
	uint8_t *payload;
	size_t payload_cap;
	size_t payload_len; /* msg_size - header, once the header is in */
	size_t payload_got;
	bool discard; /* too large: read and drop the payload */
	int fds[VFU_MAX_FDS];
	unsigned int nr_fds;
	bool fds_truncated;
};

void vfu_rx_init(struct vfu_rx *rx);
/* Close descriptors not taken and free the buffer. */
void vfu_rx_release(struct vfu_rx *rx);
/* Forget the finished message (closing its untaken fds) for the next one. */
void vfu_rx_reset(struct vfu_rx *rx);

/*
 * What a connection reads from its socket.  With read-ahead, one recvmsg
 * takes as many messages as fit in the buffer, so that a stream of small
 * messages costs one system call per buffer, not two per message.
 *
 * On a UNIX stream socket, SCM_RIGHTS descriptors come with the read that
 * reaches the first byte of the sendmsg() that carried them, and no read
 * returns bytes past such a sendmsg()'s first buffer.  A read that takes
 * several messages brings descriptors of the last one starting in it: the
 * reader holds them until it knows which message that is.  Peers send each
 * message with one sendmsg() (QEMU and libvfio-user do), which this needs.
 */
#define VFU_READ_AHEAD (32 * 1024)

struct vfu_reader {
	int sock;
	size_t ahead; /* buffer size; 0: read each message exactly */
	uint8_t *buf;
	size_t head, tail; /* unparsed bytes: buf[head..tail) */
	uint64_t pos;	   /* stream offset of buf[head] */
	bool drained;	   /* the last read came short: no read until rearmed */
	int fds[VFU_MAX_FDS];
	unsigned int nr_fds;
	bool fds_truncated;
	uint64_t fds_end; /* stream offset past the read that brought fds */
};

/* A reader of @sock with @ahead bytes of buffer (allocated on first use). */
void vfu_reader_init(struct vfu_reader *r, int sock, size_t ahead);
/* Free the buffer and close held descriptors (the socket stays open). */
void vfu_reader_release(struct vfu_reader *r);

/*
 * Whether nothing is buffered and the last read came short, which means
 * the socket was empty (or the read stopped at a message's descriptors).
 * No read is tried then until vfu_reader_rearm(): poll or epoll said the
 * socket is readable.
 */
static inline bool vfu_reader_drained(const struct vfu_reader *r)
{
	return r->head == r->tail && r->drained;
}

static inline void vfu_reader_rearm(struct vfu_reader *r)
{
	r->drained = false;
}

/* Bytes read but not parsed yet: epoll cannot see them. */
static inline bool vfu_reader_buffered(const struct vfu_reader *r)
{
	return r->head < r->tail;
}

/*
 * Read what is available (the socket is non-blocking).  Returns 1 when a
 * whole message is in @rx, 0 if more bytes are needed, -ECONNRESET at end of
 * stream, -EBADMSG if the header's size is below the header itself (the
 * stream cannot be framed any more), or another negative errno.  A message
 * larger than @max_payload is read and dropped: it completes with
 * @rx->discard set and no payload.
 */
int vfu_read_step(struct vfu_reader *r, struct vfu_rx *rx, size_t max_payload);

/*
 * Blocking variant: wait until @deadline (vfu_now_ms() time, -1: none) for
 * a whole message.  Returns 1, or a negative errno (-ETIMEDOUT).
 */
int vfu_read_wait_until(struct vfu_reader *r, struct vfu_rx *rx,
			size_t max_payload, int64_t deadline);

/*
 * The same without read-ahead, for sockets read by one message at a time:
 * nothing past the message is consumed.
 */
int vfu_rx_step(int sock, struct vfu_rx *rx, size_t max_payload);
/* Blocking: wait up to @timeout_ms (-1: forever). */
int vfu_rx_wait(int sock, struct vfu_rx *rx, size_t max_payload,
		int timeout_ms);
/* Blocking: wait until @deadline (vfu_now_ms() time, -1: none). */
int vfu_rx_wait_until(int sock, struct vfu_rx *rx, size_t max_payload,
		      int64_t deadline);

/* Whether part of a message, but not all of it, is in @rx. */
static inline bool vfu_rx_partial(const struct vfu_rx *rx)
{
	return rx->hdr_got > 0;
}

/* Take ownership of received fd @i (it will not be closed by reset). */
int vfu_rx_take_fd(struct vfu_rx *rx, unsigned int i);

#endif /* UVFIO_VFIO_USER_MSG_H */
