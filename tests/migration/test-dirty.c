// SPDX-License-Identifier: MIT
/*
 * Device dirty tracking (DMA logging) through uvfio_device_feature(): the
 * kernel's START/STOP/REPORT rules and errnos, vfio-user's inline payloads
 * and "log everything", exact bits, clearing, page-size conversion,
 * message-based windows, concurrency and a sparse 1 TiB space.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/device.h>
#include <uvfio/dma.h>
#include <uvfio/migration.h>

#include "test-util.h"
#include "migration/dirty.h"

/* In-tree helpers of lib/migration/dirty.c (not part of the API). */

#define GET UVFIO_DEVICE_FEATURE_GET
#define SET UVFIO_DEVICE_FEATURE_SET
#define PROBE UVFIO_DEVICE_FEATURE_PROBE
#define F_START UVFIO_DEVICE_FEATURE_DMA_LOGGING_START
#define F_STOP UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP
#define F_REPORT UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT

#define RW (UVFIO_DMA_READ | UVFIO_DMA_WRITE)
#define PG 4096ull
#define KIB 1024ull
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define TIB (1024 * GIB)

static const struct uvfio_device_ops ops = { 0 };

struct fix {
	struct uvfio_device *dev;
	struct uvfio_dma *dma;
	int fds[8];
	unsigned int nr_fds;
};

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dev = uvfio_device_new("dirty", &ops, NULL);
	assert_non_null(f->dev);
	assert_int_equal(uvfio_dirty_log_init(f->dev), 0);
	assert_int_equal(uvfio_device_realize(f->dev), 0);
	f->dma = uvfio_device_dma(f->dev);
	return f;
}

static void fix_free(struct fix *f)
{
	/* Until the core releases the log itself: idempotent. */
	uvfio_dirty_log_release(f->dev);
	uvfio_device_destroy(f->dev);
	for (unsigned int i = 0; i < f->nr_fds; i++)
		close(f->fds[i]);
	free(f);
}

