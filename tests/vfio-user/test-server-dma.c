// SPDX-License-Identifier: MIT
/*
 * The server's DMA through its client, against hand-made clients that
 * misbehave: commands pipelined behind a DMA request, a client that never
 * answers but keeps talking, one that floods, replies and requests cut
 * short, transfers larger or smaller than sane, a device thread in the
 * middle of DMA on the twin socket while the client goes away, guest
 * memory the client could truncate, and a client that does not read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "test-util.h"
#include "raw-client.h"

#define MIB (1u << 20)

static int group_setup(void **state)
{
	*state = testdev_pair_new(
		"sdma", getenv("SDMA_DEBUG") ? UVFIO_LOG_DEBUG : UVFIO_LOG_ERR);
	return 0;
}

static int group_teardown(void **state)
{
	testdev_pair_free(*state);
	return 0;
}

/* One worker for both devices, and the DMA reply timeout under test. */
static void server_up(struct testdev_pair *f, int timeout_ms)
{
	struct uvfio_server_opts opts = { .threads = 1,
					  .msg_timeout_ms = timeout_ms };

	f->srv = test_serve(&opts, f->dir, f->dev, f->path, 2);
}

static int server_down(void **state)
{
	struct testdev_pair *f = *state;

	uvfio_server_destroy(f->srv);
	f->srv = NULL;
	return 0;
}

static uint64_t reg(struct testdev_pair *f, int i, unsigned int off)
{
	uint64_t v;

	memcpy(&v, f->state[i].regs + off, sizeof(v));
	return v;
}

/*
 * A negotiated client of device 0 with a message-based window at @iova,
 * and the doorbell aimed at @len bytes of it.
 */
static int dma_client(struct testdev_pair *f, const char *caps, uint64_t iova,
		      uint64_t size, uint64_t len)
{
	int s = raw_connect(f->path[0]);

	assert_int_equal(raw_negotiate(s, caps, NULL), 0);
	assert_int_equal(raw_dma_map(s, 2, iova, size, -1, 0), 0);
	assert_int_equal(raw_write_reg(s, 3, TESTDEV_DMA_IOVA, iova), 0);
	assert_int_equal(raw_write_reg(s, 4, TESTDEV_DMA_LEN, len), 0);
	return s;
}

/* Ring the doorbell (id 900) and receive the DMA request it causes. */
static void ring(int s, uint64_t go, uint16_t want_cmd, struct vfu_rx *rx)
{
	raw_post_reg(s, 900, TESTDEV_DMA_GO, go, 0);
	assert_int_equal(raw_recv(s, rx, RAW_TIMEOUT_MS), 1);
	assert_int_equal(rx->hdr.command, want_cmd);
	assert_int_equal(rx->hdr.flags & VFU_FLAGS_TYPE_MASK,
			 VFU_FLAGS_TYPE_COMMAND);
}

/*
 * Device 0 served with DMA reply timeout @timeout_ms, and a client of it
 * that rang for a read DMA of 16 bytes: @rx holds the request, unanswered.
 */
static int dma_read_asked(struct testdev_pair *f, int timeout_ms,
			  struct vfu_rx *rx)
{
	int s;

	server_up(f, timeout_ms);
	s = dma_client(f, RAW_CAPS, 0x40000, 0x1000, 16);
	vfu_rx_init(rx);
	ring(s, 2, VFU_CMD_DMA_READ, rx);
	return s;
}

/* Answer DMA_READ request @rx with @len bytes of @fill. */
static void answer_read(int s, const struct vfu_rx *rx, uint8_t fill)
{
	struct vfu_dma_rw req;
	uint8_t *reply;

	memcpy(&req, rx->payload, sizeof(req));
	reply = malloc(sizeof(req) + req.count);
	memcpy(reply, &req, sizeof(req));
	memset(reply + sizeof(req), fill, req.count);
	raw_send(s, rx->hdr.msg_id, rx->hdr.command, VFU_FLAGS_TYPE_REPLY,
		 reply, sizeof(req) + req.count, NULL, 0);
	free(reply);
}

/* Send without caring whether the server is still there. */
static void send_quiet(int s, uint16_t id, uint16_t cmd, uint32_t flags,
		       const void *payload, size_t len)
{
	struct vfu_header hdr = { .msg_id = id,
				  .command = cmd,
				  .flags = flags };

	vfu_send(s, &hdr, payload, len, NULL, 0, 1000);
}

