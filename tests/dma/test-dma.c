// SPDX-License-Identifier: MIT
/*
 * The DMA address space: map/unmap rules, checked accesses over memory and
 * message-based windows, the dirty hook, and concurrency.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvfio/dma.h>

#include "test-util.h"

#define RW (UVFIO_DMA_READ | UVFIO_DMA_WRITE)
#define KIB 1024ull
#define MIB (1024 * KIB)
#define TIB (1024 * 1024 * MIB)
#define MAX_CALLS 16

static uint64_t pg(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

/* The byte a test memfd holds at file offset @off. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12) * 13 + 1);
}

/* A memfd of @size bytes filled with pattern(). */
static int memfd_pattern(uint64_t size)
{
	int fd = memfd_create("test-dma", MFD_CLOEXEC);
	uint8_t *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (uint64_t i = 0; i < size; i++)
		p[i] = pattern(i);
	munmap(p, size);
	return fd;
}

static void pread_exact(int fd, void *buf, size_t len, uint64_t off)
{
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
}

/* What the message handler and the dirty hook saw. */
struct call {
	uint64_t iova;
	uint64_t len;
	bool is_write;
};

struct recorder {
	struct call calls[MAX_CALLS];
	unsigned int nr;
	/* Message-based guest memory: backs iova [mem_iova, +sizeof(mem)). */
	uint64_t mem_iova;
	uint8_t mem[0x4000];
	int fail;	       /* returned by the handler when non-zero */
	struct uvfio_dma *dma; /* when set, the handler maps and unmaps */
};

static void record(struct recorder *r, uint64_t iova, uint64_t len,
		   bool is_write)
{
	assert_true(r->nr < MAX_CALLS);
	r->calls[r->nr++] = (struct call){ iova, len, is_write };
}

static int msg_handler(void *opaque, uint64_t iova, void *buf, size_t len,
		       bool is_write)
{
	struct recorder *r = opaque;

	record(r, iova, len, is_write);
	if (r->dma) {
		/* Would deadlock if the handler ran under the lock. */
		assert_int_equal(
			uvfio_dma_map(r->dma, 1ull << 60, 4096, RW, -1, 0), 0);
		assert_int_equal(uvfio_dma_unmap(r->dma, 1ull << 60, 4096), 0);
	}
	if (r->fail)
		return r->fail;
	assert_true(iova >= r->mem_iova);
	assert_true(iova - r->mem_iova + len <= sizeof(r->mem));
	if (is_write)
		memcpy(r->mem + (iova - r->mem_iova), buf, len);
	else
		memcpy(buf, r->mem + (iova - r->mem_iova), len);
	return 0;
}

static void dirty_hook(void *opaque, uint64_t iova, uint64_t len)
{
	record(opaque, iova, len, true);
}

static void assert_call(const struct call *c, uint64_t iova, uint64_t len,
			bool is_write)
{
	assert_int_equal(c->iova, iova);
	assert_int_equal(c->len, len);
	assert_int_equal(c->is_write, is_write);
}

static void assert_all(const uint8_t *buf, uint8_t value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[i], value);
}

static void test_new_destroy(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();

	(void)state;
	assert_non_null(dma);
	assert_int_equal(uvfio_dma_count(dma), 0);
	uvfio_dma_destroy(dma);
	uvfio_dma_destroy(NULL);
}

static void test_map_invalid(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(4 * pg());

	(void)state;
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0, RW, -1, 0), -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0, RW, fd, 0), -EINVAL);
	/* Wrap-around, by one byte and by a lot. */
	assert_int_equal(uvfio_dma_map(dma, UINT64_MAX - 0xfff, 0x1001, RW, -1,
				       0),
			 -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 2, UINT64_MAX, RW, -1, 0), -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, UINT64_MAX, 2, RW, -1, 0), -EINVAL);
	/* Prot: none, unknown bits. */
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, 0, -1, 0), -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, 1u << 2, -1, 0),
			 -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, RW | 0x80, fd, 0),
			 -EINVAL);
	/* fd_offset must be page-aligned. */
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, RW, fd, 1),
			 -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, RW, fd, pg() / 2),
			 -EINVAL);
	/* mmap()'s own errno. */
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, RW, 1000000, 0),
			 -EBADF);
	assert_int_equal(uvfio_dma_count(dma), 0);

	/* Ending exactly at 2^64 is not a wrap (as in the kernel). */
	assert_int_equal(
		uvfio_dma_map(dma, UINT64_MAX - 0xfff, 0x1000, RW, -1, 0), 0);
	/* Nor is the largest window there is. */
	assert_int_equal(uvfio_dma_map(dma, 0, UINT64_MAX - 0xfff, RW, -1, 0),
			 0);
	assert_int_equal(uvfio_dma_count(dma), 2);
	assert_int_equal(uvfio_dma_unmap(dma, 0, UINT64_MAX - 0xfff), 0);
	assert_int_equal(uvfio_dma_unmap(dma, UINT64_MAX - 0xfff, 0x1000), 0);
	/* Without an fd, fd_offset means nothing. */
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, RW, -1, 123), 0);
	close(fd);
	uvfio_dma_destroy(dma);
}

/*
 * Against windows A = [0x10000, 0x20000) and B = [0x40000, 0x50000), both
 * mapped from a memfd so that a wrong success leaks a mapping ASan sees.
 */
