// SPDX-License-Identifier: MIT
/*
 * mtty with stream=kernel: the kernel mtty's migration data, byte for byte
 * at the offsets of its struct mtty_data on x86-64 (the offsets below are
 * written out here, not taken from the device), its session behaviour
 * (the header alone as pre-copy's initial data), its error answers, and
 * every field still checked on load.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/serial_reg.h>

#include "mtty-card.h"

/* struct mtty_data and struct serial_port, as the kernel lays them out. */
#define K_MAGIC 0x7e9d09898c3e2c4eull
#define K_HDR 24
#define K_PORT 36
#define K_REGS 0
#define K_FIFO 8
#define K_HEAD 24
#define K_TAIL 25
#define K_COUNT 26
#define K_DLAB 27
#define K_OVERRUN 28
#define K_PAD1 29
#define K_DIVISOR 30
#define K_FCR 32
#define K_MAX_FIFO 33
#define K_TRIGGER 34
#define K_PAD2 35

#define PIECE 7

static size_t k_size(unsigned int ports)
{
	return K_HDR + ports * K_PORT;
}

/*
 * Port 0: FIFO enabled, "MIG" written, one read, then "RATE": a FIFO that
 * does not start at 0.  Port 1: FIFO of 1 (no ENABLE_FIFO), one byte, a
 * second lost (overrun), and DLAB with divisor 0x010c.
 */
static void make_state(struct card *c)
{
	bar_wr(c->dev, 0, UART_FCR, UART_FCR_ENABLE_FIFO);
	bar_wr(c->dev, 0, UART_IER, UART_IER_RDI);
	for (const char *p = "MIG"; *p; p++)
		bar_wr(c->dev, 0, UART_TX, (uint8_t)*p);
	assert_int_equal(bar_rd(c->dev, 0, UART_RX), 'M');
	for (const char *p = "RATE"; *p; p++)
		bar_wr(c->dev, 0, UART_TX, (uint8_t)*p);
	bar_wr(c->dev, 0, UART_SCR, 0x5a);
	bar_wr(c->dev, 0, UART_MCR, UART_MCR_DTR);
	bar_wr(c->dev, 0, UART_LCR, 0x03);
	if (c->ports < 2)
		return;
	bar_wr(c->dev, 1, UART_FCR, 0);
	bar_wr(c->dev, 1, UART_TX, 'x');
	bar_wr(c->dev, 1, UART_TX, 'y');
	bar_wr(c->dev, 1, UART_LCR, UART_LCR_DLAB | 0x03);
	bar_wr(c->dev, 1, UART_DLL, 0x0c);
	bar_wr(c->dev, 1, UART_DLM, 0x01);
	bar_wr(c->dev, 1, UART_SCR, 0xa5);
}

/* The stream make_state() leaves, written out field by field. */
static size_t expected_stream(unsigned int ports, uint8_t *s)
{
	uint8_t *p0 = s + K_HDR, *p1 = p0 + K_PORT;

	memset(s, 0, k_size(ports));
	put_le(s, K_MAGIC, 8);
	put_le(s + 8, 1, 4);
	put_le(s + 12, 0, 4);
	put_le(s + 16, ports, 4);
	p0[K_REGS + UART_IER] = UART_IER_RDI;
	p0[K_REGS + UART_LCR] = 0x03;
	p0[K_REGS + UART_MCR] = UART_MCR_DTR;
	p0[K_REGS + UART_SCR] = 0x5a;
	memcpy(p0 + K_FIFO, "MIGRATE", 7);
	p0[K_HEAD] = 7;
	p0[K_TAIL] = 1;
	p0[K_COUNT] = 6;
	p0[K_FCR] = UART_FCR_ENABLE_FIFO;
	p0[K_MAX_FIFO] = 16;
	p0[K_TRIGGER] = 1;
	if (ports < 2)
		return k_size(ports);
	p1[K_REGS + UART_LCR] = UART_LCR_DLAB | 0x03;
	p1[K_REGS + UART_SCR] = 0xa5;
	p1[K_FIFO] = 'x';
	p1[K_HEAD] = 1;
	p1[K_COUNT] = 1;
	p1[K_DLAB] = 1;
	p1[K_OVERRUN] = 1;
	put_le(p1 + K_DIVISOR, 0x010c, 2);
	p1[K_MAX_FIFO] = 1;
	p1[K_TRIGGER] = 1;
	return k_size(ports);
}