static void assert_alive(int s, uint16_t id)
{
	struct vfu_device_info req = { .argsz = sizeof(req) };
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	assert_int_equal(raw_call(s, id, VFU_CMD_DEVICE_GET_INFO, &req,
				  sizeof(req), NULL, 0, &rx),
			 0);
	vfu_rx_release(&rx);
}

/* Device 0 takes a new client after the last one was dropped. */
static void assert_device_serves(struct testdev_pair *f)
{
	int s = raw_connect(f->path[0]);

	assert_int_equal(raw_negotiate(s, RAW_CAPS, NULL), 0);
	assert_alive(s, 7);
	close(s);
}

/*
 * A command sent while the server waits for a DMA reply is handled once
 * the DMA is done, without the client having to send anything else.
 */
static void test_command_queued_during_dma(void **state)
{
	struct testdev_pair *f = *state;
	struct vfu_device_info info = { .argsz = sizeof(info) };
	struct vfu_rx rx;
	int s = dma_read_asked(f, RAW_TIMEOUT_MS, &rx);

	raw_send(s, 901, VFU_CMD_DEVICE_GET_INFO, 0, &info, sizeof(info), NULL,
		 0);
	answer_read(s, &rx, 1);
	assert_int_equal(raw_recv(s, &rx, RAW_TIMEOUT_MS), 1);
	assert_int_equal(rx.hdr.msg_id, 900);
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), 0);
	assert_int_equal(reg(f, 0, TESTDEV_DMA_SUM), 16);
	/* The queued GET_INFO is answered on its own. */
	assert_int_equal(raw_recv(s, &rx, 2000), 1);
	assert_int_equal(rx.hdr.msg_id, 901);
	assert_false(rx.hdr.flags & VFU_FLAGS_ERROR);
	vfu_rx_release(&rx);
	close(s);
}

/* More queued commands than one wakeup handles: all of them, in order. */
static void test_many_commands_queued_during_dma(void **state)
{
	struct testdev_pair *f = *state;
	struct vfu_device_info info = { .argsz = sizeof(info) };
	struct vfu_rx rx;
	int s = dma_read_asked(f, RAW_TIMEOUT_MS, &rx);

	for (uint16_t i = 0; i < 200; i++)
		raw_post_reg(s, 1000 + i, 0x200, i, VFU_FLAGS_NO_REPLY);
	raw_send(s, 901, VFU_CMD_DEVICE_GET_INFO, 0, &info, sizeof(info), NULL,
		 0);
	answer_read(s, &rx, 1);
	assert_int_equal(raw_recv(s, &rx, RAW_TIMEOUT_MS), 1);
	assert_int_equal(rx.hdr.msg_id, 900);
	assert_int_equal(raw_recv(s, &rx, 2000), 1);
	assert_int_equal(rx.hdr.msg_id, 901);
	assert_int_equal(reg(f, 0, 0x200), 199);
	vfu_rx_release(&rx);
	close(s);
}

/*
 * A client that never answers but keeps sending: the DMA still times out
 * after msg_timeout, not msg_timeout after the last message.  The client
 * trickles until the reply comes, so a deadline its messages extended
 * would never pass (the test's timeout).
 */
static void test_dma_deadline_not_extended(void **state)
{
	struct testdev_pair *f = *state;
	struct vfu_rx rx;
	int s = dma_read_asked(f, 1000, &rx);

	for (uint16_t i = 0; !raw_readable(s, 100); i++)
		raw_post_reg(s, 1000 + i, 0x200, i, VFU_FLAGS_NO_REPLY);
	assert_int_equal(raw_recv(s, &rx, 0), 1);
	assert_int_equal(rx.hdr.msg_id, 900);
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), ETIMEDOUT);
	/* Between whole messages: the stream is intact. */
	assert_alive(s, 5000);
	vfu_rx_release(&rx);
	close(s);
}