/* Map a fresh memfd of @size at @iova. */
static void map_mem(struct fix *f, uint64_t iova, uint64_t size)
{
	int fd = memfd_create("test-dirty", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	assert_int_equal(uvfio_dma_map(f->dma, iova, size, RW, fd, 0), 0);
	assert_true(f->nr_fds < ARRAY_SIZE(f->fds));
	f->fds[f->nr_fds++] = fd;
}

static void dwrite(struct fix *f, uint64_t iova, size_t len)
{
	uint8_t buf[3 * 4096];

	assert_true(len <= sizeof(buf));
	memset(buf, 0xa5, len);
	assert_int_equal(uvfio_dma_write(f->dma, iova, buf, len), 0);
}

/* ---- feature calls ---- */

struct range {
	uint64_t iova, length;
};

static int feature_raw(struct uvfio_device *dev, uint32_t flags, void *data,
		       size_t len)
{
	struct uvfio_device_feature *hdr = calloc(1, sizeof(*hdr) + len);
	int ret;

	assert_non_null(hdr);
	hdr->argsz = (uint32_t)(sizeof(*hdr) + len);
	hdr->flags = flags;
	memcpy(hdr->data, data, len);
	ret = uvfio_device_feature(dev, hdr);
	memcpy(data, hdr->data, len);
	free(hdr);
	return ret;
}

/* START with @nr ranges; *@granted (if not NULL) gets the page size. */
static int start_ps(struct fix *f, uint64_t page_size, uint32_t nr,
		    const struct range *r, uint64_t *granted)
{
	size_t len = 16 + nr * sizeof(*r);
	uint8_t *buf = calloc(1, len);
	int ret;

	assert_non_null(buf);
	memcpy(buf, &page_size, 8);
	memcpy(buf + 8, &nr, 4);
	if (nr)
		memcpy(buf + 16, r, nr * sizeof(*r));
	ret = feature_raw(f->dev, SET | F_START, buf, len);
	if (granted)
		memcpy(granted, buf, 8);
	free(buf);
	return ret;
}

static int start(struct fix *f, uint32_t nr, const struct range *r)
{
	return start_ps(f, PG, nr, r, NULL);
}

static int stop(struct fix *f)
{
	struct uvfio_device_feature hdr = {
		.argsz = sizeof(hdr),
		.flags = SET | F_STOP,
	};

	return uvfio_device_feature(f->dev, &hdr);
}

/*
 * REPORT into @bitmap (@words u64 words; its contents go in, as the
 * caller's buffer, and come back).
 */
static int report_words(struct fix *f, uint64_t iova, uint64_t length,
			uint64_t page_size, uint64_t *bitmap, size_t words)
{
	size_t len = 24 + words * 8;
	uint8_t *buf = calloc(1, len);
	uint64_t req[3] = { iova, length, page_size };
	int ret;

	assert_non_null(buf);
	memcpy(buf, req, sizeof(req));
	memcpy(buf + 24, bitmap, words * 8);
	ret = feature_raw(f->dev, GET | F_REPORT, buf, len);
	memcpy(req, buf, sizeof(req));
	/* The request comes back as it went. */
	assert_true(req[0] == iova && req[1] == length && req[2] == page_size);
	memcpy(bitmap, buf + 24, words * 8);
	free(buf);
	return ret;
}

static size_t nr_words(uint64_t length, uint64_t page_size)
{
	return (size_t)(((length - 1) / page_size + 1 + 63) / 64);
}

/* A zeroed REPORT of [@iova, +@length) that must succeed; free() it. */
static uint64_t *report(struct fix *f, uint64_t iova, uint64_t length,
			uint64_t page_size)
{
	size_t words = nr_words(length, page_size);
	uint64_t *bm = calloc(words, 8);

	assert_non_null(bm);
	assert_int_equal(report_words(f, iova, length, page_size, bm, words),
			 0);
	return bm;
}

static bool bit(const uint64_t *bm, uint64_t n)
{
	return bm[n / 64] >> (n % 64) & 1;
}

static uint64_t popcount(const uint64_t *bm, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

/* The report has exactly bits @want[0..@nr). */
static void assert_bits(const uint64_t *bm, size_t words, const uint64_t *want,
			size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (!bit(bm, want[i]))
			fail_msg("bit %llu missing",
				 (unsigned long long)want[i]);
	assert_int_equal(popcount(bm, words), nr);
}

static void assert_clean(struct fix *f, uint64_t iova, uint64_t length)
{
	uint64_t *bm = report(f, iova, length, PG);

	assert_int_equal(popcount(bm, nr_words(length, PG)), 0);
	free(bm);
}

/* ---- tests ---- */

static int dummy_feature(struct uvfio_device *dev, uint32_t flags, void *data,
			 size_t size, void *opaque)
{
	(void)dev, (void)flags, (void)data, (void)size, (void)opaque;
	return 0;
}

static void test_init(void **state)
{
	struct uvfio_device *dev = uvfio_device_new("dirty", &ops, NULL);
	uint32_t flags[] = { F_START | SET, F_STOP | SET, F_REPORT | GET };

	(void)state;
	assert_int_equal(uvfio_dirty_log_init(dev), 0);
	/* Twice: refused, and nothing half-registered is left behind. */
	assert_int_equal(uvfio_dirty_log_init(dev), -EEXIST);
	assert_int_equal(uvfio_device_realize(dev), 0);
	assert_int_equal(uvfio_dirty_log_init(dev), -EBUSY);
	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		struct uvfio_device_feature hdr = {
			.argsz = sizeof(hdr),
			.flags = PROBE | flags[i],
		};

		assert_int_equal(uvfio_device_feature(dev, &hdr), 0);
	}
	uvfio_dirty_log_release(dev);
	uvfio_dirty_log_release(dev);
	uvfio_device_destroy(dev);

	/* A failed init leaves no feature of its own behind. */
	dev = uvfio_device_new("taken", &ops, NULL);
	assert_int_equal(uvfio_device_add_feature(dev, F_STOP, SET, 0,
						  dummy_feature, NULL),
			 0);
	assert_int_equal(uvfio_dirty_log_init(dev), -EEXIST);
	assert_int_equal(uvfio_device_realize(dev), 0);
	{
		struct uvfio_device_feature hdr = {
			.argsz = sizeof(hdr),
			.flags = PROBE | SET | F_START,
		};

		assert_int_equal(uvfio_device_feature(dev, &hdr), -ENOTTY);
		hdr.flags = PROBE | SET | F_STOP;
		assert_int_equal(uvfio_device_feature(dev, &hdr), 0);
	}
	uvfio_dirty_log_release(dev);
	uvfio_device_destroy(dev);

	/* A device without the log knows none of the three. */
	dev = uvfio_device_new("plain", &ops, NULL);
	assert_int_equal(uvfio_device_realize(dev), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++) {
		struct uvfio_device_feature hdr = {
			.argsz = sizeof(hdr),
			.flags = PROBE | flags[i],
		};

		assert_int_equal(uvfio_device_feature(dev, &hdr), -ENOTTY);
	}
	uvfio_device_destroy(dev);
}

static void test_start_validation(void **state)
{
	struct fix *f = fix_new();
	struct range many[257], r[3];
	uint64_t granted = 0;
	uint8_t short_buf[16 + 16] = { 0 };
	uint32_t two = 2;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct range){ i * 2 * PG, PG };
	/* num_ranges: more than 256 is -E2BIG, 256 is fine. */
	assert_int_equal(start(f, 257, many), -E2BIG);
	assert_int_equal(start(f, 256, many), 0);
	assert_int_equal(stop(f), 0);

	/* The ranges must be in the payload. */
	memcpy(short_buf + 8, &two, 4);
	assert_int_equal(feature_raw(f->dev, SET | F_START, short_buf,
				     sizeof(short_buf)),
			 -EINVAL);
	/* The 16-byte control is the minimum; GET is not supported. */
	assert_int_equal(feature_raw(f->dev, SET | F_START, short_buf, 15),
			 -EINVAL);
	assert_int_equal(feature_raw(f->dev, GET | F_START, short_buf, 16),
			 -EINVAL);

	/* Alignment of iova and length to the page size given. */
	r[0] = (struct range){ PG + 512, PG };
	assert_int_equal(start(f, 1, r), -EINVAL);
	r[0] = (struct range){ PG, PG + 512 };
	assert_int_equal(start(f, 1, r), -EINVAL);
	r[0] = (struct range){ 2 * PG, 2 * PG };
	assert_int_equal(start_ps(f, 4 * PG, 1, r, NULL), -EINVAL);
	/* An empty range. */
	r[0] = (struct range){ PG, 0 };
	assert_int_equal(start(f, 1, r), -EINVAL);
	/* Page size 0: IS_ALIGNED(x, 0) only holds for 0. */
	r[0] = (struct range){ 0, PG };
	assert_int_equal(start_ps(f, 0, 1, r, NULL), -EINVAL);

	/* iova + length must not pass 2^64 - 1. */
	r[0] = (struct range){ UINT64_MAX - 2 * PG + 1, 4 * PG };
	assert_int_equal(start(f, 1, r), -EOVERFLOW);
	r[0] = (struct range){ UINT64_MAX - PG + 1, PG }; /* ends at 2^64 */
	assert_int_equal(start(f, 1, r), -EOVERFLOW);
	r[0] = (struct range){ UINT64_MAX - 2 * PG + 1, PG };
	assert_int_equal(start(f, 1, r), 0);
	assert_int_equal(stop(f), 0);

	/* Overlaps: equal, partial, contained; adjacent is fine. */
	r[0] = (struct range){ 0x10000, 0x4000 };
	r[1] = (struct range){ 0x10000, 0x4000 };
	assert_int_equal(start(f, 2, r), -EINVAL);
	r[1] = (struct range){ 0x13000, 0x4000 };
	assert_int_equal(start(f, 2, r), -EINVAL);
	r[1] = (struct range){ 0xf000, 0x2000 };
	assert_int_equal(start(f, 2, r), -EINVAL);
	r[1] = (struct range){ 0x11000, 0x1000 };
	assert_int_equal(start(f, 2, r), -EINVAL);
	r[1] = (struct range){ 0x8000, 0x20000 };
	assert_int_equal(start(f, 2, r), -EINVAL);
	r[1] = (struct range){ 0x14000, 0x1000 };
	r[2] = (struct range){ 0xf000, 0x1000 };
	assert_int_equal(start(f, 3, r), 0);
	assert_int_equal(stop(f), 0);

	/* The kernel's order: range by range, overlap before later wraps. */
	r[0] = (struct range){ 0x10000, 0x4000 };
	r[1] = (struct range){ 0x10000, 0x1000 };
	r[2] = (struct range){ UINT64_MAX - PG + 1, 2 * PG };
	assert_int_equal(start(f, 3, r), -EINVAL);
	r[1] = (struct range){ UINT64_MAX - PG + 1, 2 * PG };
	r[2] = (struct range){ 0x10000, 0x1000 };
	assert_int_equal(start(f, 3, r), -EOVERFLOW);

	/* One START at a time (mlx5, pds: -EINVAL); range errors first. */
	r[0] = (struct range){ 0x10000, 0x4000 };
	assert_int_equal(start(f, 1, r), 0);
	assert_int_equal(start(f, 1, r), -EINVAL);
	assert_int_equal(start(f, 0, NULL), -EINVAL);
	assert_int_equal(start(f, 257, many), -E2BIG);
	assert_int_equal(stop(f), 0);

	/* The page size is a hint; the granularity comes back. */
	r[0] = (struct range){ 0x200000, 0x200000 };
	assert_int_equal(start_ps(f, 512, 1, r, &granted), 0);
	assert_int_equal(granted, PG);
	assert_int_equal(stop(f), 0);
	assert_int_equal(start_ps(f, 2 * MIB, 1, r, &granted), 0);
	assert_int_equal(granted, 2 * MIB);
	assert_int_equal(stop(f), 0);
	/* Not a power of two: IS_ALIGNED with its mask, then 4 KiB. */
	r[0] = (struct range){ 0x10000, 0x10000 };
	assert_int_equal(start_ps(f, 6 * PG, 1, r, &granted), 0);
	assert_int_equal(granted, PG);
	assert_int_equal(stop(f), 0);
	/* Larger than 1 GiB: 1 GiB. */
	r[0] = (struct range){ 0, 4 * GIB };
	assert_int_equal(start_ps(f, 4 * GIB, 1, r, &granted), 0);
	assert_int_equal(granted, GIB);
	assert_int_equal(stop(f), 0);
	/* Everything: no ranges to align, so any hint. */
	assert_int_equal(start_ps(f, 0, 0, NULL, &granted), 0);
	assert_int_equal(granted, PG);
	assert_int_equal(stop(f), 0);

	fix_free(f);
}

