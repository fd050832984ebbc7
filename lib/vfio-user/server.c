// SPDX-License-Identifier: MIT
/*
 * vfio-user server: sockets, worker threads and client lifetime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <uvfio/migration.h>

#include "core/device-internal.h"
#include "server-internal.h"

#define DEFAULT_THREADS 2
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_SOCKET_MODE 0600
#define EVENTS_PER_WAIT 32

/* The worker this thread is, if it is one (NULL elsewhere). */
static __thread struct vfu_worker *this_worker;

struct uvfio_server *uvfio_server_new(const struct uvfio_server_opts *opts)
{
	struct uvfio_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	if (opts)
		srv->opts = *opts;
	if (!srv->opts.threads)
		srv->opts.threads = DEFAULT_THREADS;
	if (srv->opts.msg_timeout_ms <= 0)
		srv->opts.msg_timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!srv->opts.socket_mode)
		srv->opts.socket_mode = DEFAULT_SOCKET_MODE;
	pthread_mutex_init(&srv->lock, NULL);
	srv->workers = calloc(srv->opts.threads, sizeof(*srv->workers));
	if (!srv->workers)
		goto fail;
	for (unsigned int i = 0; i < srv->opts.threads; i++) {
		struct vfu_worker *w = &srv->workers[i];
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &w->wake_poll };

		w->srv = srv;
		w->wake_poll.kind = VFU_POLL_WAKE;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		srv->nr_workers++;
		if (w->epfd < 0 || w->wake_fd < 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev))
			goto fail;
	}
	return srv;
fail:
	uvfio_server_destroy(srv);
	return NULL;
}

static int listen_on(const char *path, const struct uvfio_server_opts *opts)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	/* Replace a stale socket, never anything else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    (opts->socket_chown &&
	     chown(path, opts->socket_uid, opts->socket_gid)) ||
	    chmod(path, opts->socket_mode) || listen(fd, 8)) {
		ret = -errno;
		close(fd);
		unlink(path);
		return ret;
	}
	return fd;
}

static int poll_add(struct vfu_worker *w, int fd, struct vfu_poll *p)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int add_endpoint(struct uvfio_server *srv, struct uvfio_device *dev,
			const char *path);

int uvfio_server_add_device(struct uvfio_server *srv, struct uvfio_device *dev,
			    const char *path)
{
	int ret;

	if (!dev || !path)
		return -EINVAL;
	pthread_mutex_lock(&srv->lock);
	ret = add_endpoint(srv, dev, path);
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

static int add_endpoint(struct uvfio_server *srv, struct uvfio_device *dev,
			const char *path)
{
	struct vfu_endpoint **grown, *ep;
	int ret;

	/* Two endpoints would fight over the device's DMA handler. */
	for (unsigned int i = 0; i < srv->nr_endpoints; i++)
		if (srv->endpoints[i]->dev == dev)
			return -EBUSY;
	grown = realloc(srv->endpoints,
			(srv->nr_endpoints + 1) * sizeof(*srv->endpoints));
	if (!grown)
		return -ENOMEM;
	srv->endpoints = grown;
	/* Served, the device stays: an SR-IOV VF is not disabled under us. */
	ret = uvfio_device_hold(dev);
	if (ret)
		return ret;
	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		uvfio_device_unhold(dev);
		return -ENOMEM;
	}
	ep->srv = srv;
	ep->dev = dev;
	ep->poll.kind = VFU_POLL_LISTEN;
	ep->poll.obj = ep;
	/*
	 * Added by a device callback (a PF enabling its VFs), the device goes
	 * to the same worker, which alone can then remove it.
	 */
	if (this_worker && this_worker->srv == srv)
		ep->worker = this_worker;
	else
		ep->worker =
			&srv->workers[srv->next_worker++ % srv->nr_workers];
	ep->path = strdup(path);
	ep->listen_fd = ep->path ? listen_on(path, &srv->opts) : -ENOMEM;
	if (ep->listen_fd < 0) {
		ret = ep->listen_fd;
		goto fail;
	}
	ret = poll_add(ep->worker, ep->listen_fd, &ep->poll);
	if (ret) {
		close(ep->listen_fd);
		unlink(path);
		goto fail;
	}
	srv->endpoints[srv->nr_endpoints++] = ep;
	uvfio_info(dev, "serving on %s", path);
	return 0;
