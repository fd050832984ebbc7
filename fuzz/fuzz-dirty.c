// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: dirty-page logging driven by arbitrary operations.
 * DMA_LOGGING_START with any page size and ranges, device writes into a
 * 64 MiB window of guest memory, DMA_LOGGING_REPORT of any range, page
 * size and buffer, and STOP, in any order.
 *
 * Oracle: a model of the log, kept here independently of lib/.  It holds
 * one bit per log page of the window, at the granularity START granted
 * (which is checked: 4 KiB unless a larger power of two was asked, at most
 * 1 GiB).  A write marks the log pages it touches inside the logged ranges
 * (all of them with no range).  A REPORT must set exactly the report bits
 * whose span meets a marked page inside the report's range, and nothing
 * past its last bit; it clears the pages wholly inside the range.  Every
 * call must return an error exactly when the model says the request is
 * invalid.
 *
 * Input: a sequence of operations, one byte each followed by its fields
 * (little-endian, taken as available; missing bytes read as 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/device.h>
#include <uvfio/dma.h>
#include <uvfio/migration.h>

#include "fuzz-util.h"

#define WINDOW (64ull << 20)
#define MAX_WRITE (128u << 10) /* 32 pages at 4 KiB: across pages and ranges */
#define MAX_RANGES 4
#define MAX_REPORT_BITS (1u << 18)

static struct uvfio_device *dev;
static struct uvfio_dma *dma;
static uint8_t *junk; /* what the device writes */

/* The model. */
static bool started;
static unsigned int gshift; /* log granularity */
static uint32_t nr_ranges;
static uint64_t range_start[MAX_RANGES], range_last[MAX_RANGES];
static uint8_t marked[WINDOW >> 12 >> 3]; /* log pages of the window */

static bool is_marked(uint64_t page)
{
	return marked[page / 8] & (1u << (page % 8));
}

static void set_marked(uint64_t page, bool on)
{
	if (on)
		marked[page / 8] |= (uint8_t)(1u << (page % 8));
	else
		marked[page / 8] &= (uint8_t) ~(1u << (page % 8));
}

/* Log pages of the window: the last one may reach past it. */
static uint64_t window_pages(void)
{
	return ((WINDOW - 1) >> gshift) + 1;
}

static void init(void)
{
	static const struct uvfio_device_ops ops = { 0 };
	int fd;

	dev = uvfio_device_new("fuzz-dirty", &ops, NULL);
	if (!dev || uvfio_dirty_log_init(dev) || uvfio_device_realize(dev))
		abort();
	uvfio_device_set_log(dev, fuzz_quiet, NULL, 0);
	dma = uvfio_device_dma(dev);
	fd = memfd_create("fuzz-dirty", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)WINDOW) ||
	    uvfio_dma_map(dma, 0, WINDOW, UVFIO_DMA_READ | UVFIO_DMA_WRITE, fd,
			  0))
		abort();
	close(fd);
	junk = calloc(1, MAX_WRITE);
	if (!junk)
		abort();
}

static void op_start(struct fuzz_input *in)
{
	static const uint64_t sizes[] = { 0,	   1,	       4096,
					  8192,	   65536,      3 << 12,
					  1 << 21, 1ull << 30, 1ull << 31 };
	uint8_t buf[16 + MAX_RANGES * 16 + 16];
	struct uvfio_device_feature *hdr = (void *)buf;
	uint64_t page_size = sizes[fuzz_take(in, 1) % 9];
	uint32_t nr = (uint32_t)(fuzz_take(in, 1) % (MAX_RANGES + 1));
	uint64_t start[MAX_RANGES], len[MAX_RANGES];
	bool valid = !started;
	unsigned int want_shift = 12;
	int ret;

	memset(buf, 0, sizeof(buf));
	hdr->argsz = (uint32_t)(sizeof(*hdr) + 16 + nr * 16);
	hdr->flags = UVFIO_DEVICE_FEATURE_SET |
		     UVFIO_DEVICE_FEATURE_DMA_LOGGING_START;
	memcpy(hdr->data, &page_size, 8);
	memcpy(hdr->data + 8, &nr, 4);
	for (uint32_t i = 0; i < nr; i++) {
		/* Mostly near the window, in pages; sometimes anything. */
		uint8_t how = (uint8_t)fuzz_take(in, 1);

		start[i] = fuzz_take(in, 4) << (how & 1 ? 12 : 0);
		len[i] = fuzz_take(in, 4) << (how & 2 ? 12 : 0);
		if (how & 4)
			start[i] = fuzz_take(in, 8);
		memcpy(hdr->data + 16 + i * 16, &start[i], 8);
		memcpy(hdr->data + 16 + i * 16 + 8, &len[i], 8);
		if (!len[i] || (start[i] & (page_size - 1)) ||
		    (len[i] & (page_size - 1)) ||
		    len[i] > UINT64_MAX - start[i])
			valid = false;
		for (uint32_t j = 0; j < i; j++)
			if (start[i] <= start[j] + (len[j] - 1) &&
			    start[j] <= start[i] + (len[i] - 1))
				valid = false;
	}
	ret = uvfio_device_feature(dev, hdr);
	if ((ret == 0) != valid)
		abort();
	if (ret)
		return;
	if (page_size > 4096 && !(page_size & (page_size - 1)))
		want_shift = (unsigned int)__builtin_ctzll(page_size);
	if (want_shift > 30)
		want_shift = 30;
	memcpy(&page_size, hdr->data, 8);
	if (page_size != 1ull << want_shift)
		abort();
	started = true;
	gshift = want_shift;
	nr_ranges = nr;
	for (uint32_t i = 0; i < nr; i++) {
		range_start[i] = start[i];
		range_last[i] = start[i] + (len[i] - 1);
	}
	memset(marked, 0, sizeof(marked));
}

