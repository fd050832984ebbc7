// SPDX-License-Identifier: MIT
/*
 * The migration stream codec: byte layout, round trips in any
 * segmentation, and refusal of every kind of bad stream (another device,
 * another version, lying lengths, corruption of any byte, truncation at
 * any length, reordered or oversized sections, phases going backwards,
 * bytes after END), each with a reason.
 *
 * The layout is written out here byte by byte, independently of the
 * codec, so this file pins docs/migration-stream.md.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "migration/stream.h"
#include "test-util.h"

#define HDR_FIXED 28
#define SEC_HDR 20
#define SEC_CRC 4

static const struct uvfio_mig_identity ID = {
	.vendor = 0x1234,
	.device = 0x11e8,
	.subsystem_vendor = 0x1af4,
	.subsystem = 0x1100,
	.revision = 0x10,
	.type = "edu",
	.compat = "edu-1",
};

/* ---- what the parser hands on ---- */

#define SINK_MAX 16

struct sink {
	unsigned int n;
	uint16_t type[SINK_MAX];
	enum uvfio_mig_phase phase[SINK_MAX];
	size_t len[SINK_MAX];
	uint32_t crc[SINK_MAX]; /* of the data */
	unsigned int fail_at;	/* return fail_ret for this section (1-based) */
	int fail_ret;
};

static int collect(void *opaque, uint16_t type, enum uvfio_mig_phase phase,
		   const void *data, size_t len)
{
	struct sink *s = opaque;
	unsigned int i = s->n++;

	if (s->fail_at && s->n == s->fail_at)
		return s->fail_ret;
	assert_true(i < SINK_MAX);
	assert_true(len == 0 || data != NULL);
	s->type[i] = type;
	s->phase[i] = phase;
	s->len[i] = len;
	s->crc[i] = mig_crc32c(0, data, len);
	return 0;
}

/* ---- building streams ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A growable byte string for hand-made streams. */
struct bytes {
	uint8_t *p;
	size_t len;
};

