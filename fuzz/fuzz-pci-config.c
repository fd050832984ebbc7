// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: sequences of config-space and BAR accesses, SET_IRQS
 * requests and device-feature calls into the real PCI devices, an edu and
 * a two-port mtty, and into a PCI Express function with every capability
 * the core emulates (PM, 64-bit MSI with per-vector masks, MSI-X, FLR,
 * vendor, DSN, vendor-specific extended and SR-IOV with up to 4 VFs),
 * memory, mmappable and I/O BARs and a ROM, and into its first VF.  The edu has a 64 KiB memfd window in its DMA space at
 * DMA_IOVA, so its DMA engine moves data.
 *
 * An input is a sequence of records (little-endian):
 *   u8 device, u8 region, u8 arg, u8 len, u32 offset, then data
 * device bit 0 picks edu or mtty, bit 4 the full function instead, bit 5
 * its first VF if VF Enable made one (else the full function); bits 1-3
 * the operation:
 *   0-5  region access: region % 10 (9 does not exist), arg bit 0 write,
 *        len % 65 bytes (0 is refused), the data follows for a write
 *   6    SET_IRQS: index region % 6, flags arg (bits 6-7 invalid), start
 *        offset & 7 (raw offset if bit 31 is set), count len & 7 (with
 *        len bit 7, count is len | 0xffffff00 against a short argsz); the
 *        data follows: a byte per bool, a byte per eventfd (picking one of
 *        NR_EVENTFDS eventfds, -1 or a memfd)
 *   7    device feature: feature region, GET/SET/PROBE from arg bits 0-2
 *        (with arg bit 7, offset's high bits join the flags), payload of
 *        len bytes, which follow
 * Errors are fine; crashes, sanitizer reports and hangs are not.  The
 * devices are created anew for each input: edu's reset keeps its
 * registers (as QEMU's), so a reset would not give a clean state.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <uvfio/dma.h>

#include "edu/edu.h"
#include "mtty/mtty.h"
#include "fuzz-util.h"

#define DMA_IOVA 0x100000ull
#define DMA_SIZE (64u * 1024)
#define NR_EVENTFDS 4
#define MAX_DATA 64

static int eventfds[NR_EVENTFDS];
static int memfd = -1;
static void *ram;

struct rec {
	uint8_t device, region, arg, len;
	uint32_t offset;
};

static void init(void)
{
	for (int i = 0; i < NR_EVENTFDS; i++) {
		eventfds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (eventfds[i] < 0)
			abort();
	}
	memfd = memfd_create("fuzz-dma", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, DMA_SIZE))
		abort();
	ram = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
		   0);
	if (ram == MAP_FAILED)
		abort();
}

/* The full function's registers: the I/O BAR, and BAR 2 around MSI-X. */
static ssize_t full_bar(struct uvfio_pci *pci, unsigned int bar, uint64_t off,
			void *buf, size_t len, bool is_write)
{
	static uint8_t regs[6][4096];

	(void)pci;
	if (is_write)
		memcpy(regs[bar] + off, buf, len);
	else
		memcpy(buf, regs[bar] + off, len);
	return (ssize_t)len;
}

static const struct uvfio_pci_ops full_ops = { .bar_access = full_bar };
static const struct uvfio_pci_ops vf_ops = { 0 };

static struct uvfio_pci *full_vf(struct uvfio_pci *pf, unsigned int index,
				 void *opaque)
{
	struct uvfio_pci *vf = uvfio_pci_new_vf(pf, index, &vf_ops, opaque);

	if (!vf)
		abort();
	uvfio_device_set_log(uvfio_pci_device(vf), fuzz_quiet, NULL,
			     UVFIO_LOG_DEBUG);
	if (uvfio_pci_add_msix(vf, 2, 2, 0, 2, 1024) < 0 ||
	    uvfio_pci_realize(vf))
		abort();
	return vf;
}

static struct uvfio_pci *full_new(void)
{
	static const struct uvfio_pci_ids ids = { 0x1af4, 0x10f1,   0x1af4,
						  0x0002, 0x020000, 3 };
	static const uint8_t body[5] = { 1, 2, 3, 4, 5 },
			     rom[64] = { 0x55, 0xaa };
	static const struct uvfio_pci_sriov sriov = {
		.total_vfs = 4,
		.vf_offset = 1,
		.vf_stride = 1,
		.vf_device = 0x10f2,
		.bar_size = { 0, 0, 4096, 0, 16 },
		.bar_flags = { 0, 0, UVFIO_PCI_BAR_MEMORY, 0,
			       UVFIO_PCI_BAR_MEMORY },
		.vf_create = full_vf,
	};
	struct uvfio_pci *pci = uvfio_pci_new("fuzz-full", &full_ops, NULL,
					      &ids, UVFIO_PCIE_CONFIG_SIZE);
	int ret;

	if (!pci)
		abort();
	ret = uvfio_pci_add_bar(pci, 0, 4096,
				UVFIO_PCI_BAR_MEMORY | UVFIO_PCI_BAR_MMAP |
					UVFIO_PCI_BAR_64 |
					UVFIO_PCI_BAR_PREFETCH);
	ret = ret ?: uvfio_pci_add_bar(pci, 2, 4096, 0);
	ret = ret ?: uvfio_pci_add_bar(pci, 4, 16, UVFIO_PCI_BAR_IO);
	ret = ret ?: uvfio_pci_add_rom(pci, 2048, rom, sizeof(rom));
	ret = ret ?: uvfio_pci_set_intx_pin(pci, 2);
	ret = ret ?: (uvfio_pci_add_pm(pci) < 0);
	ret = ret ?: (uvfio_pci_add_msi(pci, 4, true, true) < 0);
	ret = ret ?: (uvfio_pci_add_msix(pci, 8, 2, 0, 2, 2048) < 0);
	ret = ret ?: (uvfio_pci_add_pcie(pci, true) < 0);
	ret = ret ?: (uvfio_pci_add_vendor_cap(pci, body, sizeof(body)) < 0);
	ret = ret ?: (uvfio_pci_add_ext_dsn(pci, 0x0123456789abcdefull) < 0);
	ret = ret   ?:
		      (uvfio_pci_add_ext_vendor(pci, 7, 1, body, sizeof(body)) <
		       0);
	ret = ret ?: (uvfio_pci_add_sriov(pci, &sriov) < 0);
	ret = ret ?: uvfio_pci_realize(pci);
	if (ret)
		abort();
	return pci;
}

