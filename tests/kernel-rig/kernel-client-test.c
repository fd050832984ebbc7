// SPDX-License-Identifier: MIT
/*
 * kernel-client-test DEVICE: the client library's kernel backend against a
 * real device of the kernel's VFIO ("vfio:BDF" on vfio-pci, "mdev:UUID"),
 * for what the device suites do not reach: the group's exclusivity, the
 * VF token on a device that has none, the container's DMA calls and its
 * dirty page tracking, and mmap of a BAR.  Runs inside the kernel rig.
 * Prints TAP; exits 0 iff no test failed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uvfio/client.h>
#include <uvfio/dma.h>

#include "suite.h"

#define CONFIG UVFIO_PCI_CONFIG_REGION_INDEX
#define IOVA 0x100000ull
#define PAGES 8
#define PAGE 4096ull

struct ctx {
	const char *name;
	bool pci;
	struct uvfio_client *c;
	struct uvfio_client_buffer mem;
	const char *skip_reason;
};

static enum result test_info(struct ctx *t)
{
	struct uvfio_device_info info;
	struct uvfio_region_info *ri;
	uint32_t id;
	int ret = uvfio_client_device_info(t->c, &info);

	CHECK(!ret, "DEVICE_GET_INFO: %s", strerror(-ret));
	CHECK(info.flags & UVFIO_DEVICE_FLAGS_PCI, "flags 0x%x", info.flags);
	CHECK(info.num_regions >= 9 && info.num_irqs >= 5,
	      "%u regions, %u irqs", info.num_regions, info.num_irqs);
	ret = uvfio_client_region_info(t->c, CONFIG, &ri);
	CHECK(!ret, "config region info: %s", strerror(-ret));
	free(ri);
	CHECK(uvfio_client_region_read(t->c, CONFIG, 0, &id, 4) == 4,
	      "config read");
	CHECK(id != 0xffffffffu && id, "IDs 0x%08x", id);
	return PASS;
}

/* The group's node opens once: a second open of the device is refused. */
static enum result test_group_busy(struct ctx *t)
{
	struct uvfio_client *c2 = uvfio_client_open(t->name, NULL);
	const char *why = uvfio_client_open_error();
	int err = errno;

	if (c2)
		uvfio_client_close(c2);
	CHECK(!c2, "a second open succeeded");
	CHECK(err == EBUSY, "errno %d (%s)", err, strerror(err));
	CHECK(why && strstr(why, "in use"), "said: %s", why ? why : "nothing");
	return PASS;
}

/*
 * A token for a device that is neither PF nor VF: vfio-pci refuses it
 * (EINVAL); an mdev's name does not match with a token appended (its
 * device is not found: ENODEV).  Needs the group free: done closed.
 */
static enum result test_vf_token_refused(struct ctx *t)
{
	struct uvfio_client_opts opts = {
		.vf_token = "2a0e53a6-c5ef-4ab4-a55e-3b6c1c36e1a5",
	};
	struct uvfio_client *c2;
	int err, want = t->pci ? EINVAL : ENODEV;

	uvfio_client_close(t->c);
	c2 = uvfio_client_open(t->name, &opts);
	err = errno;
	if (c2)
		uvfio_client_close(c2);
	t->c = uvfio_client_open(t->name, NULL);
	CHECK(t->c, "reopen: %s", strerror(errno));
	CHECK(!c2, "opened with a token");
	CHECK(err == want, "errno %d (%s), expected %d", err, strerror(err),
	      want);
	return PASS;
}

static enum result test_dma(struct ctx *t)
{
	int ret = uvfio_client_dma_map(t->c, IOVA, t->mem.size,
				       UVFIO_DMA_READ | UVFIO_DMA_WRITE,
				       t->mem.fd, 0, t->mem.addr);

	CHECK(!ret, "MAP_DMA: %s", strerror(-ret));
	/* The same IOVA again overlaps: type1 says EEXIST. */
	ret = uvfio_client_dma_map(t->c, IOVA, PAGE, UVFIO_DMA_READ, t->mem.fd,
				   0, t->mem.addr);
	CHECK(ret == -EEXIST, "overlapping MAP_DMA: %d", ret);
	ret = uvfio_client_dma_unmap(t->c, IOVA, t->mem.size);
	CHECK(!ret, "UNMAP_DMA: %s", strerror(-ret));
	for (uint64_t i = 0; i < 3; i++) {
		ret = uvfio_client_dma_map(t->c, IOVA + i * 2 * PAGE, PAGE,
					   UVFIO_DMA_READ, t->mem.fd, 0,
					   (uint8_t *)t->mem.addr + i * PAGE);
		CHECK(!ret, "MAP_DMA %lu: %s", (unsigned long)i,
		      strerror(-ret));
	}
	ret = uvfio_client_dma_unmap_all(t->c);
	CHECK(!ret, "UNMAP_DMA(ALL): %s", strerror(-ret));
	ret = uvfio_client_dma_map(t->c, IOVA, PAGE, UVFIO_DMA_READ, t->mem.fd,
				   0, t->mem.addr);
	CHECK(!ret, "MAP_DMA after unmap-all: %s", strerror(-ret));
	ret = uvfio_client_dma_unmap(t->c, IOVA, PAGE);
	CHECK(!ret, "UNMAP_DMA: %s", strerror(-ret));
	return PASS;
}

static unsigned int bits(const uint64_t *map, unsigned int n)
{
	unsigned int set = 0;

	for (unsigned int i = 0; i < n; i++)
		set += (map[i / 64] >> (i % 64)) & 1;
	return set;
}

/*
 * Type1's dirty tracking: a device behind a real IOMMU may write any page
 * it can reach, so every mapped page is dirty; an mdev's group tracks the
 * pages its driver pinned, and mtty pins none.  Reading clears the map:
 * the second read reports what happened since the first.
 */
