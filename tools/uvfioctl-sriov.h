/* SPDX-License-Identifier: MIT */
/*
 * uvfioctl's SR-IOV facts of a device, for `sriov` and `info`.
 */
#ifndef UVFIOCTL_SRIOV_H
#define UVFIOCTL_SRIOV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "uvfioctl.h"

#define SRIOV_MAX_LISTED 64    /* VFs listed at most */
#define SRIOV_MAX_VF_INDEX 256 /* virtfn<N> links looked at */

struct sriov_vf {
	unsigned int index;
	char name[PATH_MAX + 8]; /* a DEV that opens it */
};

struct sriov_facts {
	/* A PF: its SR-IOV capability, and the VFs that exist. */
	bool is_pf;
	uint16_t ctrl, total_vfs, num_vfs, vf_offset, vf_stride, vf_device;
	struct sriov_vf vfs[SRIOV_MAX_LISTED];
	unsigned int nr_vfs;
	/* A VF: its index and PF. */
	bool is_vf;
	unsigned int vf_index;
	char pf_name[PATH_MAX + 8];
};

/*
 * What @c (opened as @name, without its vf_token) says of SR-IOV, and
 * where its relatives are: 0 or a negative errno (config space unread).
 */
int sriov_gather(struct uvfio_client *c, const char *name,
		 struct sriov_facts *f);
void sriov_print_text(const struct sriov_facts *f);
/* NULL for a device that is neither PF nor VF. */
struct json_object *sriov_json(const struct sriov_facts *f);

#endif /* UVFIOCTL_SRIOV_H */
