// SPDX-License-Identifier: MIT
/*
 * Shared by the devices' unit tests: see device-test.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device-test.h"

/* ---- the device's log ---- */

static void dev_log_sink(void *opaque, enum uvfio_log_level level,
			 const char *name, const char *msg)
{
	struct dev_log *log = opaque;
	int n;

	(void)name;
	if (level > UVFIO_LOG_WARNING)
		return;
	log->warnings++;
	snprintf(log->last, sizeof(log->last), "%s", msg);
	n = snprintf(log->text + log->len, sizeof(log->text) - log->len, "%s\n",
		     msg);
	if (n > 0 && (size_t)n < sizeof(log->text) - log->len)
		log->len += (size_t)n;
}

void dev_log_attach(struct uvfio_device *dev, struct dev_log *log)
{
	uvfio_device_set_log(dev, dev_log_sink, log, UVFIO_LOG_DEBUG);
}

void dev_log_clear(struct dev_log *log)
{
	log->len = 0;
	log->text[0] = 0;
}

/* ---- interrupts ---- */

int irq_set(struct uvfio_device *dev, uint32_t index, uint32_t flags,
	    uint32_t count, int fd)
{
	bool with_fd = flags & UVFIO_IRQ_SET_DATA_EVENTFD;
	size_t size = sizeof(struct uvfio_irq_set) + (with_fd ? 4 : 0);
	struct uvfio_irq_set *set = calloc(1, size);
	int32_t fd32 = fd;
	int ret;

	assert_non_null(set);
	*set = (struct uvfio_irq_set){ .argsz = (uint32_t)size,
				       .flags = flags,
				       .index = index,
				       .count = count };
	if (with_fd)
		memcpy(set->data, &fd32, sizeof(fd32));
	ret = uvfio_device_set_irqs(dev, set);
	free(set);
	return ret;
}

void irq_bind(struct uvfio_device *dev, uint32_t index, int fd)
{
	assert_int_equal(irq_set(dev, index,
				 UVFIO_IRQ_SET_DATA_EVENTFD |
					 UVFIO_IRQ_SET_ACTION_TRIGGER,
				 1, fd),
			 0);
}

void irq_disable(struct uvfio_device *dev, uint32_t index)
{
	assert_int_equal(irq_set(dev, index,
				 UVFIO_IRQ_SET_DATA_NONE |
					 UVFIO_IRQ_SET_ACTION_TRIGGER,
				 0, -1),
			 0);
}

void intx_unmask(struct uvfio_device *dev)
{
	assert_int_equal(irq_set(dev, UVFIO_PCI_INTX_IRQ_INDEX,
				 UVFIO_IRQ_SET_DATA_NONE |
					 UVFIO_IRQ_SET_ACTION_UNMASK,
				 1, -1),
			 0);
}

/* ---- migration ---- */

uint64_t feature_u64(struct uvfio_device *dev, uint32_t feature)
{
	struct {
		struct uvfio_device_feature hdr;
		uint64_t v;
	} req = { { .argsz = sizeof(req),
		    .flags = UVFIO_DEVICE_FEATURE_GET | feature },
		  0 };

	assert_int_equal(uvfio_device_feature(dev, &req.hdr), 0);
	return req.v;
}

int mig_set(struct uvfio_device *dev, uint32_t st)
{
	struct {
		struct uvfio_device_feature hdr;
		struct uvfio_device_feature_mig_state st;
	} req = { { .argsz = sizeof(req),
		    .flags = UVFIO_DEVICE_FEATURE_SET |
			     UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE },
		  { .device_state = st } };

	return uvfio_device_feature(dev, &req.hdr);
}

uint32_t mig_get(struct uvfio_device *dev)
{
	struct {
		struct uvfio_device_feature hdr;
		struct uvfio_device_feature_mig_state st;
	} req = { { .argsz = sizeof(req),
		    .flags = UVFIO_DEVICE_FEATURE_GET |
			     UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE },
		  { 0 } };

	assert_int_equal(uvfio_device_feature(dev, &req.hdr), 0);
	return req.st.device_state;
}