fail:
	uvfio_err(dev, "cannot serve on %s: %s", path, strerror(-ret));
	free(ep->path);
	free(ep);
	uvfio_device_unhold(dev);
	return ret;
}

/*
 * Output.  Replies go straight into the socket when it has room; what does
 * not fit is queued, in order, and sent when epoll says the client reads
 * again.  A client that reads slowly (or never) thus costs its worker
 * nothing; while its unread replies are over VFU_OUT_BUDGET, its commands
 * are left unread, which bounds what it can make us hold.
 */

static bool out_over_budget(const struct vfu_conn *c)
{
	return c->out_bytes > VFU_OUT_BUDGET;
}

/* Watch for commands unless over budget, and for room while queued. */
static void conn_update_poll(struct vfu_conn *c)
{
	struct epoll_event ev = { .data.ptr = &c->poll };

	ev.events = (out_over_budget(c) ? 0 : EPOLLIN) |
		    (c->out ? EPOLLOUT : 0);
	if (ev.events == c->poll_events)
		return;
	/* Not registered (in the fuzz harness): nothing to change. */
	if (!epoll_ctl(c->ep->worker->epfd, EPOLL_CTL_MOD, c->sock, &ev))
		c->poll_events = ev.events;
}

static void out_free(struct vfu_out *q)
{
	for (unsigned int i = 0; i < q->nr_fds; i++)
		close(q->fds[i]);
	free(q);
}

/* Send what the socket takes now.  0, or a negative errno (broken). */
static int out_flush_nb(struct vfu_conn *c)
{
	while (c->out && !c->broken) {
		struct vfu_out *q = c->out;
		struct iovec iov = { .iov_base = q->data + q->off,
				     .iov_len = q->len - q->off };
		ssize_t n = vfu_send_nb(c->sock, &iov, 1, q->fds, q->nr_fds);

		if (n < 0) {
			c->broken = true;
			return (int)n;
		}
		if (!n)
			return 0;
		/* The descriptors went with the first byte. */
		for (unsigned int i = 0; i < q->nr_fds; i++)
			close(q->fds[i]);
		q->nr_fds = 0;
		q->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (q->off == q->len) {
			c->out = q->next;
			if (!c->out)
				c->out_tail = &c->out;
			free(q);
		}
	}
	return c->broken ? -EPIPE : 0;
}

/* Queue the bytes of a message from @sent on (and its fds if none went). */
static int out_queue(struct vfu_conn *c, const struct iovec *iov,
		     unsigned int iovcnt, size_t total, size_t sent,
		     const int *fds, unsigned int nr_fds)
{
	struct vfu_out *q = malloc(sizeof(*q) + (total - sent));
	size_t at = 0, skip = sent;

	if (!q)
		return -ENOMEM;
	q->next = NULL;
	q->len = total - sent;
	q->off = 0;
	q->nr_fds = 0;
	for (unsigned int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;
		const uint8_t *p = iov[i].iov_base;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		memcpy(q->data + at, p + skip, n - skip);
		at += n - skip;
		skip = 0;
	}
	for (unsigned int i = 0; !sent && i < nr_fds; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			out_free(q);
			return -errno;
		}
		q->fds[q->nr_fds++] = fd;
	}
	*c->out_tail = q;
	c->out_tail = &q->next;
	c->out_bytes += q->len;
	return 0;
}

/* One whole message, after anything queued.  Never waits. */
static int conn_send(struct vfu_conn *c, struct vfu_header *hdr,
		     const void *payload, size_t len, const int *fds,
		     unsigned int nr_fds)
{
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	size_t total = sizeof(*hdr) + len, sent = 0;
	int ret;

	if (c->broken)
		return -EPIPE;
	if (nr_fds > VFU_MAX_FDS || total > UINT32_MAX)
		return -EINVAL;
	hdr->msg_size = (uint32_t)total;
	if (!c->out) {
		struct iovec left[2] = { iov[0], iov[1] };
		ssize_t n =
			vfu_send_nb(c->sock, left, len ? 2 : 1, fds, nr_fds);

		if (n < 0) {
			c->broken = true;
			return (int)n;
		}
		sent = (size_t)n;
		if (sent == total)
			return 0;
	}
	ret = out_queue(c, iov, 2, total, sent, fds, nr_fds);
	if (ret) {
		/* Lost: the client would wait for it forever. */
		c->broken = true;
		return ret;
	}
	conn_update_poll(c);
	return 0;
}

