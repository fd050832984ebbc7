// SPDX-License-Identifier: MIT
/*
 * Device dirty tracking (DMA logging): the features DMA_LOGGING_START,
 * _STOP and _REPORT, fed by the dirty hook of the device's DMA space.
 *
 * The log is a sparse bitmap over the whole 64-bit IOVA space, one bit per
 * page of the granularity START chose (4 KiB unless asked for a larger
 * power of two, at most 1 GiB).  Bits live in chunks of 2^18 pages (32 KiB
 * of bits: 1 GiB of IOVA at 4 KiB pages), each allocated on the first write
 * into its span and found through a three-level radix table keyed by the
 * chunk number (at most 34 bits: 12 + 11 + 11).  Nothing is allocated per
 * page, and a REPORT visits only the table nodes and chunks that exist in
 * its range: a 1 TiB space costs at most 1024 chunks (32 MiB) and about
 * 64 KiB of table, however it is written, and nothing while nobody writes.
 *
 * Threads.  START, STOP and REPORT run under the device lock.  The hook
 * runs under the DMA space's read lock, from any number of threads at once,
 * and takes no lock unless it has to allocate a node or a chunk:
 *   - the tracking of one START..STOP is one pointer, @track: START
 *     publishes it (release) fully built; its ranges and granularity never
 *     change; the hook loads it (acquire);
 *   - table slots are filled under @grow and published with a release
 *     store; readers use acquire loads; nodes and chunks live until STOP;
 *   - the hook sets bits with an atomic OR (release: the data the device
 *     wrote before the mark is visible to whoever takes the mark); REPORT
 *     takes them with an atomic exchange or AND (acquire), so each bit is
 *     either in this report or left set for the next one;
 *   - STOP retracts @track, then installs the hook again: that takes the
 *     DMA space's lock for writing, so it waits for every hook still
 *     running, and only then is the tracking freed.
 *
 * Guarantees.  A device write into a memory window of a logged range that
 * completed before a REPORT began is in that REPORT (if inside its range);
 * one running while a REPORT runs is in that REPORT or in the next one that
 * covers its page, never lost.  A report bit is set only if a write touched
 * a log page under it (at the log's granularity) since that page was last
 * cleared, with two deliberate over-reports:
 *   - a log page only partly inside a REPORT's range is reported but not
 *     cleared (the rest of it belongs to a neighbouring range's report);
 *   - if a chunk cannot be allocated (no memory), the write is not lost:
 *     every REPORT until STOP says that its whole range is dirty.
 * Writes through message-based windows are never reported: the DMA space
 * does not call the hook for them, as the client tracks those (vfio-user).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/dma.h>
#include <uvfio/migration.h>

#include "core/device-internal.h"
#include "dirty.h"

#define LOG_MIN_SHIFT 12 /* 4 KiB, the granularity unless asked for more */
#define LOG_MAX_SHIFT 30 /* 1 GiB, the largest page size START grants */
/* The kernel's LOG_MAX_RANGES: the ranges fit one 4 KiB page. */
#define LOG_MAX_RANGES 256

/* vfio-user payloads: everything inline, nothing behind pointers. */
#define START_SIZE 16  /* u64 page_size; u32 num_ranges; u32 reserved */
#define RANGE_SIZE 16  /* u64 iova; u64 length */
#define REPORT_SIZE 24 /* u64 iova; u64 length; u64 page_size; bitmap */

#define CHUNK_PAGES_SHIFT 18
#define CHUNK_PAGES (1ull << CHUNK_PAGES_SHIFT)
#define CHUNK_WORDS (CHUNK_PAGES / 64)
/* Chunk numbers have at most 64 - (12 + 18) = 34 bits. */
#define NODE_BITS 11
#define NODE_SLOTS (1u << NODE_BITS)
#define TOP_SHIFT (2 * NODE_BITS)
#define TOP_SLOTS (1u << (64 - LOG_MIN_SHIFT - CHUNK_PAGES_SHIFT - TOP_SHIFT))

struct dirty_chunk {
	uint64_t bits[CHUNK_WORDS];
};

struct dirty_leaf {
	struct dirty_chunk *chunk[NODE_SLOTS];
};

struct dirty_mid {
	struct dirty_leaf *leaf[NODE_SLOTS];
};

struct dirty_range {
	uint64_t start, last; /* inclusive */
};

