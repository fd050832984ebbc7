// SPDX-License-Identifier: MIT
/*
 * Device types by name, and the "TYPE,id=NAME,key=value" syntax.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edu/edu.h"
#include "mtty/mtty.h"
#include "qacc/qacc.h"
#include "ram/ram.h"
#include "registry.h"

#define SPEC_MAX_LEN 1024
#define ID_MAX_LEN 64

const char *const device_type_help[] = {
	"edu,id=NAME             QEMU's educational PCI device (1234:11e8)",
	"mtty,id=NAME[,ports=N][,stream=uvfio|kernel]",
	"                        the kernel's mtty sample: a PCI serial card, 1 or 2 16550 ports;",
	"                        stream=kernel migrates in the kernel mtty's format",
	"qacc,id=NAME[,vfs=N]    a queue-based accelerator (1234:5143) with N SR-IOV VFs",
	"                        (0 to 64, default 4), served as NAME-vfK when enabled",
	"ram,id=NAME,size=SIZE   memory-only device (region 0 of SIZE bytes, mmappable)",
	NULL,
};

int parse_size(const char *text, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'T':
	case 't':
		shift = 40;
		end++;
		break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Names become socket file names: keep them plain. */
static bool id_valid(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > ID_MAX_LEN || id[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("-_.", id[i]))
			return false;
	return true;
}

void device_spec_free(struct device_spec *spec)
{
	free(spec->buf);
	memset(spec, 0, sizeof(*spec));
}

int device_spec_parse(const char *text, struct device_spec *spec, char *err,
		      size_t err_len)
{
	char *save = NULL, *tok;

	memset(spec, 0, sizeof(*spec));
	if (!text || strnlen(text, SPEC_MAX_LEN + 1) > SPEC_MAX_LEN) {
		snprintf(err, err_len, "device spec missing or longer than %d",
			 SPEC_MAX_LEN);
		return -EINVAL;
	}
	spec->buf = strdup(text);
	if (!spec->buf)
		return -ENOMEM;
	spec->type = strtok_r(spec->buf, ",", &save);
	if (!spec->type || strchr(spec->type, '=')) {
		snprintf(err, err_len,
			 "\"%s\": expected TYPE,id=NAME[,key=value...]", text);
		goto fail;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || !eq[1]) {
			snprintf(err, err_len,
				 "\"%s\": option \"%s\" is not key=value", text,
				 tok);
			goto fail;
		}
		*eq = '\0';
		if (!strcmp(tok, "id")) {
			if (spec->id) {
				snprintf(err, err_len, "\"%s\": id given twice",
					 text);
				goto fail;
			}
			spec->id = eq + 1;
			continue;
		}
		for (unsigned int i = 0; i < spec->nr_opts; i++) {
			if (!strcmp(spec->opts[i].key, tok)) {
				snprintf(err, err_len,
					 "\"%s\": option \"%s\" given twice",
					 text, tok);
				goto fail;
			}
		}
		if (spec->nr_opts == DEVICE_SPEC_MAX_OPTS) {
			snprintf(err, err_len, "\"%s\": more than %d options",
				 text, DEVICE_SPEC_MAX_OPTS);
			goto fail;
		}
		spec->opts[spec->nr_opts].key = tok;
		spec->opts[spec->nr_opts].value = eq + 1;
		spec->nr_opts++;
	}
	if (!spec->id || !id_valid(spec->id)) {
		snprintf(
			err, err_len,
			"\"%s\": id=NAME is required (1-%d of [A-Za-z0-9._-], not starting with '.')",
			text, ID_MAX_LEN);
		goto fail;
	}
	return 0;
fail:
	device_spec_free(spec);
	return -EINVAL;
}

static const char *opt(const struct device_spec *spec, const char *key)
{
	for (unsigned int i = 0; i < spec->nr_opts; i++)
		if (!strcmp(spec->opts[i].key, key))
			return spec->opts[i].value;
	return NULL;
}

/* Refuse options the type does not know: a typo must not pass silently. */
static bool only_opts(const struct device_spec *spec, const char *const *known,
		      char *err, size_t err_len)
{
	for (unsigned int i = 0; i < spec->nr_opts; i++) {
		bool ok = false;

		for (const char *const *k = known; *k; k++)
			ok |= !strcmp(spec->opts[i].key, *k);
		if (!ok) {
			snprintf(err, err_len, "%s: unknown option \"%s\"",
				 spec->type, spec->opts[i].key);
			return false;
		}
	}
	return true;
}

