// SPDX-License-Identifier: MIT
/*
 * Guest memory for clients: a sealed memfd, which both backends can map
 * (the vfio-user server through the fd, the kernel through our mapping).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/client.h>

int uvfio_client_buffer_alloc(size_t size, struct uvfio_client_buffer *buf)
{
	int ret;

	/* Sealed at its size: servers refuse memory that could shrink
	 * under them. */
	buf->fd = memfd_create("uvfio-guest-memory",
			       MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (buf->fd < 0)
		return -errno;
	if (ftruncate(buf->fd, (off_t)size) ||
	    fcntl(buf->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)) {
		ret = -errno;
		goto fail;
	}
	buf->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 buf->fd, 0);
	if (buf->addr == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	buf->size = size;
	return 0;
fail:
	close(buf->fd);
	buf->fd = -1;
	buf->addr = NULL;
	return ret;
}

void uvfio_client_buffer_free(struct uvfio_client_buffer *buf)
{
	if (buf->addr)
		munmap(buf->addr, buf->size);
	if (buf->fd >= 0)
		close(buf->fd);
	buf->addr = NULL;
	buf->fd = -1;
}