int vfu_conn_flush(struct vfu_conn *c, int64_t deadline)
{
	int ret = 0;

	while (c->out) {
		ret = out_flush_nb(c);
		if (ret || !c->out)
			break;
		ret = vfu_wait_fd(c->sock, POLLOUT, deadline);
		if (ret)
			break;
	}
	conn_update_poll(c);
	return ret ? ret : c->broken ? -EPIPE : 0;
}

int vfu_conn_reply(struct vfu_conn *c, const struct vfu_header *req,
		   const void *payload, size_t len, const int *fds,
		   unsigned int nr_fds)
{
	struct vfu_header hdr = {
		.msg_id = req->msg_id,
		.command = req->command,
		.flags = VFU_FLAGS_TYPE_REPLY,
	};

	if (req->flags & VFU_FLAGS_NO_REPLY)
		return 0;
	return conn_send(c, &hdr, payload, len, fds, nr_fds);
}

int vfu_conn_reply_error(struct vfu_conn *c, const struct vfu_header *req,
			 int err)
{
	struct vfu_header hdr = {
		.msg_id = req->msg_id,
		.command = req->command,
		.flags = VFU_FLAGS_TYPE_REPLY | VFU_FLAGS_ERROR,
		.error_no = (uint32_t)err,
	};

	if (req->flags & VFU_FLAGS_NO_REPLY) {
		uvfio_dbg(c->ep->dev, "posted command %u failed: %s",
			  req->command, strerror(err));
		return 0;
	}
	return conn_send(c, &hdr, NULL, 0, NULL, 0);
}

int vfu_conn_queue(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct vfu_queued *q;

	if (c->backlog_nr >= VFU_BACKLOG_MAX_MSGS ||
	    msg->payload_len > VFU_BACKLOG_MAX_BYTES - c->backlog_bytes ||
	    msg->nr_fds > VFU_BACKLOG_MAX_FDS - c->backlog_fds) {
		uvfio_warn(c->ep->dev,
			   "client sent over %u messages, %u bytes or %u fds "
			   "while a DMA waited for its reply",
			   VFU_BACKLOG_MAX_MSGS, VFU_BACKLOG_MAX_BYTES,
			   VFU_BACKLOG_MAX_FDS);
		return -ENOBUFS;
	}
	q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->next = NULL;
	q->rx = *msg;
	*c->backlog_tail = q;
	c->backlog_tail = &q->next;
	c->backlog_nr++;
	c->backlog_bytes += msg->payload_len;
	c->backlog_fds += msg->nr_fds;
	return 0;
}

/* The oldest queued message, out of the queue; NULL if none. */
static struct vfu_queued *backlog_pop(struct vfu_conn *c)
{
	struct vfu_queued *q = c->backlog;

	if (!q)
		return NULL;
	c->backlog = q->next;
	if (!c->backlog)
		c->backlog_tail = &c->backlog;
	c->backlog_nr--;
	c->backlog_bytes -= q->rx.payload_len;
	c->backlog_fds -= q->rx.nr_fds;
	return q;
}

struct vfu_conn *vfu_conn_new(struct vfu_endpoint *ep, int sock)
{
	struct vfu_conn *c = calloc(1, sizeof(*c));
	struct uvfio_dma *dma = uvfio_device_dma(ep->dev);

	if (!c)
		return NULL;
	c->ep = ep;
	c->sock = sock;
	c->twin = -1;
	pthread_mutex_init(&c->twin_lock, NULL);
	c->poll.kind = VFU_POLL_CONN;
	c->poll.obj = c;
	c->backlog_tail = &c->backlog;
	c->out_tail = &c->out;
	c->poll_events = EPOLLIN; /* as accept_client registers it */
	vfu_caps_default(&c->peer);
	vfu_reader_init(&c->reader, sock, VFU_READ_AHEAD);
	vfu_rx_init(&c->rx);
	ep->conn = c;
	/*
	 * Guest memory the client can truncate under us would make device
	 * accesses SIGBUS the server: only sealed memory is mapped.
	 */
	uvfio_dma_set_require_seals(dma, true);
	uvfio_dma_set_msg_handler(dma, vfu_conn_dma_msg, c);
	return c;
}

