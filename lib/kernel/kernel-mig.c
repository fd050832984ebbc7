// SPDX-License-Identifier: MIT
/*
 * The kernel backend's migration: MIG_DEVICE_STATE through the device
 * feature, and the session's data through the kernel's own data_fd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kernel-internal.h"

static bool has_data(enum uvfio_device_mig_state s)
{
	return s == UVFIO_DEVICE_STATE_STOP_COPY ||
	       s == UVFIO_DEVICE_STATE_RESUMING ||
	       s == UVFIO_DEVICE_STATE_PRE_COPY ||
	       s == UVFIO_DEVICE_STATE_PRE_COPY_P2P;
}

int kvfio_mig_set_state(struct uvfio_client *pub,
			enum uvfio_device_mig_state state)
{
	struct kvfio_client *k = to_kvfio(pub);
	struct uvfio_device_feature_mig_state st = { .device_state = state,
						     .data_fd = -1 };
	int ret;

	pthread_mutex_lock(&k->mig_lock);
	ret = client_feature(pub,
			     UVFIO_DEVICE_FEATURE_MIG_DEVICE_STATE |
				     UVFIO_DEVICE_FEATURE_SET,
			     &st, sizeof(st));
	if (!ret) {
		/*
		 * A new session comes with its fd.  PRE_COPY -> STOP_COPY
		 * may continue on the fd it had (the kernel then gives
		 * none); any state without data ends the session.
		 */
		if (st.data_fd >= 0 || !has_data(state)) {
			if (k->data_fd >= 0)
				close(k->data_fd);
			k->data_fd = st.data_fd;
		}
	}
	pthread_mutex_unlock(&k->mig_lock);
	return ret;
}

void kvfio_mig_forget(struct kvfio_client *k)
{
	pthread_mutex_lock(&k->mig_lock);
	if (k->data_fd >= 0)
		close(k->data_fd);
	k->data_fd = -1;
	pthread_mutex_unlock(&k->mig_lock);
}

/*
 * The session's data calls run with mig_lock held: a state change cannot
 * close the fd under them (and its number go to another file), and no
 * duplicate is made per call.  The kernel's data_fd calls do not wait
 * for the device: STOP_COPY reads what is saved, PRE_COPY says ENOMSG.
 */
static int lock_session(struct kvfio_client *k)
{
	pthread_mutex_lock(&k->mig_lock);
	if (k->data_fd >= 0)
		return k->data_fd;
	pthread_mutex_unlock(&k->mig_lock);
	return -EINVAL;
}

ssize_t kvfio_mig_read(struct uvfio_client *pub, void *buf, size_t len)
{
	struct kvfio_client *k = to_kvfio(pub);
	int fd = lock_session(k);
	ssize_t n;

	if (fd < 0)
		return fd;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	/* ENOMSG: pre-copy has nothing more for now. */
	if (n < 0)
		n = errno == ENOMSG ? 0 : -errno;
	pthread_mutex_unlock(&k->mig_lock);
	return n;
}

ssize_t kvfio_mig_write(struct uvfio_client *pub, const void *buf, size_t len)
{
	struct kvfio_client *k = to_kvfio(pub);
	int fd = lock_session(k);
	ssize_t ret = (ssize_t)len;
	size_t done = 0;

	if (fd < 0)
		return fd;
	while (done < len) {
		ssize_t n = write(fd, (const uint8_t *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	pthread_mutex_unlock(&k->mig_lock);
	return ret;
}

/* The caller owns the fd it gets: a duplicate. */
int kvfio_mig_data_fd(struct uvfio_client *pub, int *fd)
{
	struct kvfio_client *k = to_kvfio(pub);
	int sfd = lock_session(k);
	int ret = 0;

	if (sfd < 0)
		return sfd;
	*fd = fcntl(sfd, F_DUPFD_CLOEXEC, 0);
	if (*fd < 0)
		ret = -errno;
	pthread_mutex_unlock(&k->mig_lock);
	return ret;
}

int kvfio_mig_precopy_info(struct uvfio_client *pub,
			   struct uvfio_precopy_info *info)
{
	struct kvfio_client *k = to_kvfio(pub);
	int fd = lock_session(k);
	int ret;

	if (fd < 0)
		return fd;
	info->argsz = sizeof(*info);
	info->flags = 0;
	ret = ioctl(fd, UVFIO_MIG_GET_PRECOPY_INFO, info) ? -errno : 0;
	pthread_mutex_unlock(&k->mig_lock);
	return ret;
}
