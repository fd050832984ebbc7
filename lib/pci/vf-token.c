// SPDX-License-Identifier: MIT
/*
 * The VF token: the secret a PF's user driver shares with the users of
 * its VFs, checked as vfio-pci checks it (vfio_pci_validate_vf_token).
 *
 * A PF with the SR-IOV capability has a token, random until its user sets
 * one (VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, SET only: a GET would tell one
 * user the secret of the one before).  A VF opens only with its PF's
 * token, and counts as a user of the PF meanwhile; the PF opens without a
 * token only while none of its VFs is open, and opening it with a token
 * then sets that token.  A PF described with no_vf_token stands for one
 * bound to a host driver: no token, and its VFs refuse one.
 *
 * The token and the count of open VFs (which the PF's token guards, and
 * which keep the VFs from being disabled) are under the PF's token_lock,
 * taken alone or inside the PF's device lock.
 */
#include <errno.h>
#include <string.h>
#include <uuid/uuid.h>

#include "core/device-internal.h"
#include "pci-internal.h"

static int feature_token(struct uvfio_device *dev, uint32_t flags, void *data,
			 size_t size, void *opaque)
{
	struct uvfio_pci *pf = uvfio_device_priv(dev);

	(void)flags, (void)size, (void)opaque;
	pthread_mutex_lock(&pf->token_lock);
	memcpy(pf->vf_token, data, sizeof(pf->vf_token));
	pthread_mutex_unlock(&pf->token_lock);
	return 0;
}

int pci_vf_token_init(struct uvfio_pci *pf)
{
	if (pf->sriov_desc.no_vf_token)
		return 0;
	uuid_generate_random(pf->vf_token);
	return uvfio_device_add_feature(pf->dev,
					UVFIO_DEVICE_FEATURE_PCI_VF_TOKEN,
					UVFIO_DEVICE_FEATURE_SET,
					sizeof(pf->vf_token), feature_token,
					NULL);
}

static bool has_token(const struct uvfio_pci *pci)
{
	return pci->sriov && !pci->sriov_desc.no_vf_token;
}

static int vf_open(struct uvfio_pci *vf, const uint8_t *token)
{
	struct uvfio_pci *pf = vf->pf;
	int ret = 0;

	if (!has_token(pf) && token) {
		uvfio_warn(vf->dev, "VF token incorrectly provided, PF not "
				    "bound to vfio-pci");
		return -EINVAL;
	}
	pthread_mutex_lock(&pf->token_lock);
	if (pf->vfs_going) {
		ret = -ENODEV;
	} else if (!has_token(pf)) {
		pf->vf_users++;
	} else if (!token) {
		uvfio_warn(vf->dev, "VF token required to access device");
		ret = -EACCES;
	} else if (memcmp(token, pf->vf_token, sizeof(pf->vf_token))) {
		uvfio_warn(vf->dev, "Incorrect VF token provided for device");
		ret = -EACCES;
	} else {
		pf->vf_users++;
	}
	pthread_mutex_unlock(&pf->token_lock);
	return ret;
}

static int pf_open(struct uvfio_pci *pf, const uint8_t *token)
{
	int ret = 0;

	pthread_mutex_lock(&pf->token_lock);
	if (pf->vf_users) {
		if (!token) {
			uvfio_warn(pf->dev, "VF token required to access "
					    "device");
			ret = -EACCES;
		} else if (memcmp(token, pf->vf_token, sizeof(pf->vf_token))) {
			uvfio_warn(pf->dev, "Incorrect VF token provided for "
					    "device");
			ret = -EACCES;
		}
	} else if (token) {
		memcpy(pf->vf_token, token, sizeof(pf->vf_token));
	}
	pthread_mutex_unlock(&pf->token_lock);
	return ret;
}

int pci_dev_open(struct uvfio_device *dev, const uint8_t *token)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);

	if (pci->pf)
		return vf_open(pci, token);
	if (has_token(pci))
		return pf_open(pci, token);
	return device_open_plain(dev, token);
}

void pci_dev_close(struct uvfio_device *dev)
{
	struct uvfio_pci *pci = uvfio_device_priv(dev);
	struct uvfio_pci *pf = pci->pf;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->token_lock);
	if (pf->vf_users) /* a close without an open counts nothing */
		pf->vf_users--;
	pthread_mutex_unlock(&pf->token_lock);
}

int pci_vfs_stop_opens(struct uvfio_pci *pf)
{
	int ret = 0;

	pthread_mutex_lock(&pf->token_lock);
	if (pf->vf_users) {
		uvfio_warn(pf->dev, "%u VF(s) open: the VFs stay",
			   pf->vf_users);
		ret = -EBUSY;
	} else {
		pf->vfs_going = true;
	}
	pthread_mutex_unlock(&pf->token_lock);
	return ret;
}

int pci_vfs_claim(struct uvfio_pci *pf, unsigned int n)
{
	unsigned int i = 0;

	/* Nothing may serve them either (uvfio_server_add_device). */
	while (i < n && uvfio_device_going(pf->vfs[i]->dev))
		i++;
	if (i == n)
		return 0;
	while (i--)
		uvfio_device_ungo(pf->vfs[i]->dev);
	uvfio_warn(pf->dev, "a VF is served: the VFs stay");
	return -EBUSY;
}

void pci_vfs_gone(struct uvfio_pci *pf)
{
	pthread_mutex_lock(&pf->token_lock);
	pf->vfs_going = false;
	pthread_mutex_unlock(&pf->token_lock);
}
