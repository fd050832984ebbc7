// SPDX-License-Identifier: MIT
/*
 * Migration end to end over vfio-user, through the client library only:
 * ram devices behind a server, stop-copy and pre-copy from one to another,
 * and a destination left untouched by a stream that is refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "ram/ram.h"
#include "test-util.h"

#define SIZE (1u << 20)
#define SMALL (64u << 10)

struct fixture {
	char dir[64];
	char path[3][96];
	struct uvfio_device *dev[3]; /* src, dst (same size), small */
	struct uvfio_server *srv;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *names[3] = { "src", "dst", "small" };

	test_mkdtemp(f->dir, sizeof(f->dir), "mig");
	for (int i = 0; i < 3; i++) {
		f->dev[i] = ram_device_new(names[i], i == 2 ? SMALL : SIZE);
		assert_non_null(f->dev[i]);
		uvfio_device_set_log(f->dev[i], NULL, NULL,
				     getenv("MIG_DEBUG") ? UVFIO_LOG_DEBUG : 0);
	}
	f->srv = test_serve(NULL, f->dir, f->dev, f->path, 3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uvfio_server_destroy(f->srv);
	for (int i = 0; i < 3; i++)
		uvfio_device_destroy(f->dev[i]);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void fill(struct uvfio_client *c, uint8_t seed)
{
	uint8_t *buf = malloc(SIZE);

	for (size_t i = 0; i < SIZE; i++)
		buf[i] = (uint8_t)(seed + i * 13);
	assert_int_equal(uvfio_client_region_write(c, 0, 0, buf, SIZE), SIZE);
	free(buf);
}

static void assert_same(struct uvfio_client *a, struct uvfio_client *b,
			size_t len)
{
	uint8_t *x = malloc(len), *y = malloc(len);

	assert_int_equal(uvfio_client_region_read(a, 0, 0, x, len), len);
	assert_int_equal(uvfio_client_region_read(b, 0, 0, y, len), len);
	assert_memory_equal(x, y, len);
	free(x);
	free(y);
}

/* Read everything available now; returns the bytes appended to *buf. */
static size_t drain(struct uvfio_client *c, uint8_t **buf, size_t *len)
{
	size_t got = 0;

	for (;;) {
		ssize_t n;

		*buf = realloc(*buf, *len + 65536);
		n = uvfio_client_mig_read(c, *buf + *len, 65536);
		assert_true(n >= 0);
		if (!n)
			return got;
		*len += (size_t)n;
		got += (size_t)n;
	}
}

static enum uvfio_device_mig_state state_of(struct uvfio_client *c)
{
	enum uvfio_device_mig_state s = 0;

	assert_int_equal(uvfio_client_mig_get_state(c, &s), 0);
	return s;
}

static void test_stop_copy(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *src = uvfio_client_open(f->path[0], NULL);
	struct uvfio_client *dst = uvfio_client_open(f->path[1], NULL);
	uint8_t *stream = NULL;
	size_t len = 0;
	uint64_t flags, size;

	assert_int_equal(uvfio_client_mig_flags(src, &flags), 0);
	assert_int_equal(flags, UVFIO_MIGRATION_STOP_COPY |
					UVFIO_MIGRATION_P2P |
					UVFIO_MIGRATION_PRE_COPY);
	assert_int_equal(uvfio_client_mig_data_size(src, &size), 0);
	assert_true(size >= SIZE);
	fill(src, 1);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP_COPY),
		0);
	assert_int_equal(state_of(src), UVFIO_DEVICE_STATE_STOP_COPY);
	drain(src, &stream, &len);
	assert_true(len > SIZE);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP), 0);

	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING),
		0);
	assert_int_equal(uvfio_client_mig_write(dst, stream, len), len);
	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RUNNING), 0);
	assert_same(src, dst, SIZE);
	/* Data commands outside a session are refused. */
	assert_int_equal(uvfio_client_mig_write(dst, stream, 16), -EINVAL);
	assert_int_equal(uvfio_client_mig_read(dst, stream, 16), -EINVAL);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_RUNNING), 0);
	free(stream);
	uvfio_client_close(src);
	uvfio_client_close(dst);
}

static void test_pre_copy(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *src = uvfio_client_open(f->path[0], NULL);
	struct uvfio_client *dst = uvfio_client_open(f->path[1], NULL);
	uint8_t *stream = NULL;
	size_t len = 0;

	fill(src, 7);
	fill(dst, 0);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_PRE_COPY),
		0);
	assert_true(drain(src, &stream, &len) > SIZE);
	/* Caught up: nothing now, the device keeps running. */
	assert_int_equal(drain(src, &stream, &len), 0);
	fill(src, 9); /* the guest changes the device meanwhile */
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP_COPY),
		0);
	assert_true(drain(src, &stream, &len) > SIZE);

	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING),
		0);
	/* Arbitrary segmentation is fine. */
	for (size_t off = 0; off < len; off += 100000) {
		size_t n = len - off < 100000 ? len - off : 100000;

		assert_int_equal(uvfio_client_mig_write(dst, stream + off, n),
				 n);
	}
	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RUNNING), 0);
	assert_same(src, dst, SIZE);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_RUNNING), 0);
	free(stream);
	uvfio_client_close(src);
	uvfio_client_close(dst);
}

