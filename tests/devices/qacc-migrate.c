// SPDX-License-Identifier: MIT
/*
 * A qacc VF migrates between two uvfiods while its guest keeps submitting
 * work: every operation completes exactly once, on one side or the other,
 * with the right result.
 *
 * The guest (the "vCPU" thread) submits copies and CRC32Cs with unique
 * tags as fast as the ring takes them and checks each completion as it
 * comes: its tag seen once, its status OK, its bytes or checksum right.
 * Meanwhile the VMM (the main thread) migrates the VF as QEMU does:
 * PRE_COPY while the guest runs; PRE_COPY_P2P, where the VF takes MMIO but
 * no work, so the guest fills its ring with ops the source never starts;
 * the VM stops, STOP_COPY on the source, the destination loads and runs,
 * and the guest resumes there, its MMIO now going to the destination,
 * until the destination has completed 1000 more ops.  Guest memory is
 * shared by both sides, as the VMM's copy of RAM would make it.  Nothing
 * depends on how fast either side is: the source must have done exactly
 * what was submitted before the ring filled, the destination the rest.
 *
 * Usage: qacc-migrate unix:SRCDIR/NAME.sock unix:DSTDIR/NAME.sock
 * (PFs with at least one VF each); TAP output.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "qacc/qacc-guest.h"
#include "suite.h"

#define QSIZE 64
#define MAX_OPS (4u << 20) /* far more than a migration takes */
#define AFTER_OPS 1000	   /* ops the destination completes before the end */
#define OP_LEN 16384
#define SRC_AREA (1u << 20) /* sources: random bytes */
#define DST_AREA (2u << 20) /* destinations: one slot per ring entry */

struct vm {
	struct qacc_guest g;
	struct uvfio_client *dev; /* where the guest's MMIO goes now */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pause, paused, finish, failed;
	/* The guest's own counts, and what it last published under lock. */
	uint64_t submitted, completed;
	uint64_t pub_submitted, pub_completed;
	bool stalled; /* the ring full and nothing to take, seen lately */
	uint8_t seen[MAX_OPS];
	char why[256];
};

static uint64_t op_src(uint64_t i)
{
	return (i * 4099) % (SRC_AREA - OP_LEN);
}

static struct qacc_desc op_desc(uint64_t i)
{
	struct qacc_desc d = { .len = OP_LEN, .tag = i };

	d.src = qg_data_iova(op_src(i));
	if (i % 5 == 4) {
		d.opcode = QACC_OP_CRC32C;
	} else {
		d.opcode = QACC_OP_COPY;
		d.dst = qg_data_iova(SRC_AREA + (i % QSIZE) * OP_LEN);
	}
	return d;
}

/* The completion of op @c.tag, checked; false (with a reason) if wrong. */
static bool check_cpl(struct vm *vm, const struct qacc_cpl *c)
{
	struct qacc_guest *g = &vm->g;
	uint64_t i = c->tag;

	if (i >= vm->submitted) {
		snprintf(vm->why, sizeof(vm->why),
			 "completion of op %llu, never submitted",
			 (unsigned long long)i);
		return false;
	}
	if (vm->seen[i]++) {
		snprintf(vm->why, sizeof(vm->why), "op %llu completed twice",
			 (unsigned long long)i);
		return false;
	}
	if (c->status != QACC_ST_OK) {
		snprintf(vm->why, sizeof(vm->why), "op %llu: status %u",
			 (unsigned long long)i, c->status);
		return false;
	}
	if (i % 5 == 4 ? c->result != qg_crc32c(qg_data(g, op_src(i)), OP_LEN) :
			 memcmp(qg_data(g, SRC_AREA + (i % QSIZE) * OP_LEN),
				qg_data(g, op_src(i)), OP_LEN)) {
		snprintf(vm->why, sizeof(vm->why), "op %llu: wrong result",
			 (unsigned long long)i);
		return false;
	}
	return true;
}

static int mmio_write(struct vm *vm, uint32_t reg, uint32_t val)
{
	ssize_t n = uvfio_client_region_write(
		vm->dev, UVFIO_PCI_BAR0_REGION_INDEX, reg, &val, 4);

	return n == 4 ? 0 : -1;
}

/*
 * The guest: takes completions, submits while the ring has room, until
 * the VMM says finish and all it submitted has completed.  It publishes
 * its counts under the lock at every round, and pauses there when the VM
 * stops.
 */
