// SPDX-License-Identifier: MIT
/*
 * <uvfio/vfio-abi.h> must compile on its own and must not pull in the
 * system's <linux/vfio.h>: this file includes nothing else.
 */
#include <uvfio/vfio-abi.h>

/* 6.1 installs its guard as VFIO_H; the kernel tree spells _UAPIVFIO_H. */
#ifdef _LINUX_VFIO_H
#error "<uvfio/vfio-abi.h> pulled in <linux/vfio.h> (_LINUX_VFIO_H)"
#endif
#ifdef VFIO_H
#error "<uvfio/vfio-abi.h> pulled in <linux/vfio.h> (VFIO_H)"
#endif
#ifdef _UAPIVFIO_H
#error "<uvfio/vfio-abi.h> pulled in <linux/vfio.h> (_UAPIVFIO_H)"
#endif
#ifdef VFIO_API_VERSION
#error "<uvfio/vfio-abi.h> defines or pulls in VFIO_API_VERSION"
#endif

int main(void)
{
	struct uvfio_device_info info = { .argsz = sizeof(info) };

	return info.argsz == 24 && UVFIO_DEVICE_GET_INFO == 0x3B6B ? 0 : 1;
}