/* One START..STOP.  Only the table and @lost change after START. */
struct dirty_track {
	unsigned int page_shift;
	unsigned int nr_ranges; /* 0: the whole IOVA space */
	bool lost;		/* a chunk could not be allocated */
	pthread_mutex_t grow;	/* serializes filling table slots */
	size_t nr_chunks;	/* written under @grow, read atomically */
	size_t nr_nodes;
	struct dirty_mid *top[TOP_SLOTS];
	struct dirty_range ranges[]; /* sorted by start, disjoint */
};

struct uvfio_dirty_log {
	struct uvfio_device *dev;
	struct dirty_track *track; /* NULL while stopped; see the top */
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Bits @first..@last (inclusive, same word) of a 64-bit word. */
static uint64_t word_mask(unsigned int first, unsigned int last)
{
	return (~0ull << first) & (~0ull >> (63 - last));
}

/* ---- the table ---- */

static struct dirty_chunk *chunk_find(struct dirty_track *t, uint64_t key)
{
	struct dirty_mid *mid;
	struct dirty_leaf *leaf;

	mid = __atomic_load_n(&t->top[key >> TOP_SHIFT], __ATOMIC_ACQUIRE);
	if (!mid)
		return NULL;
	leaf = __atomic_load_n(&mid->leaf[(key >> NODE_BITS) % NODE_SLOTS],
			       __ATOMIC_ACQUIRE);
	if (!leaf)
		return NULL;
	return __atomic_load_n(&leaf->chunk[key % NODE_SLOTS],
			       __ATOMIC_ACQUIRE);
}

/*
 * The chunk of @key, allocated if missing.  The slow path runs under @grow,
 * which only fillers take: plain reads of the slots are safe there, and
 * each new node is complete (zeroed) before its release store publishes it.
 */
static struct dirty_chunk *chunk_get(struct uvfio_dirty_log *log,
				     struct dirty_track *t, uint64_t key)
{
	struct dirty_chunk *c = chunk_find(t, key);
	struct dirty_mid *mid;
	struct dirty_leaf *leaf;