static void region_access(struct uvfio_device *dev, const struct rec *r,
			  struct fuzz_input *in)
{
	size_t len = r->len % (MAX_DATA + 1);
	bool is_write = r->arg & 1;
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		abort();
	if (is_write)
		fuzz_take_bytes(in, buf, len);
	/* Exactly @len bytes: ASan catches an access beyond them. */
	uvfio_device_region_access(dev, r->region % 10, r->offset, buf, len,
				   is_write);
	free(buf);
}

static void set_irqs(struct uvfio_device *dev, const struct rec *r,
		     struct fuzz_input *in)
{
	uint32_t flags = r->arg;
	uint32_t count = r->len & 0x80 ? r->len | 0xffffff00u : r->len & 7;
	size_t n = count < 8 ? count : 8; /* data items supplied */
	size_t size = 0;
	uint8_t picks[8];
	struct uvfio_irq_set *set;

	/* With both bits set (refused), the data is a bool's. */
	bool efd = (flags & UVFIO_IRQ_SET_DATA_EVENTFD) &&
		   !(flags & UVFIO_IRQ_SET_DATA_BOOL);

	fuzz_take_bytes(in, picks, n);
	if (flags & UVFIO_IRQ_SET_DATA_BOOL)
		size = n;
	else if (efd)
		size = n * sizeof(int32_t);
	set = malloc(sizeof(*set) + size + 1);
	if (!set)
		abort();
	*set = (struct uvfio_irq_set){
		.argsz = (uint32_t)(sizeof(*set) + size),
		.flags = flags,
		.index = r->region % 6,
		.start = r->offset & 0x80000000u ? r->offset : r->offset & 7,
		.count = count,
	};
	for (size_t i = 0; i < n; i++) {
		if (efd) {
			int32_t fd = picks[i] % (NR_EVENTFDS + 2);

			fd = fd < NR_EVENTFDS  ? eventfds[fd] :
			     fd == NR_EVENTFDS ? -1 :
						 memfd;
			memcpy(set->data + i * sizeof(fd), &fd, sizeof(fd));
		} else if (flags & UVFIO_IRQ_SET_DATA_BOOL) {
			set->data[i] = picks[i] & 1;
		}
	}
	uvfio_device_set_irqs(dev, set);
	free(set);
}

static void feature(struct uvfio_device *dev, const struct rec *r,
		    struct fuzz_input *in)
{
	size_t len = r->len;
	struct uvfio_device_feature *f = malloc(sizeof(*f) + len);
	uint32_t flags = r->region | (uint32_t)(r->arg & 7) << 16;

	if (!f)
		abort();
	if (r->arg & 0x80)
		flags |= r->offset & 0xfff80000u;
	fuzz_take_bytes(in, f->data, len);
	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = flags;
	/* The buffer is exactly argsz bytes: a GET must stay inside. */
	uvfio_device_feature(dev, f);
	free(f);
}

static void drain_eventfds(void)
{
	uint64_t v;

	for (int i = 0; i < NR_EVENTFDS; i++)
		while (read(eventfds[i], &v, sizeof(v)) == sizeof(v))
			;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct uvfio_pci *pci[3];
	struct uvfio_device *dev[3];
	struct rec r;

	if (memfd < 0)
		init();
	memset(ram, 0, DMA_SIZE);
	pci[0] = edu_new("fuzz-edu");
	pci[1] = mtty_new("fuzz-mtty", 2, MTTY_STREAM_UVFIO);
	pci[2] = full_new();
	if (!pci[0] || !pci[1])
		abort();
	for (int i = 0; i < 3; i++) {
		dev[i] = uvfio_pci_device(pci[i]);
		uvfio_device_set_log(dev[i], fuzz_quiet, NULL, UVFIO_LOG_DEBUG);
	}
	if (uvfio_dma_map(uvfio_device_dma(dev[0]), DMA_IOVA, DMA_SIZE,
			  UVFIO_DMA_READ | UVFIO_DMA_WRITE, memfd, 0))
		abort();

	while (in.left >= sizeof(r)) {
		struct uvfio_device *d;

		fuzz_take_bytes(&in, &r, sizeof(r));
		d = dev[r.device & 0x10 ? 2 : r.device & 1];
		if ((r.device & 0x20) && uvfio_pci_sriov_vf(pci[2], 0))
			d = uvfio_pci_device(uvfio_pci_sriov_vf(pci[2], 0));
		switch ((r.device >> 1) & 7) {
		case 6:
			set_irqs(d, &r, &in);
			break;
		case 7:
			feature(d, &r, &in);
			break;
		default:
			region_access(d, &r, &in);
			break;
		}
	}

	for (int i = 0; i < 3; i++) {
		/* What a closing VMM does before the device goes. */
		uvfio_device_reset(dev[i]);
		uvfio_pci_destroy(pci[i]);
	}
	drain_eventfds();
	return 0;
}