static void test_layout(void **state)
{
	(void)state;
	for (unsigned int ports = 1; ports <= 2; ports++) {
		struct card *c = card_new("kmtty", ports, MTTY_STREAM_KERNEL);
		uint8_t want[K_HDR + 2 * K_PORT], got[STREAM_MAX];

		/* MIG_DATA_SIZE is the struct's size, as the kernel's. */
		assert_int_equal(
			feature_u64(c->dev, UVFIO_DEVICE_FEATURE_MIG_DATA_SIZE),
			k_size(ports));
		make_state(c);
		assert_int_equal(mig_save(c->dev, got, PIECE),
				 expected_stream(ports, want));
		assert_memory_equal(got, want, k_size(ports));
		card_free(c);
	}
}

/*
 * The kernel's mtty sessions: PRE_COPY has the header as initial data and
 * never anything dirty; STOP_COPY adds the ports to the same session.
 */
static void test_precopy(void **state)
{
	struct card *c = card_new("kmtty", 2, MTTY_STREAM_KERNEL);
	struct uvfio_precopy_info info = { .argsz = sizeof(info) };
	uint8_t got[STREAM_MAX], want[K_HDR + 2 * K_PORT];
	uint64_t session;

	(void)state;
	mig_go(c->dev, ST_PRE_COPY);
	session = uvfio_migration_session(c->dev);
	assert_int_equal(uvfio_migration_precopy_info(c->dev, session, &info),
			 0);
	assert_int_equal(info.initial_bytes, K_HDR);
	assert_int_equal(info.dirty_bytes, 0);
	assert_int_equal(mig_read(c->dev, got, sizeof(got), PIECE), K_HDR);
	/* The guest runs on: still nothing dirty. */
	make_state(c);
	assert_int_equal(mig_precopy_dirty(c->dev), 0);
	assert_int_equal(mig_read(c->dev, got + K_HDR, 64, PIECE), 0);
	mig_go(c->dev, ST_PRE_COPY_P2P);
	mig_go(c->dev, ST_STOP_COPY);
	assert_int_equal(uvfio_migration_session(c->dev), session);
	assert_int_equal(mig_read(c->dev, got + K_HDR, sizeof(got) - K_HDR,
				  PIECE),
			 2 * K_PORT);
	expected_stream(2, want);
	assert_memory_equal(got, want, sizeof(want));

	/* STOP_COPY with the header not (or not all) read: once, in full. */
	for (size_t read = 0; read < K_HDR; read += 10) {
		mig_go(c->dev, ST_RUNNING);
		mig_go(c->dev, ST_PRE_COPY);
		session = uvfio_migration_session(c->dev);
		if (read)
			assert_int_equal(uvfio_migration_read(c->dev, session,
							      got, read),
					 (ssize_t)read);
		mig_go(c->dev, ST_STOP_COPY);
		assert_int_equal(mig_read(c->dev, got + read,
					  sizeof(got) - read, PIECE),
				 sizeof(want) - read);
		assert_memory_equal(got, want, sizeof(want));
	}
	card_free(c);
}

/*
 * What a guest reads, every port, ending with the FIFO drained: the same
 * on two cards in the same state.
 */
static size_t guest_view(struct card *c, uint8_t *out)
{
	size_t n = 0;

	for (unsigned int bar = 0; bar < c->ports; bar++) {
		uint8_t lcr = bar_rd(c->dev, bar, UART_LCR);

		out[n++] = lcr;
		out[n++] = bar_rd(c->dev, bar, UART_MCR);
		out[n++] = bar_rd(c->dev, bar, UART_SCR);
		out[n++] = bar_rd(c->dev, bar, UART_IER);
		out[n++] = bar_rd(c->dev, bar, UART_IIR);
		out[n++] = bar_rd(c->dev, bar, UART_LSR);
		out[n++] = bar_rd(c->dev, bar, UART_MSR);
		n += read_divisor_and_fifo(c, bar, lcr, out + n);
	}
	return n;
}

