/* SPDX-License-Identifier: MIT */
/*
 * A device for transport tests: a register region whose doorbell makes the
 * device DMA, a memory region with a sparse mmap area, INTx and MSI, a
 * feature, and reset.
 */
#ifndef UVFIO_TESTS_TESTDEV_H
#define UVFIO_TESTS_TESTDEV_H

#include <uvfio/uvfio.h>

#define TESTDEV_REGS 0
#define TESTDEV_MEM 1
#define TESTDEV_REGS_SIZE 0x1000
#define TESTDEV_MEM_SIZE 0x4000

/* Registers (u64 each) */
#define TESTDEV_DMA_IOVA 0x100 /* where the doorbell DMAs to/from */
#define TESTDEV_DMA_LEN 0x108
#define TESTDEV_DMA_GO 0x110	 /* write 1: device writes pattern; 2: reads */
#define TESTDEV_DMA_RESULT 0x118 /* 0 or the positive errno */
#define TESTDEV_DMA_SUM 0x120	 /* byte sum of what a read DMA fetched */

#define TESTDEV_FEATURE 0x4000 /* a private feature: GET/SET a u64 */
#define TESTDEV_PATTERN(i) ((uint8_t)(0xa5 ^ (i)))

struct testdev {
	uint8_t regs[TESTDEV_REGS_SIZE];
	uint64_t feature_value;
	unsigned int resets;
};

struct uvfio_device *testdev_new(const char *name, struct testdev *state);

/*
 * Test devices <tag>0 and <tag>1, and a directory of their own for their
 * sockets, /tmp/uvfio-<tag>-XXXXXX: path[] and srv once served (test_serve).
 */
struct testdev_pair {
	char dir[64];
	char path[2][96];
	struct testdev state[2];
	struct uvfio_device *dev[2];
	struct uvfio_server *srv;
};

/* The devices log at @log_level; below 0, at their default threshold. */
struct testdev_pair *testdev_pair_new(const char *tag, int log_level);

/* The server, if any, the devices, the directory. */
void testdev_pair_free(struct testdev_pair *p);

#endif /* UVFIO_TESTS_TESTDEV_H */
