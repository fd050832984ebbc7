// SPDX-License-Identifier: MIT
/*
 * The migration stream codec (docs/migration-stream.md): the byte queue a
 * save appends to, the writers of the header and sections, and the
 * incremental parser that checks everything before a section reaches the
 * device.
 *
 * Every integer is written and read byte by byte, little-endian, so the
 * code does not depend on the host's byte order or alignment.
 *
 * The parser works on one unit at a time: the fixed part of the header,
 * the whole header, a section header, then the section's payload and CRC.
 * A unit's length is checked before any byte of it is buffered, and the
 * buffer grows only as bytes arrive, so a lying length costs nothing and
 * memory stays bounded by one section (UVFIO_MIG_SECTION_MAX plus its
 * header and CRC).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

#include "stream.h"

/* Header: magic, major, minor, length, ids, revision, name lengths. */
#define HDR_FIXED 28
#define HDR_CRC 4
/*
 * Bound on the header length: a later minor version may append optional
 * fields after the names, which this loader skips (docs: "Versions").
 */
#define HDR_MAX 4096
#define SEC_HDR 20
#define SEC_CRC 4

#define KIND_DATA 1
#define KIND_END 2

#define REASON_MAX 640

/* ---- little-endian helpers ---- */

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- CRC32C ---- */

uint32_t mig_crc32c(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;

	/*
	 * ISA-L's crc32_iscsi() neither pre- nor post-inverts: the standard
	 * CRC32C (check value 0xe3069283) is ~crc32_iscsi(buf, len, ~0), and
	 * passing ~crc continues a previous result.  It takes an int length.
	 */
	crc = ~crc;
	while (len) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;

		crc = crc32_iscsi((unsigned char *)p, (int)n, crc);
		p += n;
		len -= n;
	}
	return ~crc;
}

/* ---- byte queue ---- */

void mig_buf_init(struct mig_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void mig_buf_release(struct mig_buf *b)
{
	free(b->data);
	mig_buf_init(b);
}

size_t mig_buf_pending(const struct mig_buf *b)
{
	return b->len - b->rpos;
}

size_t mig_buf_read(struct mig_buf *b, void *out, size_t len)
{
	size_t n = mig_buf_pending(b);

	if (n > len)
		n = len;
	if (n)
		memcpy(out, b->data + b->rpos, n);
	b->rpos += n;
	if (b->rpos == b->len)
		b->rpos = b->len = 0; /* drained: reuse the space */
	return n;
}

/*
 * Room for @n more bytes at the end.  Consumed bytes are reclaimed first
 * when they are at least half of what is stored; then the queue grows
 * geometrically.  Nothing changes on failure.
 */
static uint8_t *mig_buf_reserve(struct mig_buf *b, size_t n)
{
	if (b->rpos && b->rpos >= b->len / 2) {
		memmove(b->data, b->data + b->rpos, b->len - b->rpos);
		b->len -= b->rpos;
		b->rpos = 0;
	}
	if (n > SIZE_MAX - b->len)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap > SIZE_MAX / 2 ? SIZE_MAX : b->cap * 2;
		uint8_t *data;

		if (cap < 4096)
			cap = 4096;
		if (cap < b->len + n)
			cap = b->len + n;
		data = realloc(b->data, cap);
		if (!data)
			return NULL;
		b->data = data;
		b->cap = cap;
	}
	return b->data + b->len;
}

int mig_buf_append(struct mig_buf *b, const void *data, size_t len)
{
	uint8_t *p = len ? mig_buf_reserve(b, len) : NULL;

	if (len && !p)
		return -ENOMEM;
	if (len)
		memcpy(p, data, len);
	b->len += len;
	return 0;
}

/* ---- writers ---- */

/* Length of a valid name (1..MIG_NAME_MAX), or 0. */
static size_t name_len(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strnlen(s, MIG_NAME_MAX + 1);
	return n <= MIG_NAME_MAX ? n : 0;
}

