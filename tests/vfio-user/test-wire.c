// SPDX-License-Identifier: MIT
/*
 * The server against hand-made bytes: every command valid, truncated at
 * every length and one byte long; bad headers; VERSION as real peers send
 * it; descriptors where none belong; clients that vanish mid-message; and
 * QEMU's own DMA reply layout.  After every refusal the connection must
 * still answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "test-util.h"
#include "raw-client.h"

/* QEMU 10.x's VERSION capabilities, byte for byte (spec digest E.3). */
static const char qemu_caps[] =
	"{\"capabilities\":{\"migration\":{\"pgsize\":4096,"
	"\"max_bitmap_size\":268435456},\"max_msg_fds\":16,"
	"\"max_data_xfer_size\":1048576,\"pgsizes\":4096,"
	"\"max_dma_maps\":65535,\"write_multiple\":true}}";

struct fixture {
	struct testdev_pair *t;
	int sock;
	uint16_t id;
};

/* Wait for one message; returns its payload length (or -errno). */
static int recv_raw(int sock, struct vfu_rx *rx)
{
	vfu_rx_reset(rx);
	return vfu_rx_wait(sock, rx, 8 << 20, RAW_TIMEOUT_MS);
}

/* Send a command and return the reply's errno (0 for success). */
static int call(struct fixture *f, uint16_t cmd, const void *payload,
		size_t len, struct vfu_rx *rx)
{
	uint16_t id = f->id++;

	raw_send(f->sock, id, cmd, 0, payload, len, NULL, 0);
	assert_int_equal(recv_raw(f->sock, rx), 1);
	assert_int_equal(rx->hdr.msg_id, id);
	assert_int_equal(rx->hdr.command, cmd);
	assert_int_equal(rx->hdr.flags & VFU_FLAGS_TYPE_MASK,
			 VFU_FLAGS_TYPE_REPLY);
	if (rx->hdr.flags & VFU_FLAGS_ERROR) {
		assert_int_equal(rx->payload_len, 0);
		return (int)rx->hdr.error_no;
	}
	return 0;
}

/* The connection still works: DEVICE_GET_INFO succeeds. */
static void assert_alive(struct fixture *f)
{
	struct vfu_device_info req = { .argsz = sizeof(req) };
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	assert_int_equal(
		call(f, VFU_CMD_DEVICE_GET_INFO, &req, sizeof(req), &rx), 0);
	assert_int_equal(rx.payload_len, sizeof(req));
	vfu_rx_release(&rx);
}

