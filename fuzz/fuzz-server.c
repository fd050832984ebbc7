// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: an arbitrary byte stream from a client, fed to the
 * vfio-user server's connection logic with a real device behind it (the
 * transport tests' device: registers whose doorbell makes it DMA, a memory
 * region, INTx, MSI, a feature, reset).
 *
 * The whole input is queued on a socketpair before the server reads it, so
 * a stream of several messages is one input; the server's replies are
 * drained as it goes (a reply that does not fit waits in the connection's
 * output queue for the next step).  The DMA timeout is zero: a DMA through
 * the client fails at once instead of waiting for a reply.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testdev.h"
#include "vfio-user/server-internal.h"
#include "fuzz-util.h"

#define MAX_INPUT (64 * 1024)

static struct testdev state;
static struct uvfio_device *dev;
static struct uvfio_server srv;
static struct vfu_worker worker;
static struct vfu_endpoint ep;

static void init(void)
{
	dev = testdev_new("fuzz", &state);
	if (!dev)
		abort();
	uvfio_device_set_log(dev, fuzz_quiet, NULL, UVFIO_LOG_DEBUG);
	srv.opts.msg_timeout_ms = 0;
	/* No event loop: the connection is driven by hand below. */
	worker.epfd = -1;
	worker.wake_fd = -1;
	worker.thread = pthread_self();
	ep.srv = &srv;
	ep.worker = &worker;
	ep.dev = dev;
}

/* Read and drop what the server sent, closing any descriptors. */
static void drain(int sock)
{
	char buf[65536];
	char control[CMSG_SPACE(16 * sizeof(int))];

	for (;;) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control,
				     .msg_controllen = sizeof(control) };
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			int *fds = (int *)(void *)CMSG_DATA(c);
			size_t nr = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < nr; i++)
				close(fds[i]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfu_conn *c;
	int sv[2], ret;

	if (!dev)
		init();
	if (size > MAX_INPUT)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		abort();
	if (size && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	c = vfu_conn_new(&ep, sv[0]);
	if (!c)
		abort();
	do {
		/* All the input is there, readable to its end: as epoll
		 * would tell the server. */
		vfu_reader_rearm(&c->reader);
		ret = vfu_conn_process(c);
		drain(sv[1]);
	} while (ret > 0);
	vfu_conn_free(c);
	drain(sv[1]);
	close(sv[1]);
	return 0;
}