static void test_map_overlap(void **state)
{
	static const struct {
		const char *what;
		uint64_t iova, size;
		int ret;
	} cases[] = {
		{ "well before", 0x0, 0x8000, 0 },
		{ "adjacent before", 0x8000, 0x8000, 0 },
		{ "adjacent after", 0x20000, 0x8000, 0 },
		{ "fills the hole", 0x20000, 0x20000, 0 },
		{ "well after", 0x60000, 0x1000, 0 },
		{ "after the last", 0x50000, UINT64_MAX - 0x50000 + 1, 0 },
		{ "overlaps start by a byte", 0x8000, 0x8001, -EEXIST },
		{ "overlaps start", 0xf000, 0x2000, -EEXIST },
		{ "overlaps end", 0x1f000, 0x2000, -EEXIST },
		{ "overlaps end by a byte", 0x1ffff, 0x1000, -EEXIST },
		{ "inside", 0x14000, 0x1000, -EEXIST },
		{ "inside, first byte", 0x10000, 1, -EEXIST },
		{ "inside, last byte", 0x1ffff, 1, -EEXIST },
		{ "containing", 0x8000, 0x20000, -EEXIST },
		{ "identical", 0x10000, 0x10000, -EEXIST },
		{ "spans the hole", 0x1f000, 0x22000, -EEXIST },
		{ "reaches the next", 0x20000, 0x20001, -EEXIST },
		{ "containing both", 0x0, 0x100000, -EEXIST },
		{ "overlaps B's end", 0x4f000, 0x2000, -EEXIST },
	};
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(0x10000);

	(void)state;
	assert_int_equal(uvfio_dma_map(dma, 0x10000, 0x10000, RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x40000, 0x10000, RW, fd, 0), 0);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int f = cases[i].size <= 0x10000 ? fd : -1;
		int ret = uvfio_dma_map(dma, cases[i].iova, cases[i].size,
					UVFIO_DMA_READ, f, 0);

		if (ret != cases[i].ret)
			fail_msg("%s: got %d, want %d", cases[i].what, ret,
				 cases[i].ret);
		assert_int_equal(uvfio_dma_count(dma), ret ? 2 : 3);
		if (!ret)
			assert_int_equal(uvfio_dma_unmap(dma, cases[i].iova,
							 cases[i].size),
					 0);
	}
	assert_int_equal(uvfio_dma_count(dma), 2);
	close(fd);
	uvfio_dma_destroy(dma);
}

static void test_unmap_exact(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();

	(void)state;
	assert_int_equal(uvfio_dma_map(dma, 0x10000, 0x4000, RW, -1, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x14000, 0x4000, RW, -1, 0), 0);
	/* Partial: head, tail, middle. */
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, 0x1000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x13000, 0x1000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x11000, 0x1000), -ENOENT);
	/* Larger, or both adjacent windows at once. */
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, 0x5000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x0f000, 0x5000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, 0x8000), -ENOENT);
	/* Shifted. */
	assert_int_equal(uvfio_dma_unmap(dma, 0x10001, 0x4000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x0ffff, 0x4000), -ENOENT);
	/* Nothing there, size 0, wrap-around. */
	assert_int_equal(uvfio_dma_unmap(dma, 0x30000, 0x4000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, 0), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, UINT64_MAX), -ENOENT);
	assert_int_equal(uvfio_dma_count(dma), 2);

	assert_int_equal(uvfio_dma_unmap(dma, 0x14000, 0x4000), 0);
	assert_int_equal(uvfio_dma_count(dma), 1);
	assert_int_equal(uvfio_dma_unmap(dma, 0x14000, 0x4000), -ENOENT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, 0x4000), 0);
	assert_int_equal(uvfio_dma_count(dma), 0);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, 0x4000), -ENOENT);
	uvfio_dma_destroy(dma);
}

static void test_max_maps(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(pg());

	(void)state;
	uvfio_dma_set_max_maps(dma, 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(uvfio_dma_map(dma, i * 0x10000, pg(), RW,
					       i ? fd : -1, 0),
				 0);
	assert_int_equal(uvfio_dma_map(dma, 0x30000, pg(), RW, fd, 0), -ENOSPC);
	assert_int_equal(uvfio_dma_map(dma, 0x30000, pg(), RW, -1, 0), -ENOSPC);
	/* An overlap is still an overlap when full. */
	assert_int_equal(uvfio_dma_map(dma, 0x10000, pg(), RW, -1, 0), -EEXIST);
	assert_int_equal(uvfio_dma_count(dma), 3);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, pg()), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x30000, pg(), RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x40000, pg(), RW, fd, 0), -ENOSPC);

	/* Lowering the limit keeps what is mapped but stops new maps. */
	uvfio_dma_set_max_maps(dma, 1);
	assert_int_equal(uvfio_dma_count(dma), 3);
	assert_int_equal(uvfio_dma_unmap(dma, 0x30000, pg()), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x30000, pg(), RW, fd, 0), -ENOSPC);
	uvfio_dma_set_max_maps(dma, UVFIO_DMA_DEFAULT_MAX_MAPS);
	for (uint64_t i = 0; i < 100; i++)
		assert_int_equal(uvfio_dma_map(dma, 1ull << 32 | i << 16,
					       0x1000, RW, -1, 0),
				 0);
	assert_int_equal(uvfio_dma_count(dma), 102);
	close(fd);
	uvfio_dma_destroy(dma);
}

