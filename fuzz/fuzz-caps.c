// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as the capabilities of a VERSION
 * message (the payload after major/minor), fed to vfu_caps_parse().
 *
 * When the parser accepts, the result is written with vfu_caps_format()
 * and must parse back to the same values (every field the parser sets,
 * the "which keys were present" flags included), and writing that again
 * must give the same text.  A refusal needs a one-line reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-user/caps.h"

static void same(const struct vfu_caps *a, const struct vfu_caps *b)
{
	if (a->max_msg_fds != b->max_msg_fds ||
	    a->max_data_xfer_size != b->max_data_xfer_size ||
	    a->max_dma_maps != b->max_dma_maps || a->pgsizes != b->pgsizes ||
	    a->write_multiple != b->write_multiple ||
	    a->migration != b->migration || a->mig_pgsize != b->mig_pgsize ||
	    a->mig_max_bitmap_size != b->mig_max_bitmap_size ||
	    a->twin_socket != b->twin_socket ||
	    a->twin_fd_index != b->twin_fd_index ||
	    a->has_pgsizes != b->has_pgsizes ||
	    a->has_max_dma_maps != b->has_max_dma_maps ||
	    a->has_write_multiple != b->has_write_multiple ||
	    a->has_vf_token != b->has_vf_token ||
	    (a->has_vf_token &&
	     memcmp(a->vf_token, b->vf_token, sizeof(a->vf_token))))
		abort(); /* the round trip changed a value */
}

/* What the parser accepts must be within the limits it promises. */
static void sane(const struct vfu_caps *c)
{
	if (c->max_msg_fds > VFU_LIMIT_MAX_MSG_FDS ||
	    c->max_data_xfer_size < VFU_MIN_DATA_XFER ||
	    c->max_data_xfer_size > VFU_LIMIT_MAX_DATA_XFER ||
	    !c->max_dma_maps || !c->pgsizes || c->pgsizes % 4096 ||
	    c->pgsizes > UINT64_MAX >> 1 ||
	    (c->migration && (!c->mig_pgsize || c->mig_pgsize % 4096 ||
			      c->mig_pgsize > UINT64_MAX >> 1 ||
			      c->mig_max_bitmap_size > UINT64_MAX >> 1)) ||
	    c->twin_fd_index < -1 || c->twin_fd_index > VFU_LIMIT_MAX_MSG_FDS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfu_caps first, second, third;
	char why[256];
	char *json, *again;
	int ret;

	why[0] = '\0';
	ret = vfu_caps_parse((const char *)data, size, &first, why,
			     sizeof(why));
	if (ret) {
		if (!why[0] || strchr(why, '\n'))
			abort(); /* a refusal needs a one-line reason */
		return 0;
	}
	sane(&first);
	json = vfu_caps_format(&first);
	if (!json)
		abort();
	why[0] = '\0';
	if (vfu_caps_parse(json, strlen(json) + 1, &second, why, sizeof(why)))
		abort(); /* our own output refused */
	same(&first, &second);
	again = vfu_caps_format(&second);
	if (!again || strcmp(json, again))
		abort(); /* formatting is not stable */
	if (vfu_caps_parse(again, strlen(again) + 1, &third, why, sizeof(why)))
		abort();
	same(&second, &third);
	free(again);
	free(json);
	return 0;
}
