/* vhost_mem: a vhost-user guest's memory table (VHOST_USER_SET_MEM_TABLE),
 * mapped into the switch, and address translation for the data path.
 *
 * Refcounted: the connection holds one reference, and so does every device
 * state built on it (vhost_dev.h), which in turn lives as long as any frame
 * that points into guest memory.  So a table the guest replaces, or a guest
 * that goes away, is unmapped only once no mbuf refers to it any more --
 * the hazard that keeps DPDK 22.11's own vhost library from lending guest
 * buffers to the application. */
#ifndef KB_SWITCH_VHOST_MEM_H
#define KB_SWITCH_VHOST_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define VHOST_MAX_REGIONS 8

struct vhost_mem_region {
	uint64_t gpa;       /* guest physical address (what descriptors hold) */
	uint64_t size;
	uint64_t uva;       /* the frontend's own address (what ring addresses hold) */
	uint8_t *hva;       /* ours */
	void *map;          /* the whole mapping (it starts mmap_offset before hva) */
	size_t map_len;
};

struct vhost_mem {
	int refcnt;
	uint32_t n;
	struct vhost_mem_region r[VHOST_MAX_REGIONS];
};

struct vhost_mem_desc {   /* VHOST_USER_SET_MEM_TABLE's region, as sent */
	uint64_t gpa, size, uva, mmap_offset;
};

/* Maps n regions from their fds (which it does not close).  NULL with errno
 * set (EINVAL: a region that is empty, overflows or overlaps another). */
struct vhost_mem *vhost_mem_map(const struct vhost_mem_desc *d, const int *fds, uint32_t n);
void vhost_mem_get(struct vhost_mem *m);
void vhost_mem_put(struct vhost_mem *m);

/* Our address of [addr, addr+len) when it lies in one region, else NULL;
 * addr is a guest physical address (descriptors), or with uva the
 * frontend's own address (ring addresses). */
static inline uint8_t *vhost_mem_xlate(const struct vhost_mem *m, uint64_t addr, uint64_t len,
				       bool uva)
{
	for (uint32_t i = 0; i < m->n; i++) {
		const struct vhost_mem_region *r = &m->r[i];
		uint64_t base = uva ? r->uva : r->gpa, off = addr - base;

		if (addr >= base && off < r->size && len <= r->size - off)
			return r->hva + off;
	}
	return NULL;
}

static inline uint8_t *vhost_mem_gpa(const struct vhost_mem *m, uint64_t gpa, uint64_t len)
{
	return vhost_mem_xlate(m, gpa, len, false);
}

static inline uint8_t *vhost_mem_uva(const struct vhost_mem *m, uint64_t uva, uint64_t len)
{
	return vhost_mem_xlate(m, uva, len, true);
}

#endif