static void test_memfd_read_write(void **state)
{
	const uint64_t iova = 0x100000, off = 2 * pg(), size = 3 * pg() - 100;
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(8 * pg());
	int nfds = test_count_fds();
	uint8_t buf[256], want[256];

	(void)state;
	assert_int_equal(uvfio_dma_map(dma, iova, size, RW, fd, off), 0);
	/* The fd is not kept: the caller may close it. */
	assert_int_equal(test_count_fds(), nfds);
	close(fd);

	assert_int_equal(uvfio_dma_read(dma, iova + 5, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], pattern(off + 5 + i));
	/* The last byte of the window, and one past it. */
	assert_int_equal(uvfio_dma_read(dma, iova + size - 1, buf, 1), 0);
	assert_int_equal(buf[0], pattern(off + size - 1));
	assert_int_equal(uvfio_dma_read(dma, iova + size - 1, buf, 2), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, iova + size, buf, 1), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, iova - 1, buf, 2), -EFAULT);

	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)~i;
	assert_int_equal(
		uvfio_dma_write(dma, iova + pg() - 10, want, sizeof(want)), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(
		uvfio_dma_read(dma, iova + pg() - 10, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(want));
	uvfio_dma_destroy(dma);
}

/* The write lands in the file the client shared. */
static void test_write_reaches_fd(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(4 * pg());
	uint8_t buf[64];
	const uint8_t want[8] = "written";

	(void)state;
	assert_int_equal(uvfio_dma_map(dma, 0, 2 * pg(), RW, fd, pg()), 0);
	assert_int_equal(uvfio_dma_write(dma, pg() + 3, want, sizeof(want)), 0);
	pread_exact(fd, buf, sizeof(want), 2 * pg() + 3);
	assert_memory_equal(buf, want, sizeof(want));
	pread_exact(fd, buf, 1, 2 * pg() + 2);
	assert_int_equal(buf[0], pattern(2 * pg() + 2));
	/* And the client's writes are seen by the device. */
	assert_int_equal(pwrite(fd, "xyz", 3, (off_t)pg()), 3);
	assert_int_equal(uvfio_dma_read(dma, 0, buf, 3), 0);
	assert_memory_equal(buf, "xyz", 3);
	close(fd);
	uvfio_dma_destroy(dma);
}

/*
 * Memory [0x10000, 0x11000) then message-based [0x11000, 0x13000): one
 * access crosses both.
 */
static void test_span_memory_and_msg(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct recorder *rec = calloc(1, sizeof(*rec));
	int fd = memfd_pattern(pg());
	uint8_t buf[0x1000], want[0x1000];

	(void)state;
	assert_true(pg() == 0x1000);
	rec->mem_iova = 0x11000;
	rec->dma = dma;
	for (size_t i = 0; i < sizeof(rec->mem); i++)
		rec->mem[i] = (uint8_t)(i ^ 0x5a);
	uvfio_dma_set_msg_handler(dma, msg_handler, rec);
	assert_int_equal(uvfio_dma_map(dma, 0x10000, 0x1000, RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x11000, 0x2000, RW, -1, 0), 0);

	assert_int_equal(uvfio_dma_read(dma, 0x10800, buf, 0x1000), 0);
	assert_int_equal(rec->nr, 1);
	assert_call(&rec->calls[0], 0x11000, 0x800, false);
	for (size_t i = 0; i < 0x800; i++)
		assert_int_equal(buf[i], pattern(0x800 + i));
	assert_memory_equal(buf + 0x800, rec->mem, 0x800);

	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 3);
	rec->nr = 0;
	assert_int_equal(uvfio_dma_write(dma, 0x10f00, want, 0x1000), 0);
	assert_int_equal(rec->nr, 1);
	assert_call(&rec->calls[0], 0x11000, 0xf00, true);
	assert_memory_equal(rec->mem, want + 0x100, 0xf00);
	pread_exact(fd, buf, 0x100, 0xf00);
	assert_memory_equal(buf, want, 0x100);

	/* Wholly inside the message window. */
	rec->nr = 0;
	assert_int_equal(uvfio_dma_read(dma, 0x12ff0, buf, 0x10), 0);
	assert_int_equal(rec->nr, 1);
	assert_call(&rec->calls[0], 0x12ff0, 0x10, false);

	/* The handler's error is the access's. */
	rec->nr = 0;
	rec->fail = -EIO;
	assert_int_equal(uvfio_dma_read(dma, 0x11000, buf, 4), -EIO);
	assert_int_equal(rec->nr, 1);
	rec->fail = 0;

	/* Without a handler, message windows fault and nothing moves. */
	uvfio_dma_set_msg_handler(dma, NULL, NULL);
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_read(dma, 0x10800, buf, 0x1000), -EFAULT);
	assert_all(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_write(dma, 0x10800, buf, 0x1000), -EFAULT);
	pread_exact(fd, buf, 0x800, 0x800);
	for (size_t i = 0; i < 0x700; i++)
		assert_int_equal(buf[i], pattern(0x800 + i));
	/* Memory windows are unaffected. */
	assert_int_equal(uvfio_dma_read(dma, 0x10000, buf, 0x1000), 0);
	assert_int_equal(rec->nr, 1);

	close(fd);
	uvfio_dma_destroy(dma);
	free(rec);
}

/* More message pieces than the access tracks without allocating. */
static void test_many_pieces(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct recorder *rec = calloc(1, sizeof(*rec));
	uint8_t buf[0x4000];

	(void)state;
	rec->mem_iova = 0;
	for (size_t i = 0; i < sizeof(rec->mem); i++)
		rec->mem[i] = (uint8_t)(i >> 4);
	uvfio_dma_set_msg_handler(dma, msg_handler, rec);
	for (uint64_t i = 0; i < 16; i++)
		assert_int_equal(
			uvfio_dma_map(dma, i * 0x400, 0x400, RW, -1, 0), 0);
	assert_int_equal(uvfio_dma_read(dma, 0x10, buf, 0x3ff0), 0);
	assert_int_equal(rec->nr, 16);
	assert_call(&rec->calls[0], 0x10, 0x3f0, false);
	for (unsigned int i = 1; i < 16; i++)
		assert_call(&rec->calls[i], i * 0x400, 0x400, false);
	assert_memory_equal(buf, rec->mem + 0x10, 0x3ff0);
	uvfio_dma_destroy(dma);
	free(rec);
}