void mig_go(struct uvfio_device *dev, uint32_t st)
{
	assert_int_equal(mig_set(dev, st), 0);
	assert_int_equal(mig_get(dev), st);
}

size_t mig_read(struct uvfio_device *dev, uint8_t *out, size_t max,
		size_t piece)
{
	uint64_t session = uvfio_migration_session(dev);
	size_t got = 0;

	for (;;) {
		size_t want = max - got < piece ? max - got : piece;
		ssize_t n = uvfio_migration_read(dev, session, out + got, want);

		if (n == 0 || n == -ENOMSG)
			return got;
		assert_true(n > 0);
		got += (size_t)n;
		assert_true(got < max);
	}
}

size_t mig_save(struct uvfio_device *dev, uint8_t *out, size_t piece)
{
	mig_go(dev, ST_STOP_COPY);
	return mig_read(dev, out, STREAM_MAX, piece);
}

ssize_t mig_feed(struct uvfio_device *dev, const uint8_t *s, size_t len)
{
	uint64_t session;

	mig_go(dev, ST_RESUMING);
	session = uvfio_migration_session(dev);
	assert_true(session != 0);
	if (!len)
		return 0;
	return uvfio_migration_write(dev, session, s, len);
}

void mig_load(struct uvfio_device *dev, const uint8_t *s, size_t len)
{
	assert_int_equal(mig_feed(dev, s, len), (ssize_t)len);
	mig_go(dev, ST_STOP);
}

uint64_t mig_precopy_dirty(struct uvfio_device *dev)
{
	struct uvfio_precopy_info info = { .argsz = sizeof(info) };

	assert_int_equal(uvfio_migration_precopy_info(
				 dev, uvfio_migration_session(dev), &info),
			 0);
	assert_int_equal(info.initial_bytes, 0);
	return info.dirty_bytes;
}

/* ---- the stream ---- */

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}

uint64_t le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

size_t parse(const uint8_t *s, size_t len, struct sec *out, size_t max)
{
	size_t pos = (size_t)le(s + 12, 4), n = 0;

	while (pos < len) {
		assert_true(n < max && pos + 24 <= len);
		out[n] = (struct sec){ .off = pos,
				       .kind = (uint16_t)le(s + pos, 2),
				       .type = (uint16_t)le(s + pos + 2, 2),
				       .phase = s[pos + 4],
				       .len = (size_t)le(s + pos + 12, 8),
				       .data = s + pos + 20 };
		pos += 24 + out[n].len;
		n++;
	}
	assert_int_equal(pos, len);
	return n;
}

void build_start(struct builder *b, const uint8_t *real)
{
	b->len = (size_t)le(real + 12, 4);
	memcpy(b->s, real, b->len);
	b->seq = 0;
}

static void build_section(struct builder *b, uint16_t kind, uint16_t type,
			  uint8_t phase, const void *data, size_t len)
{
	uint8_t *p = b->s + b->len;

	assert_true(b->len + 24 + len <= sizeof(b->s));
	memset(p, 0, 20);
	put_le(p, kind, 2);
	put_le(p + 2, type, 2);
	p[4] = phase;
	put_le(p + 8, b->seq++, 4);
	put_le(p + 12, len, 8);
	if (len)
		memcpy(p + 20, data, len);
	put_le(p + 20 + len, crc32c(0, p, 20 + len), 4);
	b->len += 24 + len;
}

void build_data(struct builder *b, uint16_t type, uint8_t phase,
		const void *data, size_t len)
{
	build_section(b, 1, type, phase, data, len);
}

void build_end(struct builder *b)
{
	build_section(b, 2, 0, 0, NULL, 0);
}

/* ---- refused streams ---- */

