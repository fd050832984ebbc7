// SPDX-License-Identifier: MIT
/*
 * The client library against a hostile (or broken) server: sizes it must
 * not trust, replies it must not copy blindly, a region mapped at the
 * offset the server gave, and a reply wait that unrelated messages do not
 * extend.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "test-util.h"
#include "raw-client.h"

#define MIB (1u << 20)

/* A server that answers VERSION with @caps, then lets a scenario reply. */
struct fake {
	char dir[64];
	char path[96];
	int listen_fd;
	pthread_t thread;
	const char *caps;
	void (*serve)(struct fake *f, int sock, const struct vfu_rx *rx);
	/* scenario state, read by the test once the thread is joined */
	unsigned int requests;
	uint64_t max_count;
	int region_fd;
};

static void reply(int sock, const struct vfu_rx *rx, const void *payload,
		  size_t len, const int *fds, unsigned int nr_fds)
{
	struct vfu_header h = { .msg_id = rx->hdr.msg_id,
				.command = rx->hdr.command,
				.flags = VFU_FLAGS_TYPE_REPLY };

	vfu_send(sock, &h, payload, len, fds, nr_fds, 5000);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int sock = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct vfu_rx rx;

	if (sock < 0)
		return NULL;
	vfu_rx_init(&rx);
	while (vfu_rx_wait(sock, &rx, 8 * MIB, 10000) == 1) {
		if (rx.hdr.command == VFU_CMD_VERSION) {
			size_t len = 4 + strlen(f->caps) + 1;
			char *v = calloc(1, len);

			memcpy(v + 4, f->caps, len - 4);
			reply(sock, &rx, v, len, NULL, 0);
			free(v);
		} else {
			f->requests++;
			f->serve(f, sock, &rx);
		}
		vfu_rx_reset(&rx);
	}
	vfu_rx_release(&rx);
	close(sock);
	return NULL;
}