static void test_round_trip(void **state)
{
	struct card *src = card_new("kmtty-src", 2, MTTY_STREAM_KERNEL);
	struct card *dst = card_new("kmtty-dst", 2, MTTY_STREAM_KERNEL);
	uint8_t s[STREAM_MAX], again[STREAM_MAX], va[512], vb[512];
	size_t len, na, nb;

	(void)state;
	make_state(src);
	len = mig_save(src->dev, s, PIECE);
	/* In one write, and a byte at a time. */
	mig_load(dst->dev, s, len);
	mig_go(dst->dev, ST_RESUMING);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(
			uvfio_migration_write(dst->dev,
					      uvfio_migration_session(dst->dev),
					      s + i, 1),
			1);
	mig_go(dst->dev, ST_STOP);
	/* The destination's own stream is the source's, byte for byte. */
	assert_int_equal(mig_save(dst->dev, again, PIECE), len);
	assert_memory_equal(again, s, len);
	mig_go(src->dev, ST_RUNNING);
	mig_go(dst->dev, ST_RUNNING);
	na = guest_view(src, va);
	nb = guest_view(dst, vb);
	assert_int_equal(na, nb);
	assert_memory_equal(va, vb, na);
	assert_int_equal(dst->log.warnings, 0);
	card_free(src);
	card_free(dst);
}

/*
 * The kernel's IIR shows THRI whenever IER.THRI is set and the FIFO is
 * empty: a loaded port shows it in exactly that case.
 */
static void test_thri_as_the_kernel_shows_it(void **state)
{
	struct card *c = card_new("kmtty", 1, MTTY_STREAM_KERNEL);
	uint8_t s[K_HDR + K_PORT];

	(void)state;
	expected_stream(1, s);
	s[K_HDR + K_REGS + UART_IER] = UART_IER_THRI;
	s[K_HDR + K_COUNT] = 0;
	s[K_HDR + K_TAIL] = 7;
	mig_load(c->dev, s, sizeof(s));
	mig_go(c->dev, ST_RUNNING);
	assert_int_equal(bar_rd(c->dev, 0, UART_IIR), 0xc0 | UART_IIR_THRI);

	s[K_HDR + K_COUNT] = 6;
	s[K_HDR + K_TAIL] = 1;
	mig_load(c->dev, s, sizeof(s));
	mig_go(c->dev, ST_RUNNING);
	assert_int_equal(bar_rd(c->dev, 0, UART_IIR), 0xc0 | UART_IIR_NO_INT);
	card_free(c);
}

/* ---- refusals ---- */

struct kept {
	struct card *c;
	uint8_t scr[2];
};

static void assert_kept(void *opaque)
{
	struct kept *k = opaque;

	for (unsigned int i = 0; i < k->c->ports; i++)
		assert_int_equal(bar_rd(k->c->dev, i, UART_SCR), k->scr[i]);
}

static void setup_refusal(struct refusal *r, struct kept *k, struct card *c)
{
	/* The kernel's answers to a refused write, and ours to a port. */
	static const int errnos[] = { -EINVAL, -EFAULT, -ENOMEM, 0 };

	make_state(c);
	k->c = c;
	for (unsigned int i = 0; i < c->ports; i++)
		k->scr[i] = bar_rd(c->dev, i, UART_SCR);
	refusal_init(r, c->dev, &c->log, PIECE, assert_kept, k);
	r->errnos = errnos;
}

/* A byte of a good stream set to @v, and what the log says of it. */
struct bad_byte {
	size_t off;
	uint8_t v;
	const char *says;
};

/* @s with byte @off set to @v: refused, the log saying @says. */
static void refused_with(struct refusal *r, const uint8_t *good, size_t len,
			 size_t off, uint8_t v, const char *says)
{
	uint8_t bad[K_HDR + 2 * K_PORT];

	memcpy(bad, good, len);
	bad[off] = v;
	refused_saying(r, bad, len, says);
}