/* A client that floods while a DMA waits is dropped, by count... */
static void test_backlog_bounded_by_count(void **state)
{
	struct testdev_pair *f = *state;
	struct vfu_rx rx;
	int s = dma_read_asked(f, RAW_TIMEOUT_MS, &rx);

	for (uint16_t i = 0; i < 300; i++) {
		struct raw_reg_write wr = {
			{ .offset = 0x200, .region = TESTDEV_REGS, .count = 8 },
			i
		};

		send_quiet(s, 1000 + i, VFU_CMD_REGION_WRITE,
			   VFU_FLAGS_NO_REPLY, &wr, sizeof(wr));
	}
	assert_true(raw_wait_eof(s, 3000));
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), ENOBUFS);
	close(s);
	assert_device_serves(f);
	vfu_rx_release(&rx);
}

/* ... and by bytes. */
static void test_backlog_bounded_by_bytes(void **state)
{
	struct testdev_pair *f = *state;
	struct vfu_region_access *wr = calloc(1, MIB);
	struct vfu_rx rx;
	int s = dma_read_asked(f, RAW_TIMEOUT_MS, &rx);

	wr->region = TESTDEV_MEM;
	wr->count = MIB - sizeof(*wr);
	for (uint16_t i = 0; i < 12; i++)
		send_quiet(s, 1000 + i, VFU_CMD_REGION_WRITE,
			   VFU_FLAGS_NO_REPLY, wr, MIB);
	assert_true(raw_wait_eof(s, 3000));
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), ENOBUFS);
	close(s);
	assert_device_serves(f);
	vfu_rx_release(&rx);
	free(wr);
}

/*
 * A DMA reply that stalls mid-message past the timeout: the rest of it
 * (guest data) must never be read as commands.  Here the data holds a
 * DEVICE_RESET and a GET_INFO.
 */
static void test_dma_reply_cut_short(void **state)
{
	struct testdev_pair *f = *state;
	struct vfu_header reset = { .msg_id = 77,
				    .command = VFU_CMD_DEVICE_RESET,
				    .msg_size = 16 };
	struct vfu_header info = { .msg_id = 78,
				   .command = VFU_CMD_DEVICE_GET_INFO,
				   .msg_size = 32 };
	uint32_t argsz = 16;
	uint8_t rest[8 + 40] = { 0 };
	unsigned int resets;
	struct vfu_header h;
	struct vfu_rx rx;
	int s;

	server_up(f, 1000);
	s = dma_client(f, RAW_CAPS, 0x40000, 0x1000, 40);
	resets = f->state[0].resets;
	vfu_rx_init(&rx);
	ring(s, 2, VFU_CMD_DMA_READ, &rx);
	/* The header and 8 bytes of the payload, then a stall. */
	h = (struct vfu_header){ .msg_id = rx.hdr.msg_id,
				 .command = rx.hdr.command,
				 .msg_size = 16 + 16 + 40,
				 .flags = VFU_FLAGS_TYPE_REPLY };
	assert_int_equal(send(s, &h, 16, MSG_NOSIGNAL), 16);
	assert_int_equal(send(s, rx.payload, 8, MSG_NOSIGNAL), 8);
	usleep(1500 * 1000);
	memcpy(rest, &reset, 16);
	memcpy(rest + 16, &info, 16);
	memcpy(rest + 32, &argsz, 4);
	send(s, rest, sizeof(rest), MSG_NOSIGNAL);
	assert_true(raw_wait_eof(s, 3000));
	assert_int_equal(f->state[0].resets, resets);
	close(s);
	assert_device_serves(f);
	vfu_rx_release(&rx);
}

/*
 * A DMA request the client does not read, larger than the socket holds:
 * its send times out part way, and nothing may follow those bytes.
 */
static void test_dma_request_cut_short(void **state)
{
	struct testdev_pair *f = *state;
	int s;

	server_up(f, 1000);
	s = dma_client(f, RAW_CAPS, 0x400000, 4 * MIB, 4 * MIB);
	raw_post_reg(s, 900, TESTDEV_DMA_GO, 1, 0);
	/* Reading again after the timeout would let a reply through. */
	usleep(1400 * 1000);
	assert_true(raw_wait_eof(s, 2500));
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), ETIMEDOUT);
	close(s);
	assert_device_serves(f);
}

struct dev_dma {
	struct uvfio_dma *dma;
	uint64_t iova;
	int ret;
	unsigned long rounds;
};

static void *dev_dma_once(void *arg)
{
	struct dev_dma *d = arg;
	uint8_t buf[16];

	d->ret = uvfio_dma_read(d->dma, d->iova, buf, sizeof(buf));
	return NULL;
}

