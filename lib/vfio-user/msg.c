// SPDX-License-Identifier: MIT
/*
 * vfio-user message transport over UNIX stream sockets.
 *
 * Receiving parses messages out of a read-ahead buffer, or reads exactly
 * the header and then the payload it announces; msg.h says how descriptors
 * find their message either way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define CMSG_BUF_SIZE CMSG_SPACE(VFU_MAX_FDS * sizeof(int))

int64_t vfu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vfu_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : vfu_now_ms() + timeout_ms;
}

int vfu_wait_fd(int sock, short events, int64_t deadline)
{
	struct pollfd p = { .fd = sock, .events = events };
	int ret;

	for (;;) {
		int timeout = -1;

		if (deadline >= 0) {
			int64_t left = deadline - vfu_now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			timeout = left > 60000 ? 60000 : (int)left;
		}
		ret = poll(&p, 1, timeout);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

ssize_t vfu_send_nb(int sock, struct iovec *iov, unsigned int iovcnt,
		    const int *fds, unsigned int nr_fds)
{
	union {
		char buf[CMSG_BUF_SIZE];
		struct cmsghdr align;
	} control;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = iovcnt };
	ssize_t n;

	if (nr_fds > VFU_MAX_FDS)
		return -EINVAL;
	if (nr_fds) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(nr_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nr_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nr_fds * sizeof(int));
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

void vfu_iov_advance(struct iovec **iov, unsigned int *iovcnt, size_t n)
{
	while (n > 0 && *iovcnt) {
		size_t step = n < (*iov)->iov_len ? n : (*iov)->iov_len;

		(*iov)->iov_base = (char *)(*iov)->iov_base + step;
		(*iov)->iov_len -= step;
		n -= step;
		if (!(*iov)->iov_len) {
			(*iov)++;
			(*iovcnt)--;
		}
	}
	/* Skip empty tails, so that an exhausted vector has no entries. */
	while (*iovcnt && !(*iov)->iov_len) {
		(*iov)++;
		(*iovcnt)--;
	}
}

int vfu_send_until(int sock, struct vfu_header *hdr, const void *payload,
		   size_t len, const int *fds, unsigned int nr_fds,
		   int64_t deadline, size_t *sent)
{
	struct iovec piece = { .iov_base = (void *)payload, .iov_len = len };

	return vfu_sendv_until(sock, hdr, &piece, 1, fds, nr_fds, deadline,
			       sent);
}

int vfu_sendv_until(int sock, struct vfu_header *hdr,
		    const struct iovec *payload, unsigned int nr_pieces,
		    const int *fds, unsigned int nr_fds, int64_t deadline,
		    size_t *sent)
{
	struct iovec vec[1 + VFU_SEND_PIECES_MAX];
	struct iovec *iov = vec;
	unsigned int iovcnt = 1;
	size_t total = sizeof(*hdr), done = 0;
	int ret = 0;

	if (sent)
		*sent = 0;
	if (nr_pieces > VFU_SEND_PIECES_MAX)
		return -EINVAL;
	vec[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof(*hdr) };
	for (unsigned int i = 0; i < nr_pieces; i++) {
		if (payload[i].iov_len)
			vec[iovcnt++] = payload[i];
		total += payload[i].iov_len;
	}
	if (nr_fds > VFU_MAX_FDS || total > UINT32_MAX)
		return -EINVAL;
	hdr->msg_size = (uint32_t)total;
	while (done < total) {
		/* The descriptors go with the first bytes. */
		ssize_t n = vfu_send_nb(sock, iov, iovcnt, done ? NULL : fds,
					done ? 0 : nr_fds);

		if (n < 0) {
			ret = (int)n;
			break;
		}
		if (n == 0) {
			ret = vfu_wait_fd(sock, POLLOUT, deadline);
			if (ret)
				break;
			continue;
		}
		done += (size_t)n;
		vfu_iov_advance(&iov, &iovcnt, (size_t)n);
	}
	if (sent)
		*sent = done;
	return ret;
}

int vfu_send(int sock, struct vfu_header *hdr, const void *payload, size_t len,
	     const int *fds, unsigned int nr_fds, int timeout_ms)
{
	return vfu_send_until(sock, hdr, payload, len, fds, nr_fds,
			      vfu_deadline(timeout_ms), NULL);
}