	if (c)
		return c;
	pthread_mutex_lock(&t->grow);
	mid = t->top[key >> TOP_SHIFT];
	if (!mid) {
		mid = calloc(1, sizeof(*mid));
		if (!mid)
			goto lost;
		t->nr_nodes++;
		__atomic_store_n(&t->top[key >> TOP_SHIFT], mid,
				 __ATOMIC_RELEASE);
	}
	leaf = mid->leaf[(key >> NODE_BITS) % NODE_SLOTS];
	if (!leaf) {
		leaf = calloc(1, sizeof(*leaf));
		if (!leaf)
			goto lost;
		t->nr_nodes++;
		__atomic_store_n(&mid->leaf[(key >> NODE_BITS) % NODE_SLOTS],
				 leaf, __ATOMIC_RELEASE);
	}
	c = leaf->chunk[key % NODE_SLOTS];
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			goto lost;
		__atomic_store_n(&t->nr_chunks, t->nr_chunks + 1,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&leaf->chunk[key % NODE_SLOTS], c,
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&t->grow);
	return c;
lost:
	pthread_mutex_unlock(&t->grow);
	/* Every report will say "all dirty": nothing is lost. */
	if (!__atomic_exchange_n(&t->lost, true, __ATOMIC_RELEASE))
		uvfio_err(log->dev,
			  "dirty log: out of memory for the chunk of iova "
			  "0x%" PRIx64
			  ": reporting everything dirty until STOP",
			  key << (t->page_shift + CHUNK_PAGES_SHIFT));
	return NULL;
}

static void track_free(struct dirty_track *t)
{
	if (!t)
		return;
	for (unsigned int i = 0; i < TOP_SLOTS; i++) {
		struct dirty_mid *mid = t->top[i];

		if (!mid)
			continue;
		for (unsigned int j = 0; j < NODE_SLOTS; j++) {
			struct dirty_leaf *leaf = mid->leaf[j];

			if (!leaf)
				continue;
			for (unsigned int k = 0; k < NODE_SLOTS; k++)
				free(leaf->chunk[k]);
			free(leaf);
		}
		free(mid);
	}
	pthread_mutex_destroy(&t->grow);
	free(t);
}

/* ---- the hook ---- */

/* Set bits @first..@last (inclusive) of a chunk. */
static void chunk_mark(struct dirty_chunk *c, uint64_t first, uint64_t last)
{
	uint64_t w_last = last / 64;

	for (uint64_t w = first / 64; w <= w_last; w++) {
		unsigned int lo = w == first / 64 ? first % 64 : 0;
		unsigned int hi = w == w_last ? last % 64 : 63;

		__atomic_fetch_or(&c->bits[w], word_mask(lo, hi),
				  __ATOMIC_RELEASE);
	}
}

/* Mark the pages of IOVA [@first, @last]. */
static void track_mark(struct uvfio_dirty_log *log, struct dirty_track *t,
		       uint64_t first, uint64_t last)
{
	uint64_t p = first >> t->page_shift, p_last = last >> t->page_shift;
	uint64_t key_last = p_last >> CHUNK_PAGES_SHIFT;

	for (;;) {
		uint64_t key = p >> CHUNK_PAGES_SHIFT;
		struct dirty_chunk *c = chunk_get(log, t, key);
		uint64_t b_last = key == key_last ? p_last % CHUNK_PAGES :
						    CHUNK_PAGES - 1;

		if (c)
			chunk_mark(c, p % CHUNK_PAGES, b_last);
		if (key == key_last)
			return;
		p = (key + 1) << CHUNK_PAGES_SHIFT;
	}
}

/* Called by the DMA space after a device write into a memory window. */
static void dirty_hook(void *opaque, uint64_t iova, uint64_t len)
{
	struct uvfio_dirty_log *log = opaque;
	struct dirty_track *t = __atomic_load_n(&log->track, __ATOMIC_ACQUIRE);
	unsigned int lo = 0, hi;
	uint64_t last;

	if (!t || !len)
		return;
	last = len - 1 > UINT64_MAX - iova ? UINT64_MAX : iova + (len - 1);
	if (!t->nr_ranges) {
		track_mark(log, t, iova, last);
		return;
	}
	/* The first range that ends at or after @iova. */
	hi = t->nr_ranges;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (t->ranges[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->nr_ranges && t->ranges[lo].start <= last; lo++)
		track_mark(log, t, max_u64(iova, t->ranges[lo].start),
			   min_u64(last, t->ranges[lo].last));
}

/* ---- REPORT ---- */

struct report {
	uint64_t iova, last; /* the range, inclusive */
	unsigned int shift;  /* of the report's page size */
	uint8_t *bitmap;     /* the caller's u64 words, maybe unaligned */
};

static void bitmap_or(uint8_t *bitmap, uint64_t word, uint64_t bits)
{
	uint64_t v;

	memcpy(&v, bitmap + word * 8, sizeof(v));
	v |= bits;
	memcpy(bitmap + word * 8, &v, sizeof(v));
}

/* Set report bits @first..@last (inclusive). */
static void bitmap_set(uint8_t *bitmap, uint64_t first, uint64_t last)
{
	uint64_t w_last = last / 64;

	for (uint64_t w = first / 64; w <= w_last; w++)
		bitmap_or(bitmap, w,
			  word_mask(w == first / 64 ? first % 64 : 0,
				    w == w_last ? last % 64 : 63));
}

/*
 * Turn @bits, log pages @page.. @page + 63 (all inside the report's
 * range), into report bits.
 */
static void report_word(const struct dirty_track *t, const struct report *r,
			uint64_t page, uint64_t bits)
{
	unsigned int ls = t->page_shift;
	uint64_t span = r->last - r->iova;

	if (r->shift == ls && !(r->iova & ((1ull << ls) - 1))) {
		/* Bit for bit: shift the word into place. */
		uint64_t base = r->iova >> ls;

		if (page < base) {
			bitmap_or(r->bitmap, 0, bits >> (base - page));
		} else {
			uint64_t off = page - base;
			unsigned int s = off % 64;

			bitmap_or(r->bitmap, off / 64, bits << s);
			if (s && bits >> (64 - s))
				bitmap_or(r->bitmap, off / 64 + 1,
					  bits >> (64 - s));
		}
		return;
	}
	/*
	 * Any other geometry: each dirty log page sets the report bits it
	 * overlaps (several when the report's pages are smaller or
	 * misaligned); log pages whose report bits are already set are
	 * skipped, so coarsening costs one step per report bit.
	 */
	while (bits) {
		unsigned int b = (unsigned int)__builtin_ctzll(bits);
		uint64_t a = (page + b) << ls;
		uint64_t lo = max_u64(a, r->iova);
		uint64_t hi = min_u64(a + ((1ull << ls) - 1), r->last);
		uint64_t first = (lo - r->iova) >> r->shift;
		uint64_t last = (hi - r->iova) >> r->shift;
		uint64_t next;

		bitmap_set(r->bitmap, first, last);
		if (last >= span >> r->shift)
			return; /* the report's last bit is set */
		next = (r->iova + ((last + 1) << r->shift)) >> ls;
		if (next - page >= 64)
			return;
		bits &= ~0ull << (next - page);
		bits &= ~(1ull << b);
	}
}

/* Report and clear what chunk @key holds of the range. */
static void report_chunk(const struct dirty_track *t, const struct report *r,
			 struct dirty_chunk *c, uint64_t key)
{
	unsigned int ls = t->page_shift;
	uint64_t g = 1ull << ls;
	uint64_t p_first = r->iova >> ls, p_last = r->last >> ls;
	uint64_t base = key << CHUNK_PAGES_SHIFT;
	uint64_t b = max_u64(p_first, base) - base;
	uint64_t b_last = min_u64(p_last, base + CHUNK_PAGES - 1) - base;
	/* Log pages only partly in the range are reported, not cleared. */
	uint64_t keep_first = r->iova & (g - 1) ? p_first : UINT64_MAX;
	uint64_t keep_last = (r->last + 1) & (g - 1) ? p_last : UINT64_MAX;

	for (uint64_t w = b / 64; w <= b_last / 64; w++) {
		uint64_t page = base + w * 64;
		uint64_t mask = word_mask(w == b / 64 ? b % 64 : 0,
					  w == b_last / 64 ? b_last % 64 : 63);
		uint64_t clear = mask, bits;

		/* Empty: skip without writing (a bit set meanwhile stays). */
		if (!__atomic_load_n(&c->bits[w], __ATOMIC_RELAXED))
			continue;
		if (keep_first - page < 64)
			clear &= ~(1ull << (keep_first - page));
		if (keep_last - page < 64)
			clear &= ~(1ull << (keep_last - page));
		if (clear == ~0ull)
			bits = __atomic_exchange_n(&c->bits[w], 0,
						   __ATOMIC_ACQUIRE);
		else if (clear)
			bits = __atomic_fetch_and(&c->bits[w], ~clear,
						  __ATOMIC_ACQUIRE);
		else
			bits = __atomic_load_n(&c->bits[w], __ATOMIC_ACQUIRE);
		bits &= mask;
		if (bits)
			report_word(t, r, page, bits);
	}
}

/* Walk the chunks that exist in the range, skipping absent subtrees. */
static void report_walk(struct dirty_track *t, const struct report *r)
{
	unsigned int cs = t->page_shift + CHUNK_PAGES_SHIFT;
	uint64_t key = r->iova >> cs, key_last = r->last >> cs;

	while (key <= key_last) {
		struct dirty_mid *mid;
		struct dirty_leaf *leaf;
		struct dirty_chunk *c;

		mid = __atomic_load_n(&t->top[key >> TOP_SHIFT],
				      __ATOMIC_ACQUIRE);
		if (!mid) {
			key = (key | ((1ull << TOP_SHIFT) - 1)) + 1;
			continue;
		}
		leaf = __atomic_load_n(
			&mid->leaf[(key >> NODE_BITS) % NODE_SLOTS],
			__ATOMIC_ACQUIRE);
		if (!leaf) {
			key = (key | (NODE_SLOTS - 1)) + 1;
			continue;
		}
		c = __atomic_load_n(&leaf->chunk[key % NODE_SLOTS],
				    __ATOMIC_ACQUIRE);
		if (c)
			report_chunk(t, r, c, key);
		key++;
	}
}

/* ---- the features ---- */

/*
 * DMA_LOGGING_START: the kernel core's checks in its order
 * (vfio_ioctl_device_feature_logging_start), then the drivers' (mlx5, pds:
 * -EINVAL while started).  vfio-user's num_ranges 0 logs everything.
 */
static int feature_start(struct uvfio_device *dev, uint32_t flags, void *data,
			 size_t size, void *opaque)
{
	struct uvfio_dirty_log *log = opaque;
	uint8_t *p = data;
	struct dirty_track *t;
	uint64_t page_size;
	uint32_t nr;

	(void)flags;
	if (!log)
		return -ENODEV;
	memcpy(&page_size, p, sizeof(page_size));
	memcpy(&nr, p + 8, sizeof(nr));
	if (nr > LOG_MAX_RANGES) {
		uvfio_dbg(dev, "DMA_LOGGING_START: %" PRIu32 " ranges, max %d",
			  nr, LOG_MAX_RANGES);
		return -E2BIG;
	}
	if ((size - START_SIZE) / RANGE_SIZE < nr) {
		uvfio_dbg(dev,
			  "DMA_LOGGING_START: %" PRIu32 " ranges in %zu bytes",
			  nr, size);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t) + nr * sizeof(t->ranges[0]));
	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t iova, len;
		int err = 0;

		memcpy(&iova, p + START_SIZE + i * RANGE_SIZE, sizeof(iova));
		memcpy(&len, p + START_SIZE + i * RANGE_SIZE + 8, sizeof(len));
		/* IS_ALIGNED() as the kernel, whatever the page size. */
		if ((iova & (page_size - 1)) || (len & (page_size - 1)) || !len)
			err = -EINVAL;
		else if (len > UINT64_MAX - iova)
			err = -EOVERFLOW;
		for (uint32_t j = 0; !err && j < i; j++)
			if (iova <= t->ranges[j].last &&
			    t->ranges[j].start <= iova + (len - 1))
				err = -EINVAL;
		if (err) {
			uvfio_dbg(dev,
				  "DMA_LOGGING_START: range %" PRIu32
				  " [0x%" PRIx64 ", +0x%" PRIx64
				  ") with page size 0x%" PRIx64 ": %s",
				  i, iova, len, page_size,
				  err == -EOVERFLOW ? "wraps" :
				  !len		    ? "empty" :
					 "misaligned or overlapping");
			free(t);
			return err;
		}
		t->ranges[i] = (struct dirty_range){ iova, iova + (len - 1) };
	}
	if (log->track) {
		uvfio_dbg(dev, "DMA_LOGGING_START: already started");
		free(t);
		return -EINVAL;
	}
	/* Insertion sort: at most 256 ranges, once per START. */
	for (uint32_t i = 1; i < nr; i++) {
		struct dirty_range r = t->ranges[i];
		uint32_t j = i;

		for (; j && t->ranges[j - 1].start > r.start; j--)
			t->ranges[j] = t->ranges[j - 1];
		t->ranges[j] = r;
	}
	t->nr_ranges = nr;
	t->page_shift = LOG_MIN_SHIFT;
	if (page_size > (1ull << LOG_MIN_SHIFT) &&
	    !(page_size & (page_size - 1))) {
		unsigned int s = (unsigned int)__builtin_ctzll(page_size);

		t->page_shift = s < LOG_MAX_SHIFT ? s : LOG_MAX_SHIFT;
	}
	pthread_mutex_init(&t->grow, NULL);
	page_size = 1ull << t->page_shift;
	memcpy(p, &page_size, sizeof(page_size));
	__atomic_store_n(&log->track, t, __ATOMIC_RELEASE);
	return 0;
}