static void negotiate(struct fixture *f, const char *json)
{
	size_t len = sizeof(struct vfu_version) + (json ? strlen(json) + 1 : 0);
	struct vfu_version *v = calloc(1, len);
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	if (json)
		strcpy(v->caps, json);
	assert_int_equal(call(f, VFU_CMD_VERSION, v, len, &rx), 0);
	free(v);
	vfu_rx_release(&rx);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	/* One worker: a stalled client shares it with everyone else. */
	struct uvfio_server_opts opts = { .threads = 1 };

	f->t = testdev_pair_new("wire", getenv("WIRE_DEBUG") ? UVFIO_LOG_DEBUG :
							       UVFIO_LOG_ERR);
	f->t->srv = test_serve(&opts, f->t->dir, f->t->dev, f->t->path, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdev_pair_free(f->t);
	free(f);
	return 0;
}

/* A fresh negotiated connection to device 0 for each test. */
static int conn_setup(void **state)
{
	struct fixture *f = *state;

	f->sock = raw_connect(f->t->path[0]);
	negotiate(f, qemu_caps);
	return 0;
}

static int conn_teardown(void **state)
{
	struct fixture *f = *state;

	close(f->sock);
	return 0;
}

struct valid_cmd {
	uint16_t cmd;
	uint8_t payload[64];
	size_t len;
};

static const struct valid_cmd *valid_commands(size_t *n)
{
	static struct valid_cmd cmds[12];
	static bool built;
	size_t i = 0;

	if (!built) {
		struct vfu_dma_map map = { 32, VFU_DMA_FLAG_READ, 0, 0x1000,
					   0x1000 };
		struct vfu_dma_unmap unmap = { 24, 0, 0x1000, 0x1000 };
		struct vfu_device_info info = { .argsz = 16 };
		struct uvfio_region_info rinfo = { .argsz = 32, .index = 1 };
		struct vfu_region_io_fds iofds = { .argsz = 16 };
		struct uvfio_irq_info irq = { .argsz = 16, .index = 1 };
		struct uvfio_irq_set set = {
			.argsz = 20,
			.flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
				 UVFIO_IRQ_SET_DATA_EVENTFD,
			.index = 1,
			.count = 1,
		};
		struct vfu_region_access rd = { .offset = 0x40, .count = 4 };
		struct {
			struct vfu_region_access a;
			uint64_t v;
		} wr = { { .offset = 0x40, .count = 8 }, 7 };
		struct {
			struct vfu_write_multi m;
			struct vfu_write_multi_entry e;
		} multi = { { 1 }, { .offset = 0x40, .count = 4 } };
		struct uvfio_device_feature feat = {
			.argsz = 16,
			.flags = TESTDEV_FEATURE | UVFIO_DEVICE_FEATURE_GET,
		};
#define ADD(c, v)                                         \
	do {                                              \
		cmds[i].cmd = (c);                        \
		memcpy(cmds[i].payload, &(v), sizeof(v)); \
		cmds[i].len = sizeof(v);                  \
		i++;                                      \
	} while (0)
		ADD(VFU_CMD_DMA_MAP, map);
		ADD(VFU_CMD_DMA_UNMAP, unmap);
		ADD(VFU_CMD_DEVICE_GET_INFO, info);
		ADD(VFU_CMD_DEVICE_GET_REGION_INFO, rinfo);
		ADD(VFU_CMD_DEVICE_GET_REGION_IO_FDS, iofds);
		ADD(VFU_CMD_DEVICE_GET_IRQ_INFO, irq);
		ADD(VFU_CMD_DEVICE_SET_IRQS, set);
		ADD(VFU_CMD_REGION_READ, rd);
		ADD(VFU_CMD_REGION_WRITE, wr);
		ADD(VFU_CMD_REGION_WRITE_MULTI, multi);
		ADD(VFU_CMD_DEVICE_FEATURE, feat);
#undef ADD
		cmds[i].cmd = VFU_CMD_DEVICE_RESET;
		cmds[i++].len = 0;
		built = true;
	}
	*n = ARRAY_SIZE(cmds);
	return cmds;
}

static void test_every_command_valid_short_long(void **state)
{
	struct fixture *f = *state;
	const struct valid_cmd *cmds;
	uint8_t buf[128];
	struct vfu_rx rx;
	size_t n;

	vfu_rx_init(&rx);
	cmds = valid_commands(&n);
	for (size_t i = 0; i < n; i++) {
		const struct valid_cmd *c = &cmds[i];

		int err = call(f, c->cmd, c->payload, c->len, &rx);

		/* Valid: succeeds. */
		if (err)
			fail_msg("valid command %u: errno %d", c->cmd, err);
		/* Cut at every length: refused, connection alive. */
		for (size_t len = 0; len < c->len; len++) {
			err = call(f, c->cmd, c->payload, len, &rx);

			if (err != EINVAL)
				fail_msg(
					"command %u cut to %zu bytes: errno %d",
					c->cmd, len, err);
		}
		/* One byte too long: refused too (a feature's payload is
		 * variable by design). */
		if (c->cmd == VFU_CMD_DEVICE_FEATURE)
			continue;
		memset(buf, 0, sizeof(buf));
		memcpy(buf, c->payload, c->len);
		assert_int_equal(call(f, c->cmd, buf, c->len + 1, &rx), EINVAL);
		assert_alive(f);
	}
	/* The second valid DMA_UNMAP found nothing to unmap. */
	assert_int_equal(call(f, cmds[1].cmd, cmds[1].payload, cmds[1].len,
			      &rx),
			 ENOENT);
	vfu_rx_release(&rx);
}

static void test_bad_headers(void **state)
{
	struct fixture *f = *state;
	const uint16_t unknown[] = {
		0, 14, 19, 100, 0xffff, VFU_CMD_DMA_READ, VFU_CMD_DMA_WRITE
	};
	struct vfu_device_info info = { .argsz = 16 };
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_int_equal(call(f, unknown[i], &info, sizeof(info), &rx),
				 EINVAL);
	/* Flags: ERROR set in a command, unknown bits. */
	for (uint32_t flags = VFU_FLAGS_ERROR; flags; flags <<= 1) {
		raw_send(f->sock, 77, VFU_CMD_DEVICE_GET_INFO, flags, &info,
			 sizeof(info), NULL, 0);
		assert_int_equal(recv_raw(f->sock, &rx), 1);
		assert_true(rx.hdr.flags & VFU_FLAGS_ERROR);
		assert_int_equal(rx.hdr.error_no, EINVAL);
	}
	/* A stray reply is dropped; a bad posted command gets no answer. */
	raw_send(f->sock, 5, VFU_CMD_DEVICE_GET_INFO, VFU_FLAGS_TYPE_REPLY,
		 &info, sizeof(info), NULL, 0);
	raw_send(f->sock, 6, 99, VFU_FLAGS_NO_REPLY, NULL, 0, NULL, 0);
	assert_alive(f);
	/* VERSION once only. */
	assert_int_equal(call(f, VFU_CMD_VERSION, "\0\0\0", 4, &rx), EINVAL);
	vfu_rx_release(&rx);
}

static void test_oversized_message(void **state)
{
	struct fixture *f = *state;
	size_t len = (1 << 20) + 8192;
	struct vfu_region_access *wr = calloc(1, len);
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	wr->count = (uint32_t)(len - sizeof(*wr));
	/* Larger than the server takes: read, dropped, E2BIG. */
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE, wr, len, &rx), E2BIG);
	/* A count beyond max_data_xfer_size in a small message. */
	wr->count = (2 << 20);
	assert_int_equal(call(f, VFU_CMD_REGION_READ, wr, sizeof(*wr), &rx),
			 E2BIG);
	assert_alive(f);
	free(wr);
	vfu_rx_release(&rx);
}

