// SPDX-License-Identifier: MIT
/*
 * The client library against the server, end to end over real sockets:
 * every command through the public API, DMA both ways (fd-mapped and
 * through messages, with and without a twin socket), interrupts, disconnect
 * and reconnect, two devices on one server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/uvfio.h>

#include "test-util.h"
#include "testdev.h"

static int setup(void **state)
{
	struct testdev_pair *f = testdev_pair_new("dev", -1);

	f->srv = test_serve(NULL, f->dir, f->dev, f->path, 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct testdev_pair *f = *state;

	uvfio_server_destroy(f->srv);
	f->srv = NULL;
	/* The server removed its sockets. */
	assert_int_equal(access(f->path[0], F_OK), -1);
	testdev_pair_free(f);
	return 0;
}

static struct uvfio_client *open_dev(struct testdev_pair *f, int i, bool twin)
{
	struct uvfio_client_opts opts = { .twin_socket = twin };
	struct uvfio_client *c = uvfio_client_open(f->path[i], &opts);

	assert_non_null(c);
	return c;
}

static void test_info(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *c = open_dev(f, 0, false);
	struct uvfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_irq_info irq = { .argsz = sizeof(irq), .index = 1 };
	const struct uvfio_region_info_cap_sparse_mmap *sparse;
	struct uvfio_region_sparse_mmap_area area;
	struct uvfio_region_info *rinfo;
	struct uvfio_client_caps caps;

	uvfio_client_get_caps(c, &caps);
	assert_int_equal(caps.major, 0);
	assert_int_equal(caps.minor, 2);
	assert_int_equal(caps.max_msg_fds, 16);
	assert_true(caps.write_multiple);
	assert_false(caps.twin_socket);

	assert_int_equal(uvfio_client_device_info(c, &info), 0);
	assert_int_equal(info.flags,
			 UVFIO_DEVICE_FLAGS_PCI | UVFIO_DEVICE_FLAGS_RESET);
	assert_int_equal(info.num_regions, 2);
	assert_int_equal(info.num_irqs, 2);

	assert_int_equal(uvfio_client_region_info(c, TESTDEV_MEM, &rinfo), 0);
	assert_int_equal(rinfo->size, TESTDEV_MEM_SIZE);
	assert_true(rinfo->flags & UVFIO_REGION_INFO_FLAG_MMAP);
	assert_true(rinfo->flags & UVFIO_REGION_INFO_FLAG_CAPS);
	sparse = (const void *)uvfio_info_cap_find(
		rinfo, rinfo->argsz, rinfo->cap_offset,
		UVFIO_REGION_INFO_CAP_SPARSE_MMAP, sizeof(*sparse) + 16);
	assert_non_null(sparse);
	assert_int_equal(sparse->nr_areas, 1);
	/* u64 fields of an info reply are read with memcpy (4-aligned). */
	memcpy(&area, &sparse->areas[0], sizeof(area));
	assert_int_equal(area.offset, 0x1000);
	assert_int_equal(area.size, 0x2000);
	free(rinfo);
	assert_int_equal(uvfio_client_region_info(c, 2, &rinfo), -EINVAL);

	assert_int_equal(uvfio_client_irq_info(c, &irq), 0);
	assert_int_equal(irq.count, 2);
	assert_int_equal(irq.flags,
			 UVFIO_IRQ_INFO_EVENTFD | UVFIO_IRQ_INFO_NORESIZE);
	irq.index = 4;
	assert_int_equal(uvfio_client_irq_info(c, &irq), -EINVAL);
	uvfio_client_close(c);
}