/* Stop and free everything.  Stopping a stopped log succeeds (mlx5, pds). */
static void log_stop(struct uvfio_dirty_log *log, struct uvfio_dma *dma)
{
	struct dirty_track *t = log->track;

	if (!t)
		return;
	__atomic_store_n(&log->track, NULL, __ATOMIC_RELEASE);
	/* Installing takes the DMA lock for writing: no hook still runs. */
	uvfio_dma_set_dirty_hook(dma, dirty_hook, log);
	track_free(t);
}

static int feature_stop(struct uvfio_device *dev, uint32_t flags, void *data,
			size_t size, void *opaque)
{
	struct uvfio_dirty_log *log = opaque;

	(void)flags, (void)data, (void)size;
	if (!log)
		return -ENODEV;
	log_stop(log, uvfio_device_dma(dev));
	return 0;
}

/*
 * DMA_LOGGING_REPORT: the kernel core's checks (page size, wrap), the
 * bitmap must fit the caller's buffer (vfio-user), then not started is
 * -EINVAL as in the drivers.
 */
static int feature_report(struct uvfio_device *dev, uint32_t flags, void *data,
			  size_t size, void *opaque)
{
	struct uvfio_dirty_log *log = opaque;
	uint64_t req[3], words;
	struct dirty_track *t;
	struct report r;

	(void)flags;
	if (!log)
		return -ENODEV;
	memcpy(req, data, sizeof(req));
	if (req[2] < (1ull << LOG_MIN_SHIFT) || (req[2] & (req[2] - 1))) {
		uvfio_dbg(dev, "DMA_LOGGING_REPORT: page size 0x%" PRIx64,
			  req[2]);
		return -EINVAL;
	}
	if (req[1] > UINT64_MAX - req[0]) {
		uvfio_dbg(dev,
			  "DMA_LOGGING_REPORT: [0x%" PRIx64 ", +0x%" PRIx64
			  ") wraps",
			  req[0], req[1]);
		return -EOVERFLOW;
	}
	if (!req[1]) {
		uvfio_dbg(dev, "DMA_LOGGING_REPORT: empty range");
		return -EINVAL;
	}
	r = (struct report){
		.iova = req[0],
		.last = req[0] + (req[1] - 1),
		.shift = (unsigned int)__builtin_ctzll(req[2]),
		.bitmap = (uint8_t *)data + REPORT_SIZE,
	};
	words = (((req[1] - 1) >> r.shift) + 1 + 63) / 64;
	if (words > (size - REPORT_SIZE) / 8) {
		uvfio_dbg(dev,
			  "DMA_LOGGING_REPORT: bitmap of %" PRIu64
			  " words, buffer of %zu bytes",
			  words, size - REPORT_SIZE);
		return -EINVAL;
	}
	t = log->track;
	if (!t) {
		uvfio_dbg(dev, "DMA_LOGGING_REPORT: not started");
		return -EINVAL;
	}
	if (__atomic_load_n(&t->lost, __ATOMIC_ACQUIRE))
		bitmap_set(r.bitmap, 0, (r.last - r.iova) >> r.shift);
	report_walk(t, &r);
	return 0;
}