static void append(struct bytes *b, const void *data, size_t len)
{
	b->p = realloc(b->p, b->len + len + 1);
	assert_non_null(b->p);
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* Everything a mig_buf holds, appended to @b. */
static void append_buf(struct bytes *b, struct mig_buf *m)
{
	append(b, m->data + m->rpos, mig_buf_pending(m));
	mig_buf_release(m);
}

static void append_header(struct bytes *b, const struct uvfio_mig_identity *id)
{
	struct mig_buf m;

	mig_buf_init(&m);
	assert_int_equal(mig_stream_put_header(&m, id), 0);
	append_buf(b, &m);
}

static void append_section(struct bytes *b, uint32_t seq, uint16_t type,
			   enum uvfio_mig_phase phase, const void *data,
			   size_t len)
{
	struct mig_buf m;

	mig_buf_init(&m);
	assert_int_equal(
		mig_stream_put_section(&m, seq, type, phase, data, len), 0);
	append_buf(b, &m);
}

static void append_end(struct bytes *b, uint32_t seq)
{
	struct mig_buf m;

	mig_buf_init(&m);
	assert_int_equal(mig_stream_put_end(&m, seq), 0);
	append_buf(b, &m);
}

/* A section with any field values, with a correct CRC. */
static void append_raw_section(struct bytes *b, uint16_t kind, uint16_t type,
			       uint8_t phase, uint8_t flags, uint16_t reserved,
			       uint32_t seq, uint64_t len_field,
			       const void *data, size_t len)
{
	uint8_t h[SEC_HDR], c[SEC_CRC];
	uint32_t crc;

	put16(h, kind);
	put16(h + 2, type);
	h[4] = phase;
	h[5] = flags;
	put16(h + 6, reserved);
	put32(h + 8, seq);
	put64(h + 12, len_field);
	crc = mig_crc32c(0, h, sizeof(h));
	crc = mig_crc32c(crc, data, len);
	put32(c, crc);
	append(b, h, sizeof(h));
	append(b, data, len);
	append(b, c, sizeof(c));
}

/* Recompute the CRC of a header (after patching it) at the end of @hlen. */
static void fix_header_crc(uint8_t *h, size_t hlen)
{
	put32(h + hlen - 4, mig_crc32c(0, h, hlen - 4));
}

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

#define INIT_LEN 512
#define DIRTY_LEN 384
#define FINAL_LEN 700

static uint8_t init_data[INIT_LEN], dirty_data[DIRTY_LEN],
	final_data[FINAL_LEN];

/*
 * A realistic pre-copy stream: header, INITIAL (type 1), DIRTY (type 1),
 * FINAL (type 2), END.  @starts gets the offset of each section (4).
 */
static struct bytes realistic(size_t starts[4])
{
	struct bytes b = { 0 };

	pattern(init_data, INIT_LEN, 1);
	pattern(dirty_data, DIRTY_LEN, 2);
	pattern(final_data, FINAL_LEN, 3);
	append_header(&b, &ID);
	if (starts)
		starts[0] = b.len;
	append_section(&b, 0, 1, UVFIO_MIG_INITIAL, init_data, INIT_LEN);
	if (starts)
		starts[1] = b.len;
	append_section(&b, 1, 1, UVFIO_MIG_DIRTY, dirty_data, DIRTY_LEN);
	if (starts)
		starts[2] = b.len;
	append_section(&b, 2, 2, UVFIO_MIG_FINAL, final_data, FINAL_LEN);
	if (starts)
		starts[3] = b.len;
	append_end(&b, 3);
	return b;
}

static void check_realistic(const struct sink *s)
{
	assert_int_equal(s->n, 3);
	assert_int_equal(s->type[0], 1);
	assert_int_equal(s->phase[0], UVFIO_MIG_INITIAL);
	assert_int_equal(s->len[0], INIT_LEN);
	assert_int_equal(s->crc[0], mig_crc32c(0, init_data, INIT_LEN));
	assert_int_equal(s->type[1], 1);
	assert_int_equal(s->phase[1], UVFIO_MIG_DIRTY);
	assert_int_equal(s->len[1], DIRTY_LEN);
	assert_int_equal(s->crc[1], mig_crc32c(0, dirty_data, DIRTY_LEN));
	assert_int_equal(s->type[2], 2);
	assert_int_equal(s->phase[2], UVFIO_MIG_FINAL);
	assert_int_equal(s->len[2], FINAL_LEN);
	assert_int_equal(s->crc[2], mig_crc32c(0, final_data, FINAL_LEN));
}

/* ---- parsing ---- */

struct result {
	int ret;
	bool complete;
	char why[1024];
	struct sink sink;
};

/* Parse @b in chunks of @chunk bytes (0: all at once) against @expect. */
static void parse_as(const struct bytes *b, size_t chunk,
		     const struct uvfio_mig_identity *expect, struct result *r)
{
	struct mig_parser *p;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	p = mig_parser_new(expect, collect, &r->sink);
	assert_non_null(p);
	if (!chunk)
		chunk = b->len ? b->len : 1;
	while (off < b->len && !r->ret) {
		size_t n = b->len - off < chunk ? b->len - off : chunk;

		r->ret = mig_parser_feed(p, b->p + off, n, r->why,
					 sizeof(r->why));
		off += n;
	}
	if (!r->ret) {
		/* Nothing more to come: still the same answer. */
		r->ret = mig_parser_feed(p, NULL, 0, r->why, sizeof(r->why));
		assert_int_equal(r->ret, 0);
	}
	r->complete = mig_parser_complete(p);
	if (r->ret) {
		assert_false(r->complete);
		assert_true(r->why[0] != '\0');
		assert_null(strchr(r->why, '\n'));
	}
	mig_parser_free(p);
}

static void parse(const struct bytes *b, size_t chunk, struct result *r)
{
	parse_as(b, chunk, &ID, r);
}

/* Refused with -EINVAL and a reason containing @what. */
static void assert_refused(const struct bytes *b, const char *what)
{
	struct result r;

	parse(b, 0, &r);
	if (r.ret != -EINVAL || !strstr(r.why, what))
		fail_msg("expected \"%s\", got %d \"%s\"", what, r.ret, r.why);
	/* The same, byte by byte. */
	parse(b, 1, &r);
	if (r.ret != -EINVAL || !strstr(r.why, what))
		fail_msg("byte by byte: expected \"%s\", got %d \"%s\"", what,
			 r.ret, r.why);
}

/* ---- tests ---- */

static void test_crc32c(void **state)
{
	uint8_t zeros[32] = { 0 }, ones[32];
	uint32_t c;

	(void)state;
	assert_int_equal(mig_crc32c(0, "123456789", 9), 0xe3069283);
	c = mig_crc32c(0, "1234", 4);
	assert_int_equal(mig_crc32c(c, "56789", 5), 0xe3069283);
	assert_int_equal(mig_crc32c(0, NULL, 0), 0);
	assert_int_equal(mig_crc32c(0x12345678, NULL, 0), 0x12345678);
	/* RFC 3720, B.4 */
	memset(ones, 0xff, sizeof(ones));
	assert_int_equal(mig_crc32c(0, zeros, sizeof(zeros)), 0x8a9136aa);
	assert_int_equal(mig_crc32c(0, ones, sizeof(ones)), 0x62a8ab43);
}

static void test_header_layout(void **state)
{
	static const uint8_t want[] = {
		'u',  'v',  'f',  'i',	'o',  'M',  'I',  'G', /* magic */
		1,    0,    0,	  0,			       /* version 1.0 */
		40,   0,    0,	  0, /* header length */
		0x34, 0x12, 0xe8, 0x11, 0xf4, 0x1a, 0x00, 0x11, /* ids */
		0x10, 3,    5,	  0, /* revision, lengths, reserved */
		'e',  'd',  'u',  'e',	'd',  'u',  '-',  '1',
	};
	struct mig_buf m;

	(void)state;
	mig_buf_init(&m);
	assert_int_equal(mig_stream_put_header(&m, &ID), 0);
	assert_int_equal(mig_buf_pending(&m), sizeof(want) + 4);
	assert_memory_equal(m.data, want, sizeof(want));
	assert_int_equal(get32(m.data + sizeof(want)), 0x8f09ab8a);
	assert_int_equal(mig_crc32c(0, want, sizeof(want)), 0x8f09ab8a);
	mig_buf_release(&m);
}

static void test_section_layout(void **state)
{
	static const uint8_t want[] = {
		1,   0,			      /* kind DATA */
		7,   1,			      /* type 0x107 */
		2,			      /* DIRTY */
		0,			      /* flags */
		0,   0,			      /* reserved */
		5,   0,	  0,   0,	      /* sequence */
		3,   0,	  0,   0, 0, 0, 0, 0, /* length */
		'a', 'b', 'c',
	};
	static const uint8_t end[] = {
		2, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct mig_buf m;

	(void)state;
	mig_buf_init(&m);
	assert_int_equal(mig_stream_put_section(&m, 5, 0x107, UVFIO_MIG_DIRTY,
						"abc", 3),
			 0);
	assert_int_equal(mig_buf_pending(&m), sizeof(want) + 4);
	assert_memory_equal(m.data, want, sizeof(want));
	assert_int_equal(get32(m.data + sizeof(want)), 0x4736ad57);
	mig_buf_release(&m);

	/* Gathered from pieces, empty ones included: the same bytes. */
	{
		struct iovec iov[4] = { { "a", 1 }, { NULL, 0 }, { "bc", 2 } };

		mig_buf_init(&m);
		assert_int_equal(mig_stream_put_sectionv(
					 &m, 5, 0x107, UVFIO_MIG_DIRTY, iov, 3),
				 0);
		assert_int_equal(mig_buf_pending(&m), sizeof(want) + 4);
		assert_memory_equal(m.data, want, sizeof(want));
		assert_int_equal(get32(m.data + sizeof(want)), 0x4736ad57);
		mig_buf_release(&m);
		/* Pieces over the maximum together, or a missing one. */
		iov[0] = (struct iovec){ (void *)want, UVFIO_MIG_SECTION_MAX };
		iov[1] = (struct iovec){ "x", 1 };
		assert_int_equal(mig_stream_put_sectionv(
					 &m, 0, 1, UVFIO_MIG_FINAL, iov, 2),
				 -EINVAL);
		iov[0] = (struct iovec){ NULL, 1 };
		assert_int_equal(mig_stream_put_sectionv(
					 &m, 0, 1, UVFIO_MIG_FINAL, iov, 1),
				 -EINVAL);
		assert_int_equal(mig_buf_pending(&m), 0);
	}

	assert_int_equal(mig_stream_put_end(&m, 6), 0);
	assert_int_equal(mig_buf_pending(&m), sizeof(end) + 4);
	assert_memory_equal(m.data, end, sizeof(end));
	assert_int_equal(get32(m.data + sizeof(end)), 0x756641e4);
	mig_buf_release(&m);
}

static void test_writer_refuses(void **state)
{
	char longname[MIG_NAME_MAX + 2];
	struct uvfio_mig_identity id = ID;
	static uint8_t byte;
	struct mig_buf m;

	(void)state;
	mig_buf_init(&m);
	memset(longname, 'x', sizeof(longname));
	longname[MIG_NAME_MAX + 1] = '\0';
	id.type = longname;
	assert_int_equal(mig_stream_put_header(&m, &id), -EINVAL);
	id.type = "";
	assert_int_equal(mig_stream_put_header(&m, &id), -EINVAL);
	id.type = NULL;
	assert_int_equal(mig_stream_put_header(&m, &id), -EINVAL);
	id = ID;
	id.compat = longname;
	assert_int_equal(mig_stream_put_header(&m, &id), -EINVAL);
	id.compat = "";
	assert_int_equal(mig_stream_put_header(&m, &id), -EINVAL);
	assert_int_equal(mig_stream_put_header(&m, NULL), -EINVAL);
	/* Exactly MIG_NAME_MAX is fine. */
	longname[MIG_NAME_MAX] = '\0';
	id.type = longname;
	id.compat = longname;
	assert_int_equal(mig_stream_put_header(&m, &id), 0);
	assert_int_equal(mig_buf_pending(&m), HDR_FIXED + 2 * MIG_NAME_MAX + 4);
	mig_buf_release(&m);

	assert_int_equal(mig_stream_put_section(&m, 0, 0, UVFIO_MIG_FINAL,
						&byte, 1),
			 -EINVAL);
	assert_int_equal(mig_stream_put_section(&m, 0, 1, 0, &byte, 1),
			 -EINVAL);
	assert_int_equal(mig_stream_put_section(&m, 0, 1, 4, &byte, 1),
			 -EINVAL);
	assert_int_equal(mig_stream_put_section(&m, 0, 1, UVFIO_MIG_FINAL, NULL,
						1),
			 -EINVAL);
	/* Refused before the (nonexistent) data is read. */
	assert_int_equal(mig_stream_put_section(&m, 0, 1, UVFIO_MIG_FINAL,
						&byte,
						UVFIO_MIG_SECTION_MAX + 1ul),
			 -EINVAL);
	assert_int_equal(mig_buf_pending(&m), 0);
	assert_int_equal(
		mig_stream_put_section(&m, 0, 1, UVFIO_MIG_FINAL, NULL, 0), 0);
	mig_buf_release(&m);
}

static void test_buf_queue(void **state)
{
	uint8_t in[10000], out[10000];
	struct mig_buf m;
	size_t got = 0;

	(void)state;
	pattern(in, sizeof(in), 9);
	mig_buf_init(&m);
	assert_int_equal(mig_buf_read(&m, out, sizeof(out)), 0);
	/* Interleave appends and partial reads: the bytes come out in order. */
	for (int round = 0; round < 40; round++) {
		size_t len = (size_t)round * 200;

		assert_int_equal(mig_stream_put_section(&m, (uint32_t)round, 1,
							UVFIO_MIG_FINAL, in,
							len),
				 0);
		got = 0;
		while (got < SEC_HDR + len + SEC_CRC)
			got += mig_buf_read(&m, out + got,
					    round % 2 ? 333 : 1000);
		assert_int_equal(got, SEC_HDR + len + SEC_CRC);
		assert_memory_equal(out + SEC_HDR, in, len);
		assert_int_equal(mig_buf_pending(&m), 0);
	}
	mig_buf_release(&m);

	/* Round trip through the queue, read in odd pieces. */
	{
		struct bytes b = realistic(NULL), c = { 0 };
		struct result r;

		free(b.p); /* only the data patterns are wanted */
		mig_buf_init(&m);
		assert_int_equal(mig_stream_put_header(&m, &ID), 0);
		assert_int_equal(mig_stream_put_section(&m, 0, 1,
							UVFIO_MIG_INITIAL,
							init_data, INIT_LEN),
				 0);
		while (mig_buf_pending(&m) > 100) {
			size_t n = mig_buf_read(&m, out, 77);

			append(&c, out, n);
		}
		assert_int_equal(mig_stream_put_section(&m, 1, 1,
							UVFIO_MIG_DIRTY,
							dirty_data, DIRTY_LEN),
				 0);
		assert_int_equal(mig_stream_put_section(&m, 2, 2,
							UVFIO_MIG_FINAL,
							final_data, FINAL_LEN),
				 0);
		assert_int_equal(mig_stream_put_end(&m, 3), 0);
		for (size_t n; (n = mig_buf_read(&m, out, 501));)
			append(&c, out, n);
		mig_buf_release(&m);
		parse(&c, 0, &r);
		assert_int_equal(r.ret, 0);
		assert_true(r.complete);
		check_realistic(&r.sink);
		free(c.p);
	}
}

static void test_round_trip(void **state)
{
	struct bytes b = realistic(NULL);
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 19, 20, 24, 64, 1000 };
	struct result r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		parse(&b, chunks[i], &r);
		assert_int_equal(r.ret, 0);
		assert_true(r.complete);
		check_realistic(&r.sink);
	}

	/* Random segmentations. */
	srand(7);
	for (int round = 0; round < 200; round++) {
		struct mig_parser *p;
		struct sink s = { 0 };
		char why[256];
		size_t off = 0;

		p = mig_parser_new(&ID, collect, &s);
		assert_non_null(p);
		while (off < b.len) {
			size_t n = (size_t)rand() % (round < 100 ? 40 : 600);

			if (n > b.len - off)
				n = b.len - off;
			assert_false(mig_parser_complete(p));
			assert_int_equal(mig_parser_feed(p, b.p + off, n, why,
							 sizeof(why)),
					 0);
			off += n;
		}
		assert_true(mig_parser_complete(p));
		check_realistic(&s);
		mig_parser_free(p);
	}
	free(b.p);
}