static void test_stop(void **state)
{
	struct fix *f = fix_new();
	struct range r = { 0x100000, 0x100000 };
	uint64_t bm[1] = { 0 };
	uint8_t extra[8] = { 0 };
	struct uvfio_device_feature get = {
		.argsz = sizeof(get),
		.flags = GET | F_STOP,
	};

	(void)state;
	map_mem(f, 0x100000, 0x100000);
	/* Stopping a stopped log succeeds, as mlx5 and pds. */
	assert_int_equal(stop(f), 0);
	assert_int_equal(uvfio_device_feature(f->dev, &get), -EINVAL);
	assert_int_equal(start(f, 1, &r), 0);
	dwrite(f, 0x100000, 1);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 1);
	/* Extra payload is ignored. */
	assert_int_equal(feature_raw(f->dev, SET | F_STOP, extra, 8), 0);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 0);
	assert_int_equal(report_words(f, 0x100000, 0x100000, PG, bm, 1),
			 -EINVAL);
	/* Written while stopped: not in the next log. */
	dwrite(f, 0x101000, 1);
	assert_int_equal(start(f, 1, &r), 0);
	assert_clean(f, 0x100000, 0x100000);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 0);
	fix_free(f); /* destroyed while started */
}

static void test_report_validation(void **state)
{
	struct fix *f = fix_new();
	struct range r = { 0, 0x100000 };
	uint64_t bm[5] = { 0 };
	uint8_t small[23] = { 0 };

	(void)state;
	/* Not started: -EINVAL, after the core's own checks. */
	assert_int_equal(report_words(f, 0, 0x10000, PG, bm, 1), -EINVAL);
	assert_int_equal(report_words(f, UINT64_MAX, 2, PG, bm, 1), -EOVERFLOW);
	assert_int_equal(start(f, 1, &r), 0);

	/* Page size: a power of two, at least 4 KiB. */
	assert_int_equal(report_words(f, 0, 0x10000, 0, bm, 1), -EINVAL);
	assert_int_equal(report_words(f, 0, 0x10000, 2048, bm, 1), -EINVAL);
	assert_int_equal(report_words(f, 0, 0x10000, PG + 1, bm, 1), -EINVAL);
	assert_int_equal(report_words(f, 0, 0x10000, 3 * PG, bm, 1), -EINVAL);
	assert_int_equal(report_words(f, 0, 0x10000, 1ull << 63, bm, 1), 0);
	/* Wrap-around; ending exactly at 2^64 wraps too. */
	assert_int_equal(report_words(f, UINT64_MAX - PG + 1, 2 * PG, PG, bm,
				      1),
			 -EOVERFLOW);
	assert_int_equal(report_words(f, UINT64_MAX - PG + 1, PG, PG, bm, 1),
			 -EOVERFLOW);
	assert_int_equal(
		report_words(f, UINT64_MAX - PG + 1, PG - 1, PG, bm, 1), 0);
	/* Empty. */
	assert_int_equal(report_words(f, 0, 0, PG, bm, 1), -EINVAL);
	/* The bitmap must fit: 257 pages need 5 words. */
	assert_int_equal(report_words(f, 0, 257 * PG, PG, bm, 4), -EINVAL);
	assert_int_equal(report_words(f, 0, 257 * PG, PG, bm, 5), 0);
	assert_int_equal(report_words(f, 0, 256 * PG, PG, bm, 4), 0);
	assert_int_equal(report_words(f, 0, 256 * PG + 1, PG, bm, 4), -EINVAL);
	/* A huge range with no bitmap at all. */
	assert_int_equal(report_words(f, 0, TIB, PG, bm, 0), -EINVAL);
	/* Any iova and length: no alignment required, as the kernel. */
	assert_int_equal(report_words(f, 123, 4567, PG, bm, 1), 0);
	/* The 24-byte request is the minimum; SET is not supported. */
	assert_int_equal(feature_raw(f->dev, GET | F_REPORT, small,
				     sizeof(small)),
			 -EINVAL);
	assert_int_equal(report_words(f, 0, 0x10000, PG, bm, 0), -EINVAL);
	{
		uint8_t req[32] = { 0 };

		assert_int_equal(feature_raw(f->dev, SET | F_REPORT, req, 32),
				 -EINVAL);
	}
	assert_int_equal(popcount(bm, 5), 0);
	fix_free(f);
}