int mig_stream_put_header(struct mig_buf *b,
			  const struct uvfio_mig_identity *id)
{
	size_t tlen, clen, hlen;
	uint8_t *p;

	if (!b || !id)
		return -EINVAL;
	tlen = name_len(id->type);
	clen = name_len(id->compat);
	if (!tlen || !clen)
		return -EINVAL;
	hlen = HDR_FIXED + tlen + clen + HDR_CRC;
	p = mig_buf_reserve(b, hlen);
	if (!p)
		return -ENOMEM;
	memcpy(p, MIG_STREAM_MAGIC, 8);
	put_le16(p + 8, MIG_STREAM_MAJOR);
	put_le16(p + 10, MIG_STREAM_MINOR);
	put_le32(p + 12, (uint32_t)hlen);
	put_le16(p + 16, id->vendor);
	put_le16(p + 18, id->device);
	put_le16(p + 20, id->subsystem_vendor);
	put_le16(p + 22, id->subsystem);
	p[24] = id->revision;
	p[25] = (uint8_t)tlen;
	p[26] = (uint8_t)clen;
	p[27] = 0;
	memcpy(p + HDR_FIXED, id->type, tlen);
	memcpy(p + HDR_FIXED + tlen, id->compat, clen);
	put_le32(p + hlen - HDR_CRC, mig_crc32c(0, p, hlen - HDR_CRC));
	b->len += hlen;
	return 0;
}

static int put_section(struct mig_buf *b, uint16_t kind, uint32_t seq,
		       uint16_t type, uint8_t phase, const struct iovec *iov,
		       unsigned int iovcnt, size_t len)
{
	size_t total = SEC_HDR + len + SEC_CRC, off = SEC_HDR;
	uint8_t *p = mig_buf_reserve(b, total);

	if (!p)
		return -ENOMEM;
	put_le16(p, kind);
	put_le16(p + 2, type);
	p[4] = phase;
	p[5] = 0;	    /* flags */
	put_le16(p + 6, 0); /* reserved */
	put_le32(p + 8, seq);
	put_le64(p + 12, len);
	for (unsigned int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(p + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	put_le32(p + SEC_HDR + len, mig_crc32c(0, p, SEC_HDR + len));
	b->len += total;
	return 0;
}

int mig_stream_put_sectionv(struct mig_buf *b, uint32_t seq, uint16_t type,
			    enum uvfio_mig_phase phase, const struct iovec *iov,
			    unsigned int iovcnt)
{
	size_t len = 0;

	if (!b || !type || phase < UVFIO_MIG_INITIAL ||
	    phase > UVFIO_MIG_FINAL || (iovcnt && !iov))
		return -EINVAL;
	for (unsigned int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > UVFIO_MIG_SECTION_MAX - len ||
		    (iov[i].iov_len && !iov[i].iov_base))
			return -EINVAL;
		len += iov[i].iov_len;
	}
	return put_section(b, KIND_DATA, seq, type, (uint8_t)phase, iov, iovcnt,
			   len);
}

int mig_stream_put_section(struct mig_buf *b, uint32_t seq, uint16_t type,
			   enum uvfio_mig_phase phase, const void *data,
			   size_t len)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };

	return mig_stream_put_sectionv(b, seq, type, phase, &iov, 1);
}

int mig_stream_put_end(struct mig_buf *b, uint32_t seq)
{
	if (!b)
		return -EINVAL;
	return put_section(b, KIND_END, seq, 0, 0, NULL, 0, 0);
}

/* ---- parser ---- */

enum stage {
	ST_HDR_FIXED, /* the first HDR_FIXED bytes */
	ST_HDR,	      /* the rest of the header, to its length */
	ST_SEC_HDR,   /* a section header */
	ST_SEC_BODY,  /* its payload and CRC */
	ST_DONE,      /* END seen */
	ST_FAILED,
};

struct mig_parser {
	const struct uvfio_mig_identity *expect;
	mig_section_fn fn;
	void *opaque;

	enum stage stage;
	int err; /* when ST_FAILED */
	char reason[REASON_MAX];

	/* The unit being assembled: @have of @need bytes. */
	uint8_t *buf;
	size_t have, need, cap;
	/* The section checked: in @buf, or where it lies in the input. */
	const uint8_t *unit;

	uint64_t seq;  /* the next section's sequence number */
	uint8_t phase; /* the latest DATA phase seen, 0 before any */
	/* The section being read, from its header. */
	uint16_t kind, type;
	uint8_t sec_phase;
	size_t plen;
};

static const char *phase_name(unsigned int phase)
{
	static const char *const names[] = {
		[UVFIO_MIG_INITIAL] = "INITIAL",
		[UVFIO_MIG_DIRTY] = "DIRTY",
		[UVFIO_MIG_FINAL] = "FINAL",
	};

	return phase < sizeof(names) / sizeof(names[0]) && names[phase] ?
		       names[phase] :
		       "?";
}

