/* SPDX-License-Identifier: MIT */
/*
 * The client library's private state, shared by lib/vfio-user/client*.c.
 */
#ifndef UVFIO_VFIO_USER_CLIENT_INTERNAL_H
#define UVFIO_VFIO_USER_CLIENT_INTERNAL_H

#include <pthread.h>

#include <uvfio/client.h>
#include <uvfio/dma.h>

#include "../client/backend.h"
#include "caps.h"
#include "msg.h"

#define CLIENT_MAX_MSG_FDS VFU_MAX_FDS
#define CLIENT_MAX_XFER (1u << 20)
#define CLIENT_MAX_PAYLOAD (CLIENT_MAX_XFER + 4096)
#define DEFAULT_TIMEOUT_MS 5000
#define MAX_REGIONS 256

struct client_map {
	uint64_t iova, size;
	uint32_t prot;
	uint8_t *vaddr;
};

/* What a region info reply said about mapping the region. */
struct client_region {
	int fd; /* -1: not mappable (or not asked yet) */
	uint64_t offset, size;
};

struct vu_client {
	struct uvfio_client pub; /* first: the handle callers hold */
	int sock;
	int twin;
	int timeout_ms;
	pthread_mutex_t lock; /* one request at a time; guards region[] */
	uint16_t next_id;
	struct vfu_reader reader; /* of sock, with read-ahead, under lock */
	struct vfu_rx rx;	  /* replies, under lock: one buffer for all */
	bool broken; /* under lock: a message was cut, the stream is lost */
	struct uvfio_client_caps caps;
	struct client_region region[MAX_REGIONS];

	pthread_mutex_t maps_lock;
	struct client_map *maps;
	unsigned int nr_maps;

	pthread_t twin_thread;
	bool twin_running;

	/* The thread behind uvfio_client_mig_data_fd(), if one was made;
	 * its fields change under pump_lock (taken before lock). */
	pthread_mutex_t pump_lock;
	pthread_t pump_thread;
	bool pump_started;
	int pump_fd;	/* its end of the socketpair */
	bool pump_done; /* atomic: the thread has finished */
	bool pump_saving;
};

static inline struct vu_client *to_vu(struct uvfio_client *pub)
{
	return (struct vu_client *)pub;
}

struct reply {
	void *buf; /* where the payload goes, up to @max bytes */
	size_t max;
	/* Optional: where payload bytes past @max go, up to @data_max. */
	void *data;
	size_t data_max;
	size_t len; /* payload length received */
	int fd;	    /* first descriptor received, or -1 */
};

/*
 * client.c: one request and its reply, serialized on the handle; the
 * request in one buffer, or gathered from up to VFU_SEND_PIECES_MAX.
 * -EPIPE for good once a message was cut short either way.
 */
int transactv(struct vu_client *c, uint16_t cmd, const struct iovec *req,
	      unsigned int nr_pieces, const int *fds, unsigned int nr_fds,
	      struct reply *out);
int transact(struct vu_client *c, uint16_t cmd, const void *req, size_t req_len,
	     const int *fds, unsigned int nr_fds, struct reply *out);
/* A command with NO_REPLY: sent, no reply waited for; -EPIPE as above. */
int post(struct vu_client *c, uint16_t cmd, const struct iovec *req,
	 unsigned int nr_pieces);

/* client-mig.c: stop the data-fd thread (before the handle goes). */
void client_mig_pump_stop(struct vu_client *c, bool force);

/* client-dma.c: the server's DMA requests, answered from our windows. */
bool is_dma_request(const struct vfu_rx *rx);
void serve_dma(struct vu_client *c, int sock, struct vfu_rx *rx);
void *twin_main(void *arg);

/* The backend's calls, as struct client_ops names them. */
void vu_close(struct uvfio_client *pub);
void vu_get_caps(struct uvfio_client *pub, struct uvfio_client_caps *caps);
int vu_device_info(struct uvfio_client *pub, struct uvfio_device_info *info);
int vu_region_info(struct uvfio_client *pub, uint32_t index,
		   struct uvfio_region_info **info);
int vu_irq_info(struct uvfio_client *pub, struct uvfio_irq_info *info);
int vu_set_irqs(struct uvfio_client *pub, const struct uvfio_irq_set *set);
int vu_reset(struct uvfio_client *pub);
int vu_feature(struct uvfio_client *pub, struct uvfio_device_feature *feature);
ssize_t vu_region_read(struct uvfio_client *pub, uint32_t index,
		       uint64_t offset, void *buf, size_t len);
ssize_t vu_region_write(struct uvfio_client *pub, uint32_t index,
			uint64_t offset, const void *buf, size_t len);
int vu_region_write_multi(struct uvfio_client *pub,
			  const struct uvfio_region_write *writes,
			  unsigned int nr);
int vu_region_write_posted(struct uvfio_client *pub, uint32_t index,
			   uint64_t offset, const void *buf, size_t len);
int vu_region_mmap(struct uvfio_client *pub, uint32_t index, uint64_t offset,
		   uint64_t size, int prot, void **addr);
int vu_dma_map(struct uvfio_client *pub, uint64_t iova, uint64_t size,
	       uint32_t prot, int fd, uint64_t fd_offset, void *vaddr);
int vu_dma_unmap(struct uvfio_client *pub, uint64_t iova, uint64_t size);
int vu_dma_unmap_all(struct uvfio_client *pub);
int vu_mig_set_state(struct uvfio_client *pub,
		     enum uvfio_device_mig_state state);
ssize_t vu_mig_read(struct uvfio_client *pub, void *buf, size_t len);
ssize_t vu_mig_write(struct uvfio_client *pub, const void *buf, size_t len);
int vu_mig_data_fd(struct uvfio_client *pub, int *fd);

#endif /* UVFIO_VFIO_USER_CLIENT_INTERNAL_H */