/* The kernel's answers: -EFAULT for the header, -ENOMEM past the end. */
static void test_header_refused(void **state)
{
	struct card *c = card_new("kmtty", 2, MTTY_STREAM_KERNEL);
	uint8_t s[K_HDR + 2 * K_PORT], big[K_HDR + 2 * K_PORT + 1] = { 0 };
	struct refusal r;
	struct kept k;
	static const struct bad_byte bad[] = {
		{ 0, 0x4f, "magic 0x7e9d09898c3e2c4f" },
		{ 7, 0x00, "magic 0x009d09898c3e2c4e" },
		{ 8, 2, "version 2.0, expected 1.0" },
		{ 11, 1, "version 16777217.0" },
		{ 12, 1, "version 1.1, expected 1.0" },
		{ 16, 1, "kernel stream of 1 ports, this card has 2" },
		{ 19, 1, "kernel stream of 16777218 ports" },
		{ 20, 1, "flags 0x1, must be 0" },
		{ 23, 0x80, "flags 0x80000000" },
	};

	(void)state;
	setup_refusal(&r, &k, c);
	expected_stream(2, s);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint8_t b[sizeof(s)];

		memcpy(b, s, sizeof(s));
		b[bad[i].off] = bad[i].v;
		/* Refused on the write that completes the header. */
		assert_int_equal(mig_feed(c->dev, b, K_HDR - 1), K_HDR - 1);
		assert_int_equal(
			uvfio_migration_write(c->dev,
					      uvfio_migration_session(c->dev),
					      b + K_HDR - 1, 2),
			-EFAULT);
		assert_int_equal(uvfio_device_reset(c->dev), 0);
		refused_with(&r, s, sizeof(s), bad[i].off, bad[i].v,
			     bad[i].says);
	}
	/* A stream of more bytes than the struct's. */
	assert_int_equal(mig_feed(c->dev, s, sizeof(s)), sizeof(s));
	assert_int_equal(uvfio_migration_write(
				 c->dev, uvfio_migration_session(c->dev), s, 1),
			 -ENOMEM);
	assert_int_equal(mig_set(c->dev, ST_STOP), -EINVAL);
	assert_int_equal(uvfio_device_reset(c->dev), 0);
	memcpy(big, s, sizeof(s));
	assert_int_equal(mig_feed(c->dev, big, sizeof(big)), -ENOMEM);
	assert_int_equal(uvfio_device_reset(c->dev), 0);
	refusal_free(&r);
	card_free(c);
}

/* A one-port card refuses a two-port card's stream, and the other way. */
static void test_other_card_refused(void **state)
{
	struct card *one = card_new("kmtty-1", 1, MTTY_STREAM_KERNEL),
		    *two = card_new("kmtty-2", 2, MTTY_STREAM_KERNEL);
	uint8_t s1[K_HDR + K_PORT], s2[K_HDR + 2 * K_PORT];

	(void)state;
	expected_stream(1, s1);
	expected_stream(2, s2);
	assert_int_equal(mig_feed(one->dev, s2, K_HDR), -EFAULT);
	assert_int_equal(uvfio_device_reset(one->dev), 0);
	assert_int_equal(mig_feed(two->dev, s1, sizeof(s1)), -EFAULT);
	assert_int_equal(uvfio_device_reset(two->dev), 0);
	card_free(one);
	card_free(two);
}

