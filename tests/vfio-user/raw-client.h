/* SPDX-License-Identifier: MIT */
/*
 * A hand-made vfio-user client for transport tests: raw messages on a
 * socket, so that a test can misbehave exactly as it means to.  Include
 * after test-util.h (the helpers assert with cmocka), with _GNU_SOURCE
 * defined (memfd_create).
 */
#ifndef UVFIO_TESTS_RAW_CLIENT_H
#define UVFIO_TESTS_RAW_CLIENT_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testdev.h"
#include "vfio-user/msg.h"

#define RAW_TIMEOUT_MS 5000
#define RAW_CAPS \
	"{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576}}"
#define RAW_TWIN_CAPS                                                   \
	"{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":" \
	"1048576,\"twin_socket\":{\"supported\":true}}}"

static inline double raw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static inline int raw_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(addr.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)),
			 0);
	return fd;
}

static inline void raw_send(int sock, uint16_t id, uint16_t cmd, uint32_t flags,
			    const void *payload, size_t len, const int *fds,
			    unsigned int nr_fds)
{
	struct vfu_header hdr = { .msg_id = id,
				  .command = cmd,
				  .flags = flags };

	assert_int_equal(vfu_send(sock, &hdr, payload, len, fds, nr_fds,
				  RAW_TIMEOUT_MS),
			 0);
}

/* The next message: 1, or -errno (-ETIMEDOUT, -ECONNRESET at EOF). */
static inline int raw_recv(int sock, struct vfu_rx *rx, int timeout_ms)
{
	vfu_rx_reset(rx);
	return vfu_rx_wait(sock, rx, 80 << 20, timeout_ms);
}

/* Send a command, wait for the reply with its id: its errno, or 0. */
static inline int raw_call(int sock, uint16_t id, uint16_t cmd,
			   const void *payload, size_t len, const int *fds,
			   unsigned int nr_fds, struct vfu_rx *rx)
{
	raw_send(sock, id, cmd, 0, payload, len, fds, nr_fds);
	for (;;) {
		assert_int_equal(raw_recv(sock, rx, RAW_TIMEOUT_MS), 1);
		if (rx->hdr.msg_id == id && rx->hdr.command == cmd)
			break;
	}
	assert_int_equal(rx->hdr.flags & VFU_FLAGS_TYPE_MASK,
			 VFU_FLAGS_TYPE_REPLY);
	return rx->hdr.flags & VFU_FLAGS_ERROR ? (int)rx->hdr.error_no : 0;
}

/* VERSION with @json: the reply's errno; *@twin gets a granted twin fd. */
static inline int raw_negotiate(int sock, const char *json, int *twin)
{
	size_t len = sizeof(struct vfu_version) + strlen(json) + 1;
	struct vfu_version *v = calloc(1, len);
	struct vfu_rx rx;
	int err;

	vfu_rx_init(&rx);
	strcpy(v->caps, json);
	err = raw_call(sock, 1, VFU_CMD_VERSION, v, len, NULL, 0, &rx);
	if (twin)
		*twin = rx.nr_fds ? vfu_rx_take_fd(&rx, 0) : -1;
	free(v);
	vfu_rx_release(&rx);
	return err;
}

struct raw_reg_write {
	struct vfu_region_access a;
	uint64_t v;
};

/* Write testdev register @off; @flags VFU_FLAGS_NO_REPLY posts it. */
static inline void raw_post_reg(int sock, uint16_t id, uint64_t off, uint64_t v,
				uint32_t flags)
{
	struct raw_reg_write wr = {
		{ .offset = off, .region = TESTDEV_REGS, .count = 8 }, v
	};

	raw_send(sock, id, VFU_CMD_REGION_WRITE, flags, &wr, sizeof(wr), NULL,
		 0);
}

static inline int raw_write_reg(int sock, uint16_t id, uint64_t off, uint64_t v)
{
	struct raw_reg_write wr = {
		{ .offset = off, .region = TESTDEV_REGS, .count = 8 }, v
	};
	struct vfu_rx rx;
	int err;

	vfu_rx_init(&rx);
	err = raw_call(sock, id, VFU_CMD_REGION_WRITE, &wr, sizeof(wr), NULL, 0,
		       &rx);
	vfu_rx_release(&rx);
	return err;
}

/* DMA_MAP read-write; @fd < 0 for a message-based window. */
static inline int raw_dma_map(int sock, uint16_t id, uint64_t iova,
			      uint64_t size, int fd, uint64_t offset)
{
	struct vfu_dma_map map = { sizeof(map),
				   VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE,
				   offset, iova, size };
	struct vfu_rx rx;
	int err;

	vfu_rx_init(&rx);
	err = raw_call(sock, id, VFU_CMD_DMA_MAP, &map, sizeof(map),
		       fd >= 0 ? &fd : NULL, fd >= 0, &rx);
	vfu_rx_release(&rx);
	return err;
}

/* The socket has something to read (or EOF) within @timeout_ms. */
static inline bool raw_readable(int sock, int timeout_ms)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/*
 * Read and drop bytes until EOF: true if EOF came within @timeout_ms (the
 * server closed the connection), false if the connection stayed open.
 */
static inline bool raw_wait_eof(int sock, int timeout_ms)
{
	double end = raw_now_ms() + timeout_ms;
	char buf[65536];

	for (;;) {
		double left = end - raw_now_ms();
		ssize_t n;

		if (left <= 0 || !raw_readable(sock, (int)left))
			return false;
		n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
	}
}

/* A memfd of @size bytes with @seals added (0: none, not even sealable). */
static inline int raw_memfd(size_t size, int seals)
{
	int fd = memfd_create("raw-guest",
			      MFD_CLOEXEC | (seals ? MFD_ALLOW_SEALING : 0));

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

#endif /* UVFIO_TESTS_RAW_CLIENT_H */
