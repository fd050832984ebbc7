// SPDX-License-Identifier: MIT
/*
 * VERSION capabilities, parsed and written with json-c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <uuid/uuid.h>

#include "caps.h"

void vfu_caps_default(struct vfu_caps *caps)
{
	*caps = (struct vfu_caps){
		.max_msg_fds = VFU_DEFAULT_MAX_MSG_FDS,
		.max_data_xfer_size = VFU_DEFAULT_MAX_DATA_XFER,
		.max_dma_maps = VFU_DEFAULT_MAX_DMA_MAPS,
		.pgsizes = VFU_DEFAULT_PGSIZES,
		.twin_fd_index = -1,
	};
}

/*
 * Fetch number @key of @obj into @out if present, within [min, max].
 * Returns 1 if present, 0 if absent, -EINVAL if wrong.
 */
static int get_number(struct json_object *obj, const char *key, uint64_t min,
		      uint64_t max, uint64_t *out, char *why, size_t why_len)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(why, why_len, "\"%s\" is not an integer", key);
		return -EINVAL;
	}
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < 0 || (uint64_t)n < min || (uint64_t)n > max) {
		snprintf(why, why_len, "\"%s\" %lld is outside [%llu, %llu]",
			 key, (long long)n, (unsigned long long)min,
			 (unsigned long long)max);
		return -EINVAL;
	}
	*out = (uint64_t)n;
	return 1;
}

static int get_object(struct json_object *obj, const char *key,
		      struct json_object **out, char *why, size_t why_len)
{
	if (!json_object_object_get_ex(obj, key, out))
		return 0;
	if (!json_object_is_type(*out, json_type_object)) {
		snprintf(why, why_len, "\"%s\" is not an object", key);
		return -EINVAL;
	}
	return 1;
}

static int get_bool(struct json_object *obj, const char *key, bool *out,
		    char *why, size_t why_len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(why, why_len, "\"%s\" is not a boolean", key);
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

/* A UUID string at @key: 1 if present (into @out), 0 if absent, -EINVAL. */
static int get_uuid(struct json_object *obj, const char *key, uint8_t *out,
		    char *why, size_t why_len)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) != 36 ||
	    uuid_parse(json_object_get_string(v), out)) {
		snprintf(why, why_len, "\"%s\" is not a UUID", key);
		return -EINVAL;
	}
	return 1;
}

static int pgsizes_valid(uint64_t v)
{
	return v && !(v % 4096);
}

static int parse_caps_object(struct json_object *c, struct vfu_caps *caps,
			     char *why, size_t why_len)
{
	struct json_object *sub;
	uint64_t v;
	int ret;

	ret = get_number(c, "max_msg_fds", 0, VFU_LIMIT_MAX_MSG_FDS, &v, why,
			 why_len);
	if (ret < 0)
		return ret;
	if (ret)
		caps->max_msg_fds = (uint32_t)v;
	ret = get_number(c, "max_data_xfer_size", 0, VFU_LIMIT_MAX_DATA_XFER,
			 &v, why, why_len);
	if (ret < 0)
		return ret;
	if (ret && v < VFU_MIN_DATA_XFER) {
		snprintf(why, why_len,
			 "\"max_data_xfer_size\" %llu is below %u: DMA and "
			 "region access would take a message per few bytes",
			 (unsigned long long)v, VFU_MIN_DATA_XFER);
		return -EINVAL;
	}
	if (ret)
		caps->max_data_xfer_size = (uint32_t)v;
	ret = get_number(c, "max_dma_maps", 1, UINT32_MAX, &v, why, why_len);
	if (ret < 0)
		return ret;
	caps->has_max_dma_maps = ret;
	if (ret)
		caps->max_dma_maps = (uint32_t)v;
	ret = get_number(c, "pgsizes", 1, UINT64_MAX >> 1, &v, why, why_len);
	if (ret < 0)
		return ret;
	if (ret && !pgsizes_valid(v)) {
		snprintf(why, why_len,
			 "\"pgsizes\" 0x%llx is not a multiple of 4096",
			 (unsigned long long)v);
		return -EINVAL;
	}
	caps->has_pgsizes = ret;
	if (ret)
		caps->pgsizes = v;
	ret = get_bool(c, "write_multiple", &caps->write_multiple, why,
		       why_len);
	if (ret < 0)
		return ret;
	caps->has_write_multiple = ret;
	ret = get_uuid(c, "vf_token", caps->vf_token, why, why_len);
	if (ret < 0)
		return ret;
	caps->has_vf_token = ret;

	ret = get_object(c, "migration", &sub, why, why_len);
	if (ret < 0)
		return ret;
	if (ret) {
		caps->migration = true;
		caps->mig_pgsize = 4096;
		if (get_number(sub, "pgsize", 4096, UINT64_MAX >> 1,
			       &caps->mig_pgsize, why, why_len) < 0 ||
		    get_number(sub, "max_bitmap_size", 0, UINT64_MAX >> 1,
			       &caps->mig_max_bitmap_size, why, why_len) < 0)
			return -EINVAL;
		if (!pgsizes_valid(caps->mig_pgsize)) {
			snprintf(
				why, why_len,
				"\"migration.pgsize\" is not a multiple of 4096");
			return -EINVAL;
		}
	}

	ret = get_object(c, "twin_socket", &sub, why, why_len);
	if (ret < 0)
		return ret;
	if (ret) {
		ret = get_bool(sub, "supported", &caps->twin_socket, why,
			       why_len);
		if (ret < 0)
			return ret;
		ret = get_number(sub, "fd_index", 0, VFU_LIMIT_MAX_MSG_FDS, &v,
				 why, why_len);
		if (ret < 0)
			return ret;
		/*
		 * An index means nothing without support; drop it so that
		 * what we parse is what we would write back.
		 */
		if (ret && caps->twin_socket)
			caps->twin_fd_index = (int)v;
	}
	return 0;
}

