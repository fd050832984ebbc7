// SPDX-License-Identifier: MIT
/*
 * The DMA address space: IOVA windows kept in an array sorted by address
 * (binary search, plus a one-entry hint), and device accesses checked
 * against them before a byte moves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uvfio/dma.h>

#define DMA_PROT_MASK (UVFIO_DMA_READ | UVFIO_DMA_WRITE)
#define DMA_MIN_SLOTS 16
/* Message pieces of one access tracked without allocating. */
#define DMA_INLINE_PIECES 8

struct dma_window {
	uint64_t iova;
	uint64_t last; /* inclusive, so a window may end at 2^64 */
	uint32_t prot;
	void *mem;	/* NULL for a message-based window */
	size_t map_len; /* page-rounded */
};

/* Part of an access that goes through the message handler. */
struct dma_piece {
	uint64_t iova;
	size_t len;
	size_t buf_off;
};

struct uvfio_dma {
	/*
	 * Accesses hold it for reading while they touch window memory, and
	 * everything that changes the address space holds it for writing:
	 * once map/unmap return, no access still uses what they removed.
	 * Writers are preferred so that steady device traffic cannot starve
	 * an unmap; the price is that it must never be taken recursively.
	 */
	pthread_rwlock_t lock;
	struct dma_window *win; /* sorted by iova, disjoint */
	unsigned int nr;
	unsigned int slots;
	unsigned int max_maps;
	unsigned int nr_fd; /* windows backed by a file descriptor */
	unsigned int max_fd_maps;
	bool require_seals;
	/*
	 * Index of the window found last.  Only a hint: concurrent readers
	 * update it under the read lock, so it is accessed atomically, and
	 * it is checked before use since windows move on map/unmap.
	 */
	unsigned int last_hit;
	uvfio_dma_msg_fn msg_fn;
	void *msg_opaque;
	/*
	 * Handler calls in progress, counted per handler generation (its
	 * parity): an access registers under the read lock, in the same
	 * critical section that fetched the handler, so a setter that bumps
	 * the generation under the write lock knows exactly which calls may
	 * still use the handler it replaced, and waits for them.  Setters are
	 * serialized by msg_setter.
	 */
	pthread_mutex_t msg_setter;
	pthread_mutex_t msg_mutex;
	pthread_cond_t msg_idle;
	unsigned int msg_gen;
	unsigned int msg_busy[2];
	uvfio_dma_dirty_fn dirty_fn;
	void *dirty_opaque;
};

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

struct uvfio_dma *uvfio_dma_new(void)
{
	struct uvfio_dma *dma = calloc(1, sizeof(*dma));
	pthread_rwlockattr_t attr;
	int ret;