/* Window across the chunk boundary at 1 GiB (4 KiB pages). */
#define WIN (GIB - 4 * MIB)
#define WIN_SIZE (8 * MIB)
#define WIN_PAGES (WIN_SIZE / PG)

static void test_report_bits(void **state)
{
	struct fix *f = fix_new();
	struct range r = { WIN, WIN_SIZE };
	size_t words = nr_words(WIN_SIZE, PG);
	uint64_t want[] = {
		0, /* one byte at the start */
		5, /* the last byte of page 5 */
		10,
		11,
		12, /* 8 KiB from inside page 10 */
		1023,
		1024, /* 4 bytes across the 1 GiB line */
		1030,
		1031,	       /* 2 bytes across a page line */
		WIN_PAGES - 1, /* the last page of the range */
	};
	uint64_t *bm;

	(void)state;
	map_mem(f, WIN, WIN_SIZE);
	assert_int_equal(start(f, 1, &r), 0);
	dwrite(f, WIN, 1);
	dwrite(f, WIN + 5 * PG + PG - 1, 1);
	dwrite(f, WIN + 10 * PG + 4000, 8192);
	dwrite(f, GIB - 2, 4);
	dwrite(f, WIN + 1031 * PG - 1, 2);
	dwrite(f, WIN + WIN_SIZE - 1, 1);
	/* Two chunks: on each side of 1 GiB. */
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 2);

	bm = report(f, WIN, WIN_SIZE, PG);
	assert_bits(bm, words, want, ARRAY_SIZE(want));
	/* Reading cleared it. */
	memset(bm, 0, words * 8);
	assert_int_equal(report_words(f, WIN, WIN_SIZE, PG, bm, words), 0);
	assert_int_equal(popcount(bm, words), 0);

	/* Bits of the caller's bitmap are only set, never cleared. */
	for (size_t i = 0; i < words; i++)
		bm[i] = 0x8000000000000001ull;
	dwrite(f, WIN + 2 * PG, 1);
	assert_int_equal(report_words(f, WIN, WIN_SIZE, PG, bm, words), 0);
	for (size_t i = 0; i < words; i++)
		assert_int_equal(bm[i], 0x8000000000000001ull | (i ? 0 : 4));
	free(bm);

	/* A sub-range is reported and cleared alone. */
	dwrite(f, WIN + 3 * PG, 1);
	dwrite(f, WIN + 20 * PG, 1);
	bm = report(f, WIN, 16 * PG, PG);
	assert_int_equal(bm[0], 1ull << 3);
	free(bm);
	bm = report(f, WIN, 64 * PG, PG);
	assert_int_equal(bm[0], 1ull << 20);
	free(bm);

	/*
	 * From page 10, not a multiple of 64: log words straddle report
	 * words.  Pages 12, 70, 100, 137 -> bits 2, 60, 90, 127.
	 */
	dwrite(f, WIN + 12 * PG, 1);
	dwrite(f, WIN + 70 * PG, 1);
	dwrite(f, WIN + 100 * PG, 1);
	dwrite(f, WIN + 137 * PG, 1);
	bm = report(f, WIN + 10 * PG, 128 * PG, PG);
	assert_int_equal(bm[0], (1ull << 2) | (1ull << 60));
	assert_int_equal(bm[1], (1ull << 26) | (1ull << 63));
	free(bm);

	/* A report beyond the ranges and the windows: nothing. */
	assert_clean(f, 0, 64 * PG);
	assert_clean(f, 1ull << 50, 1ull << 30);
	assert_int_equal(stop(f), 0);
	fix_free(f);
}

