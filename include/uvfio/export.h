/* SPDX-License-Identifier: MIT */
/*
 * Symbol visibility.  libuvfio is built with -fvisibility=hidden; only what
 * a public header marks UVFIO_API (and lib/libuvfio.map lists) is exported.
 */
#ifndef UVFIO_EXPORT_H
#define UVFIO_EXPORT_H

#if defined(__GNUC__)
#define UVFIO_API __attribute__((visibility("default")))
#else
#define UVFIO_API
#endif

#endif /* UVFIO_EXPORT_H */