static void accept_client(struct vfu_endpoint *ep)
{
	struct vfu_conn *c;
	int sock;

	sock = accept4(ep->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (sock < 0)
		return;
	c = vfu_conn_new(ep, sock);
	if (!c) {
		close(sock);
		return;
	}
	if (poll_add(ep->worker, sock, &c->poll)) {
		vfu_conn_free(c);
		return;
	}
	/* One client at a time: the next one waits in the backlog. */
	epoll_ctl(ep->worker->epfd, EPOLL_CTL_DEL, ep->listen_fd, NULL);
	uvfio_info(ep->dev, "client connected");
}

/*
 * Undo what a client set up: its DMA windows and interrupt eventfds.  The
 * device state stays, as the vfio-user spec asks (a client may come back,
 * and a migration destination must keep what was loaded into it).
 */
static void release_device(struct uvfio_device *dev)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_dma *dma = uvfio_device_dma(dev);

	uvfio_migration_client_gone(dev);
	uvfio_dma_unmap_all(dma);
	if (uvfio_device_get_info(dev, &info))
		return;
	for (uint32_t i = 0; i < info.num_irqs; i++) {
		struct uvfio_irq_set off = {
			.argsz = sizeof(off),
			.flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
				 UVFIO_IRQ_SET_DATA_NONE,
			.index = i,
		};

		if (uvfio_device_irq_enabled(dev, i) > 0)
			uvfio_device_set_irqs(dev, &off);
	}
}

static void ready_add(struct vfu_conn *c)
{
	struct vfu_worker *w = c->ep->worker;

	if (c->on_ready)
		return;
	c->on_ready = true;
	c->ready_next = w->ready;
	w->ready = c;
}

static void ready_remove(struct vfu_conn *c)
{
	if (!c->on_ready)
		return;
	for (struct vfu_conn **p = &c->ep->worker->ready; *p;
	     p = &(*p)->ready_next)
		if (*p == c) {
			*p = c->ready_next;
			break;
		}
	c->on_ready = false;
}

/*
 * Device threads may be in the middle of DMA through this connection (on
 * the twin socket): shutting the sockets down wakes them with an error,
 * and clearing the DMA handler waits until they have left it.  Only then
 * can the connection go.
 */
static void conn_release(struct vfu_conn *c)
{
	struct vfu_endpoint *ep = c->ep;
	struct vfu_queued *q;
	bool negotiated;

	shutdown(c->sock, SHUT_RDWR);
	if (c->twin >= 0)
		shutdown(c->twin, SHUT_RDWR);
	uvfio_dma_set_msg_handler(uvfio_device_dma(ep->dev), NULL, NULL);
	ready_remove(c);
	close(c->sock);
	if (c->twin >= 0)
		close(c->twin);
	while ((q = backlog_pop(c))) {
		vfu_rx_release(&q->rx);
		free(q);
	}
	while (c->out) {
		struct vfu_out *o = c->out;

		c->out = o->next;
		out_free(o);
	}
	vfu_rx_release(&c->rx);
	vfu_reader_release(&c->reader);
	pthread_mutex_destroy(&c->twin_lock);
	negotiated = c->negotiated;
	c->dead = true;
	ep->conn = NULL;
	release_device(ep->dev);
	/* Its open, in VERSION, is over: SR-IOV counts open VFs so. */
	if (negotiated)
		uvfio_device_close(ep->dev);
}

void vfu_conn_free(struct vfu_conn *c)
{
	conn_release(c);
	free(c);
}

static void drop_client(struct vfu_endpoint *ep, bool relisten)
{
	if (!ep->conn)
		return;
	epoll_ctl(ep->worker->epfd, EPOLL_CTL_DEL, ep->conn->sock, NULL);
	vfu_conn_free(ep->conn);
	uvfio_info(ep->dev, "client gone; its DMA and interrupts released");
	if (relisten)
		poll_add(ep->worker, ep->listen_fd, &ep->poll);
}

