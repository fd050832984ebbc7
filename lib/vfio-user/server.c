// SPDX-License-Identifier: MIT
/*
 * vfio-user server: sockets, worker threads and client lifetime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server-internal.h"

#define DEFAULT_THREADS 2
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_SOCKET_MODE 0600
#define EVENTS_PER_WAIT 32

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

static int listen_on(const char *path, unsigned int mode)
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
	    chmod(path, mode) || listen(fd, 8)) {
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

int uvfio_server_add_device(struct uvfio_server *srv, struct uvfio_device *dev,
			    const char *path)
{
	struct vfu_endpoint **grown, *ep;
	int ret;

	if (!dev || !path)
		return -EINVAL;
	grown = realloc(srv->endpoints,
			(srv->nr_endpoints + 1) * sizeof(*srv->endpoints));
	if (!grown)
		return -ENOMEM;
	srv->endpoints = grown;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->srv = srv;
	ep->dev = dev;
	ep->poll.kind = VFU_POLL_LISTEN;
	ep->poll.obj = ep;
	ep->worker = &srv->workers[srv->nr_endpoints % srv->nr_workers];
	ep->path = strdup(path);
	ep->listen_fd = ep->path ? listen_on(path, srv->opts.socket_mode) :
				   -ENOMEM;
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
	return ret;
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

	int ret;

	if (req->flags & VFU_FLAGS_NO_REPLY)
		return 0;
	ret = vfu_send(c->sock, &hdr, payload, len, fds, nr_fds,
		       c->ep->srv->opts.msg_timeout_ms);
	if (ret)
		c->broken = true;
	return ret;
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
	if (c->broken)
		return -EPIPE;
	if (vfu_send(c->sock, &hdr, NULL, 0, NULL, 0,
		     c->ep->srv->opts.msg_timeout_ms))
		c->broken = true;
	return c->broken ? -EPIPE : 0;
}

void vfu_conn_queue(struct vfu_conn *c, struct vfu_rx *msg)
{
	struct vfu_queued *q = malloc(sizeof(*q));

	if (!q) {
		vfu_conn_reply_error(c, &msg->hdr, ENOMEM);
		vfu_rx_release(msg);
		return;
	}
	q->next = NULL;
	q->rx = *msg;
	*c->backlog_tail = q;
	c->backlog_tail = &q->next;
}

struct vfu_conn *vfu_conn_new(struct vfu_endpoint *ep, int sock)
{
	struct vfu_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ep = ep;
	c->sock = sock;
	c->twin = -1;
	pthread_mutex_init(&c->twin_lock, NULL);
	c->poll.kind = VFU_POLL_CONN;
	c->poll.obj = c;
	c->backlog_tail = &c->backlog;
	vfu_rx_init(&c->rx);
	ep->conn = c;
	uvfio_dma_set_msg_handler(uvfio_device_dma(ep->dev), vfu_conn_dma_msg,
				  c);
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

	uvfio_dma_set_msg_handler(dma, NULL, NULL);
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

void vfu_conn_free(struct vfu_conn *c)
{
	struct vfu_endpoint *ep = c->ep;

	close(c->sock);
	if (c->twin >= 0)
		close(c->twin);
	while (c->backlog) {
		struct vfu_queued *q = c->backlog;

		c->backlog = q->next;
		vfu_rx_release(&q->rx);
		free(q);
	}
	vfu_rx_release(&c->rx);
	pthread_mutex_destroy(&c->twin_lock);
	free(c);
	ep->conn = NULL;
	release_device(ep->dev);
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
	int ret;

	while (c->backlog) {
		struct vfu_queued *q = c->backlog;

		c->backlog = q->next;
		if (!c->backlog)
			c->backlog_tail = &c->backlog;
		vfu_handle_message(c, &q->rx);
		vfu_rx_release(&q->rx);
		free(q);
		if (c->broken)
			return -EPIPE;
	}
	ret = vfu_rx_step(c->sock, &c->rx, VFU_SERVER_MAX_PAYLOAD);
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

/* Handle what the client sent: queued messages first, then one new one. */
static void client_readable(struct vfu_conn *c)
{
	if (vfu_conn_process(c) < 0)
		drop_client(c->ep, true);
}

static void *worker_main(void *arg)
{
	struct vfu_worker *w = arg;
	struct epoll_event events[EVENTS_PER_WAIT];

	for (;;) {
		int n = epoll_wait(w->epfd, events, EVENTS_PER_WAIT, -1);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct vfu_poll *p = events[i].data.ptr;

			switch (p->kind) {
			case VFU_POLL_WAKE:
				return NULL;
			case VFU_POLL_LISTEN:
				accept_client(p->obj);
				break;
			case VFU_POLL_CONN:
				client_readable(p->obj);
				/* The connection may be gone: later events
				 * of this batch can only be other fds. */
				break;
			}
		}
	}
	return NULL;
}

int uvfio_server_start(struct uvfio_server *srv)
{
	if (srv->started)
		return -EBUSY;
	for (unsigned int i = 0; i < srv->nr_workers; i++) {
		int ret = pthread_create(&srv->workers[i].thread, NULL,
					 worker_main, &srv->workers[i]);

		if (ret) {
			srv->nr_workers = i;
			uvfio_server_stop(srv);
			return -ret;
		}
	}
	srv->started = true;
	return 0;
}

void uvfio_server_stop(struct uvfio_server *srv)
{
	for (unsigned int i = 0; srv->started && i < srv->nr_workers; i++) {
		eventfd_write(srv->workers[i].wake_fd, 1);
		pthread_join(srv->workers[i].thread, NULL);
	}
	srv->started = false;
	for (unsigned int i = 0; i < srv->nr_endpoints; i++) {
		struct vfu_endpoint *ep = srv->endpoints[i];

		drop_client(ep, false);
		close(ep->listen_fd);
		unlink(ep->path);
		free(ep->path);
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
	free(srv);
}
