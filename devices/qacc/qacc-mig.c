// SPDX-License-Identifier: MIT
/*
 * A VF's migration, done through its PF's admin queue (README.md,
 * "Migration"): the VF's own migration uAPI only turns the core's arcs
 * and sessions into admin commands, so the control that stops the VF and
 * moves its state lives on the PF, as in the kernel's variant drivers.
 *
 *   QACC_SEC_QUEUE (1): the VF's queue, QACC_QUEUE_WIRE bytes
 *     (qacc_queue_encode)
 *
 * PRE_COPY sends the queue as it is (INITIAL) and again whenever it
 * changed (DIRTY); the FINAL phase sends it stopped, which alone rebuilds
 * the VF.  A load stages the last section it was given, each checked, and
 * commit hands that one to the admin queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uvfio/migration.h>

#include "qacc-internal.h"

#define QACC_SECTION_OVERHEAD 24 /* the stream's framing of one section */

struct qacc_mig {
	uint64_t saved_changes; /* the queue's change count when last sent */
	bool staged;
	uint8_t staged_wire[QACC_QUEUE_WIRE];
};

static struct qacc_fn *dev_vf(struct uvfio_device *dev)
{
	return uvfio_pci_priv(uvfio_device_priv(dev));
}

static int admin(struct qacc_fn *vf, enum qacc_admin_op op, uint8_t *data,
		 size_t len, uint64_t *changes)
{
	struct qacc_admin_cmd cmd = {
		.op = op,
		.vf = vf->vf_index,
		.data = data,
		.len = len,
	};
	int ret = qacc_admin_exec(vf->pf, &cmd);

	if (changes)
		*changes = cmd.changes;
	return ret;
}

static bool active(enum uvfio_device_mig_state st)
{
	return st == UVFIO_DEVICE_STATE_RUNNING ||
	       st == UVFIO_DEVICE_STATE_PRE_COPY;
}

/*
 * Every arc out of RUNNING and PRE_COPY suspends the VF: the descriptor
 * in hand completes (its completion and interrupt included), no other is
 * taken.  The P2P states too: the engine cannot tell peer-to-peer DMA
 * from any other.  Doorbells keep being recorded, and run on the side
 * that runs next.
 */
static int qacc_arc(struct uvfio_device *dev, enum uvfio_device_mig_state from,
		    enum uvfio_device_mig_state to)
{
	struct qacc_fn *vf = dev_vf(dev);

	if (active(from) && !active(to))
		return admin(vf, QACC_ADMIN_SUSPEND_VF, NULL, 0, NULL);
	if (!active(from) && active(to))
		return admin(vf, QACC_ADMIN_RESUME_VF, NULL, 0, NULL);
	return 0;
}

static int qacc_save(struct uvfio_device *dev, struct uvfio_mig_save *s,
		     enum uvfio_mig_phase phase)
{
	struct qacc_fn *vf = dev_vf(dev);
	uint8_t wire[QACC_QUEUE_WIRE];
	uint64_t changes;
	int ret;

	(void)phase;
	ret = admin(vf, QACC_ADMIN_SAVE_VF, wire, sizeof(wire), &changes);
	if (!ret)
		ret = uvfio_mig_put_section(s, QACC_SEC_QUEUE, wire,
					    sizeof(wire));
	if (!ret)
		vf->mig->saved_changes = changes;
	return ret;
}

static uint64_t qacc_dirty_bytes(struct uvfio_device *dev)
{
	struct qacc_fn *vf = dev_vf(dev);
	uint8_t wire[QACC_QUEUE_WIRE];
	uint64_t changes;

	if (admin(vf, QACC_ADMIN_SAVE_VF, wire, sizeof(wire), &changes) ||
	    changes == vf->mig->saved_changes)
		return 0;
	return QACC_QUEUE_WIRE + QACC_SECTION_OVERHEAD;
}

static uint64_t qacc_state_size(struct uvfio_device *dev)
{
	(void)dev;
	return QACC_QUEUE_WIRE + QACC_SECTION_OVERHEAD;
}

static int qacc_load_section(struct uvfio_device *dev, uint16_t type,
			     enum uvfio_mig_phase phase, const void *data,
			     size_t len)
{
	struct qacc_fn *vf = dev_vf(dev);
	struct qacc_queue q;
	const char *why;

	(void)phase;
	if (type != QACC_SEC_QUEUE) {
		uvfio_warn(dev,
			   "qacc: migration stream refused: unknown section "
			   "type %u (%zu bytes)",
			   type, len);
		return -EINVAL;
	}
	if (qacc_queue_decode(data, len, &q, &why)) {
		uvfio_warn(dev, "qacc: migration stream refused: %s", why);
		return -EINVAL;
	}
	memcpy(vf->mig->staged_wire, data, QACC_QUEUE_WIRE);
	vf->mig->staged = true;
	return 0;
}

static void qacc_load_abort(struct uvfio_device *dev)
{
	dev_vf(dev)->mig->staged = false;
}

static int qacc_load_commit(struct uvfio_device *dev)
{
	struct qacc_fn *vf = dev_vf(dev);
	int ret;

	if (!vf->mig->staged) {
		uvfio_warn(dev, "qacc: migration stream refused: no queue "
				"section");
		return -EINVAL;
	}
	ret = admin(vf, QACC_ADMIN_LOAD_VF, vf->mig->staged_wire,
		    QACC_QUEUE_WIRE, NULL);
	vf->mig->staged = false;
	return ret;
}

static const struct uvfio_migration_ops qacc_mig_ops = {
	.flags = UVFIO_MIGRATION_STOP_COPY | UVFIO_MIGRATION_P2P |
		 UVFIO_MIGRATION_PRE_COPY,
	.arc = qacc_arc,
	.save = qacc_save,
	.dirty_bytes = qacc_dirty_bytes,
	.state_size = qacc_state_size,
	.load_section = qacc_load_section,
	.load_commit = qacc_load_commit,
	.load_abort = qacc_load_abort,
};

static const struct uvfio_mig_identity qacc_vf_identity = {
	.vendor = QACC_VENDOR_ID,
	.device = QACC_VF_DEVICE_ID,
	.subsystem_vendor = QACC_SUBSYSTEM_VENDOR_ID,
	.subsystem = QACC_SUBSYSTEM_ID,
	.revision = QACC_REVISION,
	.type = "qacc-vf",
	.compat = "qacc-vf-1",
};

int qacc_mig_init(struct qacc_fn *vf)
{
	vf->mig = calloc(1, sizeof(*vf->mig));
	if (!vf->mig)
		return -ENOMEM;
	return uvfio_migration_init(uvfio_pci_device(vf->pci), &qacc_mig_ops,
				    &qacc_vf_identity);
}

void qacc_mig_release(struct qacc_fn *vf)
{
	free(vf->mig);
	vf->mig = NULL;
}