static void test_protection(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct recorder *rec = calloc(1, sizeof(*rec));
	int fd = memfd_pattern(2 * pg());
	uint8_t buf[64], mem[64];

	(void)state;
	uvfio_dma_set_msg_handler(dma, msg_handler, rec);
	uvfio_dma_set_dirty_hook(dma, dirty_hook, rec);
	assert_int_equal(
		uvfio_dma_map(dma, 0x10000, pg(), UVFIO_DMA_READ, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x20000, pg(), UVFIO_DMA_WRITE, fd,
				       pg()),
			 0);
	assert_int_equal(
		uvfio_dma_map(dma, 0x30000, pg(), UVFIO_DMA_READ, -1, 0), 0);

	/* Read-only: writes refused, memory untouched, reads fine. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_write(dma, 0x10000, buf, sizeof(buf)),
			 -EFAULT);
	assert_int_equal(uvfio_dma_write(dma, 0x30000, buf, sizeof(buf)),
			 -EFAULT);
	pread_exact(fd, mem, sizeof(mem), 0);
	for (size_t i = 0; i < sizeof(mem); i++)
		assert_int_equal(mem[i], pattern(i));
	assert_int_equal(uvfio_dma_read(dma, 0x10000, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, mem, sizeof(mem));
	assert_int_equal(rec->nr, 0);

	/* Write-only: reads refused, buffer untouched, writes fine. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_read(dma, 0x20000, buf, sizeof(buf)),
			 -EFAULT);
	assert_all(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_write(dma, 0x20000, buf, sizeof(buf)), 0);
	pread_exact(fd, mem, sizeof(mem), pg());
	assert_all(mem, 0xaa, sizeof(mem));
	assert_int_equal(rec->nr, 1);
	assert_call(&rec->calls[0], 0x20000, sizeof(buf), true);

	/* Adjacent windows, one without the protection: nothing moves. */
	rec->nr = 0;
	assert_int_equal(uvfio_dma_map(dma, 0x11000, pg(), RW, fd, pg()), 0);
	assert_int_equal(uvfio_dma_write(dma, 0x11000 - 8, buf, 16), -EFAULT);
	pread_exact(fd, mem, 8, pg() - 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(mem[i], pattern(pg() - 8 + i));
	pread_exact(fd, mem, 8, pg());
	assert_all(mem, 0xaa, 8);
	assert_int_equal(rec->nr, 0);

	close(fd);
	uvfio_dma_destroy(dma);
	free(rec);
}

/*
 * Memory [0x10000, 0x11000), hole, message-based [0x12000, 0x13000): an
 * access touching the hole faults before copying or calling anything.
 */
static void test_holes(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct recorder *rec = calloc(1, sizeof(*rec));
	int fd = memfd_pattern(pg());
	uint8_t buf[0x3000], mem[0x1000];

	(void)state;
	rec->mem_iova = 0x12000;
	memset(rec->mem, 0x11, sizeof(rec->mem));
	uvfio_dma_set_msg_handler(dma, msg_handler, rec);
	uvfio_dma_set_dirty_hook(dma, dirty_hook, rec);
	assert_int_equal(uvfio_dma_map(dma, 0x10000, 0x1000, RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0x12000, 0x1000, RW, -1, 0), 0);

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_read(dma, 0x10800, buf, 0x2000), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, 0x11800, buf, 0x1000), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, 0x12800, buf, 0x1000), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, 0x0f000, buf, 0x1001), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, 0x0, buf, 1), -EFAULT);
	assert_all(buf, 0xaa, sizeof(buf));
	assert_int_equal(uvfio_dma_write(dma, 0x10000, buf, 0x3000), -EFAULT);
	assert_int_equal(uvfio_dma_write(dma, 0x10800, buf, 0x2000), -EFAULT);
	assert_int_equal(rec->nr, 0);
	pread_exact(fd, mem, sizeof(mem), 0);
	for (size_t i = 0; i < sizeof(mem); i++)
		assert_int_equal(mem[i], pattern(i));
	assert_all(rec->mem, 0x11, 0x1000);

	/* Overflowing ranges fault; empty ones succeed, even unmapped. */
	assert_int_equal(uvfio_dma_read(dma, UINT64_MAX, buf, 2), -EFAULT);
	assert_int_equal(uvfio_dma_write(dma, UINT64_MAX - 1, buf, 4), -EFAULT);
	assert_int_equal(uvfio_dma_read(dma, 0x5000, buf, 0), 0);
	assert_int_equal(uvfio_dma_write(dma, UINT64_MAX, buf, 0), 0);
	assert_int_equal(rec->nr, 0);

	close(fd);
	uvfio_dma_destroy(dma);
	free(rec);
}