void vfu_rx_init(struct vfu_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void vfu_rx_reset(struct vfu_rx *rx)
{
	for (unsigned int i = 0; i < rx->nr_fds; i++)
		if (rx->fds[i] >= 0)
			close(rx->fds[i]);
	rx->nr_fds = 0;
	rx->fds_truncated = false;
	rx->hdr_got = 0;
	rx->payload_len = 0;
	rx->payload_got = 0;
	rx->discard = false;
}

void vfu_rx_release(struct vfu_rx *rx)
{
	vfu_rx_reset(rx);
	free(rx->payload);
	rx->payload = NULL;
	rx->payload_cap = 0;
}

int vfu_rx_take_fd(struct vfu_rx *rx, unsigned int i)
{
	int fd;

	if (i >= rx->nr_fds)
		return -1;
	fd = rx->fds[i];
	rx->fds[i] = -1;
	return fd;
}

void vfu_reader_init(struct vfu_reader *r, int sock, size_t ahead)
{
	memset(r, 0, sizeof(*r));
	r->sock = sock;
	r->ahead = ahead;
}

void vfu_reader_release(struct vfu_reader *r)
{
	for (unsigned int i = 0; i < r->nr_fds; i++)
		close(r->fds[i]);
	r->nr_fds = 0;
	free(r->buf);
	vfu_reader_init(r, r->sock, r->ahead);
}

/* Append descriptors to a set of VFU_MAX_FDS; those beyond are closed. */
static void add_fds(int *set, unsigned int *nr, bool *truncated, const int *fds,
		    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, &fds[i], sizeof(fd));
		if (*nr < VFU_MAX_FDS) {
			set[(*nr)++] = fd;
		} else {
			close(fd);
			*truncated = true;
		}
	}
}