static bool join_within(pthread_t t, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

static void wait_unmapped(struct uvfio_dma *dma)
{
	for (int i = 0; i < 300 && uvfio_dma_count(dma); i++)
		usleep(10000);
	assert_int_equal(uvfio_dma_count(dma), 0);
}

/*
 * A device thread waits for a DMA reply on the twin socket when the client
 * goes away: the server must wake it with an error before it frees the
 * connection, and later accesses must not reach the connection either.
 * (Under ASan, any use of the freed connection is fatal.)
 */
static void test_twin_dma_during_disconnect(void **state)
{
	struct testdev_pair *f = *state;
	struct dev_dma d = { .dma = uvfio_device_dma(f->dev[0]),
			     .iova = 0x40000 };
	uint8_t buf[16];
	struct vfu_rx rx;
	pthread_t t;
	int s, twin;

	server_up(f, 10000);
	s = raw_connect(f->path[0]);
	assert_int_equal(raw_negotiate(s, RAW_TWIN_CAPS, &twin), 0);
	assert_true(twin >= 0);
	assert_int_equal(raw_dma_map(s, 2, 0x40000, 0x1000, -1, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, dev_dma_once, &d), 0);
	vfu_rx_init(&rx);
	assert_int_equal(raw_recv(twin, &rx, RAW_TIMEOUT_MS), 1);
	assert_int_equal(rx.hdr.command, VFU_CMD_DMA_READ);
	/* In flight; the client closes its main socket only. */
	close(s);
	if (!join_within(t, 3000))
		fail_msg("the device thread still waits for the gone client");
	assert_true(d.ret < 0);
	wait_unmapped(d.dma);
	assert_int_equal(uvfio_dma_read(d.dma, 0x40000, buf, sizeof(buf)),
			 -EFAULT);
	close(twin);
	vfu_rx_release(&rx);
	assert_device_serves(f);
}

struct dev_dma_big {
	struct uvfio_dma *dma;
	uint8_t *src;
	size_t len;
	int ret;
};

static void *dev_dma_write_big(void *arg)
{
	struct dev_dma_big *d = arg;

	d->ret = uvfio_dma_write(d->dma, 0x100000, d->src, d->len);
	return NULL;
}

/*
 * On the twin socket a large DMA keeps several requests in flight: the
 * client sees four 1 MiB DMA_WRITEs before it answers any, then the rest
 * as it answers, in order, each at its address with its bytes.
 */
static void test_twin_dma_requests_in_flight(void **state)
{
	struct testdev_pair *f = *state;
	const size_t len = 5 * MIB + 100;
	struct dev_dma_big d = { .dma = uvfio_device_dma(f->dev[0]),
				 .len = len };
	uint16_t ids[6];
	struct vfu_rx rx;
	pthread_t t;
	int s, twin;

	d.src = malloc(len);
	assert_non_null(d.src);
	for (size_t i = 0; i < len; i++)
		d.src[i] = (uint8_t)(i * 13 + (i >> 20));
	server_up(f, 10000);
	s = raw_connect(f->path[0]);
	assert_int_equal(raw_negotiate(s, RAW_TWIN_CAPS, &twin), 0);
	assert_int_equal(raw_dma_map(s, 2, 0x100000, 8 * MIB, -1, 0), 0);
	assert_int_equal(pthread_create(&t, NULL, dev_dma_write_big, &d), 0);
	vfu_rx_init(&rx);
	for (unsigned int k = 0; k < 6; k++) {
		size_t n = k < 5 ? MIB : 100;
		struct vfu_dma_rw req;

		/* The fifth comes only once the first is answered. */
		if (k >= 4) {
			struct vfu_header h = { .msg_id = ids[k - 4],
						.command = VFU_CMD_DMA_WRITE,
						.flags = VFU_FLAGS_TYPE_REPLY };

			assert_int_equal(vfu_send(twin, &h, NULL, 0, NULL, 0,
						  RAW_TIMEOUT_MS),
					 0);
		}
		assert_int_equal(raw_recv(twin, &rx, RAW_TIMEOUT_MS), 1);
		assert_int_equal(rx.hdr.command, VFU_CMD_DMA_WRITE);
		assert_int_equal(rx.payload_len, sizeof(req) + n);
		memcpy(&req, rx.payload, sizeof(req));
		assert_int_equal(req.address, 0x100000 + k * MIB);
		assert_int_equal(req.count, n);
		assert_memory_equal(rx.payload + sizeof(req), d.src + k * MIB,
				    n);
		ids[k] = rx.hdr.msg_id;
		vfu_rx_reset(&rx);
	}
	for (unsigned int k = 2; k < 6; k++) {
		struct vfu_header h = { .msg_id = ids[k],
					.command = VFU_CMD_DMA_WRITE,
					.flags = VFU_FLAGS_TYPE_REPLY };

		assert_int_equal(vfu_send(twin, &h, NULL, 0, NULL, 0,
					  RAW_TIMEOUT_MS),
				 0);
	}
	assert_true(join_within(t, 5000));
	assert_int_equal(d.ret, 0);
	vfu_rx_release(&rx);
	close(twin);
	close(s);
	free(d.src);
}

struct twin_peer {
	int twin;
	unsigned long answered;
};

/* The client's side of the twin: answer every DMA_READ until EOF. */
static void *twin_answer(void *arg)
{
	struct twin_peer *p = arg;
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	while (vfu_rx_wait(p->twin, &rx, 2 * MIB, 5000) == 1) {
		if (rx.hdr.command == VFU_CMD_DMA_READ) {
			struct vfu_dma_rw req;
			uint8_t reply[16 + 64] = { 0 };
			struct vfu_header h = { .msg_id = rx.hdr.msg_id,
						.command = rx.hdr.command,
						.flags = VFU_FLAGS_TYPE_REPLY };

			memcpy(&req, rx.payload, sizeof(req));
			memcpy(reply, &req, sizeof(req));
			if (req.count > 64 ||
			    vfu_send(p->twin, &h, reply, 16 + req.count, NULL,
				     0, 5000))
				break;
			p->answered++;
		}
		vfu_rx_reset(&rx);
	}
	vfu_rx_release(&rx);
	return NULL;
}

static void *dev_dma_loop(void *arg)
{
	struct dev_dma *d = arg;
	uint8_t buf[64];

	while (!(d->ret = uvfio_dma_read(d->dma, d->iova, buf, sizeof(buf))))
		d->rounds++;
	return NULL;
}

/* The same with several device threads in a steady stream of DMA. */
static void test_twin_dma_stream_during_disconnect(void **state)
{
	struct testdev_pair *f = *state;
	enum { THREADS = 3, ROUNDS = 8 };

	server_up(f, 10000);
	for (int round = 0; round < ROUNDS; round++) {
		struct dev_dma d[THREADS];
		struct twin_peer peer = { 0 };
		pthread_t t[THREADS], pt;
		int s = raw_connect(f->path[0]);

		assert_int_equal(raw_negotiate(s, RAW_TWIN_CAPS, &peer.twin),
				 0);
		assert_true(peer.twin >= 0);
		assert_int_equal(raw_dma_map(s, 2, 0x40000, 0x1000, -1, 0), 0);
		assert_int_equal(pthread_create(&pt, NULL, twin_answer, &peer),
				 0);
		for (int i = 0; i < THREADS; i++) {
			d[i] = (struct dev_dma){
				.dma = uvfio_device_dma(f->dev[0]),
				.iova = 0x40000 + 64 * (uint64_t)i
			};
			assert_int_equal(pthread_create(&t[i], NULL,
							dev_dma_loop, &d[i]),
					 0);
		}
		usleep(1000 * (5 + 7 * round));
		close(s);
		for (int i = 0; i < THREADS; i++) {
			if (!join_within(t[i], 3000))
				fail_msg("round %d: device thread %d stuck",
					 round, i);
			assert_true(d[i].ret < 0);
		}
		assert_true(join_within(pt, 6000));
		close(peer.twin);
		wait_unmapped(d[0].dma);
	}
	assert_device_serves(f);
}

/*
 * A client that takes 2 MiB per transfer still gets DMA requests of at
 * most what the server takes back in one reply.
 */
static void test_dma_chunks_bounded_by_server(void **state)
{
	static const char caps[] = "{\"capabilities\":{\"max_msg_fds\":16,"
				   "\"max_data_xfer_size\":2097152}}";
	struct testdev_pair *f = *state;
	unsigned int requests = 0;
	struct vfu_rx rx;
	int s;

	server_up(f, RAW_TIMEOUT_MS);
	s = dma_client(f, caps, 0x400000, 2 * MIB, 2 * MIB);
	vfu_rx_init(&rx);
	raw_post_reg(s, 900, TESTDEV_DMA_GO, 2, 0);
	for (;;) {
		struct vfu_dma_rw req;

		assert_int_equal(raw_recv(s, &rx, RAW_TIMEOUT_MS), 1);
		if (rx.hdr.command != VFU_CMD_DMA_READ)
			break;
		memcpy(&req, rx.payload, sizeof(req));
		assert_true(req.count <= MIB);
		answer_read(s, &rx, 1);
		requests++;
	}
	assert_int_equal(rx.hdr.msg_id, 900);
	assert_int_equal(requests, 2);
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), 0);
	assert_int_equal(reg(f, 0, TESTDEV_DMA_SUM), 2 * MIB);
	vfu_rx_release(&rx);
	close(s);
}