static void test_descriptors_where_none_belong(void **state)
{
	struct fixture *f = *state;
	struct vfu_region_access rd = { .offset = 0, .count = 4 };
	struct uvfio_irq_set set = { .argsz = 20,
				     .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
					      UVFIO_IRQ_SET_DATA_EVENTFD,
				     .index = 1,
				     .count = 2 };
	int efd = test_eventfd(), before;
	int fds[3] = { efd, efd, efd };
	struct vfu_rx rx;

	vfu_rx_init(&rx);
	before = test_count_fds();
	raw_send(f->sock, 1, VFU_CMD_REGION_READ, 0, &rd, sizeof(rd), fds, 1);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.error_no, EINVAL);
	/* SET_IRQS: fd count must equal count. */
	raw_send(f->sock, 2, VFU_CMD_DEVICE_SET_IRQS, 0, &set, sizeof(set), fds,
		 3);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.error_no, EINVAL);
	/* DMA_MAP: at most one. */
	struct vfu_dma_map map = { 32, VFU_DMA_FLAG_READ, 0, 0x1000, 0x1000 };
	raw_send(f->sock, 3, VFU_CMD_DMA_MAP, 0, &map, sizeof(map), fds, 2);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.error_no, EINVAL);
	/* A DMA_MAP fd that is not mappable. */
	int pipefd[2];
	assert_int_equal(pipe(pipefd), 0);
	raw_send(f->sock, 4, VFU_CMD_DMA_MAP, 0, &map, sizeof(map), pipefd, 1);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_true(rx.hdr.flags & VFU_FLAGS_ERROR);
	close(pipefd[0]);
	close(pipefd[1]);
	assert_alive(f);
	/* The server kept none of them. */
	assert_int_equal(test_count_fds(), before);
	close(efd);
	vfu_rx_release(&rx);
}

static void test_version_negotiation(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"not json",
		"[1,2]",
		"{\"capabilities\":3}",
		"{\"capabilities\":{\"max_msg_fds\":\"x\"}}",
		"{\"capabilities\":{\"max_msg_fds\":-1}}",
		"{\"capabilities\":{\"max_data_xfer_size\":0}}",
		"{\"capabilities\":{\"pgsizes\":4097}}",
		"{\"capabilities\":{\"write_multiple\":1}}",
		"{\"capabilities\":{\"twin_socket\":true}}",
		"{\"capabilities\":{\"migration\":{\"pgsize\":100}}}",
		"{\"capabilities\":{}} trailing",
	};
	uint8_t buf[256];
	struct vfu_version *v = (void *)buf;
	struct vfu_rx rx;
	char json[200];

	vfu_rx_init(&rx);
	f->sock = raw_connect(f->t->path[0]);
	/* Anything before VERSION is refused, the connection stays. */
	assert_int_equal(call(f, VFU_CMD_DEVICE_RESET, NULL, 0, &rx), EINVAL);
	memset(buf, 0, sizeof(buf));
	v->major = 1;
	assert_int_equal(call(f, VFU_CMD_VERSION, v, 4, &rx), ENOTSUP);
	v->major = 0;
	assert_int_equal(call(f, VFU_CMD_VERSION, v, 2, &rx), EINVAL);
	/* JSON not NUL-terminated */
	memcpy(v->caps, "{}", 2);
	assert_int_equal(call(f, VFU_CMD_VERSION, v, 6, &rx), EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		strcpy(v->caps, bad[i]);
		if (call(f, VFU_CMD_VERSION, v, 4 + strlen(bad[i]) + 1, &rx) !=
		    EINVAL)
			fail_msg("accepted capabilities %s", bad[i]);
	}
	/* QEMU's proposal: minor 0 back, JSON NUL-terminated, limits QEMU
	 * accepts, and only what it proposed, less the legacy migration
	 * capability (no migration data travels yet). */
	strcpy(v->caps, qemu_caps);
	assert_int_equal(
		call(f, VFU_CMD_VERSION, v, 4 + sizeof(qemu_caps), &rx), 0);
	memcpy(buf, rx.payload, rx.payload_len);
	assert_int_equal(v->major, 0);
	assert_int_equal(v->minor, 0);
	assert_int_equal(buf[rx.payload_len - 1], '\0');
	snprintf(json, sizeof(json), "%s", v->caps);
	assert_non_null(strstr(json, "\"max_msg_fds\":16"));
	assert_non_null(strstr(json, "\"max_data_xfer_size\":1048576"));
	assert_non_null(strstr(json, "\"write_multiple\":true"));
	assert_non_null(strstr(json, "\"pgsizes\":4096"));
	assert_null(strstr(json, "\"migration\""));
	assert_null(strstr(json, "twin_socket"));
	assert_alive(f);
	close(f->sock);
	vfu_rx_release(&rx);
}