static void test_shapes(void **state)
{
	char name[MIG_NAME_MAX + 1];
	struct uvfio_mig_identity id = ID;
	struct bytes b = { 0 };
	struct result r;

	(void)state;
	/* Stop-copy only. */
	pattern(final_data, FINAL_LEN, 3);
	append_header(&b, &ID);
	append_section(&b, 0, 1, UVFIO_MIG_FINAL, final_data, FINAL_LEN);
	append_section(&b, 1, 2, UVFIO_MIG_FINAL, final_data, 10);
	append_end(&b, 2);
	parse(&b, 0, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	assert_int_equal(r.sink.n, 2);
	assert_int_equal(r.sink.len[1], 10);
	free(b.p);

	/* Nothing but END: a device with no state. */
	b = (struct bytes){ 0 };
	append_header(&b, &ID);
	append_end(&b, 0);
	parse(&b, 1, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	assert_int_equal(r.sink.n, 0);
	free(b.p);

	/* Empty sections, repeated phases. */
	b = (struct bytes){ 0 };
	append_header(&b, &ID);
	append_section(&b, 0, 1, UVFIO_MIG_INITIAL, NULL, 0);
	append_section(&b, 1, 1, UVFIO_MIG_DIRTY, NULL, 0);
	append_section(&b, 2, 0xffff, UVFIO_MIG_DIRTY, NULL, 0);
	append_section(&b, 3, 1, UVFIO_MIG_FINAL, NULL, 0);
	append_section(&b, 4, 1, UVFIO_MIG_FINAL, NULL, 0);
	append_end(&b, 5);
	parse(&b, 3, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	assert_int_equal(r.sink.n, 5);
	assert_int_equal(r.sink.type[2], 0xffff);
	assert_int_equal(r.sink.len[2], 0);
	free(b.p);

	/* Names of the maximum length. */
	memset(name, 'n', MIG_NAME_MAX);
	name[MIG_NAME_MAX] = '\0';
	id.type = name;
	id.compat = name;
	b = (struct bytes){ 0 };
	append_header(&b, &id);
	append_end(&b, 0);
	parse_as(&b, 5, &id, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	/* ... and a device expecting one character less refuses it. */
	name[MIG_NAME_MAX - 1] = '\0';
	{
		struct uvfio_mig_identity shorter = id;

		shorter.type = name;
		parse_as(&b, 0, &shorter, &r);
		assert_int_equal(r.ret, -EINVAL);
		assert_non_null(strstr(r.why, "stream device type \"nnnn"));
	}
	free(b.p);

	/* No callback: validation only. */
	b = realistic(NULL);
	{
		struct mig_parser *p = mig_parser_new(&ID, NULL, NULL);
		char why[128];

		assert_non_null(p);
		assert_int_equal(
			mig_parser_feed(p, b.p, b.len, why, sizeof(why)), 0);
		assert_true(mig_parser_complete(p));
		mig_parser_free(p);
	}
	assert_null(mig_parser_new(NULL, collect, NULL));
	free(b.p);
}

/* One field of the identity differs: refused, naming both values. */
static void test_identity_mismatch(void **state)
{
	static const struct {
		struct uvfio_mig_identity id;
		const char *why;
	} cases[] = {
		{ { 0x1235, 0x11e8, 0x1af4, 0x1100, 0x10, "edu", "edu-1" },
		  "stream is for device 1235:11e8, this is 1234:11e8" },
		{ { 0x1234, 0x11e9, 0x1af4, 0x1100, 0x10, "edu", "edu-1" },
		  "stream is for device 1234:11e9, this is 1234:11e8" },
		{ { 0x1234, 0x11e8, 0x1af5, 0x1100, 0x10, "edu", "edu-1" },
		  "stream is for subsystem 1af5:1100, this is 1af4:1100" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1101, 0x10, "edu", "edu-1" },
		  "stream is for subsystem 1af4:1101, this is 1af4:1100" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1100, 0x11, "edu", "edu-1" },
		  "stream is for revision 0x11, this is 0x10" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, "mtty", "edu-1" },
		  "stream device type \"mtty\", this device \"edu\"" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, "ed", "edu-1" },
		  "stream device type \"ed\", this device \"edu\"" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, "edu", "edu-2" },
		  "stream compat \"edu-2\", this device \"edu-1\"" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, "edu", "edu-10" },
		  "stream compat \"edu-10\", this device \"edu-1\"" },
		{ { 0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, "edu", "x\n\"" },
		  "stream compat \"x\\x0a\\x22\", this device \"edu-1\"" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bytes b = { 0 };
		struct result r;

		append_header(&b, &cases[i].id);
		append_section(&b, 0, 1, UVFIO_MIG_FINAL, "x", 1);
		append_end(&b, 1);
		parse(&b, 0, &r);
		assert_int_equal(r.ret, -EINVAL);
		assert_string_equal(r.why, cases[i].why);
		assert_int_equal(r.sink.n, 0);
		free(b.p);
	}
}