static enum result test_dirty(struct ctx *t)
{
	uint64_t map[1] = { 0 };
	unsigned int want = t->pci ? PAGES : 0;
	int ret = uvfio_client_dma_map(t->c, IOVA, t->mem.size,
				       UVFIO_DMA_READ | UVFIO_DMA_WRITE,
				       t->mem.fd, 0, t->mem.addr);

	CHECK(!ret, "MAP_DMA: %s", strerror(-ret));
	ret = uvfio_client_dirty_bitmap(t->c, IOVA, t->mem.size, PAGE, map);
	CHECK(ret == -EINVAL, "GET_BITMAP before START: %d", ret);
	ret = uvfio_client_dirty_start(t->c);
	CHECK(!ret, "DIRTY_PAGES START: %s", strerror(-ret));
	ret = uvfio_client_dirty_bitmap(t->c, IOVA, t->mem.size, PAGE, map);
	CHECK(!ret, "GET_BITMAP: %s", strerror(-ret));
	CHECK(bits(map, PAGES) == want, "%u of %u pages dirty, expected %u",
	      bits(map, PAGES), PAGES, want);
	ret = uvfio_client_dirty_stop(t->c);
	CHECK(!ret, "DIRTY_PAGES STOP: %s", strerror(-ret));
	ret = uvfio_client_dma_unmap(t->c, IOVA, t->mem.size);
	CHECK(!ret, "UNMAP_DMA: %s", strerror(-ret));
	return PASS;
}

/* BAR0 through mmap reads what region reads do (edu's ID register). */
static enum result test_mmap(struct ctx *t)
{
	struct uvfio_region_info *ri;
	uint32_t by_read;
	volatile uint32_t *bar;
	void *p;
	int ret = uvfio_client_region_info(t->c, 0, &ri);
	uint32_t flags = ret ? 0 : ri->flags;

	CHECK(!ret, "BAR0 info: %s", strerror(-ret));
	free(ri);
	if (!(flags & UVFIO_REGION_INFO_FLAG_MMAP)) {
		ret = uvfio_client_region_mmap(t->c, 0, 0, PAGE, PROT_READ, &p);
		CHECK(ret == -EINVAL, "mmap of a BAR without MMAP: %d", ret);
		t->skip_reason =
			"BAR0 cannot be mapped (refused, as it should)";
		return SKIP;
	}
	ret = uvfio_client_region_mmap(t->c, 0, 0, PAGE, PROT_READ | PROT_WRITE,
				       &p);
	CHECK(!ret, "mmap BAR0: %s", strerror(-ret));
	bar = p;
	CHECK(uvfio_client_region_read(t->c, 0, 0, &by_read, 4) == 4,
	      "BAR0 read");
	CHECK(bar[0] == by_read, "mapped 0x%08x, read 0x%08x", bar[0], by_read);
	munmap(p, PAGE);
	return PASS;
}

/* The migration feature: probed, and consistent with its GET. */
static enum result test_mig_probe(struct ctx *t)
{
	uint8_t buf[sizeof(struct uvfio_device_feature)];
	struct uvfio_device_feature hdr = {
		.argsz = sizeof(hdr),
		.flags = UVFIO_DEVICE_FEATURE_PROBE | UVFIO_DEVICE_FEATURE_GET |
			 UVFIO_DEVICE_FEATURE_MIGRATION,
	};
	uint64_t flags;
	int probe, get;

	memcpy(buf, &hdr, sizeof(hdr));
	probe = uvfio_client_feature(t->c, (struct uvfio_device_feature *)buf);
	get = uvfio_client_mig_flags(t->c, &flags);
	CHECK(probe == 0 || probe == -ENOTTY, "PROBE: %d", probe);
	CHECK((probe == 0) == (get == 0), "PROBE %d but GET %d", probe, get);
	if (!get)
		CHECK(flags & UVFIO_MIGRATION_STOP_COPY, "flags 0x%lx",
		      (unsigned long)flags);
	diag("migration: %s", probe ? "none" : "supported");
	return PASS;
}

static const struct {
	const char *name;
	enum result (*fn)(struct ctx *t);
} tests[] = {
	{ "device and config region info", test_info },
	{ "a second open finds the group in use", test_group_busy },
	{ "a VF token for a device without one is refused",
	  test_vf_token_refused },
	{ "DMA map, unmap, unmap-all", test_dma },
	{ "type1 dirty page tracking", test_dirty },
	{ "BAR0 through mmap", test_mmap },
	{ "migration feature probe", test_mig_probe },
};

int main(int argc, char **argv)
{
	struct ctx t = { 0 };
	int failed = 0;

	if (argc != 2) {
		fprintf(stderr,
			"usage: kernel-client-test vfio:BDF|mdev:UUID\n");
		return 2;
	}
	t.name = argv[1];
	t.pci = !strncmp(t.name, "vfio:", 5);
	printf("1..%zu\n", ARRAY_SIZE(tests));
	t.c = uvfio_client_open(t.name, NULL);
	if (!t.c || uvfio_client_buffer_alloc(PAGES * PAGE, &t.mem)) {
		const char *why = uvfio_client_open_error();

		printf("Bail out! %s: %s\n", t.name,
		       why ? why : strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
		enum result r;

		t.skip_reason = NULL;
		r = t.c ? tests[i].fn(&t) : FAIL;
		tap_result((unsigned int)i + 1, tests[i].name, r,
			   t.skip_reason);
		failed |= r == FAIL;
	}
	uvfio_client_buffer_free(&t.mem);
	uvfio_client_close(t.c);
	return failed;
}