	if (!dma)
		return NULL;
	ret = pthread_rwlockattr_init(&attr);
	if (!ret) {
		pthread_rwlockattr_setkind_np(
			&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		ret = pthread_rwlock_init(&dma->lock, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	if (ret) {
		free(dma);
		errno = ret;
		return NULL;
	}
	pthread_mutex_init(&dma->msg_setter, NULL);
	pthread_mutex_init(&dma->msg_mutex, NULL);
	pthread_cond_init(&dma->msg_idle, NULL);
	dma->max_maps = UVFIO_DMA_DEFAULT_MAX_MAPS;
	dma->max_fd_maps = UVFIO_DMA_DEFAULT_MAX_FD_MAPS;
	return dma;
}

void uvfio_dma_destroy(struct uvfio_dma *dma)
{
	if (!dma)
		return;
	uvfio_dma_unmap_all(dma);
	pthread_cond_destroy(&dma->msg_idle);
	pthread_mutex_destroy(&dma->msg_mutex);
	pthread_mutex_destroy(&dma->msg_setter);
	pthread_rwlock_destroy(&dma->lock);
	free(dma);
}

void uvfio_dma_set_max_maps(struct uvfio_dma *dma, unsigned int max_maps)
{
	pthread_rwlock_wrlock(&dma->lock);
	dma->max_maps = max_maps;
	pthread_rwlock_unlock(&dma->lock);
}

void uvfio_dma_set_max_fd_maps(struct uvfio_dma *dma, unsigned int max_fd_maps)
{
	pthread_rwlock_wrlock(&dma->lock);
	dma->max_fd_maps = max_fd_maps;
	pthread_rwlock_unlock(&dma->lock);
}

void uvfio_dma_set_require_seals(struct uvfio_dma *dma, bool require)
{
	pthread_rwlock_wrlock(&dma->lock);
	dma->require_seals = require;
	pthread_rwlock_unlock(&dma->lock);
}

/*
 * The new handler is visible to accesses that start from now on; calls to
 * the old one that are in progress were registered in the old generation,
 * and we wait for them to return.
 */
void uvfio_dma_set_msg_handler(struct uvfio_dma *dma, uvfio_dma_msg_fn fn,
			       void *opaque)
{
	unsigned int old;

	pthread_mutex_lock(&dma->msg_setter);
	pthread_rwlock_wrlock(&dma->lock);
	dma->msg_fn = fn;
	dma->msg_opaque = opaque;
	pthread_mutex_lock(&dma->msg_mutex);
	old = dma->msg_gen++ & 1;
	pthread_mutex_unlock(&dma->msg_mutex);
	pthread_rwlock_unlock(&dma->lock);

	pthread_mutex_lock(&dma->msg_mutex);
	while (dma->msg_busy[old])
		pthread_cond_wait(&dma->msg_idle, &dma->msg_mutex);
	pthread_mutex_unlock(&dma->msg_mutex);
	pthread_mutex_unlock(&dma->msg_setter);
}

/*
 * Taking the lock for writing means that once a hook is removed, no access
 * is still calling it.
 */
void uvfio_dma_set_dirty_hook(struct uvfio_dma *dma, uvfio_dma_dirty_fn fn,
			      void *opaque)
{
	pthread_rwlock_wrlock(&dma->lock);
	dma->dirty_fn = fn;
	dma->dirty_opaque = opaque;
	pthread_rwlock_unlock(&dma->lock);
}

/* Index of the first window ending at or after @addr; dma->nr if none. */
static unsigned int dma_lower_bound(const struct uvfio_dma *dma, uint64_t addr)
{
	unsigned int lo = 0, hi = dma->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (dma->win[mid].last < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool window_contains(const struct dma_window *w, uint64_t addr)
{
	return w->iova <= addr && addr <= w->last;
}

/* The window holding @addr, in @index.  Under the lock, either mode. */
static bool dma_find(struct uvfio_dma *dma, uint64_t addr, unsigned int *index)
{
	unsigned int i = __atomic_load_n(&dma->last_hit, __ATOMIC_RELAXED);

	if (i < dma->nr && window_contains(&dma->win[i], addr)) {
		*index = i;
		return true;
	}
	i = dma_lower_bound(dma, addr);
	if (i == dma->nr || dma->win[i].iova > addr)
		return false;
	__atomic_store_n(&dma->last_hit, i, __ATOMIC_RELAXED);
	*index = i;
	return true;
}

static int dma_grow(struct uvfio_dma *dma)
{
	struct dma_window *grown;
	unsigned int slots;

	if (dma->nr < dma->slots)
		return 0;
	if (!dma->slots)
		slots = DMA_MIN_SLOTS;
	else if (dma->slots > UINT_MAX / 2)
		slots = UINT_MAX;
	else
		slots = dma->slots * 2;
	grown = reallocarray(dma->win, slots, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	dma->win = grown;
	dma->slots = slots;
	return 0;
}

/*
 * Shared, so the device sees the client's memory and the client sees the
 * device's writes.  Writable implies readable: devices read-modify-write.
 */
static int window_mmap(struct dma_window *w, int fd, uint64_t fd_offset)
{
	uint64_t size = w->last - w->iova + 1;
	uint64_t pg = page_size();
	int prot = PROT_READ;
	void *mem;

	if (size > SIZE_MAX - (pg - 1))
		return -ENOMEM;
	if (w->prot & UVFIO_DMA_WRITE)
		prot |= PROT_WRITE;
	w->map_len = (size_t)((size + pg - 1) & ~(pg - 1));
	/* An offset beyond off_t wraps negative and mmap() rejects it. */
	mem = mmap(NULL, w->map_len, prot, MAP_SHARED, fd, (off_t)fd_offset);
	if (mem == MAP_FAILED)
		return -errno;
	w->mem = mem;
	return 0;
}

static void window_release(struct dma_window *w)
{
	if (w->mem)
		munmap(w->mem, w->map_len);
}

/*
 * Whether @size bytes of @fd from @fd_offset may be mapped: they must lie
 * inside the file, or a device access beyond its end would be a SIGBUS.
 * With seals required, the file must also be unable to shrink later; the
 * seals are read first, so the size seen next is a floor for good.
 */
static int fd_check(const struct uvfio_dma *dma, int fd, uint64_t fd_offset,
		    uint64_t size)
{
	struct stat st;

	if (dma->require_seals) {
		int seals = fcntl(fd, F_GET_SEALS);

		if (seals < 0 && errno == EBADF)
			return -EBADF;
		if (seals < 0 || !(seals & F_SEAL_SHRINK))
			return -EPERM;
	}
	if (fstat(fd, &st))
		return -errno;
	if (st.st_size < 0 || fd_offset > (uint64_t)st.st_size ||
	    size > (uint64_t)st.st_size - fd_offset)
		return -EINVAL;
	return 0;
}

int uvfio_dma_map(struct uvfio_dma *dma, uint64_t iova, uint64_t size,
		  uint32_t prot, int fd, uint64_t fd_offset)
{
	struct dma_window w = {
		.iova = iova,
		.last = iova + size - 1,
		.prot = prot,
	};
	unsigned int i;
	int ret = 0;

	if (!size || w.last < iova || !prot || (prot & ~DMA_PROT_MASK))
		return -EINVAL;
	/* Without an fd there is nothing to offset into: ignored. */
	if (fd >= 0 && (fd_offset & (page_size() - 1)))
		return -EINVAL;

	pthread_rwlock_wrlock(&dma->lock);
	i = dma_lower_bound(dma, iova);
	if (i < dma->nr && dma->win[i].iova <= w.last)
		ret = -EEXIST;
	else if (dma->nr >= dma->max_maps)
		ret = -ENOSPC;
	else if (fd >= 0 && dma->nr_fd >= dma->max_fd_maps)
		ret = -ENOSPC;
	else if (fd >= 0)
		ret = fd_check(dma, fd, fd_offset, size);
	if (!ret)
		ret = dma_grow(dma);
	if (!ret && fd >= 0)
		ret = window_mmap(&w, fd, fd_offset);
	if (!ret) {
		memmove(&dma->win[i + 1], &dma->win[i],
			(dma->nr - i) * sizeof(*dma->win));
		dma->win[i] = w;
		dma->nr++;
		if (w.mem)
			dma->nr_fd++;
	}
	pthread_rwlock_unlock(&dma->lock);
	return ret;
}

int uvfio_dma_unmap(struct uvfio_dma *dma, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;
	struct dma_window gone;
	unsigned int i;

	if (!size || last < iova)
		return -ENOENT;
	pthread_rwlock_wrlock(&dma->lock);
	i = dma_lower_bound(dma, iova);
	if (i == dma->nr || dma->win[i].iova != iova ||
	    dma->win[i].last != last) {
		pthread_rwlock_unlock(&dma->lock);
		return -ENOENT;
	}
	gone = dma->win[i];
	dma->nr--;
	if (gone.mem)
		dma->nr_fd--;
	memmove(&dma->win[i], &dma->win[i + 1],
		(dma->nr - i) * sizeof(*dma->win));
	pthread_rwlock_unlock(&dma->lock);
	/* Out of the array, and every access that saw it has finished. */
	window_release(&gone);
	return 0;
}

void uvfio_dma_unmap_all(struct uvfio_dma *dma)
{
	struct dma_window *win;
	unsigned int nr;

	pthread_rwlock_wrlock(&dma->lock);
	win = dma->win;
	nr = dma->nr;
	dma->win = NULL;
	dma->nr = 0;
	dma->nr_fd = 0;
	dma->slots = 0;
	pthread_rwlock_unlock(&dma->lock);
	for (unsigned int i = 0; i < nr; i++)
		window_release(&win[i]);
	free(win);
}

unsigned int uvfio_dma_count(struct uvfio_dma *dma)
{
	unsigned int nr;

	pthread_rwlock_rdlock(&dma->lock);
	nr = dma->nr;
	pthread_rwlock_unlock(&dma->lock);
	return nr;
}

/*
 * Whether adjacent windows with @need cover [@iova, @last]: the first one's
 * index goes to @first, the number of message-based ones to @nr_msg.
 */
static int dma_check(struct uvfio_dma *dma, uint64_t iova, uint64_t last,
		     uint32_t need, unsigned int *first, unsigned int *nr_msg)
{
	unsigned int i;

	if (!dma_find(dma, iova, &i))
		return -EFAULT;
	*first = i;
	*nr_msg = 0;
	for (;;) {
		const struct dma_window *w = &dma->win[i];

		if (!(w->prot & need))
			return -EFAULT;
		if (!w->mem)
			(*nr_msg)++;
		if (w->last >= last)
			return 0;
		/* w->last < last, so w->last + 1 does not wrap. */
		if (++i == dma->nr || dma->win[i].iova != w->last + 1)
			return -EFAULT;
	}
}

/*
 * Copy the memory pieces of a checked access and list its message pieces in
 * @pieces.  Under the read lock, so the dirty hook is called before an
 * unmap of the window can return (and must not call back into @dma).
 */
static void dma_copy(struct uvfio_dma *dma, unsigned int i, uint64_t iova,
		     uint8_t *buf, size_t len, bool is_write,
		     struct dma_piece *pieces)
{
	size_t off = 0;

	while (off < len) {
		const struct dma_window *w = &dma->win[i++];
		uint64_t addr = iova + off;
		/* Bytes of w from addr on, minus one: w may end at 2^64. */
		uint64_t rest = w->last - addr;
		size_t left = len - off;
		size_t n = (uint64_t)(left - 1) <= rest ? left :
							  (size_t)rest + 1;
		uint8_t *mem;

		if (!w->mem) {
			*pieces++ = (struct dma_piece){ addr, n, off };
			off += n;
			continue;
		}
		mem = (uint8_t *)w->mem + (addr - w->iova);
		if (is_write) {
			memcpy(mem, buf + off, n);
			if (dma->dirty_fn)
				dma->dirty_fn(dma->dirty_opaque, addr, n);
		} else {
			memcpy(buf + off, mem, n);
		}
		off += n;
	}
}

/*
 * Everything is checked under the read lock before a byte moves.  Message
 * pieces go last, with the lock dropped: the handler waits for the peer,
 * and a window unmapped meanwhile is the peer's to refuse.  The handler
 * and its opaque stay valid for those calls: uvfio_dma_set_msg_handler()
 * waits for calls in progress before it returns.
 */
static int dma_access(struct uvfio_dma *dma, uint64_t iova, uint8_t *buf,
		      size_t len, bool is_write)
{
	struct dma_piece inline_pieces[DMA_INLINE_PIECES];
	struct dma_piece *pieces = inline_pieces;
	unsigned int first, nr_msg = 0, gen = 0;
	uvfio_dma_msg_fn msg_fn;
	void *msg_opaque;
	int ret;

	if (!len)
		return 0;
	if ((uint64_t)(len - 1) > UINT64_MAX - iova)
		return -EFAULT;
	pthread_rwlock_rdlock(&dma->lock);
	ret = dma_check(dma, iova, iova + (len - 1),
			is_write ? UVFIO_DMA_WRITE : UVFIO_DMA_READ, &first,
			&nr_msg);
	if (!ret && nr_msg && !dma->msg_fn)
		ret = -EFAULT;
	if (!ret && nr_msg > DMA_INLINE_PIECES) {
		pieces = calloc(nr_msg, sizeof(*pieces));
		if (!pieces)
			ret = -ENOMEM;
	}
	if (ret) {
		pthread_rwlock_unlock(&dma->lock);
		return ret;
	}
	msg_fn = dma->msg_fn;
	msg_opaque = dma->msg_opaque;
	if (nr_msg) {
		/* Registered before the lock drops: see msg_busy. */
		pthread_mutex_lock(&dma->msg_mutex);
		gen = dma->msg_gen & 1;
		dma->msg_busy[gen]++;
		pthread_mutex_unlock(&dma->msg_mutex);
	}
	dma_copy(dma, first, iova, buf, len, is_write, pieces);
	pthread_rwlock_unlock(&dma->lock);

	for (unsigned int i = 0; i < nr_msg && !ret; i++)
		ret = msg_fn(msg_opaque, pieces[i].iova,
			     buf + pieces[i].buf_off, pieces[i].len, is_write);
	if (nr_msg) {
		pthread_mutex_lock(&dma->msg_mutex);
		if (!--dma->msg_busy[gen])
			pthread_cond_broadcast(&dma->msg_idle);
		pthread_mutex_unlock(&dma->msg_mutex);
	}
	if (pieces != inline_pieces)
		free(pieces);
	/* The handler promises 0 or -errno; don't pass on anything else. */
	return ret > 0 ? -EIO : ret;
}

int uvfio_dma_read(struct uvfio_dma *dma, uint64_t iova, void *buf, size_t len)
{
	return dma_access(dma, iova, buf, len, false);
}

/* The handler's buffer is not const, but it only reads it for a write. */
int uvfio_dma_write(struct uvfio_dma *dma, uint64_t iova, const void *buf,
		    size_t len)
{
	return dma_access(dma, iova, (uint8_t *)buf, len, true);
}