static void *vcpu(void *arg)
{
	struct vm *vm = arg;
	struct qacc_guest *g = &vm->g;
	bool finish = false;

	pthread_mutex_lock(&vm->lock);
	while (!(finish && vm->completed == vm->submitted) && !vm->failed) {
		struct qacc_cpl c;
		bool rang = false, took = false;

		if (vm->pause) {
			vm->paused = true;
			pthread_cond_broadcast(&vm->cond);
			while (vm->pause)
				pthread_cond_wait(&vm->cond, &vm->lock);
			vm->paused = false;
		}
		finish = vm->finish;
		pthread_mutex_unlock(&vm->lock);
		while (qg_take(g, &c)) {
			took = true;
			if (!check_cpl(vm, &c))
				vm->failed = true;
			vm->completed++;
		}
		while (!finish && vm->submitted < MAX_OPS &&
		       vm->submitted - vm->completed < QSIZE - 1) {
			struct qacc_desc d = op_desc(vm->submitted++);

			qg_put(g, &d);
			rang = true;
		}
		if (vm->submitted == MAX_OPS && !finish) {
			snprintf(vm->why, sizeof(vm->why),
				 "the guest ran out of ops before the end");
			vm->failed = true;
		}
		if ((took && mmio_write(vm, QACC_REG_CQ_HEAD, g->cq_head)) ||
		    (rang && mmio_write(vm, QACC_REG_SQ_TAIL, g->sq_tail))) {
			snprintf(vm->why, sizeof(vm->why), "MMIO failed");
			vm->failed = true;
		}
		if (!took && !rang)
			sched_yield();
		pthread_mutex_lock(&vm->lock);
		vm->pub_submitted = vm->submitted;
		vm->pub_completed = vm->completed;
		vm->stalled |= !took &&
			       vm->submitted - vm->completed == QSIZE - 1;
		pthread_cond_broadcast(&vm->cond);
	}
	vm->paused = true; /* done: the VMM waits for nothing more */
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

/* Let the guest run until @n ops completed (or it failed). */
static void run_until(struct vm *vm, uint64_t n)
{
	pthread_mutex_lock(&vm->lock);
	while (vm->pub_completed < n && !vm->failed)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t completed(struct vm *vm)
{
	uint64_t n;

	pthread_mutex_lock(&vm->lock);
	n = vm->pub_completed;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

/*
 * With the device taking no work, let the guest run until it finds its
 * ring full and nothing to take: every op in the ring is then one the
 * device has not started.
 */
static void fill_ring(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->stalled = false;
	while (!vm->stalled && !vm->failed)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

static void vm_pause(struct vm *vm, bool pause)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause = pause;
	pthread_cond_broadcast(&vm->cond);
	while (pause && !vm->paused)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- the VMM ---- */

static char buf[1 << 20];

/* Move what the source has now to the destination: bytes moved or -1. */
static ssize_t move_data(struct uvfio_client *src, struct uvfio_client *dst)
{
	ssize_t total = 0, n;

	while ((n = uvfio_client_mig_read(src, buf, sizeof(buf))) > 0) {
		if (uvfio_client_mig_write(dst, buf, (size_t)n) != n)
			return -1;
		total += n;
	}
	return n < 0 && n != -ENOMSG ? -1 : total;
}

/* The PF at @pf_name with one VF enabled; the VF opened. */
static struct uvfio_client *vf_of(const char *pf_name, struct uvfio_client **pf)
{
	size_t len = strlen(pf_name);
	char token[37], vf_name[300];
	uuid_t u;
	int ret;

	uuid_generate_random(u);
	uuid_unparse_lower(u, token);
	*pf = qg_open_verbose(pf_name, token);
	if (!*pf)
		return NULL;
	ret = qg_set_numvfs(*pf, 1);
	if (ret) {
		printf("Bail out! %s: SRIOV_NUMVFS: %s\n", pf_name,
		       strerror(-ret));
		return NULL;
	}
	snprintf(vf_name, sizeof(vf_name), "%.*s-vf0.sock",
		 (int)(len > 5 ? len - 5 : 0), pf_name);
	return qg_open_verbose(vf_name, token);
}

static uint32_t reg(struct uvfio_client *c, uint32_t off)
{
	uint32_t v = 0;

	uvfio_client_region_read(c, UVFIO_PCI_BAR0_REGION_INDEX, off, &v, 4);
	return v;
}

int main(int argc, char **argv)
{
	static struct vm vm = { .lock = PTHREAD_MUTEX_INITIALIZER,
				.cond = PTHREAD_COND_INITIALIZER };
	struct uvfio_client *src_pf, *dst_pf, *src, *dst;
	uint64_t pre_bytes = 0, stop_bytes, src_done, at_stop, dst_done;
	struct qacc_guest dst_g;
	pthread_t thread;
	ssize_t n;
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: qacc-migrate SRC-PF DST-PF\n");
		return 2;
	}
	printf("1..1\n");
	src = vf_of(argv[1], &src_pf);
	dst = src ? vf_of(argv[2], &dst_pf) : NULL;
	if (!dst)
		return 1;
	/* The guest's driver on the source; the same memory and vector
	 * on the destination, whose rings come with the state. */
	if (qg_setup(&vm.g, src, NULL, QSIZE,
		     QACC_CTRL_ENABLE | QACC_CTRL_IRQ) ||
	    qg_setup(&dst_g, dst, &vm.g.mem, QSIZE, 0)) {
		printf("Bail out! guest setup\n");
		return 1;
	}
	for (size_t i = 0; i < SRC_AREA; i++)
		*qg_data(&vm.g, i) = (uint8_t)(i * 2654435761u >> 13);
	vm.dev = src;
	pthread_create(&thread, NULL, vcpu, &vm);

	/* Pre-copy while the guest works. */
	run_until(&vm, 500);
	ok = !uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RESUMING) &&
	     !uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_PRE_COPY);
	for (int round = 0; ok && round < 3; round++) {
		n = move_data(src, dst);
		ok = n >= 0;
		pre_bytes += n > 0 ? (uint64_t)n : 0;
		run_until(&vm, completed(&vm) + 300);
	}
	/*
	 * PRE_COPY_P2P: the VF finishes the op in hand and takes no other,
	 * but takes MMIO: the guest rings on, and the ring fills with work
	 * the source will not do.  Then the VM stops.
	 */
	ok = ok &&
	     !uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_PRE_COPY_P2P);
	fill_ring(&vm);
	vm_pause(&vm, true);
	ok = ok &&
	     !uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP_COPY);
	src_done = reg(src, QACC_REG_DONE);
	at_stop = vm.submitted;
	n = ok ? move_data(src, dst) : -1;
	stop_bytes = n > 0 ? (uint64_t)n : 0;
	ok = n > 0 &&
	     !uvfio_client_mig_set_state(src, UVFIO_DEVICE_STATE_STOP) &&
	     !uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_STOP) &&
	     !uvfio_client_mig_set_state(dst, UVFIO_DEVICE_STATE_RUNNING);
	/* The guest runs on, on the destination, then finishes. */
	pthread_mutex_lock(&vm.lock);
	vm.dev = dst;
	vm.failed |= !ok;
	pthread_mutex_unlock(&vm.lock);
	vm_pause(&vm, false);
	run_until(&vm, at_stop + AFTER_OPS);
	pthread_mutex_lock(&vm.lock);
	vm.finish = true;
	pthread_mutex_unlock(&vm.lock);
	pthread_join(thread, NULL);
	dst_done = reg(dst, QACC_REG_DONE);

	printf("# %llu ops submitted, %llu before the stop; the source did "
	       "%llu, the destination %llu\n",
	       (unsigned long long)vm.submitted, (unsigned long long)at_stop,
	       (unsigned long long)src_done,
	       (unsigned long long)(dst_done - src_done));
	printf("# pre-copy %llu bytes, stop-copy %llu bytes\n",
	       (unsigned long long)pre_bytes, (unsigned long long)stop_bytes);
	if (vm.failed)
		printf("# %s\n", vm.why[0] ? vm.why : "migration failed");
	for (uint64_t i = 0; !vm.failed && i < vm.submitted; i++)
		if (vm.seen[i] != 1) {
			printf("# op %llu completed %u times\n",
			       (unsigned long long)i, vm.seen[i]);
			vm.failed = true;
		}
	/* The ring was full of ops the source never started. */
	if (!vm.failed &&
	    (dst_done != vm.submitted || src_done != at_stop - (QSIZE - 1))) {
		printf("# DONE %llu on the destination, %llu on the source, "
		       "%llu submitted at the stop\n",
		       (unsigned long long)dst_done,
		       (unsigned long long)src_done,
		       (unsigned long long)at_stop);
		vm.failed = true;
	}
	tap_result(1, "a VF migrates under load: every op once, right",
		   vm.failed ? FAIL : PASS, NULL);
	qg_teardown(&dst_g);
	qg_teardown(&vm.g);
	uvfio_client_buffer_free(&vm.g.mem);
	uvfio_client_close(src);
	uvfio_client_close(dst);
	uvfio_client_close(src_pf);
	uvfio_client_close(dst_pf);
	return vm.failed ? 1 : 0;
}