static void mark(uint64_t first, uint64_t last)
{
	for (uint64_t p = first >> gshift; p <= last >> gshift; p++)
		set_marked(p, true);
}

static void op_write(struct fuzz_input *in)
{
	uint64_t iova = fuzz_take(in, 4) % WINDOW;
	uint64_t len = 1 + fuzz_take(in, 3) % MAX_WRITE;
	uint64_t last;

	if (len > WINDOW - iova)
		len = WINDOW - iova;
	if (uvfio_dma_write(dma, iova, junk, len))
		abort();
	if (!started)
		return;
	last = iova + len - 1;
	if (!nr_ranges)
		mark(iova, last);
	for (uint32_t i = 0; i < nr_ranges; i++) {
		uint64_t lo = iova > range_start[i] ? iova : range_start[i];
		uint64_t hi = last < range_last[i] ? last : range_last[i];

		if (lo <= hi)
			mark(lo, hi);
	}
}

static void op_report(struct fuzz_input *in)
{
	uint8_t how = (uint8_t)fuzz_take(in, 1);
	uint64_t shift = 12 + fuzz_take(in, 1) % 20;
	uint64_t page_size = how & 1 ? fuzz_take(in, 8) : 1ull << shift;
	uint64_t iova = how & 2 ? fuzz_take(in, 8) :
				  fuzz_take(in, 4) << (how & 4 ? 0 : 12);
	uint64_t len = how & 8 ? fuzz_take(in, 8) :
				 fuzz_take(in, 4) << (how & 16 ? 0 : 12);
	uint64_t bits, words, last, p_end;
	size_t bytes;
	uint8_t *buf, *want;
	struct uvfio_device_feature *hdr;
	bool valid = true;
	int ret;

	if (page_size < 4096 || (page_size & (page_size - 1)) || !len ||
	    len > UINT64_MAX - iova || !started)
		valid = false;
	shift = page_size ? (unsigned int)__builtin_ctzll(page_size) : 0;
	bits = valid ? ((len - 1) >> shift) + 1 : 1;
	if (bits > MAX_REPORT_BITS)
		return; /* a bitmap too large for the fuzzer's time */
	words = (bits + 63) / 64;
	/* Sometimes a word short: refused. */
	if (how & 32 && words)
		valid = false;
	bytes = sizeof(*hdr) + 24 + (words - (how & 32 ? 1 : 0)) * 8;
	buf = calloc(1, bytes);
	want = calloc(1, words * 8 + 8);
	if (!buf || !want)
		abort();
	hdr = (void *)buf;
	hdr->argsz = (uint32_t)bytes;
	hdr->flags = UVFIO_DEVICE_FEATURE_GET |
		     UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
	memcpy(hdr->data, &iova, 8);
	memcpy(hdr->data + 8, &len, 8);
	memcpy(hdr->data + 16, &page_size, 8);
	ret = uvfio_device_feature(dev, hdr);
	if ((ret == 0) != valid)
		abort();
	if (ret)
		goto out;
	last = iova + (len - 1);
	/* The model's answer: marked log pages meeting the range (the
	 * window's pages from the one holding @iova to the one holding
	 * @last, at most). */
	p_end = last >> gshift < window_pages() ? (last >> gshift) + 1 :
						  window_pages();
	for (uint64_t p = iova >> gshift; p < p_end; p++) {
		uint64_t first = p << gshift;
		uint64_t end = first + ((1ull << gshift) - 1);
		uint64_t lo = first > iova ? first : iova;
		uint64_t hi = end < last ? end : last;

		if (!is_marked(p) || end < iova || first > last)
			continue;
		for (uint64_t b = (lo - iova) >> shift;
		     b <= (hi - iova) >> shift; b++)
			want[b / 8] |= (uint8_t)(1u << (b % 8));
		/* Wholly inside: cleared by the report. */
		if (first >= iova && end <= last)
			set_marked(p, false);
	}
	if (memcmp(hdr->data + 24, want, words * 8))
		abort();
out:
	free(buf);
	free(want);
}

static void op_stop(void)
{
	struct uvfio_device_feature hdr = {
		.argsz = sizeof(hdr),
		.flags = UVFIO_DEVICE_FEATURE_SET |
			 UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
	};

	if (uvfio_device_feature(dev, &hdr))
		abort();
	started = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };

	if (!dev)
		init();
	while (in.left) {
		switch (fuzz_take(&in, 1) % 4) {
		case 0:
			op_start(&in);
			break;
		case 1:
			op_write(&in);
			break;
		case 2:
			op_report(&in);
			break;
		default:
			op_stop();
			break;
		}
	}
	op_stop();
	return 0;
}