/* The top of the address space is usable up to its last byte. */
static void test_top_of_space(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct recorder *rec = calloc(1, sizeof(*rec));
	uint8_t buf[0x10];

	(void)state;
	rec->mem_iova = UINT64_MAX - 0x3fff;
	memset(rec->mem, 0x33, sizeof(rec->mem));
	uvfio_dma_set_msg_handler(dma, msg_handler, rec);
	assert_int_equal(uvfio_dma_map(dma, UINT64_MAX - 0x3fff, 0x2000,
				       UVFIO_DMA_READ, -1, 0),
			 0);
	assert_int_equal(uvfio_dma_map(dma, UINT64_MAX - 0x1fff, 0x2000,
				       UVFIO_DMA_READ, -1, 0),
			 0);
	assert_int_equal(uvfio_dma_read(dma, UINT64_MAX - 0xf, buf, 0x10), 0);
	assert_all(buf, 0x33, sizeof(buf));
	assert_int_equal(uvfio_dma_read(dma, UINT64_MAX - 0x2007, buf, 0x10),
			 0);
	assert_int_equal(rec->nr, 3);
	assert_call(&rec->calls[1], UINT64_MAX - 0x2007, 8, false);
	assert_call(&rec->calls[2], UINT64_MAX - 0x1fff, 8, false);
	uvfio_dma_destroy(dma);
	free(rec);
}

static void test_dirty_hook(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct recorder *rec = calloc(1, sizeof(*rec));
	struct recorder *msg = calloc(1, sizeof(*msg));
	int fd = memfd_pattern(4 * pg());
	uint8_t buf[0x3000] = { 0 };

	(void)state;
	assert_true(pg() == 0x1000);
	msg->mem_iova = 0x12000;
	uvfio_dma_set_msg_handler(dma, msg_handler, msg);
	/*
	 * Two memory windows, from different parts of the fd, then a message
	 * window, all adjacent.
	 */
	assert_int_equal(uvfio_dma_map(dma, 0x10000, 0x1000, RW, fd, 0x3000),
			 0);
	assert_int_equal(uvfio_dma_map(dma, 0x11000, 0x1000, RW, fd, 0x1000),
			 0);
	assert_int_equal(uvfio_dma_map(dma, 0x12000, 0x1000, RW, -1, 0), 0);

	/* No hook, no calls; then install it. */
	assert_int_equal(uvfio_dma_write(dma, 0x10000, buf, 8), 0);
	uvfio_dma_set_dirty_hook(dma, dirty_hook, rec);

	assert_int_equal(uvfio_dma_write(dma, 0x10ff0, buf, 0x1020), 0);
	assert_int_equal(rec->nr, 2);
	assert_call(&rec->calls[0], 0x10ff0, 0x10, true);
	assert_call(&rec->calls[1], 0x11000, 0x1000, true);
	assert_int_equal(msg->nr, 1);
	assert_call(&msg->calls[0], 0x12000, 0x10, true);

	/* Reads and message-only writes are not dirty. */
	rec->nr = 0;
	assert_int_equal(uvfio_dma_read(dma, 0x10000, buf, 0x3000), 0);
	assert_int_equal(uvfio_dma_write(dma, 0x12004, buf, 4), 0);
	assert_int_equal(rec->nr, 0);
	/* A failed write is not dirty either. */
	assert_int_equal(uvfio_dma_write(dma, 0x10000, buf, 0x3001), -EFAULT);
	assert_int_equal(rec->nr, 0);

	assert_int_equal(uvfio_dma_write(dma, 0x11ffe, buf, 1), 0);
	assert_int_equal(rec->nr, 1);
	assert_call(&rec->calls[0], 0x11ffe, 1, true);

	uvfio_dma_set_dirty_hook(dma, NULL, NULL);
	assert_int_equal(uvfio_dma_write(dma, 0x10000, buf, 0x2000), 0);
	assert_int_equal(rec->nr, 1);

	close(fd);
	uvfio_dma_destroy(dma);
	free(msg);
	free(rec);
}

static void test_unmap_all(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(pg());
	uint8_t b;

	(void)state;
	for (uint64_t i = 0; i < 40; i++)
		assert_int_equal(uvfio_dma_map(dma, i * 0x10000, pg(), RW,
					       i % 2 ? fd : -1, 0),
				 0);
	assert_int_equal(uvfio_dma_count(dma), 40);
	uvfio_dma_unmap_all(dma);
	assert_int_equal(uvfio_dma_count(dma), 0);
	assert_int_equal(uvfio_dma_read(dma, 0x10000, &b, 1), -EFAULT);
	assert_int_equal(uvfio_dma_unmap(dma, 0x10000, pg()), -ENOENT);
	uvfio_dma_unmap_all(dma);

	/* Usable again afterwards, and destroy releases what is left. */
	assert_int_equal(uvfio_dma_map(dma, 0x10000, pg(), RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_read(dma, 0x10000, &b, 1), 0);
	assert_int_equal(b, pattern(0));
	assert_int_equal(uvfio_dma_count(dma), 1);
	close(fd);
	uvfio_dma_destroy(dma);
}

static uint64_t rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kib = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * A 1 TiB window costs what is touched: no per-page state in the address
 * space, nothing populated by the mapping.
 */
static void test_sparse_tib(void **state)
{
	const uint64_t iova = 1ull << 44, size = TIB;
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_create("test-dma-tib", MFD_CLOEXEC);
	uint64_t rss_before;
	uint8_t buf[16];
	struct stat st;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(size + pg())), 0);
	rss_before = rss_kib();
	assert_int_equal(uvfio_dma_map(dma, iova, size, RW, fd, pg()), 0);

	assert_int_equal(uvfio_dma_write(dma, iova + size - 8, "far end", 8),
			 0);
	assert_int_equal(uvfio_dma_write(dma, iova + size / 2, "middle", 7), 0);
	assert_int_equal(uvfio_dma_read(dma, iova + size - 8, buf, 8), 0);
	assert_string_equal((char *)buf, "far end");
	assert_int_equal(uvfio_dma_read(dma, iova + size - 16, buf, 8), 0);
	assert_all(buf, 0, 8);
	assert_int_equal(uvfio_dma_read(dma, iova + size - 8, buf, 9), -EFAULT);
	pread_exact(fd, buf, 7, size / 2 + pg());
	assert_string_equal((char *)buf, "middle");

	/* Two pages (or two huge pages) touched; per page would be GiBs. */
	assert_int_equal(fstat(fd, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 <= 4 * MIB);
	assert_true(rss_kib() < rss_before + 16 * 1024);
	close(fd);
	uvfio_dma_destroy(dma);
}