/* A client that takes a few bytes per transfer is refused at VERSION. */
static void test_tiny_transfers_refused(void **state)
{
	static const char *const tiny[] = {
		"{\"capabilities\":{\"max_data_xfer_size\":1}}",
		"{\"capabilities\":{\"max_data_xfer_size\":4095}}",
	};
	struct testdev_pair *f = *state;
	int s;

	server_up(f, RAW_TIMEOUT_MS);
	s = raw_connect(f->path[0]);
	for (size_t i = 0; i < ARRAY_SIZE(tiny); i++)
		assert_int_equal(raw_negotiate(s, tiny[i], NULL), EINVAL);
	assert_int_equal(
		raw_negotiate(
			s, "{\"capabilities\":{\"max_data_xfer_size\":4096}}",
			NULL),
		0);
	assert_alive(s, 9);
	close(s);
}

/*
 * Guest memory the client could shrink after DMA_MAP (a device access
 * there would SIGBUS the server) is refused; so are windows beyond the
 * end of the file.
 */
static void test_guest_memory_must_be_sealed(void **state)
{
	struct testdev_pair *f = *state;
	int unsealed = raw_memfd(0x2000, 0);
	int sealed = raw_memfd(0x2000, F_SEAL_SHRINK);
	int grow_only = raw_memfd(0x2000, F_SEAL_GROW);
	uint8_t got[16];
	int s;

	server_up(f, RAW_TIMEOUT_MS);
	s = raw_connect(f->path[0]);
	assert_int_equal(raw_negotiate(s, RAW_CAPS, NULL), 0);
	assert_int_equal(raw_dma_map(s, 2, 0x40000, 0x2000, unsealed, 0),
			 EPERM);
	assert_int_equal(raw_dma_map(s, 3, 0x40000, 0x2000, grow_only, 0),
			 EPERM);
	/* Sealed, but beyond the file. */
	assert_int_equal(raw_dma_map(s, 4, 0x40000, 0x3000, sealed, 0), EINVAL);
	assert_int_equal(raw_dma_map(s, 5, 0x40000, 0x2000, sealed, 0x1000),
			 EINVAL);
	assert_int_equal(raw_dma_map(s, 6, 0x40000, 0x2000, sealed,
				     0xfffffffffffff000ull),
			 EINVAL);
	assert_int_equal(uvfio_dma_count(uvfio_device_dma(f->dev[0])), 0);
	/* Sealed and inside: mapped, and the device reaches it. */
	assert_int_equal(raw_dma_map(s, 7, 0x40000, 0x2000, sealed, 0), 0);
	assert_int_equal(raw_write_reg(s, 8, TESTDEV_DMA_IOVA, 0x41ff0), 0);
	assert_int_equal(raw_write_reg(s, 9, TESTDEV_DMA_LEN, 16), 0);
	assert_int_equal(raw_write_reg(s, 10, TESTDEV_DMA_GO, 1), 0);
	assert_int_equal(reg(f, 0, TESTDEV_DMA_RESULT), 0);
	assert_int_equal(pread(sealed, got, 16, 0x1ff0), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(got[i], TESTDEV_PATTERN(i));
	/* The client cannot pull the memory away any more. */
	assert_int_equal(ftruncate(sealed, 0), -1);
	assert_int_equal(errno, EPERM);
	close(s);
	close(unsealed);
	close(sealed);
	close(grow_only);
}

/* Each fd-backed window is a mapping of the server: they are budgeted. */
static void test_fd_window_budget(void **state)
{
	struct testdev_pair *f = *state;
	int fd = raw_memfd(0x1000, F_SEAL_SHRINK);
	uint64_t n;
	int s;

	server_up(f, RAW_TIMEOUT_MS);
	s = raw_connect(f->path[0]);
	assert_int_equal(raw_negotiate(s, RAW_CAPS, NULL), 0);
	for (n = 0; n < UVFIO_DMA_DEFAULT_MAX_FD_MAPS; n++)
		if (raw_dma_map(s, (uint16_t)(10 + n), n << 13, 0x1000, fd, 0))
			fail_msg("fd-backed DMA_MAP %llu refused",
				 (unsigned long long)n);
	assert_int_equal(raw_dma_map(s, 3, n << 13, 0x1000, fd, 0), ENOSPC);
	/* Message-based windows cost the server no mapping. */
	assert_int_equal(raw_dma_map(s, 4, n << 13, 0x1000, -1, 0), 0);
	assert_alive(s, 5);
	close(s);
	close(fd);
	wait_unmapped(uvfio_device_dma(f->dev[0]));
}

/*
 * A client that does not read its replies: its worker does not wait for it
 * (the other device on the worker answers at once), its commands are left
 * unread once enough replies wait, and it gets everything, in order, when
 * it reads at last.
 */
static void test_slow_reader_blocks_nobody(void **state)
{
	struct vfu_region_access req = { .region = TESTDEV_MEM,
					 .count = TESTDEV_MEM_SIZE };
	struct testdev_pair *f = *state;
	enum { READS = 200 };
	struct vfu_rx rx;
	int s, s1;

	server_up(f, RAW_TIMEOUT_MS);
	s = raw_connect(f->path[0]);
	s1 = raw_connect(f->path[1]);
	assert_int_equal(raw_negotiate(s, RAW_CAPS, NULL), 0);
	assert_int_equal(raw_negotiate(s1, RAW_CAPS, NULL), 0);
	assert_int_equal(raw_write_reg(s, 2, 0x200, 0), 0);
	/* 3 MiB of replies asked for, none read. */
	for (uint16_t i = 0; i < READS; i++)
		raw_send(s, 100 + i, VFU_CMD_REGION_READ, 0, &req, sizeof(req),
			 NULL, 0);
	raw_post_reg(s, 99, 0x200, 1, VFU_FLAGS_NO_REPLY);
	assert_alive(s1, 10);
	usleep(300 * 1000);
	assert_alive(s1, 11);
	/* Over the budget, the server stopped reading this client. */
	assert_int_equal(reg(f, 0, 0x200), 0);
	vfu_rx_init(&rx);
	for (uint16_t i = 0; i < READS; i++) {
		assert_int_equal(raw_recv(s, &rx, RAW_TIMEOUT_MS), 1);
		assert_int_equal(rx.hdr.msg_id, 100 + i);
		assert_false(rx.hdr.flags & VFU_FLAGS_ERROR);
		assert_int_equal(rx.payload_len, sizeof(req) + req.count);
	}
	assert_alive(s, 3);
	assert_int_equal(reg(f, 0, 0x200), 1);
	vfu_rx_release(&rx);
	close(s);
	close(s1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_teardown(fn, server_down)
	const struct CMUnitTest tests[] = {
		T(test_command_queued_during_dma),
		T(test_many_commands_queued_during_dma),
		T(test_dma_deadline_not_extended),
		T(test_backlog_bounded_by_count),
		T(test_backlog_bounded_by_bytes),
		T(test_dma_reply_cut_short),
		T(test_dma_request_cut_short),
		T(test_twin_dma_during_disconnect),
		T(test_twin_dma_stream_during_disconnect),
		T(test_twin_dma_requests_in_flight),
		T(test_dma_chunks_bounded_by_server),
		T(test_tiny_transfers_refused),
		T(test_guest_memory_must_be_sealed),
		T(test_fd_window_budget),
		T(test_slow_reader_blocks_nobody),
	};
#undef T

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