/* Without write_multiple negotiated, REGION_WRITE_MULTI is unknown. */
static void test_write_multi_needs_negotiation(void **state)
{
	struct fixture *f = *state;
	struct {
		struct vfu_write_multi m;
		struct vfu_write_multi_entry e[2];
	} multi = { { 2 },
		    { { .offset = 0x40, .count = 4, .data = { 1 } },
		      { .offset = 0x48, .count = 8, .data = { 2 } } } };
	struct vfu_rx rx;
	uint32_t v = 0;

	vfu_rx_init(&rx);
	f->sock = raw_connect(f->t->path[0]);
	negotiate(f, NULL);
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE_MULTI, &multi,
			      sizeof(multi), &rx),
			 EINVAL);
	close(f->sock);
	conn_setup(state);
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE_MULTI, &multi,
			      sizeof(multi), &rx),
			 0);
	memcpy(&v, f->t->state[0].regs + 0x48, 4);
	assert_int_equal(v, 2);
	/* An entry with count 0 or > 8 spoils the whole batch. */
	multi.e[0].data[0] = 9;
	multi.e[1].count = 9;
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE_MULTI, &multi,
			      sizeof(multi), &rx),
			 EINVAL);
	assert_int_equal(f->t->state[0].regs[0x40], 1);
	multi.m.wr_cnt = 0;
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE_MULTI, &multi,
			      sizeof(multi.m), &rx),
			 EINVAL);
	conn_teardown(state);
	vfu_rx_release(&rx);
}

/* Clients that vanish at every point of a message. */
static void test_disconnect_mid_message(void **state)
{
	struct fixture *f = *state;
	struct {
		struct vfu_header h;
		struct vfu_region_access a;
		uint64_t v;
	} msg = { { .msg_id = 1,
		    .command = VFU_CMD_REGION_WRITE,
		    .msg_size = sizeof(msg) },
		  { .offset = 0x40, .count = 8 },
		  5 };

	for (size_t cut = 1; cut < sizeof(msg); cut++) {
		f->sock = raw_connect(f->t->path[0]);
		negotiate(f, NULL);
		assert_int_equal(write(f->sock, &msg, cut), (ssize_t)cut);
		close(f->sock);
	}
	/* A stalled client on one device blocks nobody else. */
	int stalled = raw_connect(f->t->path[1]);
	assert_int_equal(write(stalled, &msg, 20), 20);
	f->sock = raw_connect(f->t->path[0]);
	negotiate(f, NULL);
	assert_alive(f);
	close(f->sock);
	close(stalled);
}

static void test_undersized_header_closes(void **state)
{
	struct fixture *f = *state;
	struct vfu_header h = { .command = VFU_CMD_DEVICE_GET_INFO,
				.msg_size = 8 };
	struct vfu_rx rx;
	char c;

	vfu_rx_init(&rx);
	f->sock = raw_connect(f->t->path[0]);
	negotiate(f, NULL);
	assert_int_equal(write(f->sock, &h, sizeof(h)), sizeof(h));
	/* The stream cannot be framed any more: an error, then EOF. */
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.error_no, EINVAL);
	assert_int_equal(read(f->sock, &c, 1), 0);
	close(f->sock);
	vfu_rx_release(&rx);
}