/* ---- setup and teardown ---- */

/* The log of @dev, from its START feature; NULL if none. */
static struct uvfio_dirty_log *log_of(struct uvfio_device *dev)
{
	for (unsigned int i = 0; i < dev->nr_features; i++)
		if (dev->features[i].fn == feature_start)
			return dev->features[i].opaque;
	return NULL;
}

int uvfio_dirty_log_init(struct uvfio_device *dev)
{
	unsigned int nr_features;
	struct uvfio_dirty_log *log;
	int ret;

	if (!dev)
		return -EINVAL;
	if (dev->realized)
		return -EBUSY;
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	log->dev = dev;
	nr_features = dev->nr_features;
	ret = uvfio_device_add_feature(dev,
				       UVFIO_DEVICE_FEATURE_DMA_LOGGING_START,
				       UVFIO_DEVICE_FEATURE_SET, START_SIZE,
				       feature_start, log);
	if (!ret)
		ret = uvfio_device_add_feature(
			dev, UVFIO_DEVICE_FEATURE_DMA_LOGGING_STOP,
			UVFIO_DEVICE_FEATURE_SET, 0, feature_stop, log);
	if (!ret)
		ret = uvfio_device_add_feature(
			dev, UVFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
			UVFIO_DEVICE_FEATURE_GET, REPORT_SIZE, feature_report,
			log);
	if (ret) {
		/* Features are appended: drop the ones added here. */
		dev->nr_features = nr_features;
		free(log);
		return ret;
	}
	uvfio_dma_set_dirty_hook(uvfio_device_dma(dev), dirty_hook, log);
	dev->dirty_release = uvfio_dirty_log_release;
	return 0;
}