static void test_region_access(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *c = open_dev(f, 0, false);
	uint8_t big[TESTDEV_MEM_SIZE], back[TESTDEV_MEM_SIZE];
	uint32_t v = 0x12345678, r = 0;
	uint8_t *map;

	assert_int_equal(
		uvfio_client_region_write(c, TESTDEV_REGS, 0x40, &v, 4), 4);
	assert_int_equal(uvfio_client_region_read(c, TESTDEV_REGS, 0x40, &r, 4),
			 4);
	assert_int_equal(r, v);
	/* Posted writes are ordered before the next request. */
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(uvfio_client_region_write_posted(
					 c, TESTDEV_REGS, 0x44, &i, 4),
				 0);
	assert_int_equal(uvfio_client_region_read(c, TESTDEV_REGS, 0x44, &r, 4),
			 4);
	assert_int_equal(r, 99);
	/* The device's answer to out-of-range access travels back. */
	assert_int_equal(uvfio_client_region_read(c, TESTDEV_REGS,
						  TESTDEV_REGS_SIZE - 2, &r, 4),
			 -EINVAL);
	assert_int_equal(uvfio_client_region_read(c, 9, 0, &r, 4), -EINVAL);

	/* A whole memory region through messages, and its sparse mmap. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(uvfio_client_region_write(c, TESTDEV_MEM, 0, big,
						   sizeof(big)),
			 sizeof(big));
	assert_int_equal(uvfio_client_region_read(c, TESTDEV_MEM, 0, back,
						  sizeof(back)),
			 sizeof(back));
	assert_memory_equal(big, back, sizeof(big));
	assert_int_equal(
		uvfio_client_region_mmap(c, TESTDEV_MEM, 0x1000, 0x2000,
					 PROT_READ | PROT_WRITE, (void **)&map),
		0);
	assert_memory_equal(map, big + 0x1000, 0x2000);
	map[5] = 0xee;
	assert_int_equal(((uint8_t *)uvfio_region_memory(f->dev[0],
							 TESTDEV_MEM))[0x1005],
			 0xee);
	munmap(map, 0x2000);
	assert_int_equal(uvfio_client_region_mmap(c, TESTDEV_REGS, 0, 0x1000,
						  PROT_READ, (void **)&map),
			 -EINVAL);
	uvfio_client_close(c);
}

/*
 * Batches of 1- to 8-byte writes, overlapping so that order shows, over
 * more than two REGION_WRITE_MULTI messages: memory ends as a model of
 * the same writes in order says.
 */
static void test_region_write_multi(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *c = open_dev(f, 0, false);
	static struct uvfio_region_write w[450];
	uint8_t model[TESTDEV_MEM_SIZE] = { 0 }, back[TESTDEV_MEM_SIZE];
	struct uvfio_client_caps caps;

	uvfio_client_get_caps(c, &caps);
	assert_true(caps.write_multiple);
	assert_int_equal(uvfio_client_region_write(c, TESTDEV_MEM, 0, model,
						   sizeof(model)),
			 sizeof(model));
	for (unsigned int i = 0; i < ARRAY_SIZE(w); i++) {
		w[i].index = TESTDEV_MEM;
		w[i].len = 1 + i % 8;
		w[i].offset = (i * 37) % (TESTDEV_MEM_SIZE / 4);
		for (unsigned int k = 0; k < w[i].len; k++)
			w[i].data[k] = (uint8_t)(i + k * 3 + 1);
		memcpy(model + w[i].offset, w[i].data, w[i].len);
	}
	assert_int_equal(uvfio_client_region_write_multi(c, w, ARRAY_SIZE(w)),
			 0);
	assert_int_equal(uvfio_client_region_read(c, TESTDEV_MEM, 0, back,
						  sizeof(back)),
			 sizeof(back));
	assert_memory_equal(back, model, sizeof(model));
	/* A bad length anywhere: nothing is written. */
	w[0].data[0] ^= 0xff;
	w[300].len = 9;
	assert_int_equal(uvfio_client_region_write_multi(c, w, ARRAY_SIZE(w)),
			 -EINVAL);
	w[300].len = 0;
	assert_int_equal(uvfio_client_region_write_multi(c, w, ARRAY_SIZE(w)),
			 -EINVAL);
	assert_int_equal(uvfio_client_region_read(c, TESTDEV_MEM, 0, back,
						  sizeof(back)),
			 sizeof(back));
	assert_memory_equal(back, model, sizeof(model));
	assert_int_equal(uvfio_client_region_write_multi(c, w, 0), 0);
	uvfio_client_close(c);
}

/*
 * Thousands of clients come and go, with and without a twin socket, each
 * taking a region's descriptor, mapping guest memory by descriptor and
 * mmapping part of a region: afterwards the process (server and clients)
 * holds exactly the descriptors it held before.
 */
static void test_connect_cycles_leak_nothing(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client_buffer guest;
	struct uvfio_client *c;
	int before;

	assert_int_equal(uvfio_client_buffer_alloc(1 << 20, &guest), 0);
	/* Counted with a client connected: the next open waits until the
	 * server dropped the last one. */
	c = open_dev(f, 0, false);
	before = test_count_fds();
	uvfio_client_close(c);
	for (int i = 0; i < 2000; i++) {
		struct uvfio_region_info *rinfo = NULL;
		void *map;

		c = open_dev(f, 0, i % 2);
		assert_int_equal(
			uvfio_client_region_info(c, TESTDEV_MEM, &rinfo), 0);
		free(rinfo);
		assert_int_equal(uvfio_client_dma_map(c, 0x100000, 1 << 20,
						      UVFIO_DMA_READ |
							      UVFIO_DMA_WRITE,
						      guest.fd, 0, guest.addr),
				 0);
		if (i % 3 == 0) {
			assert_int_equal(uvfio_client_region_mmap(
						 c, TESTDEV_MEM, 0x1000, 0x1000,
						 PROT_READ, &map),
					 0);
			munmap(map, 0x1000);
		}
		uvfio_client_close(c);
	}
	c = open_dev(f, 0, false);
	assert_int_equal(test_count_fds(), before);
	uvfio_client_close(c);
	uvfio_client_buffer_free(&guest);
}

static void test_features_and_reset(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *c = open_dev(f, 0, false);
	struct {
		struct uvfio_device_feature hdr;
		uint64_t value;
	} req;
	unsigned int resets = f->state[0].resets;

	req.hdr = (struct uvfio_device_feature){
		.argsz = sizeof(req),
		.flags = TESTDEV_FEATURE | UVFIO_DEVICE_FEATURE_SET,
	};
	req.value = 0xfeedface;
	assert_int_equal(uvfio_client_feature(c, &req.hdr), 0);
	req.hdr.flags = TESTDEV_FEATURE | UVFIO_DEVICE_FEATURE_GET;
	req.value = 0;
	assert_int_equal(uvfio_client_feature(c, &req.hdr), 0);
	assert_int_equal(req.value, 0xfeedface);
	req.hdr.flags = TESTDEV_FEATURE | UVFIO_DEVICE_FEATURE_PROBE |
			UVFIO_DEVICE_FEATURE_GET;
	assert_int_equal(uvfio_client_feature(c, &req.hdr), 0);
	req.hdr.flags = UVFIO_DEVICE_FEATURE_MIGRATION |
			UVFIO_DEVICE_FEATURE_PROBE;
	assert_int_equal(uvfio_client_feature(c, &req.hdr), -ENOTTY);
	req.hdr.flags = TESTDEV_FEATURE | UVFIO_DEVICE_FEATURE_GET |
			UVFIO_DEVICE_FEATURE_SET;
	assert_int_equal(uvfio_client_feature(c, &req.hdr), -EINVAL);

	assert_int_equal(uvfio_client_reset(c), 0);
	assert_int_equal(f->state[0].resets, resets + 1);
	uvfio_client_close(c);
}

static void set_eventfds(struct uvfio_client *c, uint32_t index, uint32_t count,
			 const int32_t *fds)
{
	struct {
		struct uvfio_irq_set hdr;
		int32_t fds[4];
	} set = { { .argsz = (uint32_t)(sizeof(set.hdr) + count * 4),
		    .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
			     UVFIO_IRQ_SET_DATA_EVENTFD,
		    .index = index,
		    .count = count },
		  { 0 } };

	memcpy(set.fds, fds, count * 4);
	assert_int_equal(uvfio_client_set_irqs(c, &set.hdr), 0);
}

static void test_irqs(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *c = open_dev(f, 0, false);
	int32_t fds[2] = { test_eventfd(), test_eventfd() };
	const int32_t none[2] = { -1, -1 };
	struct uvfio_irq_set unmask = {
		.argsz = sizeof(unmask),
		.flags = UVFIO_IRQ_SET_ACTION_UNMASK | UVFIO_IRQ_SET_DATA_NONE,
		.index = UVFIO_PCI_INTX_IRQ_INDEX,
		.count = 1,
	};
	struct {
		struct uvfio_irq_set hdr;
		uint8_t bools[2];
	} loop = { { .argsz = sizeof(loop),
		     .flags = UVFIO_IRQ_SET_ACTION_TRIGGER |
			      UVFIO_IRQ_SET_DATA_BOOL,
		     .index = UVFIO_PCI_MSI_IRQ_INDEX,
		     .count = 2 },
		   { 0, 1 } };

	set_eventfds(c, UVFIO_PCI_MSI_IRQ_INDEX, 2, fds);
	assert_int_equal(uvfio_device_irq_enabled(f->dev[0],
						  UVFIO_PCI_MSI_IRQ_INDEX),
			 2);
	assert_int_equal(uvfio_device_irq_trigger(f->dev[0],
						  UVFIO_PCI_MSI_IRQ_INDEX, 1),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(test_eventfd_count(fds[1]), 1);
	assert_int_equal(uvfio_client_set_irqs(c, &loop.hdr), 0);
	assert_int_equal(test_eventfd_count(fds[0]), 0);
	assert_int_equal(test_eventfd_count(fds[1]), 1);
	/* QEMU's de-assign: DATA_EVENTFD with no descriptors. */
	set_eventfds(c, UVFIO_PCI_MSI_IRQ_INDEX, 2, none);
	assert_int_equal(uvfio_device_irq_trigger(f->dev[0],
						  UVFIO_PCI_MSI_IRQ_INDEX, 1),
			 UVFIO_IRQ_DROPPED);

	/* INTx is automasked until the client unmasks. */
	set_eventfds(c, UVFIO_PCI_INTX_IRQ_INDEX, 1, fds);
	assert_int_equal(uvfio_device_irq_trigger(f->dev[0],
						  UVFIO_PCI_INTX_IRQ_INDEX, 0),
			 UVFIO_IRQ_DELIVERED);
	assert_int_equal(uvfio_device_irq_trigger(f->dev[0],
						  UVFIO_PCI_INTX_IRQ_INDEX, 0),
			 UVFIO_IRQ_PENDING);
	assert_int_equal(test_eventfd_count(fds[0]), 1);
	assert_int_equal(uvfio_client_set_irqs(c, &unmask), 0);
	assert_int_equal(test_eventfd_count(fds[0]), 1);

	/* Disconnect releases every index. */
	uvfio_client_close(c);
	c = open_dev(f, 0, false); /* ordered after the release */
	assert_int_equal(uvfio_device_irq_enabled(f->dev[0],
						  UVFIO_PCI_INTX_IRQ_INDEX),
			 0);
	assert_int_equal(uvfio_device_irq_enabled(f->dev[0],
						  UVFIO_PCI_MSI_IRQ_INDEX),
			 0);
	uvfio_client_close(c);
	close(fds[0]);
	close(fds[1]);
}

static uint64_t reg_read(struct uvfio_client *c, uint64_t off)
{
	uint64_t v = 0;

	assert_int_equal(uvfio_client_region_read(c, TESTDEV_REGS, off, &v, 8),
			 8);
	return v;
}

static void reg_write(struct uvfio_client *c, uint64_t off, uint64_t v)
{
	assert_int_equal(uvfio_client_region_write(c, TESTDEV_REGS, off, &v, 8),
			 8);
}

/* Make the device DMA @len bytes at @iova; returns its errno result. */
static uint64_t device_dma(struct uvfio_client *c, uint64_t iova, uint64_t len,
			   uint64_t go)
{
	reg_write(c, TESTDEV_DMA_IOVA, iova);
	reg_write(c, TESTDEV_DMA_LEN, len);
	reg_write(c, TESTDEV_DMA_GO, go);
	return reg_read(c, TESTDEV_DMA_RESULT);
}

static void check_pattern(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(p[i], TESTDEV_PATTERN(i));
}

static void dma_both_ways(struct testdev_pair *f, bool twin)
{
	struct uvfio_client *c = open_dev(f, 0, twin);
	struct uvfio_client_buffer shared;
	/* 3 MiB: more than one 1 MiB transfer through messages */
	const size_t msg_len = 3 << 20;
	uint8_t *private = calloc(1, msg_len);
	uint64_t sum = 0;

	assert_int_equal(uvfio_client_buffer_alloc(1 << 20, &shared), 0);
	/* Sealed at its size, as servers require of guest memory. */
	assert_int_equal(fcntl(shared.fd, F_GET_SEALS) &
				 (F_SEAL_SHRINK | F_SEAL_GROW),
			 F_SEAL_SHRINK | F_SEAL_GROW);
	assert_int_equal(ftruncate(shared.fd, 4096), -1);
	assert_int_equal(uvfio_client_dma_map(c, 0x100000, 1 << 20,
					      UVFIO_DMA_READ | UVFIO_DMA_WRITE,
					      shared.fd, 0, shared.addr),
			 0);
	assert_int_equal(uvfio_client_dma_map(c, 0x10000000, msg_len,
					      UVFIO_DMA_READ | UVFIO_DMA_WRITE,
					      -1, 0, private),
			 0);
	assert_int_equal(uvfio_dma_count(uvfio_device_dma(f->dev[0])), 2);
	/* Overlap refused by the server. */
	assert_int_equal(uvfio_client_dma_map(c, 0x100000, 4096, UVFIO_DMA_READ,
					      shared.fd, 0, shared.addr),
			 -EEXIST);

	/* fd-mapped: the device writes guest memory directly. */
	assert_int_equal(device_dma(c, 0x100010, 4096, 1), 0);
	check_pattern((uint8_t *)shared.addr + 0x10, 4096);
	/* message-based: DMA_WRITE messages answered by the client. */
	assert_int_equal(device_dma(c, 0x10000000, msg_len, 1), 0);
	check_pattern(private, msg_len);
	/* and DMA_READ back */
	for (size_t i = 0; i < msg_len; i++)
		sum += private[i];
	assert_int_equal(device_dma(c, 0x10000000, msg_len, 2), 0);
	assert_int_equal(reg_read(c, TESTDEV_DMA_SUM), sum);
	/* Unmapped IOVA: the device's DMA fails cleanly. */
	assert_int_equal(device_dma(c, 0x200000, 16, 1), EFAULT);
	assert_int_equal(device_dma(c, 0x100000 + (1 << 20) - 8, 16, 1),
			 EFAULT);

	assert_int_equal(uvfio_client_dma_unmap(c, 0x100000, 4096), -ENOENT);
	assert_int_equal(uvfio_client_dma_unmap(c, 0x100000, 1 << 20), 0);
	assert_int_equal(device_dma(c, 0x100010, 16, 1), EFAULT);
	assert_int_equal(uvfio_client_dma_unmap_all(c), 0);
	assert_int_equal(uvfio_dma_count(uvfio_device_dma(f->dev[0])), 0);

	/* Disconnect with maps in place unmaps them. */
	assert_int_equal(uvfio_client_dma_map(c, 0x100000, 1 << 20,
					      UVFIO_DMA_READ, shared.fd, 0,
					      shared.addr),
			 0);
	uvfio_client_close(c);
	c = open_dev(f, 0, twin);
	assert_int_equal(uvfio_dma_count(uvfio_device_dma(f->dev[0])), 0);
	uvfio_client_close(c);
	uvfio_client_buffer_free(&shared);
	free(private);
}

static void test_dma(void **state)
{
	dma_both_ways(*state, false);
}

static void test_dma_twin_socket(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *c = open_dev(f, 0, true);
	struct uvfio_client_caps caps;

	uvfio_client_get_caps(c, &caps);
	assert_true(caps.twin_socket);
	uvfio_client_close(c);
	dma_both_ways(f, true);
}

static void test_two_devices_and_reconnect(void **state)
{
	struct testdev_pair *f = *state;
	struct uvfio_client *a = open_dev(f, 0, false);
	struct uvfio_client *b = open_dev(f, 1, false);
	uint64_t v;

	reg_write(a, 0x200, 1);
	reg_write(b, 0x200, 2);
	assert_int_equal(reg_read(a, 0x200), 1);
	assert_int_equal(reg_read(b, 0x200), 2);
	uvfio_client_close(a);
	/* The next client finds the device as the last one left it. */
	for (int i = 0; i < 20; i++) {
		a = open_dev(f, 0, false);
		v = reg_read(a, 0x200);
		assert_int_equal(v, i ? 7 + i - 1 : 1);
		reg_write(a, 0x200, 7 + i);
		uvfio_client_close(a);
	}
	assert_int_equal(reg_read(b, 0x200), 2);
	uvfio_client_close(b);
}

static void test_open_errors(void **state)
{
	struct testdev_pair *f = *state;
	char path[128];

	(void)f;
	errno = 0;
	/* A VF token to a device that is no PF or VF: refused by it, as the
	 * kernel refuses one (EINVAL); one that is no UUID, by the client. */
	snprintf(path, sizeof(path), "unix:%s", f->path[1]);
	assert_null(uvfio_client_open(
		path,
		&(struct uvfio_client_opts){
			.vf_token = "00000000-0000-0000-0000-000000000001" }));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(uvfio_client_open(
		path, &(struct uvfio_client_opts){ .vf_token = "0000-0000" }));
	assert_int_equal(errno, EINVAL);
	assert_null(uvfio_client_open("/nonexistent/x.sock", NULL));
	assert_int_equal(errno, ENOENT);
	snprintf(path, sizeof(path), "unix:%s", f->path[1]);
	struct uvfio_client *c = uvfio_client_open(path, NULL);
	assert_non_null(c);
	uvfio_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_region_access),
		cmocka_unit_test(test_region_write_multi),
		cmocka_unit_test(test_connect_cycles_leak_nothing),
		cmocka_unit_test(test_features_and_reset),
		cmocka_unit_test(test_irqs),
		cmocka_unit_test(test_dma),
		cmocka_unit_test(test_dma_twin_socket),
		cmocka_unit_test(test_two_devices_and_reconnect),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