/* Each field a port cannot hold, in either port. */
static void test_port_refused(void **state)
{
	struct card *c = card_new("kmtty", 2, MTTY_STREAM_KERNEL);
	uint8_t s[K_HDR + 2 * K_PORT], b[K_HDR + 2 * K_PORT];
	struct refusal r;
	struct kept k;
	static const struct bad_byte bad[] = {
		{ K_DLAB, 2, "dlab 2, overrun 0, must be 0 or 1" },
		{ K_OVERRUN, 0xff, "overrun 255, must be 0 or 1" },
		{ K_PAD1, 1, "padding bytes 0x01 0x00, must be 0" },
		{ K_PAD2, 0x80, "padding bytes 0x00 0x80" },
		{ K_REGS + UART_RX, 0x41, "uart_reg[0] 0x41, must be 0" },
		{ K_REGS + UART_IIR, 1, "uart_reg[2] 0x01" },
		{ K_REGS + UART_LSR, 0x60, "uart_reg[5] 0x60" },
		{ K_REGS + UART_MSR, 0xb0, "uart_reg[6] 0xb0" },
		{ K_REGS + UART_LCR, 0x83, "DLAB 0 but LCR 0x83" },
		{ K_DLAB, 1, "DLAB 1 but LCR 0x03" },
		{ K_HEAD, 16, "FIFO head 16, tail 1, count 6 outside" },
		{ K_TAIL, 200, "tail 200" },
		{ K_COUNT, 17, "count 17" },
		{ K_COUNT, 5, "head 7, tail 1 and count 5 disagree" },
		{ K_MAX_FIFO, 8, "FIFO size 8, must be 1 or 16" },
		{ K_MAX_FIFO, 1,
		  "FCR 0x01, FIFO size 1 and trigger level 1 disagree" },
		{ K_TRIGGER, 4, "trigger level 4, must be 0 or 1" },
		{ K_TRIGGER, 14, "trigger level 14" },
		{ K_TRIGGER, 0, "FCR 0x01, FIFO size 16 and trigger level 0" },
		{ K_FCR, 0, "FCR 0x00, FIFO size 16 and trigger level 1" },
	};

	(void)state;
	setup_refusal(&r, &k, c);
	expected_stream(2, s);
	for (unsigned int port = 0; port < 2; port++) {
		size_t base = K_HDR + port * K_PORT;

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			/* Port 1 is in DLAB: its LCR cases differ. */
			if (port == 1 &&
			    (bad[i].off == K_DLAB ||
			     bad[i].off == K_REGS + UART_LCR ||
			     bad[i].off == K_HEAD || bad[i].off == K_COUNT ||
			     bad[i].off == K_MAX_FIFO ||
			     bad[i].off == K_TRIGGER || bad[i].off == K_FCR))
				continue;
			/* The write that completes the port is refused. */
			memcpy(b, s, sizeof(s));
			b[base + bad[i].off] = bad[i].v;
			assert_int_equal(mig_feed(c->dev, b, base + K_PORT),
					 -EINVAL);
			assert_int_equal(uvfio_device_reset(c->dev), 0);
			refused_with(&r, s, sizeof(s), base + bad[i].off,
				     bad[i].v, bad[i].says);
		}
	}
	/* Port 1's own: DLAB against LCR, its FIFO of one. */
	refused_with(&r, s, sizeof(s), K_HDR + K_PORT + K_DLAB, 0,
		     "port 1: DLAB 0 but LCR 0x83");
	refused_with(&r, s, sizeof(s), K_HDR + K_PORT + K_MAX_FIFO, 16,
		     "port 1: FCR 0x00, FIFO size 16 and trigger level 1");
	refused_with(&r, s, sizeof(s), K_HDR + K_PORT + K_COUNT, 2,
		     "port 1: FIFO head 1, tail 0 and count 2 disagree");
	refusal_free(&r);
	card_free(c);
}

/*
 * Short streams: RESUMING -> STOP fails with -EINVAL (the kernel's
 * answer) and the card keeps its state; the rest of the bytes complete it.
 */
static void test_short_stream(void **state)
{
	struct card *src = card_new("kmtty-src", 2, MTTY_STREAM_KERNEL);
	struct card *dst = card_new("kmtty-dst", 2, MTTY_STREAM_KERNEL);
	uint8_t s[STREAM_MAX];
	struct refusal r;
	struct kept k;
	size_t len;

	(void)state;
	make_state(src);
	len = mig_save(src->dev, s, PIECE);
	setup_refusal(&r, &k, dst);
	for (size_t cut = 0; cut < len - 1; cut++)
		refused(&r, s, cut);
	refused_saying(&r, s, len - 1,
		       "95 bytes of the 96 of a 2-port kernel stream");
	/* Short, then completed in the same session. */
	assert_int_equal(mig_feed(dst->dev, s, 50), 50);
	assert_int_equal(mig_set(dst->dev, ST_STOP), -EINVAL);
	assert_int_equal(mig_get(dst->dev), ST_RESUMING);
	assert_int_equal(uvfio_migration_write(
				 dst->dev, uvfio_migration_session(dst->dev),
				 s + 50, len - 50),
			 (ssize_t)(len - 50));
	mig_go(dst->dev, ST_STOP);
	refusal_free(&r);
	card_free(src);
	card_free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_precopy),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_thri_as_the_kernel_shows_it),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_other_card_refused),
		cmocka_unit_test(test_port_refused),
		cmocka_unit_test(test_short_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