static struct uvfio_device *create_ram(const struct device_spec *spec,
				       char *err, size_t err_len)
{
	static const char *const known[] = { "size", NULL };
	const char *size_text = opt(spec, "size");
	struct uvfio_device *dev;
	uint64_t size = 1 << 20;

	if (!only_opts(spec, known, err, err_len))
		return NULL;
	if (size_text && (parse_size(size_text, &size) || !size)) {
		snprintf(
			err, err_len,
			"ram: size \"%s\" is not a size (e.g. 4096, 64K, 256M)",
			size_text);
		return NULL;
	}
	dev = ram_device_new(spec->id, size);
	if (!dev)
		snprintf(err, err_len, "ram: cannot create %llu bytes: %s",
			 (unsigned long long)size, strerror(errno));
	return dev;
}

static struct uvfio_device *create_edu(const struct device_spec *spec,
				       char *err, size_t err_len)
{
	static const char *const known[] = { NULL };
	struct uvfio_pci *pci;

	if (!only_opts(spec, known, err, err_len))
		return NULL;
	pci = edu_new(spec->id);
	if (!pci) {
		snprintf(err, err_len, "edu: %s", strerror(errno));
		return NULL;
	}
	return uvfio_pci_device(pci);
}

static struct uvfio_device *create_mtty(const struct device_spec *spec,
					char *err, size_t err_len)
{
	static const char *const known[] = { "ports", "stream", NULL };
	const char *ports = opt(spec, "ports"), *stream = opt(spec, "stream");
	enum mtty_stream format = MTTY_STREAM_UVFIO;
	struct uvfio_pci *pci;
	unsigned int n = 1;

	if (!only_opts(spec, known, err, err_len))
		return NULL;
	if (ports) {
		if (strcmp(ports, "1") && strcmp(ports, "2")) {
			snprintf(err, err_len,
				 "mtty: ports \"%s\" must be 1 or 2", ports);
			return NULL;
		}
		n = (unsigned int)(ports[0] - '0');
	}
	if (stream && !strcmp(stream, "kernel")) {
		format = MTTY_STREAM_KERNEL;
	} else if (stream && strcmp(stream, "uvfio")) {
		snprintf(err, err_len,
			 "mtty: stream \"%s\" must be uvfio or kernel", stream);
		return NULL;
	}
	pci = mtty_new(spec->id, n, format);
	if (!pci) {
		snprintf(err, err_len, "mtty: %s", strerror(errno));
		return NULL;
	}
	return uvfio_pci_device(pci);
}

static struct uvfio_device *create_qacc(const struct device_spec *spec,
					char *err, size_t err_len)
{
	static const char *const known[] = { "vfs", NULL };
	const char *vfs = opt(spec, "vfs");
	unsigned long n = 4;
	struct uvfio_pci *pci;
	char *end;

	if (!only_opts(spec, known, err, err_len))
		return NULL;
	if (vfs) {
		errno = 0;
		n = strtoul(vfs, &end, 10);
		if (!isdigit((unsigned char)vfs[0]) || *end || errno ||
		    n > QACC_MAX_VFS) {
			snprintf(err, err_len,
				 "qacc: vfs \"%s\" must be 0 to %u", vfs,
				 QACC_MAX_VFS);
			return NULL;
		}
	}
	pci = qacc_new(spec->id, (unsigned int)n);
	if (!pci) {
		snprintf(err, err_len, "qacc: %s", strerror(errno));
		return NULL;
	}
	return uvfio_pci_device(pci);
}

struct uvfio_device *device_spec_create(const struct device_spec *spec,
					char *err, size_t err_len)
{
	if (!strcmp(spec->type, "ram"))
		return create_ram(spec, err, err_len);
	if (!strcmp(spec->type, "edu"))
		return create_edu(spec, err, err_len);
	if (!strcmp(spec->type, "mtty"))
		return create_mtty(spec, err, err_len);
	if (!strcmp(spec->type, "qacc"))
		return create_qacc(spec, err, err_len);
	snprintf(err, err_len, "unknown device type \"%s\"", spec->type);
	return NULL;
}
