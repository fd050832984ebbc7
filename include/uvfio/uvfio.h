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
#include <uvfio/pci.h>
#include <uvfio/migration.h>
#include <uvfio/server.h>
#include <uvfio/client.h>
#include <uvfio/dma.h>

#endif /* UVFIO_UVFIO_H */