/*
 * QEMU answers DMA_READ with a u32 count (data 12 bytes in) and DMA_WRITE
 * with a bare header: both are understood.
 */
static void test_qemu_dma_reply_layout(void **state)
{
	struct fixture *f = *state;
	struct vfu_dma_map map = { 32, VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE,
				   0, 0x40000, 0x1000 };
	struct {
		struct vfu_region_access a;
		uint64_t v;
	} wr = { { .count = 8 }, 0 };
	struct vfu_header hdr;
	struct vfu_dma_rw req;
	struct vfu_rx rx;
	uint8_t reply[12 + 16];
	uint64_t sum = 0;

	vfu_rx_init(&rx);
	assert_int_equal(call(f, VFU_CMD_DMA_MAP, &map, sizeof(map), &rx), 0);
	wr.a.offset = TESTDEV_DMA_IOVA;
	wr.v = 0x40100;
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE, &wr, sizeof(wr), &rx),
			 0);
	wr.a.offset = TESTDEV_DMA_LEN;
	wr.v = 16;
	assert_int_equal(call(f, VFU_CMD_REGION_WRITE, &wr, sizeof(wr), &rx),
			 0);

	/* Doorbell "write": the server asks us with DMA_WRITE. */
	wr.a.offset = TESTDEV_DMA_GO;
	wr.v = 1;
	raw_send(f->sock, 900, VFU_CMD_REGION_WRITE, 0, &wr, sizeof(wr), NULL,
		 0);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.command, VFU_CMD_DMA_WRITE);
	memcpy(&req, rx.payload, sizeof(req));
	assert_int_equal(req.address, 0x40100);
	assert_int_equal(req.count, 16);
	assert_int_equal(rx.payload_len, 16 + 16);
	hdr = rx.hdr;
	raw_send(f->sock, hdr.msg_id, hdr.command, VFU_FLAGS_TYPE_REPLY, NULL,
		 0, NULL, 0);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.msg_id, 900);
	assert_int_equal(f->t->state[0].regs[TESTDEV_DMA_RESULT], 0);

	/* Doorbell "read": answer DMA_READ the QEMU way. */
	wr.v = 2;
	raw_send(f->sock, 901, VFU_CMD_REGION_WRITE, 0, &wr, sizeof(wr), NULL,
		 0);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.command, VFU_CMD_DMA_READ);
	hdr = rx.hdr;
	memcpy(reply, rx.payload, 12);
	for (int i = 0; i < 16; i++) {
		reply[12 + i] = (uint8_t)(i + 1);
		sum += (uint64_t)i + 1;
	}
	raw_send(f->sock, hdr.msg_id, hdr.command, VFU_FLAGS_TYPE_REPLY, reply,
		 sizeof(reply), NULL, 0);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.msg_id, 901);
	assert_int_equal(f->t->state[0].regs[TESTDEV_DMA_RESULT], 0);
	assert_memory_equal(f->t->state[0].regs + TESTDEV_DMA_SUM, &sum, 8);

	/* A client that answers with an error: the DMA fails with it. */
	raw_send(f->sock, 902, VFU_CMD_REGION_WRITE, 0, &wr, sizeof(wr), NULL,
		 0);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	hdr = rx.hdr;
	raw_send(f->sock, hdr.msg_id, hdr.command,
		 VFU_FLAGS_TYPE_REPLY | VFU_FLAGS_ERROR, NULL, 0, NULL, 0);
	assert_int_equal(recv_raw(f->sock, &rx), 1);
	assert_int_equal(rx.hdr.msg_id, 902);
	assert_int_equal(f->t->state[0].regs[TESTDEV_DMA_RESULT], EIO);
	vfu_rx_release(&rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_every_command_valid_short_long, conn_setup,
			conn_teardown),
		cmocka_unit_test_setup_teardown(test_bad_headers, conn_setup,
						conn_teardown),
		cmocka_unit_test_setup_teardown(test_oversized_message,
						conn_setup, conn_teardown),
		cmocka_unit_test_setup_teardown(
			test_descriptors_where_none_belong, conn_setup,
			conn_teardown),
		cmocka_unit_test(test_version_negotiation),
		cmocka_unit_test(test_write_multi_needs_negotiation),
		cmocka_unit_test(test_disconnect_mid_message),
		cmocka_unit_test(test_undersized_header_closes),
		cmocka_unit_test_setup_teardown(test_qemu_dma_reply_layout,
						conn_setup, conn_teardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