/*
 * Free the log of @dev: while the device and its DMA space still exist, and
 * nothing else runs on the device.  A second call does nothing.
 */
void uvfio_dirty_log_release(struct uvfio_device *dev)
{
	struct uvfio_dirty_log *log = dev ? log_of(dev) : NULL;

	if (!log)
		return;
	uvfio_dma_set_dirty_hook(uvfio_device_dma(dev), NULL, NULL);
	track_free(log->track);
	for (unsigned int i = 0; i < dev->nr_features; i++)
		if (dev->features[i].opaque == log)
			dev->features[i].opaque = NULL;
	free(log);
}

/* Chunks allocated now; @bytes (if not NULL) gets all the log's memory. */
size_t uvfio_dirty_log_stats(struct uvfio_device *dev, size_t *bytes)
{
	struct uvfio_dirty_log *log = log_of(dev);
	struct dirty_track *t;
	size_t chunks = 0, total = 0;

	uvfio_device_lock(dev);
	t = log ? log->track : NULL;
	if (log)
		total = sizeof(*log);
	if (t) {
		pthread_mutex_lock(&t->grow);
		chunks = t->nr_chunks;
		total += sizeof(*t) + t->nr_ranges * sizeof(t->ranges[0]) +
			 t->nr_nodes * sizeof(struct dirty_leaf) +
			 chunks * sizeof(struct dirty_chunk);
		pthread_mutex_unlock(&t->grow);
	}
	uvfio_device_unlock(dev);
	if (bytes)
		*bytes = total;
	return chunks;
}