int vfu_caps_parse(const char *json, size_t len, struct vfu_caps *caps,
		   char *why, size_t why_len)
{
	struct json_object *root, *c;
	struct json_tokener *tok;
	size_t n;
	int ret = -EINVAL;

	vfu_caps_default(caps);
	if (!len)
		return 0;
	n = strnlen(json, len);
	if (n == len) {
		snprintf(why, why_len, "capabilities are not NUL-terminated");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)n);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != n) {
		snprintf(why, why_len, "capabilities are not valid JSON: %s",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		snprintf(why, why_len, "capabilities are not a JSON object");
		goto out;
	}
	ret = get_object(root, "capabilities", &c, why, why_len);
	if (ret > 0)
		ret = parse_caps_object(c, caps, why, why_len);
out:
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

char *vfu_caps_format(const struct vfu_caps *caps)
{
	struct json_object *root = json_object_new_object();
	struct json_object *c = json_object_new_object();
	char *out = NULL;

	if (!root || !c)
		goto fail;
	json_object_object_add(root, "capabilities", c);
	json_object_object_add(c, "max_msg_fds",
			       json_object_new_int64(caps->max_msg_fds));
	json_object_object_add(c, "max_data_xfer_size",
			       json_object_new_int64(caps->max_data_xfer_size));
	if (caps->has_max_dma_maps)
		json_object_object_add(
			c, "max_dma_maps",
			json_object_new_int64(caps->max_dma_maps));
	if (caps->has_pgsizes)
		json_object_object_add(
			c, "pgsizes",
			json_object_new_int64((int64_t)caps->pgsizes));
	if (caps->has_write_multiple)
		json_object_object_add(
			c, "write_multiple",
			json_object_new_boolean(caps->write_multiple));
	if (caps->has_vf_token) {
		char s[37];

		uuid_unparse_lower(caps->vf_token, s);
		json_object_object_add(c, "vf_token",
				       json_object_new_string(s));
	}
	if (caps->migration) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(
			m, "pgsize",
			json_object_new_int64((int64_t)caps->mig_pgsize));
		json_object_object_add(
			m, "max_bitmap_size",
			json_object_new_int64(
				(int64_t)caps->mig_max_bitmap_size));
		json_object_object_add(c, "migration", m);
	}
	if (caps->twin_socket) {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "supported",
				       json_object_new_boolean(true));
		if (caps->twin_fd_index >= 0)
			json_object_object_add(
				t, "fd_index",
				json_object_new_int(caps->twin_fd_index));
		json_object_object_add(c, "twin_socket", t);
	}
	out = strdup(
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return out;
fail:
	json_object_put(root);
	json_object_put(c);
	return NULL;
}