/* A file of @size bytes: a memfd with @seals, or without any (-1). */
static int memfd_sealed(uint64_t size, int seals)
{
	int fd = memfd_create("test-dma-sealed",
			      MFD_CLOEXEC |
				      (seals >= 0 ? MFD_ALLOW_SEALING : 0));

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (seals > 0)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/*
 * Every byte of an fd-backed window lies inside the file, or a device
 * access there would be a SIGBUS.
 */
static void test_map_within_file(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(4 * pg());
	uint64_t top = UINT64_MAX & ~(pg() - 1);
	int p[2];

	(void)state;
	assert_int_equal(uvfio_dma_map(dma, 0, 5 * pg(), RW, fd, 0), -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0, 4 * pg(), RW, fd, pg()),
			 -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0, 1, RW, fd, 4 * pg()), -EINVAL);
	/* No wrap-around in offset + size. */
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, fd, top), -EINVAL);
	assert_int_equal(uvfio_dma_map(dma, 0, UINT64_MAX - pg() + 1, RW, fd,
				       pg()),
			 -EINVAL);
	assert_int_equal(uvfio_dma_count(dma), 0);
	/* Up to the last byte, and a partial last page, are fine. */
	assert_int_equal(uvfio_dma_map(dma, 0, 4 * pg(), RW, fd, 0), 0);
	assert_int_equal(
		uvfio_dma_map(dma, 1ull << 32, pg() + 1, RW, fd, 2 * pg()), 0);
	assert_int_equal(uvfio_dma_count(dma), 2);
	/* Not a file with a size. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(uvfio_dma_map(dma, 1ull << 40, pg(), RW, p[0], 0),
			 -EINVAL);
	close(p[0]);
	close(p[1]);
	close(fd);
	uvfio_dma_destroy(dma);
}

/* With seals required, only files that cannot shrink are mapped. */
static void test_require_seals(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int unsealable = memfd_sealed(pg(), -1);
	int unsealed = memfd_sealed(pg(), 0);
	int grow = memfd_sealed(pg(), F_SEAL_GROW);
	int shrink = memfd_sealed(pg(), F_SEAL_SHRINK);
	int both = memfd_sealed(pg(), F_SEAL_SHRINK | F_SEAL_GROW);
	char tmpl[] = "/tmp/uvfio-dma-XXXXXX";
	int file = mkstemp(tmpl);

	(void)state;
	assert_true(file >= 0);
	unlink(tmpl);
	assert_int_equal(ftruncate(file, (off_t)pg()), 0);
	/* Off by default. */
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, unsealable, 0), 0);
	assert_int_equal(uvfio_dma_unmap(dma, 0, pg()), 0);

	uvfio_dma_set_require_seals(dma, true);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, unsealable, 0),
			 -EPERM);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, unsealed, 0), -EPERM);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, grow, 0), -EPERM);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, file, 0), -EPERM);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, 1000000, 0), -EBADF);
	assert_int_equal(uvfio_dma_count(dma), 0);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, shrink, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, pg(), pg(), RW, both, 0), 0);
	/* Sealed, but still within the file only. */
	assert_int_equal(uvfio_dma_map(dma, 2 * pg(), 2 * pg(), RW, shrink, 0),
			 -EINVAL);
	/* Message-based windows have no file to seal. */
	assert_int_equal(uvfio_dma_map(dma, 2 * pg(), pg(), RW, -1, 0), 0);

	uvfio_dma_set_require_seals(dma, false);
	assert_int_equal(uvfio_dma_map(dma, 3 * pg(), pg(), RW, file, 0), 0);
	assert_int_equal(uvfio_dma_count(dma), 4);
	close(unsealable);
	close(unsealed);
	close(grow);
	close(shrink);
	close(both);
	close(file);
	uvfio_dma_destroy(dma);
}

/* fd-backed windows have a budget of their own. */
static void test_max_fd_maps(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	int fd = memfd_pattern(pg());
	unsigned int n;

	(void)state;
	for (n = 0; n < UVFIO_DMA_DEFAULT_MAX_FD_MAPS; n++)
		assert_int_equal(uvfio_dma_map(dma, (uint64_t)n << 20, pg(), RW,
					       fd, 0),
				 0);
	assert_int_equal(uvfio_dma_map(dma, (uint64_t)n << 20, pg(), RW, fd, 0),
			 -ENOSPC);
	/* Message-based ones cost no mapping: not counted. */
	assert_int_equal(uvfio_dma_map(dma, (uint64_t)n << 20, pg(), RW, -1, 0),
			 0);
	assert_int_equal(uvfio_dma_unmap(dma, 0, pg()), 0);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, fd, 0), 0);
	uvfio_dma_unmap_all(dma);

	uvfio_dma_set_max_fd_maps(dma, 2);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 1ull << 20, pg(), RW, fd, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 2ull << 20, pg(), RW, fd, 0),
			 -ENOSPC);
	assert_int_equal(uvfio_dma_map(dma, 2ull << 20, pg(), RW, -1, 0), 0);
	/* The overall limit still counts everything. */
	uvfio_dma_set_max_maps(dma, 3);
	assert_int_equal(uvfio_dma_unmap(dma, 0, pg()), 0);
	assert_int_equal(uvfio_dma_map(dma, 3ull << 20, pg(), RW, -1, 0), 0);
	assert_int_equal(uvfio_dma_map(dma, 0, pg(), RW, fd, 0), -ENOSPC);
	close(fd);
	uvfio_dma_destroy(dma);
}

