/* vhost_mem: the guest's memory, mapped (vhost_mem.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vhost_mem.h"

static void unmap_all(struct vhost_mem *m)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (m->r[i].map)
			munmap(m->r[i].map, m->r[i].map_len);
	free(m);
}

struct vhost_mem *vhost_mem_map(const struct vhost_mem_desc *d, const int *fds, uint32_t n)
{
	struct vhost_mem *m;

	if (n > VHOST_MAX_REGIONS) {
		errno = EINVAL;
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m))))
		return NULL;
	m->refcnt = 1;
	for (uint32_t i = 0; i < n; i++) {
		struct vhost_mem_region *r = &m->r[i];
		struct stat st;
		uint64_t len, blk;

		/* a region must be non-empty, fit in the address space, and
		 * not overlap another one (translation takes the first hit) */
		if (!d[i].size || d[i].gpa + d[i].size < d[i].gpa ||
		    d[i].mmap_offset + d[i].size < d[i].mmap_offset || fstat(fds[i], &st) < 0)
			goto bad;
		/* a file that holds it all: touching a page past its end would
		 * be SIGBUS in the worker (memfd, hugetlbfs and shm are files) */
		if (!S_ISREG(st.st_mode) || d[i].mmap_offset + d[i].size > (uint64_t)st.st_size)
			goto bad;
		for (uint32_t j = 0; j < i; j++)
			if (d[i].gpa < m->r[j].gpa + m->r[j].size && m->r[j].gpa < d[i].gpa + d[i].size)
				goto bad;
		/* hugetlbfs maps whole pages only: round up to the fd's block */
		blk = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
		len = (d[i].mmap_offset + d[i].size + blk - 1) / blk * blk;
		r->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			m->n = i;
			unmap_all(m);
			return NULL;
		}
		r->map_len = len;
		r->gpa = d[i].gpa;
		r->size = d[i].size;
		r->uva = d[i].uva;
		r->hva = (uint8_t *)r->map + d[i].mmap_offset;
		m->n = i + 1;
	}
	return m;
bad:
	unmap_all(m);
	errno = EINVAL;
	return NULL;
}

void vhost_mem_get(struct vhost_mem *m)
{
	__atomic_add_fetch(&m->refcnt, 1, __ATOMIC_RELAXED);
}

void vhost_mem_put(struct vhost_mem *m)
{
	if (m && __atomic_sub_fetch(&m->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		unmap_all(m);
}