int vfu_conn_process(struct vfu_conn *c)
{
	struct vfu_queued *q;
	int ret;

	if (out_flush_nb(c))
		return -EPIPE;
	/* The client does not read its replies: it waits for its turn. */
	if (out_over_budget(c))
		return 0;
	q = backlog_pop(c);
	if (q) {
		vfu_handle_message(c, &q->rx);
		vfu_rx_release(&q->rx);
		free(q);
		return c->broken ? -EPIPE : 1;
	}
	ret = vfu_read_step(&c->reader, &c->rx, VFU_SERVER_MAX_PAYLOAD);
	if (ret <= 0) {
		if (ret == -EBADMSG) {
			vfu_conn_reply_error(c, &c->rx.hdr, EINVAL);
			uvfio_warn(
				c->ep->dev,
				"message size %u is below the header; closing",
				c->rx.hdr.msg_size);
		}
		return ret;
	}
	vfu_handle_message(c, &c->rx);
	vfu_rx_reset(&c->rx);
	return c->broken ? -EPIPE : 1;
}

/*
 * Handle what the client sent, queued messages first, a bounded number per
 * wakeup so that other clients of the worker get their turn.  What is left
 * in the socket wakes us again (level-triggered); what is left in the
 * backlog or read ahead, epoll cannot see: the ready list takes care of
 * it.  Over the output budget, nothing is handled until the client reads
 * (EPOLLOUT).
 */
static void client_readable(struct vfu_conn *c)
{
	for (unsigned int i = 0; i < VFU_MSGS_PER_WAKEUP; i++) {
		int ret = vfu_conn_process(c);

		if (ret < 0) {
			drop_client(c->ep, true);
			return;
		}
		if (!ret)
			break;
	}
	if ((c->backlog || vfu_reader_buffered(&c->reader)) &&
	    !out_over_budget(c))
		ready_add(c);
	conn_update_poll(c);
}

static void client_event(struct vfu_conn *c, uint32_t events)
{
	/* After a short read the reader waits for this (level-triggered:
	 * whatever is left in the socket brings us here again). */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		vfu_reader_rearm(&c->reader);
	if ((events & EPOLLOUT) && out_flush_nb(c)) {
		drop_client(c->ep, true);
		return;
	}
	if (out_over_budget(c)) {
		/* Not reading: a client that hung up goes all the same. */
		if (events & (EPOLLHUP | EPOLLERR))
			drop_client(c->ep, true);
		else
			conn_update_poll(c);
		return;
	}
	client_readable(c);
}

/* Connections whose queued commands wait for a turn. */
static void run_ready(struct vfu_worker *w)
{
	struct vfu_conn *list = w->ready;

	/* Each one's processing can only free itself, or requeue itself
	 * on the (now empty) worker list. */
	w->ready = NULL;
	while (list) {
		struct vfu_conn *c = list;

		list = c->ready_next;
		c->on_ready = false;
		if (!c->dead) {
			w->handling = c->ep;
			client_readable(c);
			w->handling = NULL;
		}
	}
}

/* Endpoints removed this round (and their clients): nothing refers to them. */
static void free_removed(struct vfu_worker *w)
{
	while (w->removed) {
		struct vfu_endpoint *ep = w->removed;

		w->removed = ep->removed_next;
		free(ep->dead_conn);
		free(ep);
	}
}

static void *worker_main(void *arg)
{
	struct vfu_worker *w = arg;
	struct epoll_event events[EVENTS_PER_WAIT];

	this_worker = w;
	for (;;) {
		int n = epoll_wait(w->epfd, events, EVENTS_PER_WAIT,
				   w->ready ? 0 : -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct vfu_poll *p = events[i].data.ptr;

			switch (p->kind) {
			case VFU_POLL_WAKE:
				free_removed(w);
				return NULL;
			case VFU_POLL_LISTEN:
				if (!((struct vfu_endpoint *)p->obj)->removed)
					accept_client(p->obj);
				break;
			case VFU_POLL_CONN:
				/* Removed by another device's callback in
				 * this round, or dropped: a client dropped
				 * after an error frees itself, and later
				 * events of the batch are other fds. */
				if (!((struct vfu_conn *)p->obj)->dead) {
					w->handling =
						((struct vfu_conn *)p->obj)->ep;
					client_event(p->obj, events[i].events);
					w->handling = NULL;
				}
				break;
			}
		}
		run_ready(w);
		free_removed(w);
	}
	return NULL;
}

