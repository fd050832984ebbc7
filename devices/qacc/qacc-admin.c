// SPDX-License-Identifier: MIT
/*
 * The PF's admin queue: the one place a VF's queue state is stopped, read
 * and replaced, as a variant driver reaches a VF's state through its PF's
 * firmware.  Commands run one at a time (admin_lock), each naming its VF;
 * a VF is reachable from the time it is made until it is released.
 */
#include <errno.h>
#include <string.h>

#include "qacc-internal.h"

void qacc_admin_attach(struct qacc_fn *pf, struct qacc_fn *vf)
{
	pthread_mutex_lock(&pf->admin_lock);
	pf->vfs[vf->vf_index] = vf;
	pthread_mutex_unlock(&pf->admin_lock);
}

void qacc_admin_detach(struct qacc_fn *pf, struct qacc_fn *vf)
{
	pthread_mutex_lock(&pf->admin_lock);
	if (pf->vfs[vf->vf_index] == vf)
		pf->vfs[vf->vf_index] = NULL;
	pthread_mutex_unlock(&pf->admin_lock);
}

static int admin_run(struct qacc_fn *vf, struct qacc_admin_cmd *cmd)
{
	struct qacc_queue q;
	const char *why;
	int ret;

	switch (cmd->op) {
	case QACC_ADMIN_SUSPEND_VF:
		qacc_engine_suspend(vf);
		return 0;
	case QACC_ADMIN_RESUME_VF:
		qacc_engine_resume(vf);
		return 0;
	case QACC_ADMIN_SAVE_VF:
		if (cmd->len < QACC_QUEUE_WIRE)
			return -ENOSPC;
		qacc_engine_snapshot(vf, &q, &cmd->changes);
		qacc_queue_encode(&q, cmd->data);
		cmd->len = QACC_QUEUE_WIRE;
		return 0;
	case QACC_ADMIN_LOAD_VF:
		/* Checked when staged; checked again by whoever applies it. */
		ret = qacc_queue_decode(cmd->data, cmd->len, &q, &why);
		return ret ? ret : qacc_engine_load(vf, &q);
	}
	return -EOPNOTSUPP;
}

int qacc_admin_exec(struct qacc_fn *pf, struct qacc_admin_cmd *cmd)
{
	int ret = -ENODEV;

	if (pf->pf)
		return -EOPNOTSUPP; /* a VF has no admin queue */
	pthread_mutex_lock(&pf->admin_lock);
	if (cmd->vf < pf->total_vfs && pf->vfs[cmd->vf])
		ret = admin_run(pf->vfs[cmd->vf], cmd);
	pthread_mutex_unlock(&pf->admin_lock);
	return ret;
}