static void fake_start(struct fake *f, const char *caps,
		       void (*serve)(struct fake *, int, const struct vfu_rx *))
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	strcpy(f->dir, "/tmp/uvfio-hostile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/fake.sock", f->dir);
	strcpy(addr.sun_path, f->path);
	f->caps = caps;
	f->serve = serve;
	f->region_fd = -1;
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(
		bind(f->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(f->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* After the client closed: the thread sees EOF and ends. */
static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	if (f->region_fd >= 0)
		close(f->region_fd);
	unlink(f->path);
	rmdir(f->dir);
}

static const char plain_caps[] = "{\"capabilities\":{\"max_msg_fds\":16}}";

static struct uvfio_client *open_fake(struct fake *f, int timeout_ms)
{
	struct uvfio_client_opts opts = { .timeout_ms = timeout_ms };
	struct uvfio_client *c = uvfio_client_open(f->path, &opts);

	assert_non_null(c);
	return c;
}

/* Region info whose argsz asks for 4 GiB. */
static void serve_huge_argsz(struct fake *f, int sock, const struct vfu_rx *rx)
{
	struct uvfio_region_info ri;

	(void)f;
	memcpy(&ri, rx->payload, sizeof(ri));
	ri.argsz = 0xfffffff0u;
	ri.size = 0x1000;
	reply(sock, rx, &ri, sizeof(ri), NULL, 0);
}

static void test_region_info_argsz_bounded(void **state)
{
	struct uvfio_region_info *info = NULL;
	struct fake f = { 0 };
	struct uvfio_client *c;

	(void)state;
	fake_start(&f, plain_caps, serve_huge_argsz);
	c = open_fake(&f, 0);
	assert_int_equal(uvfio_client_region_info(c, 0, &info), -EPROTO);
	assert_null(info);
	uvfio_client_close(c);
	fake_stop(&f);
	/* Not asked again with the absurd size. */
	assert_int_equal(f.requests, 1);
}

/*
 * DEVICE_FEATURE GET replies: one with garbage in argsz and flags, one
 * longer than the caller's buffer, one shorter than a header.
 */
static void serve_feature(struct fake *f, int sock, const struct vfu_rx *rx)
{
	struct {
		struct uvfio_device_feature hdr;
		uint64_t value, extra;
	} rep = { { .argsz = 0xdeadbeef, .flags = 0x12345678 },
		  0x1122334455667788ull,
		  0 };

	switch (f->requests) {
	case 1:
		reply(sock, rx, &rep, sizeof(rep.hdr) + 8, NULL, 0);
		break;
	case 2:
		reply(sock, rx, &rep, sizeof(rep), NULL, 0);
		break;
	default:
		reply(sock, rx, &rep, 4, NULL, 0);
		break;
	}
}

static void test_feature_reply_checked(void **state)
{
	const uint32_t flags = TESTDEV_FEATURE | UVFIO_DEVICE_FEATURE_GET;
	struct {
		struct uvfio_device_feature hdr;
		uint64_t value;
	} req = { { .argsz = sizeof(req), .flags = flags }, 0 };
	struct fake f = { 0 };
	struct uvfio_client *c;

	(void)state;
	fake_start(&f, plain_caps, serve_feature);
	c = open_fake(&f, 0);
	assert_int_equal(uvfio_client_feature(c, &req.hdr), 0);
	assert_int_equal(req.hdr.argsz, sizeof(req));
	assert_int_equal(req.hdr.flags, flags);
	assert_int_equal(req.value, 0x1122334455667788ull);
	req.value = 0;
	assert_int_equal(uvfio_client_feature(c, &req.hdr), -EPROTO);
	assert_int_equal(req.hdr.argsz, sizeof(req));
	assert_int_equal(req.hdr.flags, flags);
	assert_int_equal(uvfio_client_feature(c, &req.hdr), -EPROTO);
	assert_int_equal(req.hdr.argsz, sizeof(req));
	assert_int_equal(req.value, 0);
	uvfio_client_close(c);
	fake_stop(&f);
}

/* A mappable region that lives at offset 0x1000 of the fd it sends. */
static void serve_region_at_offset(struct fake *f, int sock,
				   const struct vfu_rx *rx)
{
	struct uvfio_region_info ri;

	memcpy(&ri, rx->payload, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.flags = UVFIO_REGION_INFO_FLAG_READ | UVFIO_REGION_INFO_FLAG_WRITE |
		   UVFIO_REGION_INFO_FLAG_MMAP;
	ri.cap_offset = 0;
	ri.size = 0x2000;
	ri.offset = 0x1000;
	reply(sock, rx, &ri, sizeof(ri), &f->region_fd, 1);
}

static void test_region_mmap_at_offset(void **state)
{
	struct fake f = { 0 };
	struct uvfio_client *c;
	uint8_t *p;
	void *map;

	(void)state;
	fake_start(&f, plain_caps, serve_region_at_offset);
	f.region_fd = raw_memfd(0x3000, 0);
	p = mmap(NULL, 0x3000, PROT_READ | PROT_WRITE, MAP_SHARED, f.region_fd,
		 0);
	assert_true(p != MAP_FAILED);
	memset(p, 'A', 0x1000);
	memset(p + 0x1000, 'B', 0x2000);
	munmap(p, 0x3000);
	c = open_fake(&f, 0);
	assert_int_equal(uvfio_client_region_mmap(c, 1, 0x1000, 0x1000,
						  PROT_READ, &map),
			 0);
	assert_int_equal(((uint8_t *)map)[0], 'B');
	munmap(map, 0x1000);
	assert_int_equal(
		uvfio_client_region_mmap(c, 1, 0, 0x2000, PROT_READ, &map), 0);
	assert_int_equal(((uint8_t *)map)[0], 'B');
	munmap(map, 0x2000);
	/* Beyond the region's size. */
	assert_int_equal(uvfio_client_region_mmap(c, 1, 0x1000, 0x2000,
						  PROT_READ, &map),
			 -EINVAL);
	uvfio_client_close(c);
	fake_stop(&f);
}

/* Never the reply, only stale ones, every 100 ms until the client goes. */
static void serve_stale(struct fake *f, int sock, const struct vfu_rx *rx)
{
	struct vfu_device_info info = { .argsz = sizeof(info) };

	(void)f;
	for (unsigned int i = 0;; i++) {
		struct vfu_header h = { .msg_id = (uint16_t)(rx->hdr.msg_id +
							     1000 + i),
					.command = rx->hdr.command,
					.flags = VFU_FLAGS_TYPE_REPLY };

		if (vfu_send(sock, &h, &info, sizeof(info), NULL, 0, 1000))
			break;
		usleep(100 * 1000);
	}
}

/*
 * Messages that are not the reply do not extend its deadline: stale
 * replies keep coming for as long as the client stays, so a deadline
 * they extended would never pass (the test's timeout).
 */
static void test_reply_deadline_not_extended(void **state)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct fake f = { 0 };
	struct uvfio_client *c;

	(void)state;
	fake_start(&f, plain_caps, serve_stale);
	c = open_fake(&f, 500);
	assert_int_equal(uvfio_client_device_info(c, &info), -ETIMEDOUT);
	uvfio_client_close(c);
	fake_stop(&f);
}

/*
 * The first reply stops half way; the rest of it comes just before the
 * reply to the second request.
 */
static void serve_cut(struct fake *f, int sock, const struct vfu_rx *rx)
{
	static uint8_t first[sizeof(struct vfu_header) +
			     sizeof(struct vfu_device_info)];
	struct vfu_device_info info = { .argsz = sizeof(info),
					.num_regions = f->requests };
	struct vfu_header h = { .msg_id = rx->hdr.msg_id,
				.command = rx->hdr.command,
				.flags = VFU_FLAGS_TYPE_REPLY,
				.msg_size = sizeof(first) };
	const size_t cut = sizeof(h) + 5;

	if (f->requests == 1) {
		memcpy(first, &h, sizeof(h));
		memcpy(first + sizeof(h), &info, sizeof(info));
		if (write(sock, first, cut) != (ssize_t)cut)
			return;
	} else if (f->requests == 2) {
		if (write(sock, first + cut, sizeof(first) - cut) !=
		    (ssize_t)(sizeof(first) - cut))
			return;
		reply(sock, rx, &info, sizeof(info), NULL, 0);
	}
}

/* A reply cut by the deadline does not put the stream out of step. */
static void test_reply_cut_by_deadline(void **state)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct fake f = { 0 };
	struct uvfio_client *c;

	(void)state;
	fake_start(&f, plain_caps, serve_cut);
	c = open_fake(&f, 300);
	assert_int_equal(uvfio_client_device_info(c, &info), -ETIMEDOUT);
	assert_int_equal(uvfio_client_device_info(c, &info), 0);
	assert_int_equal(info.num_regions, 2);
	uvfio_client_close(c);
	fake_stop(&f);
}

/* Posted REGION_WRITEs recorded; anything else answered empty. */
static struct {
	uint64_t offset;
	uint32_t region, count;
	uint8_t data[8];
} seen[8];
static unsigned int nr_seen;

static void serve_writes(struct fake *f, int sock, const struct vfu_rx *rx)
{
	struct vfu_region_access req;

	(void)f;
	if (rx->hdr.command != VFU_CMD_REGION_WRITE) {
		struct vfu_device_info info = { .argsz = sizeof(info) };

		reply(sock, rx, &info, sizeof(info), NULL, 0);
		return;
	}
	memcpy(&req, rx->payload, sizeof(req));
	if (nr_seen < ARRAY_SIZE(seen) && req.count <= 8 &&
	    rx->payload_len == sizeof(req) + req.count &&
	    (rx->hdr.flags & VFU_FLAGS_NO_REPLY)) {
		seen[nr_seen].offset = req.offset;
		seen[nr_seen].region = req.region;
		seen[nr_seen].count = req.count;
		memcpy(seen[nr_seen].data, rx->payload + sizeof(req),
		       req.count);
		nr_seen++;
	}
}

/* A server without write_multiple: a batch goes as single posted writes. */
static void test_write_multi_without_server_support(void **state)
{
	struct uvfio_region_write w[3] = {
		{ .index = 0, .len = 4, .offset = 0x10, .data = { 1, 2, 3, 4 } },
		{ .index = 2, .len = 1, .offset = 0x20, .data = { 9 } },
		{ .index = 0,
		  .len = 8,
		  .offset = 0x30,
		  .data = { 8, 7, 6, 5, 4, 3, 2, 1 } },
	};
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_client_caps caps;
	struct fake f = { 0 };
	struct uvfio_client *c;

	(void)state;
	nr_seen = 0;
	fake_start(&f, plain_caps, serve_writes);
	c = open_fake(&f, 5000);
	uvfio_client_get_caps(c, &caps);
	assert_false(caps.write_multiple);
	assert_int_equal(uvfio_client_region_write_multi(c, w, 3), 0);
	/* A request behind them: the server has read them all. */
	assert_int_equal(uvfio_client_device_info(c, &info), 0);
	assert_int_equal(nr_seen, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(seen[i].offset, w[i].offset);
		assert_int_equal(seen[i].region, w[i].index);
		assert_int_equal(seen[i].count, w[i].len);
		assert_memory_equal(seen[i].data, w[i].data, w[i].len);
	}
	uvfio_client_close(c);
	fake_stop(&f);
}

/* REGION_READ answered with whatever count was asked. */
static void serve_reads(struct fake *f, int sock, const struct vfu_rx *rx)
{
	struct vfu_region_access req;
	uint8_t *rep;

	memcpy(&req, rx->payload, sizeof(req));
	if (req.count > f->max_count)
		f->max_count = req.count;
	rep = calloc(1, sizeof(req) + req.count);
	memcpy(rep, &req, sizeof(req));
	memset(rep + sizeof(req), 0x5a, req.count);
	reply(sock, rx, rep, sizeof(req) + req.count, NULL, 0);
	free(rep);
}

/* A server that takes 64 MiB per message gets what the client takes. */
static void test_transfer_size_clamped(void **state)
{
	static const char caps[] = "{\"capabilities\":{\"max_msg_fds\":1024,"
				   "\"max_data_xfer_size\":67108864}}";
	struct uvfio_client_caps got;
	uint8_t *buf = malloc(2 * MIB);
	struct fake f = { 0 };
	struct uvfio_client *c;

	(void)state;
	fake_start(&f, caps, serve_reads);
	c = open_fake(&f, 0);
	uvfio_client_get_caps(c, &got);
	assert_int_equal(got.max_data_xfer_size, MIB);
	assert_true(got.max_msg_fds <= 16);
	assert_int_equal(uvfio_client_region_read(c, 0, 0, buf, 2 * MIB),
			 2 * MIB);
	assert_int_equal(buf[2 * MIB - 1], 0x5a);
	uvfio_client_close(c);
	fake_stop(&f);
	assert_int_equal(f.max_count, MIB);
	free(buf);
}

static void serve_nothing(struct fake *f, int sock, const struct vfu_rx *rx)
{
	(void)f, (void)sock, (void)rx;
}

/* A server that takes a few bytes per message is not worth talking to. */
static void test_tiny_transfers_refused(void **state)
{
	struct fake f = { 0 };

	(void)state;
	fake_start(&f, "{\"capabilities\":{\"max_data_xfer_size\":512}}",
		   serve_nothing);
	errno = 0;
	assert_null(uvfio_client_open(f.path, NULL));
	assert_int_equal(errno, EPROTO);
	fake_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_info_argsz_bounded),
		cmocka_unit_test(test_feature_reply_checked),
		cmocka_unit_test(test_region_mmap_at_offset),
		cmocka_unit_test(test_reply_deadline_not_extended),
		cmocka_unit_test(test_reply_cut_by_deadline),
		cmocka_unit_test(test_write_multi_without_server_support),
		cmocka_unit_test(test_transfer_size_clamped),
		cmocka_unit_test(test_tiny_transfers_refused),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