static void test_report_page_sizes(void **state)
{
	struct fix *f = fix_new();
	struct range r = { 0, 64 * MIB };
	uint64_t *bm, granted;

	(void)state;
	map_mem(f, 0, 64 * MIB);
	assert_int_equal(start(f, 1, &r), 0);

	/* Coarser than the log: a bit per 2 MiB. */
	dwrite(f, 0, 1);
	dwrite(f, PG, 1);
	dwrite(f, 600 * PG, 1);		/* 2 MiB page 1 */
	dwrite(f, 31 * 2 * MIB + 5, 1); /* the last 2 MiB page */
	bm = report(f, 0, 64 * MIB, 2 * MIB);
	assert_int_equal(bm[0], (1ull << 0) | (1ull << 1) | (1ull << 31));
	free(bm);
	assert_clean(f, 0, 64 * MIB);

	/* 8 KiB pages: pages 0-1 -> bit 0, 3 -> 1, 4 -> 2. */
	dwrite(f, 0, 1);
	dwrite(f, PG, 1);
	dwrite(f, 3 * PG, 1);
	dwrite(f, 4 * PG, 1);
	bm = report(f, 0, 1 * MIB, 2 * PG);
	assert_int_equal(bm[0], 7);
	free(bm);

	/* The whole window in one bit. */
	dwrite(f, 64 * MIB - 1, 1);
	bm = report(f, 0, 64 * MIB, 64 * MIB);
	assert_int_equal(bm[0], 1);
	free(bm);
	assert_clean(f, 0, 64 * MIB);
	assert_int_equal(stop(f), 0);

	/* Finer than the log: a 2 MiB log page sets 512 report bits. */
	assert_int_equal(start_ps(f, 2 * MIB, 1, &r, &granted), 0);
	assert_int_equal(granted, 2 * MIB);
	dwrite(f, 2 * MIB + 5, 1);
	bm = report(f, 0, 8 * MIB, PG);
	for (unsigned int i = 0; i < 2048 / 64; i++)
		assert_int_equal(bm[i], i >= 8 && i < 16 ? ~0ull : 0);
	free(bm);
	assert_clean(f, 0, 8 * MIB);
	assert_int_equal(stop(f), 0);
	fix_free(f);
}

