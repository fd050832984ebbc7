/* SPDX-License-Identifier: MIT */
/*
 * uvfio-vmm-demo's guest: what its one vCPU thread runs against an edu and
 * an mtty (their registers: devices/edu/README.md, devices/mtty/README.md),
 * and the model of what the devices must show, which every step checks.
 *
 * A round, as a driver would do it:
 * - edu: acknowledge the interrupt the last round's DMA left pending
 *   (irq_status must be exactly that), write the liveness register and
 *   read its inverse, compute a factorial, DMA a counter pattern from
 *   guest memory into a part of the device buffer, DMA the whole buffer
 *   back into guest memory and compare it with the model;
 * - mtty: write the round into SCR, send bytes (a running sequence) to
 *   THR, check LSR and IIR, read bytes back down to a few, each the next
 *   of the sequence.  The FIFO always keeps 1 to 7 bytes between rounds.
 *
 * Thread-safety: guest_start() runs rounds on a thread of its own;
 * guest_pause() returns once it stands between two rounds, and everything
 * else (the model, guest_switch(), guest_round()) is the caller's until
 * guest_resume().  One controlling thread.
 */
#ifndef UVFIO_VMM_GUEST_H
#define UVFIO_VMM_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <uvfio/client.h>

#define GUEST_ERR_LEN 320

/* Guest memory, and where the devices see it. */
#define GUEST_MEM_SIZE (64u << 10)
#define GUEST_IOVA 0x800000ull
#define GUEST_DMA_OUT 0x0000 /* the pattern edu reads */
#define GUEST_DMA_IN 0x1000  /* where edu's buffer is read back */
#define GUEST_SCRATCH 0x2000 /* the checker's */

/* edu: BAR0 registers */
#define EDU_BAR 0
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACT 0x08
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_ID_VALUE 0x010000edu
#define EDU_STATUS_COMPUTING 0x01
#define EDU_IRQ_DMA 0x100
#define EDU_DMA_RUN 0x01
#define EDU_DMA_TO_RAM 0x02
#define EDU_DMA_IRQ 0x04
#define EDU_BUF_ADDR 0x40000u
#define EDU_BUF_SIZE 4096u

/* PCI config space, region 7 */
#define CONFIG_REGION 7
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

/* mtty: port 1 at BAR0 */
#define TTY_BAR 0
#define TTY_RX 0 /* THR when written */
#define TTY_IER 1
#define TTY_IIR 2 /* FCR when written */
#define TTY_LCR 3
#define TTY_MCR 4
#define TTY_LSR 5
#define TTY_MSR 6
#define TTY_SCR 7
#define TTY_FIFO 16
#define LSR_DR 0x01
#define LSR_EMPTY 0x60 /* THRE | TEMT */
#define IIR_NONE 0xc1
#define IIR_RDI 0xc4

/* What the guest did last: what the devices must show. */
struct guest_model {
	uint64_t round;		   /* rounds completed */
	uint32_t pattern;	   /* the next word of the DMA pattern */
	uint8_t buf[EDU_BUF_SIZE]; /* edu's buffer, as last read back */
	uint32_t irq_pending;	   /* edu irq_status between rounds */
	uint32_t liveness;	   /* last written */
	uint32_t fact_n;	   /* last factorial asked for */
	uint64_t dma_src, dma_dst, dma_cnt, dma_cmd; /* the last transfer */
	uint8_t scr;
	uint32_t tx, rx; /* mtty's sequence: the FIFO holds [rx, tx) */
	uint64_t dma_bytes, tty_bytes;
};

struct guest {
	struct uvfio_client *edu, *tty; /* the devices it runs on */
	const char *side;		/* their uvfiod, in messages */
	struct uvfio_client_buffer mem;
	struct guest_model m;
	unsigned int pace_us;	 /* between rounds */
	char err[GUEST_ERR_LEN]; /* the first failure */

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, pause, paused, quit, failed;
};

/* Memory (a sealed memfd of GUEST_MEM_SIZE). 0 or -errno. */
int guest_init(struct guest *g);
void guest_destroy(struct guest *g);

/* DMA_MAP guest memory into @edu at GUEST_IOVA. 0, or -1 with @err. */
int guest_map(struct guest *g, struct uvfio_client *edu, char *err);

/* Bring both devices up as a driver does (on g->edu, g->tty). */
int guest_boot(struct guest *g);

/* One round on g->edu, g->tty.  0, or -1 with the reason in g->err. */
int guest_round(struct guest *g);

/* The vCPU thread. */
int guest_start(struct guest *g);
/* Wait until it stands between rounds.  -1 if it failed (g->err). */
int guest_pause(struct guest *g);
void guest_resume(struct guest *g);
void guest_stop(struct guest *g); /* join it */
uint64_t guest_rounds(struct guest *g);
/* While paused: run on other devices from the next round on. */
void guest_switch(struct guest *g, struct uvfio_client *edu,
		  struct uvfio_client *tty, const char *side);

/* n! modulo 2^32, as edu computes it. */
uint32_t edu_factorial(uint32_t n);

/* Register access: 0, or -1 with what failed in @err. */
int reg_read(struct uvfio_client *c, const char *dev, uint32_t region,
	     uint64_t off, size_t len, uint64_t *val, char *err);
int reg_write(struct uvfio_client *c, const char *dev, uint32_t region,
	      uint64_t off, size_t len, uint64_t val, char *err);

/* An edu transfer as a driver starts it; waits for it (checks RUN). */
int edu_dma(struct guest *g, uint64_t src, uint64_t dst, uint64_t cnt,
	    uint64_t flags);

#endif /* UVFIO_VMM_GUEST_H */