static void collect_fds(struct msghdr *mh, int *set, unsigned int *nr,
			bool *truncated)
{
	if (mh->msg_flags & MSG_CTRUNC)
		*truncated = true;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		add_fds(set, nr, truncated, (int *)(void *)CMSG_DATA(c),
			(c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	}
}

/*
 * One recvmsg of at most @len bytes into @buf, descriptors appended to
 * @set: the bytes read, 0 on EAGAIN, -ECONNRESET at end of stream.
 */
static ssize_t sock_read(int sock, void *buf, size_t len, int *set,
			 unsigned int *nr, bool *truncated)
{
	union {
		char buf[CMSG_BUF_SIZE];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	do {
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (mh.msg_controllen)
		collect_fds(&mh, set, nr, truncated);
	if (n == 0)
		return -ECONNRESET;
	return n;
}

/* The reader's held descriptors go to @rx. */
static void give_fds(struct vfu_reader *r, struct vfu_rx *rx)
{
	add_fds(rx->fds, &rx->nr_fds, &rx->fds_truncated, r->fds, r->nr_fds);
	rx->fds_truncated |= r->fds_truncated;
	r->nr_fds = 0;
	r->fds_truncated = false;
}

/*
 * Read exactly into @rx's message (@len bytes at @dst): nothing of the next
 * message is taken, so descriptors that come are the message's.
 */
static ssize_t read_exact(struct vfu_reader *r, struct vfu_rx *rx, void *dst,
			  size_t len)
{
	ssize_t n;

	give_fds(r, rx);
	n = sock_read(r->sock, dst, len, rx->fds, &rx->nr_fds,
		      &rx->fds_truncated);
	r->drained = n < (ssize_t)len;
	if (n > 0)
		r->pos += (uint64_t)n;
	return n;
}

/*
 * Refill the empty read-ahead buffer.  Descriptors still held came with
 * the previous read for the last message starting in it, and every byte of
 * that read is consumed: that message is @rx's.
 */
static ssize_t fill(struct vfu_reader *r, struct vfu_rx *rx)
{
	ssize_t n;

	give_fds(r, rx);
	if (!r->buf) {
		r->buf = malloc(r->ahead);
		if (!r->buf)
			return -ENOMEM;
	}
	r->head = r->tail = 0;
	n = sock_read(r->sock, r->buf, r->ahead, r->fds, &r->nr_fds,
		      &r->fds_truncated);
	r->drained = n < (ssize_t)r->ahead;
	if (n > 0)
		r->tail = (size_t)n;
	r->fds_end = r->pos + r->tail;
	return n;
}

/* Up to @len buffered bytes to @dst (NULL: dropped); how many. */
static size_t take(struct vfu_reader *r, void *dst, size_t len)
{
	size_t n = r->tail - r->head < len ? r->tail - r->head : len;

	if (dst)
		memcpy(dst, r->buf + r->head, n);
	r->head += n;
	r->pos += n;
	return n;
}

static int rx_prepare_payload(struct vfu_rx *rx, size_t max_payload)
{
	if (rx->hdr.msg_size < sizeof(rx->hdr))
		return -EBADMSG;
	rx->payload_len = rx->hdr.msg_size - sizeof(rx->hdr);
	if (rx->payload_len > max_payload) {
		rx->discard = true;
		return 0;
	}
	if (rx->payload_len > rx->payload_cap) {
		uint8_t *p = realloc(rx->payload, rx->payload_len);

		if (!p)
			return -ENOMEM;
		rx->payload = p;
		rx->payload_cap = rx->payload_len;
	}
	return 0;
}

/*
 * The bytes @rx's message still needs: from the buffer, else by a read.
 * Exact reads serve a reader without read-ahead and the rest of a large
 * payload (copying it through the buffer would only add a copy).
 */
static ssize_t next_bytes(struct vfu_reader *r, struct vfu_rx *rx, void *dst,
			  size_t len)
{
	ssize_t n;

	if (r->head == r->tail) {
		/* The last read came short: wait to be told of more. */
		if (r->drained)
			return 0;
		if (!r->ahead || (dst && len >= r->ahead / 2))
			return read_exact(r, rx, dst, len);
		n = fill(r, rx);
		if (n <= 0)
			return n;
	}
	return (ssize_t)take(r, dst, len);
}

int vfu_read_step(struct vfu_reader *r, struct vfu_rx *rx, size_t max_payload)
{
	uint8_t sink[4096];
	ssize_t n;
	int ret;

	while (rx->hdr_got < sizeof(rx->hdr)) {
		n = next_bytes(r, rx, (uint8_t *)&rx->hdr + rx->hdr_got,
			       sizeof(rx->hdr) - rx->hdr_got);
		if (n <= 0)
			return (int)n;
		if (!rx->hdr_got)
			rx->start = r->pos - (uint64_t)n;
		rx->hdr_got += (size_t)n;
		if (rx->hdr_got == sizeof(rx->hdr)) {
			ret = rx_prepare_payload(rx, max_payload);
			if (ret)
				return ret;
		}
	}
	while (rx->payload_got < rx->payload_len) {
		size_t want = rx->payload_len - rx->payload_got;

		if (!rx->discard)
			n = next_bytes(r, rx, rx->payload + rx->payload_got,
				       want);
		else if (r->ahead)
			n = next_bytes(r, rx, NULL, want);
		else
			n = next_bytes(r, rx, sink,
				       want < sizeof(sink) ? want :
							     sizeof(sink));
		if (n <= 0)
			return (int)n;
		rx->payload_got += (size_t)n;
	}
	/*
	 * Descriptors held from a read that ended within this message came
	 * for it: it is the last message starting in that read, or (from a
	 * sender that attached them mid-message) no message starts there.
	 */
	if (r->nr_fds && r->fds_end <= rx->start + rx->hdr.msg_size)
		give_fds(r, rx);
	return 1;
}

int vfu_read_wait_until(struct vfu_reader *r, struct vfu_rx *rx,
			size_t max_payload, int64_t deadline)
{
	for (;;) {
		/* After a short read, this reads nothing: wait, then read. */
		int ret = vfu_read_step(r, rx, max_payload);

		if (ret)
			return ret;
		ret = vfu_wait_fd(r->sock, POLLIN, deadline);
		if (ret)
			return ret;
		vfu_reader_rearm(r);
	}
}

int vfu_rx_step(int sock, struct vfu_rx *rx, size_t max_payload)
{
	struct vfu_reader exact;

	vfu_reader_init(&exact, sock, 0);
	return vfu_read_step(&exact, rx, max_payload);
}

int vfu_rx_wait(int sock, struct vfu_rx *rx, size_t max_payload, int timeout_ms)
{
	return vfu_rx_wait_until(sock, rx, max_payload,
				 vfu_deadline(timeout_ms));
}

int vfu_rx_wait_until(int sock, struct vfu_rx *rx, size_t max_payload,
		      int64_t deadline)
{
	struct vfu_reader exact;

	vfu_reader_init(&exact, sock, 0);
	return vfu_read_wait_until(&exact, rx, max_payload, deadline);
}