static void test_report_unaligned(void **state)
{
	struct fix *f = fix_new();
	struct range r = { 0, MIB };
	uint64_t *bm;

	(void)state;
	map_mem(f, 0, MIB);
	assert_int_equal(start(f, 1, &r), 0);
	/*
	 * Report [2 KiB, 2 KiB + 4 pages): bit n is [2K + n*4K, +4K).  Log
	 * page 1 overlaps bits 0 and 1; log page 0 is only partly in the
	 * range: reported, and kept for a report that covers it all.
	 */
	dwrite(f, 0, 1);
	dwrite(f, PG, 1);
	bm = report(f, 2048, 4 * PG, PG);
	assert_int_equal(bm[0], 3);
	free(bm);
	bm = report(f, 2048, 4 * PG, PG);
	assert_int_equal(bm[0], 1);
	free(bm);
	bm = report(f, 0, 4 * PG, PG);
	assert_int_equal(bm[0], 1);
	free(bm);
	assert_clean(f, 0, MIB);

	/* An unaligned end: the last page is partial, reported and kept. */
	dwrite(f, 3 * PG + 100, 1);
	bm = report(f, 0, 3 * PG + 10, PG);
	assert_int_equal(bm[0], 1ull << 3);
	free(bm);
	bm = report(f, 0, 4 * PG, PG);
	assert_int_equal(bm[0], 1ull << 3);
	free(bm);
	assert_clean(f, 0, MIB);

	/* Unaligned and coarser: [6 KiB, +64 KiB) in 16 KiB bits. */
	dwrite(f, 6 * PG, 1);  /* [24K, 28K) in bit 1, [22K, 38K) */
	dwrite(f, 17 * PG, 1); /* [68K, 72K): bit 3, [54K, 70K), ends */
	bm = report(f, 6 * KIB, 64 * KIB, 16 * KIB);
	assert_int_equal(bm[0], (1ull << 1) | (1ull << 3));
	free(bm);
	assert_int_equal(stop(f), 0);
	fix_free(f);
}

static void test_log_everything(void **state)
{
	struct fix *f = fix_new();
	const uint64_t high = 0x7f0000000000ull;
	const uint64_t top = 0ull - MIB; /* the window ends at 2^64 */
	uint64_t *bm;

	(void)state;
	map_mem(f, high, 2 * MIB);
	map_mem(f, top, MIB);
	map_mem(f, 0, MIB);
	map_mem(f, 4 * TIB, MIB);    /* the first chunk of table leaf 2 */
	map_mem(f, 1ull << 53, MIB); /* the first chunk of top slot 2 */
	assert_int_equal(start(f, 0, NULL), 0);
	dwrite(f, high + 0x1234, 1);
	dwrite(f, high + 2 * MIB - 1, 1);
	dwrite(f, 0x5000, 1);
	dwrite(f, top + MIB - 1, 1); /* the last byte of the IOVA space */
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 3);

	bm = report(f, high, 2 * MIB, PG);
	assert_int_equal(popcount(bm, 8), 2);
	assert_true(bit(bm, 1) && bit(bm, 511));
	free(bm);
	bm = report(f, 0, MIB, PG);
	assert_int_equal(bm[0], 1ull << 5);
	free(bm);
	/* [top, 2^64 - 1): the last page is partial, reported and kept. */
	bm = report(f, top, MIB - 1, PG);
	assert_int_equal(popcount(bm, 4), 1);
	assert_true(bit(bm, 255));
	free(bm);
	bm = report(f, top, MIB - 1, MIB);
	assert_int_equal(bm[0], 1);
	free(bm);
	/* Reports skip absent table nodes, and find what follows them. */
	dwrite(f, 4 * TIB, 1);
	dwrite(f, 1ull << 53, 1);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 5);
	bm = report(f, 0, 1ull << 54, 1ull << 40);
	assert_int_equal(popcount(bm, 256), 2);
	assert_true(bit(bm, 4) && bit(bm, 1ull << 13));
	free(bm);
	/* The whole 64-bit space at once, in 2^44-byte bits. */
	dwrite(f, high, 1);
	bm = report(f, 0, UINT64_MAX, 1ull << 44);
	assert_int_equal(popcount(bm, 16384), 2);
	assert_true(bit(bm, high >> 44) && bit(bm, 1048575));
	free(bm);
	assert_clean(f, high, 2 * MIB);
	assert_int_equal(stop(f), 0);
	fix_free(f);
}