/* Wake worker @i out of its loop, wait for it, and re-arm its wake fd. */
static void worker_stop(struct vfu_worker *w)
{
	eventfd_t v;

	eventfd_write(w->wake_fd, 1);
	pthread_join(w->thread, NULL);
	eventfd_read(w->wake_fd, &v);
}

int uvfio_server_start(struct uvfio_server *srv)
{
	if (srv->started)
		return -EBUSY;
	for (unsigned int i = 0; i < srv->nr_workers; i++) {
		int ret = pthread_create(&srv->workers[i].thread, NULL,
					 worker_main, &srv->workers[i]);

		if (ret) {
			/* Not started: the threads that are go again, the
			 * devices stay added. */
			while (i--)
				worker_stop(&srv->workers[i]);
			return -ret;
		}
	}
	srv->started = true;
	return 0;
}

/* Stop listening; the device is the server's no more. */
static void close_endpoint(struct vfu_endpoint *ep)
{
	close(ep->listen_fd);
	unlink(ep->path);
	uvfio_info(ep->dev, "no longer served on %s", ep->path);
	free(ep->path);
	uvfio_device_unhold(ep->dev);
}

int uvfio_server_remove_device(struct uvfio_server *srv,
			       struct uvfio_device *dev)
{
	/* A worker runs this only inside a device callback. */
	bool on_worker = this_worker && this_worker->srv == srv;
	struct vfu_endpoint *ep = NULL;
	unsigned int i;

	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < srv->nr_endpoints && !ep; i++)
		if (srv->endpoints[i]->dev == dev)
			ep = srv->endpoints[i];
	if (!ep || (on_worker ? ep->worker != this_worker ||
					ep == this_worker->handling :
				srv->started)) {
		pthread_mutex_unlock(&srv->lock);
		return ep ? -EINVAL : -ENOENT;
	}
	srv->endpoints[i - 1] = srv->endpoints[--srv->nr_endpoints];
	pthread_mutex_unlock(&srv->lock);

	epoll_ctl(ep->worker->epfd, EPOLL_CTL_DEL, ep->listen_fd, NULL);
	if (ep->conn) {
		struct vfu_conn *c = ep->conn;

		epoll_ctl(ep->worker->epfd, EPOLL_CTL_DEL, c->sock, NULL);
		conn_release(c);
		ep->dead_conn = c;
		uvfio_info(dev, "client dropped: the device goes");
	}
	close_endpoint(ep);
	if (!on_worker) {
		free(ep->dead_conn);
		free(ep);
		return 0;
	}
	/* Events of this round may still name it: freed after the round. */
	ep->removed = true;
	ep->removed_next = this_worker->removed;
	this_worker->removed = ep;
	return 0;
}

void uvfio_server_stop(struct uvfio_server *srv)
{
	for (unsigned int i = 0; srv->started && i < srv->nr_workers; i++)
		worker_stop(&srv->workers[i]);
	srv->started = false;
	for (unsigned int i = 0; i < srv->nr_endpoints; i++) {
		struct vfu_endpoint *ep = srv->endpoints[i];

		drop_client(ep, false);
		close_endpoint(ep);
		free(ep);
	}
	free(srv->endpoints);
	srv->endpoints = NULL;
	srv->nr_endpoints = 0;
}

void uvfio_server_destroy(struct uvfio_server *srv)
{
	if (!srv)
		return;
	uvfio_server_stop(srv);
	for (unsigned int i = 0; i < srv->nr_workers; i++) {
		if (srv->workers[i].epfd > 0)
			close(srv->workers[i].epfd);
		if (srv->workers[i].wake_fd > 0)
			close(srv->workers[i].wake_fd);
	}
	free(srv->workers);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