/* A handler that holds its callers until told to let them go. */
struct held {
	int inside, left, release;
	int active[2]; /* calls in progress per handler, for the swap test */
	unsigned long calls;
};

static int held_handler(void *opaque, uint64_t iova, void *buf, size_t len,
			bool is_write)
{
	struct held *h = opaque;

	(void)iova, (void)is_write;
	__atomic_store_n(&h->inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&h->release, __ATOMIC_ACQUIRE))
		usleep(1000);
	memset(buf, 0x11, len);
	__atomic_store_n(&h->left, 1, __ATOMIC_RELEASE);
	return 0;
}

struct access_arg {
	struct uvfio_dma *dma;
	int ret;
	int done;
};

static void *one_access(void *opaque)
{
	struct access_arg *a = opaque;
	uint8_t buf[8];

	a->ret = uvfio_dma_read(a->dma, 0x1000, buf, sizeof(buf));
	return NULL;
}

static void *clear_handler(void *opaque)
{
	struct access_arg *a = opaque;

	uvfio_dma_set_msg_handler(a->dma, NULL, NULL);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Removing the handler waits for calls in progress: once it returns, the
 * handler's opaque can be freed.
 */
static void test_msg_handler_removal_waits(void **state)
{
	struct uvfio_dma *dma = uvfio_dma_new();
	struct held *h = calloc(1, sizeof(*h));
	struct access_arg access = { .dma = dma }, clear = { .dma = dma };
	pthread_t ta, tc;
	uint8_t buf[8];

	(void)state;
	uvfio_dma_set_msg_handler(dma, held_handler, h);
	assert_int_equal(uvfio_dma_map(dma, 0x1000, 0x1000, RW, -1, 0), 0);
	assert_int_equal(pthread_create(&ta, NULL, one_access, &access), 0);
	while (!__atomic_load_n(&h->inside, __ATOMIC_ACQUIRE))
		usleep(1000);
	assert_int_equal(pthread_create(&tc, NULL, clear_handler, &clear), 0);
	usleep(100 * 1000);
	assert_false(__atomic_load_n(&clear.done, __ATOMIC_ACQUIRE));
	/* New accesses no longer reach the handler meanwhile. */
	assert_int_equal(uvfio_dma_read(dma, 0x1000, buf, sizeof(buf)),
			 -EFAULT);
	__atomic_store_n(&h->release, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(tc, NULL), 0);
	assert_true(__atomic_load_n(&h->left, __ATOMIC_ACQUIRE));
	free(h); /* nothing uses it any more: ASan would tell */
	assert_int_equal(pthread_join(ta, NULL), 0);
	assert_int_equal(access.ret, 0);
	uvfio_dma_destroy(dma);
}

struct swap {
	struct uvfio_dma *dma;
	int active[2];
	int stop;
	unsigned long calls;
};

static int swap_handler(struct swap *s, int which, void *buf, size_t len)
{
	__atomic_fetch_add(&s->active[which], 1, __ATOMIC_ACQ_REL);
	memset(buf, which, len);
	sched_yield();
	__atomic_fetch_sub(&s->active[which], 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&s->calls, 1, __ATOMIC_RELAXED);
	return 0;
}

static int handler_a(void *opaque, uint64_t iova, void *buf, size_t len,
		     bool is_write)
{
	(void)iova, (void)is_write;
	return swap_handler(opaque, 0, buf, len);
}

static int handler_b(void *opaque, uint64_t iova, void *buf, size_t len,
		     bool is_write)
{
	(void)iova, (void)is_write;
	return swap_handler(opaque, 1, buf, len);
}

static void *swap_reader(void *opaque)
{
	struct swap *s = opaque;
	uint8_t buf[8];

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		if (uvfio_dma_read(s->dma, 0x1000, buf, sizeof(buf)))
			break;
	return NULL;
}

/*
 * Swapping handlers under steady traffic: each swap returns (traffic does
 * not hold it up forever), and when it does the old handler is idle.
 */
static void test_msg_handler_swap_under_traffic(void **state)
{
	struct swap s = { .dma = uvfio_dma_new() };
	unsigned long before;
	pthread_t t[3];

	(void)state;
	uvfio_dma_set_msg_handler(s.dma, handler_a, &s);
	assert_int_equal(uvfio_dma_map(s.dma, 0x1000, 0x1000, RW, -1, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, swap_reader, &s),
				 0);
	while (__atomic_load_n(&s.calls, __ATOMIC_RELAXED) < 100)
		usleep(1000);
	before = __atomic_load_n(&s.calls, __ATOMIC_RELAXED);
	for (int i = 0; i < 500; i++) {
		uvfio_dma_set_msg_handler(s.dma, i % 2 ? handler_a : handler_b,
					  &s);
		assert_int_equal(
			__atomic_load_n(&s.active[i % 2], __ATOMIC_ACQUIRE), 0);
		if (i % 50 == 0)
			usleep(1000);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_true(s.calls > before);
	uvfio_dma_destroy(s.dma);
}

/* Concurrency: readers copy while the main thread maps and unmaps. */
#define NR_READERS 3
#define STRESS_ROUNDS 1000

struct stress {
	struct uvfio_dma *dma;
	uint64_t stable_iova, moving_iova, size;
	int stop;
	unsigned long dirty;
};

struct reader {
	struct stress *s;
	unsigned int id;
	unsigned long reads, faults;
	const char *error;
};

static void stress_dirty(void *opaque, uint64_t iova, uint64_t len)
{
	struct stress *s = opaque;

	(void)iova;
	(void)len;
	__atomic_fetch_add(&s->dirty, 1, __ATOMIC_RELAXED);
}

/*
 * The stable window maps file offset 0, the moving one file offset
 * s->size, so data read from either says whether it came from the right
 * place.  Each reader owns a 64-byte slot at the end of the stable window
 * for its writes.
 */
static void *reader_thread(void *opaque)
{
	struct reader *r = opaque;
	struct stress *s = r->s;
	uint64_t slot = s->size - 64 * (r->id + 1);
	uint8_t buf[512], mine[64];
	unsigned int seed = r->id;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t off = (uint64_t)rand_r(&seed) % (s->size - 1024);
		size_t len = 1 + (size_t)rand_r(&seed) % sizeof(buf);
		int ret;

		if (uvfio_dma_read(s->dma, s->stable_iova + off, buf, len)) {
			r->error = "stable read failed";
			break;
		}
		for (size_t i = 0; i < len; i++)
			if (buf[i] != pattern(off + i)) {
				r->error = "stable read: wrong data";
				return NULL;
			}
		ret = uvfio_dma_read(s->dma, s->moving_iova + off, buf, len);
		if (ret == -EFAULT) {
			r->faults++;
		} else if (ret) {
			r->error = "moving read: unexpected error";
			break;
		} else {
			for (size_t i = 0; i < len; i++)
				if (buf[i] != pattern(s->size + off + i)) {
					r->error = "moving read: wrong data";
					return NULL;
				}
		}
		memset(mine, (int)(r->reads & 0xff), sizeof(mine));
		if (uvfio_dma_write(s->dma, s->stable_iova + slot, mine,
				    sizeof(mine)) ||
		    uvfio_dma_read(s->dma, s->stable_iova + slot, buf,
				   sizeof(mine)) ||
		    memcmp(buf, mine, sizeof(mine))) {
			r->error = "own slot: write/read mismatch";
			break;
		}
		r->reads++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct stress s = { .stable_iova = 0x100000,
			    .moving_iova = 0x200000,
			    .size = 16 * KIB };
	struct reader readers[NR_READERS] = { 0 };
	pthread_t tids[NR_READERS];
	int fd = memfd_pattern(2 * s.size);
	unsigned long reads = 0, faults = 0;

	(void)state;
	s.dma = uvfio_dma_new();
	assert_non_null(s.dma);
	uvfio_dma_set_dirty_hook(s.dma, stress_dirty, &s);
	assert_int_equal(uvfio_dma_map(s.dma, s.stable_iova, s.size, RW, fd, 0),
			 0);
	for (unsigned int i = 0; i < NR_READERS; i++) {
		readers[i] = (struct reader){ .s = &s, .id = i };
		assert_int_equal(pthread_create(&tids[i], NULL, reader_thread,
						&readers[i]),
				 0);
	}
	for (unsigned int i = 0; i < STRESS_ROUNDS; i++) {
		/* Other windows come and go around the stable one. */
		assert_int_equal(uvfio_dma_map(s.dma, s.moving_iova, s.size,
					       UVFIO_DMA_READ, fd, s.size),
				 0);
		assert_int_equal(uvfio_dma_map(s.dma, 0x1000 * (i % 16 + 1),
					       0x1000, RW, -1, 0),
				 0);
		if (i % 3 == 0)
			sched_yield();
		assert_int_equal(uvfio_dma_unmap(s.dma, 0x1000 * (i % 16 + 1),
						 0x1000),
				 0);
		assert_int_equal(uvfio_dma_unmap(s.dma, s.moving_iova, s.size),
				 0);
		if (i % 100 == 0)
			uvfio_dma_set_dirty_hook(s.dma, stress_dirty, &s);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < NR_READERS; i++) {
		assert_int_equal(pthread_join(tids[i], NULL), 0);
		if (readers[i].error)
			fail_msg("reader %u: %s", i, readers[i].error);
		reads += readers[i].reads;
		faults += readers[i].faults;
	}
	assert_true(reads > 0);
	/* Every successful slot write was reported dirty exactly once. */
	assert_int_equal(s.dirty, reads);
	print_message("%lu reader rounds, %lu moving-window faults\n", reads,
		      faults);
	assert_int_equal(uvfio_dma_count(s.dma), 1);
	close(fd);
	uvfio_dma_destroy(s.dma);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_destroy),
		cmocka_unit_test(test_map_invalid),
		cmocka_unit_test(test_map_overlap),
		cmocka_unit_test(test_unmap_exact),
		cmocka_unit_test(test_max_maps),
		cmocka_unit_test(test_memfd_read_write),
		cmocka_unit_test(test_write_reaches_fd),
		cmocka_unit_test(test_span_memory_and_msg),
		cmocka_unit_test(test_many_pieces),
		cmocka_unit_test(test_protection),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_top_of_space),
		cmocka_unit_test(test_dirty_hook),
		cmocka_unit_test(test_unmap_all),
		cmocka_unit_test(test_sparse_tib),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_map_within_file),
		cmocka_unit_test(test_require_seals),
		cmocka_unit_test(test_max_fd_maps),
		cmocka_unit_test(test_msg_handler_removal_waits),
		cmocka_unit_test(test_msg_handler_swap_under_traffic),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