__attribute__((format(printf, 3, 4))) static int
fail(struct mig_parser *p, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->stage = ST_FAILED;
	p->err = err;
	return err;
}

/*
 * A name from the stream, quoted for a one-line message: printable ASCII
 * as is, anything else (and quotes and backslashes) escaped.
 */
static const char *quote(char *out, size_t size, const uint8_t *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < size; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x",
					      s[i]);
	}
	out[o] = '\0';
	return out;
}

struct mig_parser *mig_parser_new(const struct uvfio_mig_identity *expect,
				  mig_section_fn fn, void *opaque)
{
	struct mig_parser *p;

	if (!expect)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->expect = expect;
	p->fn = fn;
	p->opaque = opaque;
	p->stage = ST_HDR_FIXED;
	p->need = HDR_FIXED;
	return p;
}

void mig_parser_free(struct mig_parser *p)
{
	if (!p)
		return;
	free(p->buf);
	free(p);
}

bool mig_parser_complete(const struct mig_parser *p)
{
	return p && p->stage == ST_DONE;
}

/* Room for @total bytes of the current unit (at most p->need). */
static int reserve(struct mig_parser *p, size_t total)
{
	size_t cap;
	uint8_t *buf;

	if (total <= p->cap)
		return 0;
	cap = p->cap < 256 ? 256 : p->cap;
	while (cap < total)
		cap *= 2;
	if (cap > p->need) /* small units get 256 bytes at once */
		cap = p->need > 256 ? p->need : 256;
	buf = realloc(p->buf, cap);
	if (!buf)
		return -ENOMEM;
	p->buf = buf;
	p->cap = cap;
	return 0;
}

/* The fixed part of the header is in: find the header's length. */
static int check_fixed(struct mig_parser *p)
{
	const uint8_t *h = p->buf;
	uint16_t major = get_le16(h + 8), minor = get_le16(h + 10);
	uint32_t hlen = get_le32(h + 12);
	size_t tlen = h[25], clen = h[26];
	size_t implied = HDR_FIXED + tlen + clen + HDR_CRC;

	if (major != MIG_STREAM_MAJOR)
		return fail(p, -EINVAL,
			    "stream format version %u.%u, this loader reads "
			    "%u.x",
			    major, minor, MIG_STREAM_MAJOR);
	if (!tlen || tlen > MIG_NAME_MAX)
		return fail(p, -EINVAL, "device type length %zu, must be 1..%u",
			    tlen, MIG_NAME_MAX);
	if (!clen || clen > MIG_NAME_MAX)
		return fail(p, -EINVAL, "compat length %zu, must be 1..%u",
			    clen, MIG_NAME_MAX);
	if (hlen > HDR_MAX)
		return fail(p, -EINVAL,
			    "header length %u exceeds the maximum %u", hlen,
			    HDR_MAX);
	/* Version 1.0 has nothing after the names; later minors may. */
	if (hlen < implied || (minor == 0 && hlen != implied))
		return fail(p, -EINVAL,
			    "header length %u, the type and compat lengths "
			    "imply %zu",
			    hlen, implied);
	p->need = hlen;
	p->stage = ST_HDR;
	return 0;
}

static int check_name(struct mig_parser *p, const char *what, const uint8_t *s,
		      size_t n, const char *want)
{
	char a[4 * MIG_NAME_MAX + 1], b[4 * MIG_NAME_MAX + 1];
	const uint8_t *nul = memchr(s, 0, n);
	size_t wlen = want ? strlen(want) : 0;

	if (nul)
		return fail(p, -EINVAL, "%s \"%s\" has a NUL at byte %zu", what,
			    quote(a, sizeof(a), s, n), (size_t)(nul - s));
	if (wlen != n || memcmp(s, want, n))
		return fail(p, -EINVAL, "stream %s \"%s\", this device \"%s\"",
			    what, quote(a, sizeof(a), s, n),
			    quote(b, sizeof(b), (const uint8_t *)want,
				  wlen < MIG_NAME_MAX ? wlen : MIG_NAME_MAX));
	return 0;
}