/* The realistic stream with its header patched (and its CRC fixed). */
static struct bytes patched(void (*patch)(struct bytes *b))
{
	struct bytes b = realistic(NULL);

	patch(&b);
	return b;
}

static void set_major2(struct bytes *b)
{
	put16(b->p + 8, 2);
	fix_header_crc(b->p, 40);
}

static void set_minor1(struct bytes *b)
{
	put16(b->p + 10, 1);
	fix_header_crc(b->p, 40);
}

static void set_minor_max(struct bytes *b)
{
	put16(b->p + 10, 0xffff);
	fix_header_crc(b->p, 40);
}

static void test_versions(void **state)
{
	struct bytes b;
	struct result r;

	(void)state;
	b = patched(set_major2);
	assert_refused(&b, "stream format version 2.0, this loader reads 1.x");
	free(b.p);
	b = realistic(NULL);
	put16(b.p + 8, 0); /* refused before the CRC is even looked at */
	assert_refused(&b, "stream format version 0.0");
	free(b.p);

	/* Any minor of major 1 is accepted. */
	b = patched(set_minor1);
	parse(&b, 1, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	check_realistic(&r.sink);
	free(b.p);
	b = patched(set_minor_max);
	parse(&b, 0, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	free(b.p);
}

/*
 * A header from a later minor with @ext bytes of optional fields after
 * the names, then one FINAL section and END.
 */
static struct bytes with_extension(uint16_t minor, size_t ext)
{
	struct bytes b = { 0 }, h = { 0 };
	uint8_t crc[4] = { 0 }, *x = calloc(1, ext + 1);

	assert_non_null(x);
	memset(x, 0xa5, ext);
	append_header(&h, &ID);
	append(&b, h.p, h.len - 4);
	append(&b, x, ext);
	append(&b, crc, 4);
	put16(b.p + 10, minor);
	put32(b.p + 12, (uint32_t)b.len);
	fix_header_crc(b.p, b.len);
	append_section(&b, 0, 1, UVFIO_MIG_FINAL, "abc", 3);
	append_end(&b, 1);
	free(h.p);
	free(x);
	return b;
}

static void test_header_length(void **state)
{
	static const uint32_t lies[] = { 0,    4,    27,	 28,
					 39,   41,   44,	 200,
					 4096, 4097, 0x7fffffff, 0xffffffff };
	struct bytes b;
	struct result r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lies); i++) {
		b = realistic(NULL);
		put32(b.p + 12, lies[i]);
		fix_header_crc(b.p, 40);
		assert_refused(&b, lies[i] > 4096 ? "exceeds the maximum 4096" :
						    "the type and compat "
						    "lengths imply 40");
		free(b.p);
	}

	/* A later minor may carry optional fields after the names... */
	b = with_extension(1, 16);
	parse(&b, 1, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	assert_int_equal(r.sink.n, 1);
	free(b.p);
	b = with_extension(3, 4096 - 40);
	parse(&b, 7, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	free(b.p);
	/* ... bounded, */
	b = with_extension(1, 4096 - 39);
	assert_refused(&b, "header length 4097 exceeds the maximum 4096");
	free(b.p);
	/* ... and version 1.0 may not. */
	b = with_extension(0, 1);
	assert_refused(&b, "header length 41, the type and compat lengths "
			   "imply 40");
	free(b.p);
}

static void test_header_names(void **state)
{
	struct bytes b;

	(void)state;
	/* Name lengths 0 and MIG_NAME_MAX + 1, with a consistent length. */
	b = realistic(NULL);
	b.p[25] = 0;
	put32(b.p + 12, 37);
	assert_refused(&b, "device type length 0, must be 1..64");
	free(b.p);
	b = realistic(NULL);
	b.p[26] = 0;
	put32(b.p + 12, 35);
	assert_refused(&b, "compat length 0, must be 1..64");
	free(b.p);
	b = realistic(NULL);
	b.p[25] = 65;
	put32(b.p + 12, 102);
	assert_refused(&b, "device type length 65, must be 1..64");
	free(b.p);
	b = realistic(NULL);
	b.p[26] = 255;
	put32(b.p + 12, 290);
	assert_refused(&b, "compat length 255, must be 1..64");
	free(b.p);

	/* A NUL inside a name, with a valid CRC. */
	b = realistic(NULL);
	b.p[HDR_FIXED + 1] = 0;
	fix_header_crc(b.p, 40);
	assert_refused(&b, "device type \"e\\x00u\" has a NUL at byte 1");
	free(b.p);
	b = realistic(NULL);
	b.p[HDR_FIXED + 3 + 4] = 0;
	fix_header_crc(b.p, 40);
	assert_refused(&b, "compat \"edu-\\x00\" has a NUL at byte 4");
	free(b.p);

	/* The reserved byte. */
	b = realistic(NULL);
	b.p[27] = 0x80;
	fix_header_crc(b.p, 40);
	assert_refused(&b, "header reserved byte 0x80, must be 0");
	free(b.p);

	/* Magic: refused at the first wrong byte. */
	b = realistic(NULL);
	b.p[0] = 'U';
	assert_refused(&b, "bad magic \"U");
	free(b.p);
	b = realistic(NULL);
	b.p[7] = 'H';
	assert_refused(&b, "bad magic \"uvfioMIH\"");
	free(b.p);
	{
		struct mig_parser *p = mig_parser_new(&ID, collect, NULL);
		char why[128];

		assert_int_equal(mig_parser_feed(p, "uvf", 3, why, sizeof(why)),
				 0);
		assert_int_equal(mig_parser_feed(p, "\0", 1, why, sizeof(why)),
				 -EINVAL);
		assert_string_equal(why, "bad magic \"uvf\\x00\", expected "
					 "\"uvfioMIG\": not a uvfio migration "
					 "stream");
		mig_parser_free(p);
	}

	/* Header CRC. */
	b = realistic(NULL);
	b.p[39] ^= 1;
	assert_refused(&b, "header CRC32C");
	free(b.p);
}

static void test_section_fields(void **state)
{
	static const uint8_t data[8] = "payload";
	static const struct {
		uint16_t kind, type;
		uint8_t phase, flags;
		uint16_t reserved;
		uint32_t seq;
		uint64_t len;
		const char *why;
	} cases[] = {
		{ 0, 1, 3, 0, 0, 0, 8, "section 0: unknown kind 0" },
		{ 3, 1, 3, 0, 0, 0, 8, "section 0: unknown kind 3" },
		{ 0xffff, 1, 3, 0, 0, 0, 8, "section 0: unknown kind 65535" },
		{ 1, 1, 3, 1, 0, 0, 8, "section 0: flags 0x01, must be 0" },
		{ 1, 1, 3, 0, 0x100, 0, 8,
		  "section 0: reserved field 0x0100, must be 0" },
		{ 1, 0, 3, 0, 0, 0, 8, "section 0: type 0 is reserved" },
		{ 1, 1, 0, 0, 0, 0, 8, "section 0: phase 0, must be 1..3" },
		{ 1, 1, 4, 0, 0, 0, 8, "section 0: phase 4, must be 1..3" },
		{ 1, 1, 3, 0, 0, 1, 8,
		  "section sequence 1, expected 0 (sections reordered, "
		  "duplicated or lost)" },
		{ 1, 1, 3, 0, 0, 0xffffffff, 8, "section sequence 4294967295" },
		{ 2, 1, 0, 0, 0, 0, 0,
		  "END section 0: type 1, phase 0, length 0, all must be 0" },
		{ 2, 0, 3, 0, 0, 0, 0,
		  "END section 0: type 0, phase 3, length 0, all must be 0" },
		{ 2, 0, 0, 0, 0, 0, 8,
		  "END section 0: type 0, phase 0, length 8, all must be 0" },
		{ 2, 0, 0, 1, 0, 0, 0, "section 0: flags 0x01, must be 0" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bytes b = { 0 };

		append_header(&b, &ID);
		append_raw_section(&b, cases[i].kind, cases[i].type,
				   cases[i].phase, cases[i].flags,
				   cases[i].reserved, cases[i].seq,
				   cases[i].len, data, (size_t)cases[i].len);
		append_end(&b, 1);
		assert_refused(&b, cases[i].why);
		free(b.p);
	}
}

/* Oversized lengths are refused from the section header alone. */
static void test_oversized(void **state)
{
	static const uint64_t lens[] = { UVFIO_MIG_SECTION_MAX + 1ull,
					 0x100000000ull, 1ull << 63,
					 UINT64_MAX };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		struct bytes b = { 0 };
		struct mig_parser *p;
		struct sink s = { 0 };
		char why[256], want[128];
		size_t hlen;

		append_header(&b, &ID);
		hlen = b.len;
		append_raw_section(&b, 1, 1, UVFIO_MIG_FINAL, 0, 0, 0, lens[i],
				   NULL, 0);
		p = mig_parser_new(&ID, collect, &s);
		assert_non_null(p);
		/* The section header without its last byte: waiting. */
		assert_int_equal(mig_parser_feed(p, b.p, hlen + SEC_HDR - 1,
						 why, sizeof(why)),
				 0);
		/* Its last byte: refused at once, nothing allocated for it. */
		assert_int_equal(mig_parser_feed(p, b.p + hlen + SEC_HDR - 1, 1,
						 why, sizeof(why)),
				 -EINVAL);
		snprintf(want, sizeof(want),
			 "section 0: length %llu exceeds the maximum %u",
			 (unsigned long long)lens[i], UVFIO_MIG_SECTION_MAX);
		assert_string_equal(why, want);
		assert_false(mig_parser_complete(p));
		mig_parser_free(p);
		free(b.p);
	}
}

/*
 * A section header announcing the maximum length is accepted, but memory
 * is spent only as payload arrives.
 */
static void test_max_length_lazy(void **state)
{
	struct bytes b = { 0 };
	struct mig_parser *p;
	struct mallinfo2 before, after;
	uint8_t chunk[4096] = { 0 };
	char why[256];

	(void)state;
	append_header(&b, &ID);
	append_raw_section(&b, 1, 1, UVFIO_MIG_FINAL, 0, 0, 0,
			   UVFIO_MIG_SECTION_MAX, NULL, 0);
	b.len -= SEC_CRC;
	p = mig_parser_new(&ID, collect, NULL);
	assert_non_null(p);
	before = mallinfo2();
	assert_int_equal(mig_parser_feed(p, b.p, b.len, why, sizeof(why)), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(mig_parser_feed(p, chunk, sizeof(chunk), why,
						 sizeof(why)),
				 0);
	after = mallinfo2();
	/* (Under ASan mallinfo2() reports nothing, and this holds too.) */
	assert_true(after.uordblks + after.hblkhd <
		    before.uordblks + before.hblkhd + (1u << 20));
	assert_false(mig_parser_complete(p));
	mig_parser_free(p);
	free(b.p);
}

/* A section of exactly UVFIO_MIG_SECTION_MAX bytes goes through. */
static void test_max_section(void **state)
{
	uint8_t *data = malloc(UVFIO_MIG_SECTION_MAX);
	struct mig_buf m;
	struct bytes b = { 0 };
	struct result r;

	(void)state;
	assert_non_null(data);
	pattern(data, UVFIO_MIG_SECTION_MAX, 5);
	mig_buf_init(&m);
	assert_int_equal(mig_stream_put_header(&m, &ID), 0);
	assert_int_equal(mig_stream_put_section(&m, 0, 9, UVFIO_MIG_FINAL, data,
						UVFIO_MIG_SECTION_MAX),
			 0);
	assert_int_equal(mig_stream_put_end(&m, 1), 0);
	b.p = m.data;
	b.len = m.len;
	parse(&b, 1 << 20, &r);
	assert_int_equal(r.ret, 0);
	assert_true(r.complete);
	assert_int_equal(r.sink.n, 1);
	assert_int_equal(r.sink.len[0], UVFIO_MIG_SECTION_MAX);
	assert_int_equal(r.sink.crc[0],
			 mig_crc32c(0, data, UVFIO_MIG_SECTION_MAX));
	mig_buf_release(&m);
	free(data);
}

/* Sections swapped, duplicated, dropped; phases backwards. */
static void test_order(void **state)
{
	struct bytes s[5] = { { 0 } }, hdr = { 0 };
	static const struct {
		int order[8];
		const char *why; /* NULL: accepted but incomplete */
	} cases[] = {
		{ { 1, 0, 2, 3, -1 }, "section sequence 1, expected 0" },
		{ { 0, 2, 1, 3, -1 }, "section sequence 2, expected 1" },
		{ { 0, 1, 3, 2, -1 }, "section sequence 3, expected 2" },
		{ { 0, 0, 1, 2, 3, -1 }, "section sequence 0, expected 1" },
		{ { 0, 1, 1, 2, 3, -1 }, "section sequence 1, expected 2" },
		{ { 1, 2, 3, -1 }, "section sequence 1, expected 0" },
		{ { 0, 2, 3, -1 }, "section sequence 2, expected 1" },
		{ { 0, 1, 3, -1 }, "section sequence 3, expected 2" },
		{ { 0, 1, 2, 3, 3, -1 }, "after the END section" },
		{ { 0, 1, 2, 3, 0, -1 }, "after the END section" },
		{ { 0, 1, 2, -1 }, NULL },
		{ { -1 }, NULL },
	};

	(void)state;
	pattern(init_data, INIT_LEN, 1);
	append_header(&hdr, &ID);
	append_section(&s[0], 0, 1, UVFIO_MIG_INITIAL, init_data, 100);
	append_section(&s[1], 1, 1, UVFIO_MIG_DIRTY, init_data, 50);
	append_section(&s[2], 2, 1, UVFIO_MIG_FINAL, init_data, 200);
	append_end(&s[3], 3);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct bytes b = { 0 };
		struct result r;

		append(&b, hdr.p, hdr.len);
		for (int j = 0; cases[i].order[j] >= 0; j++)
			append(&b, s[cases[i].order[j]].p,
			       s[cases[i].order[j]].len);
		if (cases[i].why) {
			assert_refused(&b, cases[i].why);
		} else {
			parse(&b, 0, &r);
			assert_int_equal(r.ret, 0);
			assert_false(r.complete);
		}
		free(b.p);
	}

	/* Phases going backwards, with consecutive sequence numbers. */
	{
		static const enum uvfio_mig_phase bad[][2] = {
			{ UVFIO_MIG_DIRTY, UVFIO_MIG_INITIAL },
			{ UVFIO_MIG_FINAL, UVFIO_MIG_INITIAL },
			{ UVFIO_MIG_FINAL, UVFIO_MIG_DIRTY },
		};
		static const char *const why[] = {
			"section 1: phase INITIAL after DIRTY",
			"section 1: phase INITIAL after FINAL",
			"section 1: phase DIRTY after FINAL",
		};

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			struct bytes b = { 0 };

			append(&b, hdr.p, hdr.len);
			append_section(&b, 0, 1, bad[i][0], "a", 1);
			append_section(&b, 1, 1, bad[i][1], "b", 1);
			append_end(&b, 2);
			assert_refused(&b, why[i]);
			free(b.p);
		}
	}

	/* Bytes after END, in a later feed: refused, and no longer complete. */
	{
		struct bytes b = realistic(NULL);
		struct mig_parser *p = mig_parser_new(&ID, NULL, NULL);
		char why[128];

		assert_int_equal(
			mig_parser_feed(p, b.p, b.len, why, sizeof(why)), 0);
		assert_true(mig_parser_complete(p));
		assert_int_equal(mig_parser_feed(p, NULL, 0, why, sizeof(why)),
				 0);
		assert_true(mig_parser_complete(p));
		assert_int_equal(mig_parser_feed(p, "", 1, why, sizeof(why)),
				 -EINVAL);
		assert_string_equal(why, "1 byte after the END section");
		assert_false(mig_parser_complete(p));
		mig_parser_free(p);
		free(b.p);
	}

	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		free(s[i].p);
	free(hdr.p);
}

static void test_callback_error(void **state)
{
	struct bytes b = realistic(NULL);
	struct mig_parser *p;
	struct sink s = { .fail_at = 2, .fail_ret = -EIO };
	char why[256];

	(void)state;
	p = mig_parser_new(&ID, collect, &s);
	assert_non_null(p);
	assert_int_equal(mig_parser_feed(p, b.p, b.len, why, sizeof(why)),
			 -EIO);
	assert_string_equal(why, "section 1 (type 1, DIRTY, 384 bytes): the "
				 "device refused it (-5)");
	assert_int_equal(s.n, 2); /* nothing after the refused one */
	assert_false(mig_parser_complete(p));
	/* Poisoned: all further input is refused, with the first reason. */
	assert_int_equal(mig_parser_feed(p, NULL, 0, why, sizeof(why)), -EIO);
	assert_string_equal(why, "stream already refused: section 1 (type 1, "
				 "DIRTY, 384 bytes): the device refused it "
				 "(-5)");
	assert_int_equal(mig_parser_feed(p, b.p, b.len, NULL, 0), -EIO);
	assert_int_equal(s.n, 2);
	assert_false(mig_parser_complete(p));
	mig_parser_free(p);

	/* A positive return is an error too. */
	s = (struct sink){ .fail_at = 1, .fail_ret = 1 };
	p = mig_parser_new(&ID, collect, &s);
	assert_int_equal(mig_parser_feed(p, b.p, b.len, why, 8), -EINVAL);
	assert_int_equal(strlen(why), 7); /* truncated to @why_len */
	mig_parser_free(p);
	free(b.p);
}

/*
 * Every single-byte corruption of the realistic stream is refused: with a
 * reason from the header or section checks, or by a CRC.  The only
 * corruptions that cannot be refused at once are those that make a
 * section's length larger than the rest of the stream: the parser then
 * waits for bytes that never come, and the stream stays incomplete.  No
 * section is handed on from the corrupted one onwards.
 */
static void test_every_byte_corruption(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x02, 0x04, 0x08, 0x10,
					 0x20, 0x40, 0x80, 0xff, 0x5a };
	size_t starts[5];
	struct bytes b = realistic(starts);
	unsigned int refused = 0, by_crc = 0, waiting = 0;

	(void)state;
	starts[4] = b.len;
	for (size_t pos = 0; pos < b.len; pos++) {
		unsigned int sec = 0; /* 0: header, k: in section k - 1 */
		size_t off = 0;

		while (sec < 4 && pos >= starts[sec])
			sec++;
		if (sec)
			off = pos - starts[sec - 1];
		for (size_t m = 0; m < ARRAY_SIZE(masks); m++) {
			bool in_payload = sec && off >= SEC_HDR &&
					  pos + SEC_CRC < starts[sec];
			uint64_t len = 0;
			struct result r;

			b.p[pos] ^= masks[m];
			if (sec)
				for (int i = 7; i >= 0; i--)
					len = len << 8 |
					      b.p[starts[sec - 1] + 12 + i];
			parse(&b, 0, &r);
			b.p[pos] ^= masks[m];
			assert_false(r.complete);
			/* Nothing handed on from the corrupted section. */
			assert_true(r.sink.n + 1 <= (sec ? sec : 1));
			if (r.ret) {
				assert_int_equal(r.ret, -EINVAL);
				refused++;
				if (strstr(r.why, "CRC32C"))
					by_crc++;
				else if (in_payload)
					fail_msg("byte %zu (payload) ^ 0x%02x: "
						 "\"%s\", not by CRC",
						 pos, masks[m], r.why);
				continue;
			}
			/*
			 * Not refused: only a section length made to reach
			 * past the end of the stream, which then waits.
			 */
			if (!sec || off < 12 || off >= SEC_HDR ||
			    len <= b.len - starts[sec - 1] - SEC_HDR - SEC_CRC)
				fail_msg("byte %zu ^ 0x%02x: not refused", pos,
					 masks[m]);
			waiting++;
		}
	}
	print_message("%zu bytes x %zu masks: %u refused (%u by CRC), %u "
		      "incomplete (a section length past the end)\n",
		      b.len, ARRAY_SIZE(masks), refused, by_crc, waiting);
	free(b.p);
}

/* Every truncation leaves the parser incomplete, never refused. */
static void test_every_truncation(void **state)
{
	struct bytes b = realistic(NULL);
	size_t len = b.len;

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		struct result r;

		b.len = cut;
		parse(&b, 0, &r);
		assert_int_equal(r.ret, 0);
		assert_false(r.complete);
		if (cut % 97 == 0) {
			parse(&b, 1, &r);
			assert_int_equal(r.ret, 0);
			assert_false(r.complete);
		}
	}
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_section_layout),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_buf_queue),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_identity_mismatch),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_header_length),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_section_fields),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_max_length_lazy),
		cmocka_unit_test(test_max_section),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_every_byte_corruption),
		cmocka_unit_test(test_every_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