static void test_outside_ranges(void **state)
{
	struct fix *f = fix_new();
	struct range r[2] = { { 0x10000, 0x4000 }, { 0x40000, 0x1000 } };
	uint64_t *bm;

	(void)state;
	map_mem(f, 0, MIB);
	assert_int_equal(start(f, 2, r), 0);
	dwrite(f, 0x0, 1);	      /* before */
	dwrite(f, 0xf000, 1);	      /* the page before range 0 */
	dwrite(f, 0x14000, 1);	      /* the page after range 0 */
	dwrite(f, 0x20000, 1);	      /* between */
	dwrite(f, 0x80000, 1);	      /* after */
	dwrite(f, 0x3f000, 3 * 4096); /* across range 1: only its page */
	bm = report(f, 0, MIB, PG);
	assert_int_equal(popcount(bm, 4), 1);
	assert_true(bit(bm, 0x40));
	free(bm);
	/* Straddling the start and end of range 0. */
	dwrite(f, 0xfffe, 4);
	dwrite(f, 0x13ffe, 4);
	bm = report(f, 0, MIB, PG);
	assert_int_equal(popcount(bm, 4), 2);
	assert_true(bit(bm, 0x10) && bit(bm, 0x13));
	free(bm);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 1);
	assert_int_equal(stop(f), 0);
	fix_free(f);
}

/* Message-based guest memory at MSG_IOVA. */
#define MSG_IOVA 0x100000ull
#define MSG_SIZE 0x10000ull

struct msg_mem {
	uint8_t mem[MSG_SIZE];
	unsigned int writes;
};

static int msg_handler(void *opaque, uint64_t iova, void *buf, size_t len,
		       bool is_write)
{
	struct msg_mem *m = opaque;

	if (iova < MSG_IOVA || iova - MSG_IOVA + len > MSG_SIZE)
		return -EFAULT;
	if (is_write) {
		memcpy(m->mem + (iova - MSG_IOVA), buf, len);
		m->writes++;
	} else {
		memcpy(buf, m->mem + (iova - MSG_IOVA), len);
	}
	return 0;
}

static void test_message_windows(void **state)
{
	struct fix *f = fix_new();
	struct msg_mem *m = calloc(1, sizeof(*m));
	uint64_t *bm;

	(void)state;
	assert_non_null(m);
	uvfio_dma_set_msg_handler(f->dma, msg_handler, m);
	/* Memory right below, messages from MSG_IOVA on. */
	map_mem(f, MSG_IOVA - 0x10000, 0x10000);
	assert_int_equal(uvfio_dma_map(f->dma, MSG_IOVA, MSG_SIZE, RW, -1, 0),
			 0);
	assert_int_equal(start(f, 0, NULL), 0);
	dwrite(f, MSG_IOVA + 0x2000, 16);
	assert_int_equal(m->writes, 1);
	bm = report(f, 0, 2 * MSG_IOVA, PG);
	assert_int_equal(popcount(bm, nr_words(2 * MSG_IOVA, PG)), 0);
	free(bm);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 0);
	/* Across both: only the memory part is reported. */
	dwrite(f, MSG_IOVA - 2, 4);
	assert_int_equal(m->writes, 2);
	bm = report(f, MSG_IOVA - 0x10000, 0x20000, PG);
	assert_int_equal(bm[0], 1ull << 15);
	free(bm);
	assert_int_equal(stop(f), 0);
	uvfio_dma_set_msg_handler(f->dma, NULL, NULL);
	fix_free(f);
	free(m);
}

/* ---- concurrency ---- */

#define CONC_IOVA (3 * GIB - 16 * MIB) /* across a chunk line */
#define CONC_SIZE (32 * MIB)
#define CONC_PAGES (CONC_SIZE / PG)
#define CONC_THREADS 4

struct writer {
	struct fix *f;
	unsigned int id;
	unsigned int *running;
};

/*
 * Page p is written iff p % 3 != 0, by thread p % CONC_THREADS, in a
 * scrambled order, each several times.
 */
