/* SPDX-License-Identifier: MIT */
/*
 * qacc's private state, shared by the functions (qacc.c), their engines
 * (qacc-engine.c), the PF's admin queue (qacc-admin.c) and VF migration
 * (qacc-mig.c).
 */
#ifndef UVFIO_DEVICES_QACC_INTERNAL_H
#define UVFIO_DEVICES_QACC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qacc.h"

/*
 * A function's queue as the guest set it up and the engine moved it on:
 * all of a VF's migrated state (README.md).
 */
struct qacc_queue {
	uint32_t ctrl;
	uint32_t qsize;
	uint64_t sq_base, cq_base;
	uint32_t sq_tail, sq_head;
	uint32_t cq_head, cq_tail;
	uint32_t cq_phase; /* the phase bit of the next completion */
	bool error;	   /* halted until disabled */
	uint64_t done;
};

/* The queue's wire form (qacc_queue_encode), and a section's type. */
#define QACC_QUEUE_WIRE 64
#define QACC_SEC_QUEUE 1

struct qacc_mig;

struct qacc_fn {
	struct uvfio_pci *pci;
	struct qacc_fn *pf; /* a VF's PF; NULL on the PF */
	unsigned int vf_index;

	/* The engine: its thread, and what it shares with the registers. */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* for the engine: work, a stop, an exit */
	pthread_cond_t idle; /* for the others: the descriptor in hand is done */
	struct qacc_queue q;
	bool bus_master;
	bool suspended; /* stopped by the admin queue (migration) */
	bool busy;	/* a descriptor in hand */
	bool exit;
	uint64_t changes; /* bumped by every change of q (pre-copy) */
	uint8_t *buf;	  /* the engine's bounce buffer, QACC_MAX_LEN */

	/* PF: its VFs, for the admin queue, under admin_lock. */
	pthread_mutex_t admin_lock;
	struct qacc_fn **vfs;
	unsigned int total_vfs;

	/* VF: migration (qacc-mig.c). */
	struct qacc_mig *mig;
};

/* qacc-engine.c */
int qacc_engine_start(struct qacc_fn *fn);
void qacc_engine_stop(struct qacc_fn *fn);
/* Register access, under the device lock. */
uint32_t qacc_reg_read(struct qacc_fn *fn, uint64_t addr);
void qacc_reg_write(struct qacc_fn *fn, uint64_t addr, uint32_t val);
/* Finish the descriptor in hand and take no other; and run again. */
void qacc_engine_suspend(struct qacc_fn *fn);
void qacc_engine_resume(struct qacc_fn *fn);
/* Back to the state after power-on (reset), the engine running. */
void qacc_engine_reset(struct qacc_fn *fn);
void qacc_engine_set_bus_master(struct qacc_fn *fn, bool on);
/* Wait until the engine has nothing in hand and nothing it can take. */
void qacc_engine_wait_idle(struct qacc_fn *fn);
/* A consistent copy of the queue, and how often it changed. */
void qacc_engine_snapshot(struct qacc_fn *fn, struct qacc_queue *q,
			  uint64_t *changes);
/* Replace the queue of a suspended engine: 0, or -EBUSY if it runs. */
int qacc_engine_load(struct qacc_fn *fn, const struct qacc_queue *q);

/* qacc-admin.c: the PF's admin queue. */
enum qacc_admin_op {
	QACC_ADMIN_SUSPEND_VF = 1, /* finish the descriptor in hand, stop */
	QACC_ADMIN_RESUME_VF,	   /* run again */
	QACC_ADMIN_SAVE_VF,	   /* the VF's queue, QACC_QUEUE_WIRE bytes */
	QACC_ADMIN_LOAD_VF,	   /* replace a suspended VF's queue */
};

struct qacc_admin_cmd {
	enum qacc_admin_op op;
	unsigned int vf;
	uint8_t *data; /* SAVE: filled; LOAD: read */
	size_t len;
	uint64_t changes; /* SAVE: the VF's change count with it */
};

int qacc_admin_exec(struct qacc_fn *pf, struct qacc_admin_cmd *cmd);
void qacc_admin_attach(struct qacc_fn *pf, struct qacc_fn *vf);
void qacc_admin_detach(struct qacc_fn *pf, struct qacc_fn *vf);

/*
 * The queue's wire form, and its check: 0, or -EINVAL with @why set to
 * what is wrong (a state no guest could have set up).
 */
void qacc_queue_encode(const struct qacc_queue *q,
		       uint8_t wire[QACC_QUEUE_WIRE]);
int qacc_queue_decode(const uint8_t *wire, size_t len, struct qacc_queue *q,
		      const char **why);

/* qacc-mig.c: a VF's migration through its PF (before realize). */
int qacc_mig_init(struct qacc_fn *vf);
void qacc_mig_release(struct qacc_fn *vf);

#endif /* UVFIO_DEVICES_QACC_INTERNAL_H */