void refusal_init(struct refusal *r, struct uvfio_device *dev,
		  struct dev_log *log, size_t piece,
		  void (*assert_kept)(void *opaque), void *opaque)
{
	*r = (struct refusal){ .dev = dev,
			       .log = log,
			       .piece = piece,
			       .assert_kept = assert_kept,
			       .opaque = opaque,
			       .own = malloc(STREAM_MAX),
			       .check = malloc(STREAM_MAX) };
	assert_non_null(r->own);
	assert_non_null(r->check);
	r->own_len = mig_save(dev, r->own, piece);
	mig_go(dev, ST_RUNNING);
}

void refused(struct refusal *r, const uint8_t *s, size_t len)
{
	static const int einval[] = { -EINVAL, 0 };
	const int *e = r->errnos ? r->errnos : einval;
	ssize_t n = mig_feed(r->dev, s, len);

	while (n != (ssize_t)len && *e && n != *e)
		e++;
	if (n != (ssize_t)len && !*e)
		fail_msg("stream %u: the write answered %zd", r->count, n);
	if (mig_set(r->dev, ST_STOP) != -EINVAL)
		fail_msg("stream %u of %zu bytes was accepted", r->count, len);
	assert_int_equal(mig_get(r->dev), ST_RESUMING);
	r->assert_kept(r->opaque);
	assert_int_equal(uvfio_device_reset(r->dev), 0);
	assert_int_equal(mig_get(r->dev), ST_RUNNING);
	r->assert_kept(r->opaque);
	/* The whole state: the device's own stream, byte for byte. */
	assert_int_equal(mig_save(r->dev, r->check, r->piece), r->own_len);
	assert_memory_equal(r->check, r->own, r->own_len);
	mig_go(r->dev, ST_RUNNING);
	r->count++;
}

void refused_saying(struct refusal *r, const uint8_t *s, size_t len,
		    const char *says)
{
	dev_log_clear(r->log);
	refused(r, s, len);
	if (!strstr(r->log->text, says))
		fail_msg("\"%s\" not in the log:\n%s", says, r->log->text);
}

void refused_corruptions(struct refusal *r, const uint8_t *stream, size_t len)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	uint8_t *bad = malloc(len + 1);

	assert_non_null(bad);
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < ARRAY_SIZE(flips); k++) {
			memcpy(bad, stream, len);
			bad[i] ^= flips[k];
			refused(r, bad, len);
		}
	}
	for (size_t cut = 0; cut < len; cut++)
		refused(r, stream, cut);
	/* The stream with a byte more after END. */
	memcpy(bad, stream, len);
	bad[len] = 0;
	refused(r, bad, len + 1);
	free(bad);
}

void refusal_free(struct refusal *r)
{
	free(r->own);
	free(r->check);
}

/* ---- region access ---- */

uint64_t region_rd(struct uvfio_device *dev, unsigned int region, uint64_t off,
		   size_t len)
{
	uint8_t b[8] = { 0 };

	assert_true(len <= 8);
	assert_int_equal(uvfio_device_region_access(dev, region, off, b, len,
						    false),
			 (ssize_t)len);
	return le(b, len);
}

void region_wr(struct uvfio_device *dev, unsigned int region, uint64_t off,
	       size_t len, uint64_t v)
{
	uint8_t b[8];

	assert_true(len <= 8);
	put_le(b, v, len);
	assert_int_equal(uvfio_device_region_access(dev, region, off, b, len,
						    true),
			 (ssize_t)len);
}

/* ---- guest memory ---- */

uint8_t *guest_ram(size_t size, int *fd)
{
	uint8_t *ram;

	*fd = memfd_create("guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(*fd >= 0);
	assert_int_equal(ftruncate(*fd, (off_t)size), 0);
	assert_int_equal(fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW),
			 0);
	ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	assert_true(ram != MAP_FAILED);
	return ram;
}

void guest_ram_free(uint8_t *ram, size_t size, int fd)
{
	munmap(ram, size);
	close(fd);
}