/* A refused stream leaves the destination exactly as it was. */
static void test_refused_streams(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *src = uvfio_client_open(f->path[0], NULL);
	struct uvfio_client *small = uvfio_client_open(f->path[2], NULL);
	struct uvfio_client *dst = uvfio_client_open(f->path[1], NULL);
	uint8_t *stream = NULL, *before = malloc(SIZE), *after = malloc(SIZE);
	size_t len = 0;

	fill(src, 3);
	fill(dst, 5);
	assert_int_equal(uvfio_client_region_read(dst, 0, 0, before, SIZE),
			 SIZE);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP_COPY),
		0);
	drain(src, &stream, &len);

	/* Another device (a ram of another size): the header is refused. */
	assert_int_equal(
		uvfio_client_mig_set_state(small, UVFIO_DEVICE_STATE_RESUMING),
		0);
	assert_int_equal(uvfio_client_mig_write(small, stream, len), -EINVAL);
	assert_int_equal(uvfio_client_mig_set_state(small,
						    UVFIO_DEVICE_STATE_RUNNING),
			 -EINVAL);
	assert_int_equal(state_of(small), UVFIO_DEVICE_STATE_RESUMING);
	assert_int_equal(uvfio_client_reset(small), 0);
	assert_int_equal(state_of(small), UVFIO_DEVICE_STATE_RUNNING);

	/* Truncated, then corrupted: refused; dst unchanged each time. */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(uvfio_client_mig_set_state(
					 dst, UVFIO_DEVICE_STATE_RESUMING),
				 0);
		if (round == 0) {
			assert_int_equal(uvfio_client_mig_write(dst, stream,
								len - 3),
					 len - 3);
		} else {
			stream[len / 3] ^= 1;
			assert_int_equal(uvfio_client_mig_write(dst, stream,
								len),
					 -EINVAL);
			stream[len / 3] ^= 1;
		}
		assert_int_equal(uvfio_client_mig_set_state(
					 dst, UVFIO_DEVICE_STATE_RUNNING),
				 -EINVAL);
		assert_int_equal(uvfio_client_reset(dst), 0);
		/* ram's reset zeroes it: compare against a fresh fill. */
		fill(dst, 5);
	}
	/* The untouched check, without the reset in between. */
	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING),
		0);
	assert_int_equal(uvfio_client_mig_write(dst, stream, len - 1), len - 1);
	assert_int_equal(uvfio_client_mig_set_state(dst,
						    UVFIO_DEVICE_STATE_STOP),
			 -EINVAL);
	assert_int_equal(uvfio_client_region_read(dst, 0, 0, after, SIZE),
			 SIZE);
	assert_memory_equal(before, after, SIZE);
	assert_int_equal(uvfio_client_reset(dst), 0);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_RUNNING), 0);
	free(stream);
	free(before);
	free(after);
	uvfio_client_close(src);
	uvfio_client_close(small);
	uvfio_client_close(dst);
}

/* The data as a file descriptor, as the kernel's data_fd. */
static void test_data_fd(void **state)
{
	struct fixture *f = *state;
	struct uvfio_client *src = uvfio_client_open(f->path[0], NULL);
	struct uvfio_client *dst = uvfio_client_open(f->path[1], NULL);
	uint8_t *stream = malloc(4 * SIZE);
	size_t len = 0;
	ssize_t n;
	int fd, fd2;

	fill(src, 11);
	/* Not in a data state: refused. */
	assert_int_equal(uvfio_client_mig_data_fd(src, &fd), -EINVAL);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP_COPY),
		0);
	assert_int_equal(uvfio_client_mig_data_fd(src, &fd), 0);
	assert_int_equal(uvfio_client_mig_data_fd(src, &fd2), -EBUSY);
	while ((n = read(fd, stream + len, 4 * SIZE - len)) > 0)
		len += (size_t)n;
	assert_int_equal(n, 0);
	close(fd);
	assert_true(len > SIZE);

	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING),
		0);
	assert_int_equal(uvfio_client_mig_data_fd(dst, &fd), 0);
	for (size_t off = 0; off < len; off += (size_t)n) {
		n = write(fd, stream + off, len - off);
		assert_true(n > 0);
	}
	close(fd);
	/* The state change waits for everything written to arrive. */
	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RUNNING), 0);
	assert_same(src, dst, SIZE);
	assert_int_equal(
		uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_RUNNING), 0);
	/* A refused stream through the fd: writes go on without SIGPIPE,
	 * the state change fails, the destination keeps its state. */
	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING),
		0);
	assert_int_equal(uvfio_client_mig_data_fd(dst, &fd), 0);
	memset(stream, 0x5a, SIZE);
	for (int i = 0; i < 4; i++)
		assert_int_equal(write(fd, stream, SIZE / 4), SIZE / 4);
	close(fd);
	assert_int_equal(uvfio_client_mig_set_state(dst,
						    UVFIO_DEVICE_STATE_RUNNING),
			 -EINVAL);
	assert_int_equal(uvfio_client_reset(dst), 0);
	/* A handle closed with a data fd still open does not hang. */
	assert_int_equal(
		uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING),
		0);
	assert_int_equal(uvfio_client_mig_data_fd(dst, &fd), 0);
	uvfio_client_close(dst);
	close(fd);
	dst = uvfio_client_open(f->path[1], NULL);
	assert_int_equal(uvfio_client_reset(dst), 0);
	free(stream);
	uvfio_client_close(src);
	uvfio_client_close(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_copy),
		cmocka_unit_test(test_pre_copy),
		cmocka_unit_test(test_refused_streams),
		cmocka_unit_test(test_data_fd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