/* The whole header is in: CRC, then what it says. */
static int check_header(struct mig_parser *p)
{
	const struct uvfio_mig_identity *e = p->expect;
	const uint8_t *h = p->buf;
	size_t hlen = p->need, tlen = h[25], clen = h[26];
	uint32_t crc = get_le32(h + hlen - HDR_CRC);
	uint32_t calc = mig_crc32c(0, h, hlen - HDR_CRC);
	uint16_t vendor = get_le16(h + 16), device = get_le16(h + 18);
	uint16_t svendor = get_le16(h + 20), subsys = get_le16(h + 22);
	int ret;

	if (crc != calc)
		return fail(p, -EINVAL, "header CRC32C 0x%08x, computed 0x%08x",
			    crc, calc);
	if (h[27])
		return fail(p, -EINVAL,
			    "header reserved byte 0x%02x, must be 0", h[27]);
	if (vendor != e->vendor || device != e->device)
		return fail(p, -EINVAL,
			    "stream is for device %04x:%04x, this is %04x:%04x",
			    vendor, device, e->vendor, e->device);
	if (svendor != e->subsystem_vendor || subsys != e->subsystem)
		return fail(p, -EINVAL,
			    "stream is for subsystem %04x:%04x, this is "
			    "%04x:%04x",
			    svendor, subsys, e->subsystem_vendor, e->subsystem);
	if (h[24] != e->revision)
		return fail(p, -EINVAL,
			    "stream is for revision 0x%02x, this is 0x%02x",
			    h[24], e->revision);
	ret = check_name(p, "device type", h + HDR_FIXED, tlen, e->type);
	if (!ret)
		ret = check_name(p, "compat", h + HDR_FIXED + tlen, clen,
				 e->compat);
	if (ret)
		return ret;
	p->stage = ST_SEC_HDR;
	p->have = 0;
	p->need = SEC_HDR;
	return 0;
}

/*
 * A section header is in: check everything it says before its payload
 * is read, above all the length.
 */
static int check_section_header(struct mig_parser *p)
{
	const uint8_t *s = p->unit;
	uint16_t kind = get_le16(s), type = get_le16(s + 2);
	uint8_t phase = s[4], flags = s[5];
	uint16_t reserved = get_le16(s + 6);
	uint32_t seq = get_le32(s + 8);
	uint64_t len = get_le64(s + 12);
	uint64_t n = p->seq;

	if (n > UINT32_MAX)
		return fail(p, -EINVAL, "more than 2^32 sections");
	if (seq != n)
		return fail(p, -EINVAL,
			    "section sequence %u, expected %llu (sections "
			    "reordered, duplicated or lost)",
			    seq, (unsigned long long)n);
	if (kind != KIND_DATA && kind != KIND_END)
		return fail(p, -EINVAL, "section %llu: unknown kind %u",
			    (unsigned long long)n, kind);
	if (flags)
		return fail(p, -EINVAL, "section %llu: flags 0x%02x, must be 0",
			    (unsigned long long)n, flags);
	if (reserved)
		return fail(p, -EINVAL,
			    "section %llu: reserved field 0x%04x, must be 0",
			    (unsigned long long)n, reserved);
	if (kind == KIND_END) {
		if (type || phase || len)
			return fail(p, -EINVAL,
				    "END section %llu: type %u, phase %u, "
				    "length %llu, all must be 0",
				    (unsigned long long)n, type, phase,
				    (unsigned long long)len);
	} else {
		if (!type)
			return fail(p, -EINVAL,
				    "section %llu: type 0 is reserved",
				    (unsigned long long)n);
		if (phase < UVFIO_MIG_INITIAL || phase > UVFIO_MIG_FINAL)
			return fail(p, -EINVAL,
				    "section %llu: phase %u, must be 1..3",
				    (unsigned long long)n, phase);
		if (phase < p->phase)
			return fail(p, -EINVAL,
				    "section %llu: phase %s after %s",
				    (unsigned long long)n, phase_name(phase),
				    phase_name(p->phase));
		if (len > UVFIO_MIG_SECTION_MAX)
			return fail(p, -EINVAL,
				    "section %llu: length %llu exceeds the "
				    "maximum %u",
				    (unsigned long long)n,
				    (unsigned long long)len,
				    UVFIO_MIG_SECTION_MAX);
	}
	p->kind = kind;
	p->type = type;
	p->sec_phase = phase;
	p->plen = (size_t)len;
	p->need = SEC_HDR + p->plen + SEC_CRC;
	p->stage = ST_SEC_BODY;
	return 0;
}