static bool conc_written(uint64_t p)
{
	return p % 3 != 0;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t byte = (uint8_t)w->id;

	for (unsigned int round = 0; round < 4; round++)
		for (uint64_t i = 0; i < CONC_PAGES; i++) {
			uint64_t p = (i * 4099) % CONC_PAGES;

			if (p % CONC_THREADS != w->id || !conc_written(p))
				continue;
			assert_int_equal(uvfio_dma_write(w->f->dma,
							 CONC_IOVA + p * PG +
								 (p * 37) % PG,
							 &byte, 1),
					 0);
		}
	__atomic_fetch_sub(w->running, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_concurrent_reports(void **state)
{
	struct fix *f = fix_new();
	struct range r = { CONC_IOVA, CONC_SIZE };
	size_t words = nr_words(CONC_SIZE, PG);
	uint64_t *uni = calloc(words, 8), *bm = calloc(words, 8);
	struct writer w[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	unsigned int reports = 0, running = CONC_THREADS, busy = 0;

	(void)state;
	assert_non_null(uni);
	assert_non_null(bm);
	map_mem(f, CONC_IOVA, CONC_SIZE);
	assert_int_equal(start(f, 1, &r), 0);
	for (unsigned int i = 0; i < CONC_THREADS; i++) {
		w[i] = (struct writer){ f, i, &running };
		assert_int_equal(
			pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	/* Report while they write: in halves, and whole. */
	for (; __atomic_load_n(&running, __ATOMIC_ACQUIRE); reports++) {
		uint64_t half = CONC_SIZE / 2;
		uint64_t iova = CONC_IOVA + (reports % 3 == 1 ? half : 0);
		uint64_t len = reports % 3 ? half : CONC_SIZE;
		size_t off = iova == CONC_IOVA ? 0 : words / 2;

		memset(bm, 0, words * 8);
		assert_int_equal(report_words(f, iova, len, PG, bm,
					      nr_words(len, PG)),
				 0);
		for (size_t i = 0; i < nr_words(len, PG); i++)
			uni[off + i] |= bm[i];
		busy += popcount(bm, nr_words(len, PG)) != 0;
	}
	print_message("%u reports during the writes, %u with bits\n", reports,
		      busy);
	for (unsigned int i = 0; i < CONC_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	memset(bm, 0, words * 8);
	assert_int_equal(report_words(f, CONC_IOVA, CONC_SIZE, PG, bm, words),
			 0);
	for (size_t i = 0; i < words; i++)
		uni[i] |= bm[i];
	for (uint64_t p = 0; p < CONC_PAGES; p++)
		if (bit(uni, p) != conc_written(p))
			fail_msg("page %llu: reported %d, written %d",
				 (unsigned long long)p, bit(uni, p),
				 conc_written(p));
	assert_clean(f, CONC_IOVA, CONC_SIZE);
	assert_int_equal(stop(f), 0);
	free(uni);
	free(bm);
	fix_free(f);
}

struct churn {
	struct fix *f;
	volatile bool stop;
	unsigned int id;
};

static void *churn_writer(void *arg)
{
	struct churn *c = arg;
	uint8_t byte = 1;
	uint64_t i = c->id;

	/* 256 pages 16 MiB apart, in four 1 GiB chunks. */
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		assert_int_equal(
			uvfio_dma_write(c->f->dma,
					(i % 256) * 16 * MIB + (i % 7) * PG,
					&byte, 1),
			0);
		i += 2;
	}
	return NULL;
}

/* START and STOP (which frees the log) while devices write. */
static void test_stop_while_writing(void **state)
{
	struct fix *f = fix_new();
	struct churn c[2];
	pthread_t th[2];
	uint64_t *bm;

	(void)state;
	map_mem(f, 0, 4 * GIB); /* sparse */
	for (unsigned int i = 0; i < 2; i++) {
		c[i] = (struct churn){ .f = f, .id = i };
		assert_int_equal(
			pthread_create(&th[i], NULL, churn_writer, &c[i]), 0);
	}
	for (unsigned int i = 0; i < 100; i++) {
		assert_int_equal(start(f, 0, NULL), 0);
		bm = report(f, 0, 4 * GIB, 2 * MIB);
		free(bm);
		assert_int_equal(stop(f), 0);
	}
	for (unsigned int i = 0; i < 2; i++) {
		__atomic_store_n(&c[i].stop, true, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 0);
	fix_free(f);
}

/* ---- scale ---- */

static void test_sparse_tib(void **state)
{
	struct fix *f = fix_new();
	const uint64_t base = TIB; /* the window is [1 TiB, 2 TiB) */
	struct range r = { base, TIB };
	const uint64_t at[] = { 0, 300 * GIB + 5, 700 * GIB + 3 * PG,
				700 * GIB + 9 * PG, TIB - 1 };
	size_t words = nr_words(TIB, PG), bytes = 0;
	uint64_t *bm;

	(void)state;
	map_mem(f, base, TIB);
	assert_int_equal(start(f, 1, &r), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(at); i++)
		dwrite(f, base + at[i], 1);
	/* Four chunks of 32 KiB and a few table nodes, not 32 MiB. */
	assert_int_equal(uvfio_dirty_log_stats(f->dev, &bytes), 4);
	assert_true(bytes < 256 * KIB);

	bm = calloc(words, 8); /* 32 MiB: one bit per 4 KiB of 1 TiB */
	assert_non_null(bm);
	assert_int_equal(report_words(f, base, TIB, PG, bm, words), 0);
	assert_int_equal(popcount(bm, words), ARRAY_SIZE(at));
	for (unsigned int i = 0; i < ARRAY_SIZE(at); i++)
		assert_true(bit(bm, at[i] / PG));
	free(bm);
	/* Reporting allocates nothing; STOP frees everything. */
	assert_int_equal(uvfio_dirty_log_stats(f->dev, NULL), 4);
	assert_int_equal(stop(f), 0);
	assert_int_equal(uvfio_dirty_log_stats(f->dev, &bytes), 0);
	assert_true(bytes < KIB);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_start_validation),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_report_validation),
		cmocka_unit_test(test_report_bits),
		cmocka_unit_test(test_report_page_sizes),
		cmocka_unit_test(test_report_unaligned),
		cmocka_unit_test(test_log_everything),
		cmocka_unit_test(test_outside_ranges),
		cmocka_unit_test(test_message_windows),
		cmocka_unit_test(test_concurrent_reports),
		cmocka_unit_test(test_stop_while_writing),
		cmocka_unit_test(test_sparse_tib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
