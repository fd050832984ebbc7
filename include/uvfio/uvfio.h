/* SPDX-License-Identifier: MIT */
/*
 * Everything public in uvfio.
 */
#ifndef UVFIO_UVFIO_H
#define UVFIO_UVFIO_H

#include <uvfio/export.h>
#include <uvfio/vfio-abi.h>
#include <uvfio/log.h>
#include <uvfio/device.h>

#endif /* UVFIO_UVFIO_H */