/* A whole section is in: CRC, then hand it to the device. */
static int finish_section(struct mig_parser *p)
{
	size_t body = SEC_HDR + p->plen;
	uint32_t crc = get_le32(p->unit + body);
	uint32_t calc = mig_crc32c(0, p->unit, body);
	unsigned long long n = p->seq;
	int ret;

	if (crc != calc)
		return fail(p, -EINVAL,
			    "section %llu: CRC32C 0x%08x, computed 0x%08x", n,
			    crc, calc);
	p->seq++;
	if (p->kind == KIND_END) {
		p->stage = ST_DONE;
		return 0;
	}
	p->phase = p->sec_phase;
	if (p->fn) {
		ret = p->fn(p->opaque, p->type,
			    (enum uvfio_mig_phase)p->sec_phase,
			    p->unit + SEC_HDR, p->plen);
		if (ret)
			return fail(p, ret < 0 ? ret : -EINVAL,
				    "section %llu (type %u, %s, %zu bytes): "
				    "the device refused it (%d)",
				    n, p->type, phase_name(p->sec_phase),
				    p->plen, ret);
	}
	/* The buffer (sections that came in pieces) stays for the next
	 * one, of the same size for most devices: faulting in fresh pages
	 * for each cost more than the copy.  At most the largest section,
	 * for one session: the parser's life. */
	p->stage = ST_SEC_HDR;
	p->have = 0;
	p->need = SEC_HDR;
	return 0;
}

static int advance(struct mig_parser *p)
{
	switch (p->stage) {
	case ST_HDR_FIXED:
		return check_fixed(p);
	case ST_HDR:
		return check_header(p);
	case ST_SEC_HDR:
		return check_section_header(p);
	case ST_SEC_BODY:
		return finish_section(p);
	default:
		return fail(p, -EINVAL, "internal error: parser stage %d",
			    p->stage);
	}
}

/*
 * A section that starts at @data: checked and handed over where it lies
 * when it is all there (1 when done), else its header is taken and the
 * rest is assembled as usual (0).
 */
static int feed_whole(struct mig_parser *p, const uint8_t *data, size_t len)
{
	int ret;

	p->unit = data;
	ret = check_section_header(p);
	if (ret)
		return ret;
	if (len >= p->need) {
		ret = finish_section(p);
		return ret ? ret : 1;
	}
	if (reserve(p, SEC_HDR))
		return fail(p, -ENOMEM, "out of memory for a %zu-byte unit",
			    p->need);
	memcpy(p->buf, data, SEC_HDR);
	p->have = SEC_HDR;
	return 0;
}

static int feed(struct mig_parser *p, const uint8_t *data, size_t len)
{
	while (len) {
		size_t take = p->need - p->have;
		int ret;

		if (p->stage == ST_DONE)
			return fail(p, -EINVAL,
				    "%zu byte%s after the END section", len,
				    len == 1 ? "" : "s");
		/* Sections that arrive whole are not copied. */
		if (p->stage == ST_SEC_HDR && !p->have && len >= SEC_HDR) {
			size_t used;

			ret = feed_whole(p, data, len);
			if (ret < 0)
				return ret;
			/* finish_section() reset need: use the header's. */
			used = ret ? SEC_HDR + p->plen + SEC_CRC : SEC_HDR;
			data += used;
			len -= used;
			continue;
		}
		if (take > len)
			take = len;
		if (reserve(p, p->have + take))
			return fail(p, -ENOMEM,
				    "out of memory for a %zu-byte unit",
				    p->need);
		memcpy(p->buf + p->have, data, take);
		p->have += take;
		data += take;
		len -= take;
		if (p->stage == ST_HDR_FIXED) {
			size_t m = p->have < 8 ? p->have : 8;

			if (memcmp(p->buf, MIG_STREAM_MAGIC, m)) {
				char q[4 * 8 + 8];

				return fail(
					p, -EINVAL,
					"bad magic \"%s\", expected \"%s\": "
					"not a uvfio migration stream",
					quote(q, sizeof(q), p->buf, m),
					MIG_STREAM_MAGIC);
			}
		}
		if (p->have < p->need)
			continue;
		p->unit = p->buf;
		ret = advance(p);
		if (ret)
			return ret;
	}
	return 0;
}

int mig_parser_feed(struct mig_parser *p, const void *data, size_t len,
		    char *why, size_t why_len)
{
	int ret;

	if (!p || (len && !data)) {
		if (why && why_len)
			snprintf(why, why_len, "no parser or no data");
		return -EINVAL;
	}
	if (p->stage == ST_FAILED) {
		if (why && why_len)
			snprintf(why, why_len, "stream already refused: %s",
				 p->reason);
		return p->err;
	}
	ret = feed(p, data, len);
	if (ret && why && why_len)
		snprintf(why, why_len, "%s", p->reason);
	return ret;
}
