/* vhost_dev and vhost_mem against a guest that lies: split rings built in
 * a memfd (the way a frontend shares its memory), a vhost_mem mapped over
 * it by fd, and a vhost_dev on that.  What a good guest sends comes out
 * right (zero-copy multi-segment frames, offload flags, mergeable receive
 * buffers); what a hostile one writes -- loops, indexes out of range,
 * addresses outside its memory, wrong descriptor flags, index jumps, a head
 * posted twice -- is a counted drop or a broken device, never a crash, a
 * leak or a hang.  Needs EAL for the mbuf pool: --no-huge, no files. */

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "kbtest.h"
#include "vhost_dev.h"

#define QSIZE 8
#define MEM_LEN (1u << 20)
#define DATA_OFF 0x10000u   /* buffers live from here on */

static struct rte_mempool *g_pool;

struct env {
	int fd;
	uint8_t *base;            /* our view; also the guest's gpa and uva */
	struct vhost_dev *d;
	struct vhost_stats st;
	struct vring_desc *desc[2];
	struct vring_avail *avail[2];
	struct vring_used *used[2];
};

static uint64_t gpa(const struct env *e, uint32_t off)
{
	return (uint64_t)(uintptr_t)(e->base + off);
}

/* Guest memory with both rings (queue q at q * 16 KB: desc, avail at +4 KB,
 * used at +8 KB) and a device on them; false if it could not be built. */
static bool env_up(struct env *e, uint64_t features)
{
	struct vhost_vq_setup s[2];
	struct vhost_mem_desc md;
	struct vhost_mem *mem;
	const char *why = NULL;

	memset(e, 0, sizeof(*e));
	e->fd = memfd_create("guest", MFD_CLOEXEC);
	if (e->fd < 0 || ftruncate(e->fd, MEM_LEN) < 0)
		return false;
	e->base = mmap(NULL, MEM_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, e->fd, 0);
	if (e->base == MAP_FAILED)
		return false;
	md = (struct vhost_mem_desc){ .gpa = gpa(e, 0), .size = MEM_LEN, .uva = gpa(e, 0) };
	if (!(mem = vhost_mem_map(&md, &e->fd, 1)))
		return false;
	for (int q = 0; q < 2; q++) {
		uint32_t o = (uint32_t)q * 0x4000;

		e->desc[q] = (struct vring_desc *)(e->base + o);
		e->avail[q] = (struct vring_avail *)(e->base + o + 0x1000);
		e->used[q] = (struct vring_used *)(e->base + o + 0x2000);
		s[q] = (struct vhost_vq_setup){ .num = QSIZE, .desc = gpa(e, o),
			.avail = gpa(e, o + 0x1000), .used = gpa(e, o + 0x2000),
			.kickfd = -1, .callfd = -1 };
	}
	e->d = vhost_dev_new(mem, features, 7, s, &why);
	vhost_mem_put(mem);   /* the device holds its own reference */
	return e->d != NULL;
}

static void env_down(struct env *e)
{
	vhost_dev_put(e->d);
	if (e->base && e->base != MAP_FAILED)
		munmap(e->base, MEM_LEN);
	if (e->fd >= 0)
		close(e->fd);
}

static void desc_set(struct env *e, int q, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	e->desc[q][i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static void post(struct env *e, int q, uint16_t head)
{
	struct vring_avail *a = e->avail[q];

	a->ring[a->idx % QSIZE] = head;
	__atomic_store_n(&a->idx, (uint16_t)(a->idx + 1), __ATOMIC_RELEASE);
}

static void fill(uint8_t *p, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* The frame of m, flattened. */
static uint32_t flatten(const struct rte_mbuf *m, uint8_t *out, uint32_t max)
{
	uint32_t n = 0;

	for (; m; m = m->next) {
		if (n + m->data_len > max)
			return 0;
		memcpy(out + n, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		n += m->data_len;
	}
	return n;
}

static void tx_good_chain(void)
{
	struct env e;
	struct rte_mbuf *m[4];
	uint8_t want[300], got[400];

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	memset(e.base + DATA_OFF, 0, 12);   /* virtio header: no offload */
	fill(e.base + DATA_OFF + 0x1000, 100, 1);
	fill(e.base + DATA_OFF + 0x2000, 200, 2);
	memcpy(want, e.base + DATA_OFF + 0x1000, 100);
	memcpy(want + 100, e.base + DATA_OFF + 0x2000, 200);
	desc_set(&e, 1, 0, gpa(&e, DATA_OFF), 12, VRING_DESC_F_NEXT, 1);
	desc_set(&e, 1, 1, gpa(&e, DATA_OFF + 0x1000), 100, VRING_DESC_F_NEXT, 2);
	desc_set(&e, 1, 2, gpa(&e, DATA_OFF + 0x2000), 200, 0, 0);
	post(&e, 1, 0);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 4, &e.st), 1);
	CHECK_EQ(e.st.rx_pkts, 1);
	CHECK_EQ(e.st.rx_bytes, 300);
	CHECK_EQ(e.st.rx_bad, 0);
	CHECK_EQ(m[0]->nb_segs, 2);
	CHECK_EQ(m[0]->pkt_len, 300);
	CHECK_EQ(m[0]->port, 7);
	CHECK_EQ(m[0]->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG), 0);
	/* zero copy: the frame is the guest's own buffer */
	e.base[DATA_OFF + 0x1000] = want[0] = 0xab;
	CHECK_EQ(flatten(m[0], got, sizeof(got)), 300);
	CHECK(!memcmp(got, want, 300));
	/* lent, not returned, until the switch lets go */
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.used[1]->idx, 0);
	CHECK_EQ(e.d->refcnt, 2);
	rte_pktmbuf_free(m[0]);
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.used[1]->idx, 1);
	CHECK_EQ(e.used[1]->ring[0].id, 0);
	CHECK_EQ(e.d->refcnt, 1);
	env_down(&e);
}

/* Each bad chain is dropped, counted, and handed back unused; the device
 * goes on with the good chain posted after them. */
static void tx_bad_chains(void)
{
	struct env e;
	struct rte_mbuf *m[8];
	uint64_t outside;

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	outside = gpa(&e, MEM_LEN) + 4096;
	memset(e.base + DATA_OFF, 0, 64);
	/* 0 -> 1 -> 0: a loop */
	desc_set(&e, 1, 0, gpa(&e, DATA_OFF), 12, VRING_DESC_F_NEXT, 1);
	desc_set(&e, 1, 1, gpa(&e, DATA_OFF + 64), 60, VRING_DESC_F_NEXT, 0);
	/* 2 -> 200: next out of the table */
	desc_set(&e, 1, 2, gpa(&e, DATA_OFF), 12, VRING_DESC_F_NEXT, 200);
	/* 3: outside guest memory; 4: runs past its end */
	desc_set(&e, 1, 3, outside, 100, 0, 0);
	desc_set(&e, 1, 4, gpa(&e, MEM_LEN - 16), 0xffffffffu, 0, 0);
	/* 5: a receive buffer in the transmit ring */
	desc_set(&e, 1, 5, gpa(&e, DATA_OFF), 100, VRING_DESC_F_WRITE, 0);
	/* 6: shorter than the virtio header */
	desc_set(&e, 1, 6, gpa(&e, DATA_OFF), 8, 0, 0);
	for (uint16_t h = 0; h < 7; h++)
		if (h != 1)
			post(&e, 1, h);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 8, &e.st), 0);
	CHECK_EQ(e.st.rx_bad, 6);
	CHECK(!e.d->broken);
	CHECK_EQ(e.used[1]->idx, 6);
	CHECK_EQ(e.used[1]->ring[0].id, 0);
	CHECK_EQ(e.used[1]->ring[5].id, 6);
	/* a good one after them: an empty descriptor (any address) first */
	desc_set(&e, 1, 7, 0, 0, VRING_DESC_F_NEXT, 1);
	desc_set(&e, 1, 1, gpa(&e, DATA_OFF), 72, 0, 0);
	post(&e, 1, 7);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 8, &e.st), 1);
	CHECK_EQ(e.st.rx_bad, 6);
	if (e.st.rx_pkts == 1) {
		CHECK_EQ(m[0]->pkt_len, 60);
		rte_pktmbuf_free(m[0]);
	}
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.used[1]->idx, 7);
	CHECK_EQ(e.d->refcnt, 1);
	env_down(&e);
}

/* A device whose descriptor 0 is one chain: a zeroed header and len - 12
 * bytes of frame. */
static bool env_up_one(struct env *e, uint32_t len)
{
	if (!env_up(e, VHOST_DEV_FEATURES))
		return false;
	memset(e->base + DATA_OFF, 0, 12);
	desc_set(e, 1, 0, gpa(e, DATA_OFF), len, 0, 0);
	return true;
}

/* Chains that share descriptors: each head 0..7 starts a walk down to
 * descriptor 7 (the only one with data).  A burst walks no more
 * descriptors than the ring has: the first chain goes, the rest are bad. */
static void tx_shared_tails(void)
{
	struct env e;
	struct rte_mbuf *m[QSIZE];

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	memset(e.base + DATA_OFF, 0, 12);
	for (uint16_t i = 0; i < QSIZE - 1; i++)
		desc_set(&e, 1, i, 0, 0, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	desc_set(&e, 1, QSIZE - 1, gpa(&e, DATA_OFF), 72, 0, 0);
	for (uint16_t i = 0; i < QSIZE; i++)
		post(&e, 1, i);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, QSIZE, &e.st), 1);
	CHECK_EQ(e.st.rx_bad, QSIZE - 1);
	CHECK(!e.d->broken);
	if (e.st.rx_pkts == 1) {
		CHECK_EQ(m[0]->pkt_len, 60);
		rte_pktmbuf_free(m[0]);
	}
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.used[1]->idx, QSIZE);
	CHECK_EQ(e.d->refcnt, 1);
	env_down(&e);
}

/* A head posted again while the switch still holds it: dropped and
 * counted; the device's references still balance. */
static void tx_head_posted_twice(void)
{
	struct env e;
	struct rte_mbuf *m[4];

	CHECK(env_up_one(&e, 12 + 100));
	if (!e.d)
		return;
	post(&e, 1, 0);
	post(&e, 1, 0);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 4, &e.st), 1);
	CHECK_EQ(e.st.rx_bad, 1);
	CHECK_EQ(e.d->refcnt, 2);
	if (e.st.rx_pkts == 1)
		rte_pktmbuf_free(m[0]);
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.d->refcnt, 1);
	/* and once back, the head may be posted again */
	post(&e, 1, 0);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 4, &e.st), 1);
	if (e.st.rx_pkts == 2)
		rte_pktmbuf_free(m[0]);
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.d->refcnt, 1);
	env_down(&e);
}

/* An index that lies stops the device, for good and without a crash. */
static void tx_index_jump(void)
{
	struct env e;
	struct rte_mbuf *m[4];

	CHECK(env_up_one(&e, 112));
	if (!e.d)
		return;
	e.avail[1]->ring[0] = 0;
	e.avail[1]->idx = QSIZE + 1;
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 4, &e.st), 0);
	CHECK(e.d->broken);
	CHECK_EQ(e.st.rx_bad, 1);
	e.avail[1]->idx = 1;   /* too late */
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 4, &e.st), 0);
	CHECK_EQ(e.used[1]->idx, 0);
	env_down(&e);

	/* a head out of the table */
	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	post(&e, 1, QSIZE + 3);
	CHECK_EQ(vhost_dev_dequeue(e.d, g_pool, m, 4, &e.st), 0);
	CHECK(e.d->broken);
	CHECK_EQ(e.st.rx_bad, 1);
	env_down(&e);

	/* the receive ring's index lies */
	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	e.avail[0]->idx = 40000;
	m[0] = rte_pktmbuf_alloc(g_pool);
	CHECK(m[0] && rte_pktmbuf_append(m[0], 60));
	CHECK_EQ(vhost_dev_enqueue(e.d, m, 1, &e.st), 0);
	CHECK(e.d->broken);
	CHECK_EQ(e.st.tx_bad, 1);
	rte_pktmbuf_free(m[0]);
	env_down(&e);
}

/* One transmit frame with header hdr and l3/l4 headers built from the
 * arguments; returns what dequeue made of it (NULL: dropped). */
static struct rte_mbuf *tx_offload(struct env *e, const struct virtio_net_hdr *hdr, bool v6,
				   uint8_t proto, uint8_t ihl)
{
	uint8_t *p = e->base + DATA_OFF + 0x1000;
	uint32_t l3 = v6 ? 40 : 20, len = 14 + l3 + 20 + 1000;
	struct rte_mbuf *m[2];

	memset(e->base + DATA_OFF, 0, 12);
	memcpy(e->base + DATA_OFF, hdr, sizeof(*hdr));
	memset(p, 0, len);
	p[12] = v6 ? 0x86 : 0x08;
	p[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		p[14] = 0x60;
		p[14 + 6] = proto;
	} else {
		p[14] = (uint8_t)(0x40 | ihl);
		p[14 + 9] = proto;
	}
	p[14 + l3 + 12] = 5 << 4;   /* TCP data offset: 20 bytes */
	desc_set(e, 1, 0, gpa(e, DATA_OFF), 12, VRING_DESC_F_NEXT, 1);
	desc_set(e, 1, 1, gpa(e, DATA_OFF + 0x1000), len, 0, 0);
	post(e, 1, 0);
	if (vhost_dev_dequeue(e->d, g_pool, m, 2, &e->st) != 1)
		return NULL;
	return m[0];
}

static void tx_offload_flags(void)
{
	struct env e;
	struct rte_mbuf *m;
	struct virtio_net_hdr h;
	uint64_t mask = RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 |
			RTE_MBUF_F_TX_IPV6;

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	/* TSO over IPv4 */
	h = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54, .gso_size = 1448,
		.csum_start = 34, .csum_offset = 16 };
	m = tx_offload(&e, &h, false, IPPROTO_TCP, 5);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(m->ol_flags & mask,
			 RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG);
		CHECK_EQ(m->l2_len, 14);
		CHECK_EQ(m->l3_len, 20);
		CHECK_EQ(m->l4_len, 20);
		CHECK_EQ(m->tso_segsz, 1448);
		rte_pktmbuf_free(m);
	}
	/* a UDP checksum over IPv6 */
	h = (struct virtio_net_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = 54, .csum_offset = 6 };
	m = tx_offload(&e, &h, true, IPPROTO_UDP, 5);
	CHECK(m != NULL);
	if (m) {
		CHECK_EQ(m->ol_flags & mask, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM);
		CHECK_EQ(m->l2_len, 14);
		CHECK_EQ(m->l3_len, 40);
		CHECK_EQ(m->l4_len, 8);
		CHECK_EQ(m->tso_segsz, 0);
		rte_pktmbuf_free(m);
	}
	CHECK_EQ(e.st.rx_bad, 0);
	/* headers that point where no header is: dropped, counted, returned */
	static const struct virtio_net_hdr bad[] = {
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 5, .csum_offset = 16 },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 60000, .csum_offset = 16 },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 3 },
		{ .flags = 0, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448 },
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		  .gso_size = 0, .csum_start = 34, .csum_offset = 16 },
		/* ihl says 60 bytes, csum_start says 20 */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 },
		/* IPv4's l3 longer than an mbuf's l3_len holds */
		{ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 14 + 520, .csum_offset = 6 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = tx_offload(&e, &bad[i], false, IPPROTO_TCP, i == 5 ? 15 : 5);
		CHECK(m == NULL);
		if (m)
			rte_pktmbuf_free(m);
		CHECK_EQ(e.st.rx_bad, i + 1);
	}
	vhost_dev_complete(e.d, &e.st);
	CHECK_EQ(e.used[1]->idx, 2 + sizeof(bad) / sizeof(bad[0]));
	CHECK_EQ(e.d->refcnt, 1);
	env_down(&e);
}

/* A frame of segs[] lengths, bytes fill(seed). */
static struct rte_mbuf *frame(const uint16_t *segs, int n, uint8_t seed, uint8_t *flat)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t off = 0;

	for (int i = 0; i < n; i++) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(g_pool);
		uint8_t *p;

		if (!s || !(p = (uint8_t *)rte_pktmbuf_append(s, segs[i]))) {
			rte_pktmbuf_free(s);
			rte_pktmbuf_free(head);
			return NULL;
		}
		fill(flat + off, segs[i], (uint8_t)(seed + off));
		memcpy(p, flat + off, segs[i]);
		off += segs[i];
		if (!head) {
			head = s;
		} else {
			last->next = s;
			head->nb_segs++;
			head->pkt_len += segs[i];
		}
		last = s;
	}
	return head;
}

static void rx_mergeable(void)
{
	static const uint16_t segs[] = { 2000, 1500, 1500 };
	uint8_t want[5000], got[5000];
	struct virtio_net_hdr_mrg_rxbuf h;
	struct rte_mbuf *m;
	struct env e;
	uint32_t off = 0;

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	m = frame(segs, 3, 9, want);
	CHECK(m && m->pkt_len == 5000);
	if (!m) {
		env_down(&e);
		return;
	}
	m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
	m->l2_len = 14;
	m->l3_len = 20;
	for (uint16_t i = 0; i < 6; i++) {
		desc_set(&e, 0, i, gpa(&e, DATA_OFF + i * 0x1000u), 1024, VRING_DESC_F_WRITE, 0);
		post(&e, 0, i);
	}
	CHECK_EQ(vhost_dev_enqueue(e.d, &m, 1, &e.st), 1);
	CHECK_EQ(e.st.tx_pkts, 1);
	CHECK_EQ(e.st.tx_bytes, 5000);
	CHECK_EQ(e.used[0]->idx, 5);
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(e.used[0]->ring[i].id, i);
		CHECK_EQ(e.used[0]->ring[i].len, i < 4 ? 1024 : 12 + 5000 - 4 * 1024);
	}
	memcpy(&h, e.base + DATA_OFF, sizeof(h));
	CHECK_EQ(h.num_buffers, 5);
	CHECK_EQ(h.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(h.hdr.csum_start, 34);
	CHECK_EQ(h.hdr.csum_offset, 16);
	for (int i = 0; i < 5; i++) {
		uint32_t k = i ? 1024 : 1024 - 12;

		if (off + k > 5000)
			k = 5000 - off;
		memcpy(got + off, e.base + DATA_OFF + i * 0x1000u + (i ? 0 : 12), k);
		off += k;
	}
	CHECK_EQ(off, 5000);
	CHECK(!memcmp(got, want, 5000));
	/* nothing left to write into: not taken, counted */
	CHECK_EQ(vhost_dev_enqueue(e.d, &m, 1, &e.st), 0);
	CHECK_EQ(e.st.tx_full, 1);
	CHECK_EQ(e.used[0]->idx, 5);
	rte_pktmbuf_free(m);
	env_down(&e);
}

/* No receive buffer posted: the frame is not taken (tx_full); a buffer
 * the guest may not have us write: the ring is broken (tx_bad). */
static void rx_no_or_bad_buffer(void)
{
	static const uint16_t segs[] = { 100 };
	uint8_t flat[100];
	struct rte_mbuf *m;
	struct env e;

	for (int bad = 0; bad < 2; bad++) {
		CHECK(env_up(&e, VHOST_DEV_FEATURES));
		if (!e.d)
			return;
		m = frame(segs, 1, 3, flat);
		CHECK(m != NULL);
		if (bad) {
			desc_set(&e, 0, 0, gpa(&e, DATA_OFF), 512, 0, 0);   /* not WRITE */
			post(&e, 0, 0);
		}
		CHECK_EQ(vhost_dev_enqueue(e.d, &m, 1, &e.st), 0);
		CHECK_EQ(bad ? e.st.tx_bad : e.st.tx_full, 1);
		CHECK_EQ(e.st.tx_pkts, 0);
		CHECK_EQ(e.used[0]->idx, 0);
		CHECK_EQ(e.d->broken, bad);
		rte_pktmbuf_free(m);
		env_down(&e);
	}
}

/* Receive buffers chained through the same empty descriptors: one frame
 * walks no more descriptors than the ring has (the ring is broken). */
static void rx_shared_tails(void)
{
	static const uint16_t segs[] = { 100 };
	uint8_t flat[100];
	struct rte_mbuf *m;
	struct env e;

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	m = frame(segs, 1, 3, flat);
	CHECK(m != NULL);
	desc_set(&e, 0, 0, gpa(&e, DATA_OFF), 64, VRING_DESC_F_WRITE, 0);
	for (uint16_t i = 1; i < QSIZE; i++)
		desc_set(&e, 0, i, 0, 0, VRING_DESC_F_WRITE | (i < QSIZE - 1 ? VRING_DESC_F_NEXT : 0),
			 (uint16_t)(i + 1));
	for (uint16_t i = 0; i < QSIZE; i++)
		post(&e, 0, i);
	CHECK_EQ(vhost_dev_enqueue(e.d, &m, 1, &e.st), 0);
	CHECK_EQ(e.st.tx_bad, 1);
	CHECK(e.d->broken);
	CHECK_EQ(e.used[0]->idx, 0);
	rte_pktmbuf_free(m);
	env_down(&e);
}

/* Without MRG_RXBUF a frame must fit one buffer: what does not is dropped
 * and counted (whether one buffer is posted or several), and the buffer
 * stays for the next frame. */
static void rx_not_mergeable_toobig(void)
{
	static const uint16_t big[] = { 1000 }, small[] = { 100 };
	uint8_t flat[1000];
	struct rte_mbuf *m[2];
	struct env e;
	uint64_t f = VHOST_DEV_FEATURES &
		~((1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_F_VERSION_1));

	CHECK(env_up(&e, f));
	if (!e.d)
		return;
	CHECK_EQ(e.d->hdr_len, 10);
	m[0] = frame(big, 1, 1, flat);
	m[1] = frame(small, 1, 2, flat);
	CHECK(m[0] && m[1]);
	desc_set(&e, 0, 0, gpa(&e, DATA_OFF), 512, VRING_DESC_F_WRITE, 0);
	post(&e, 0, 0);
	/* one buffer posted, too small */
	CHECK_EQ(vhost_dev_enqueue(e.d, m, 1, &e.st), 1);
	CHECK_EQ(e.st.tx_toobig, 1);
	CHECK_EQ(e.st.tx_full, 0);
	CHECK_EQ(e.used[0]->idx, 0);
	/* two posted, still one buffer per frame */
	desc_set(&e, 0, 1, gpa(&e, DATA_OFF + 0x1000), 512, VRING_DESC_F_WRITE, 0);
	post(&e, 0, 1);
	CHECK_EQ(vhost_dev_enqueue(e.d, m, 2, &e.st), 2);
	CHECK_EQ(e.st.tx_toobig, 2);
	CHECK_EQ(e.st.tx_pkts, 1);
	CHECK_EQ(e.used[0]->idx, 1);
	CHECK_EQ(e.used[0]->ring[0].id, 0);
	CHECK_EQ(e.used[0]->ring[0].len, 10 + 100);
	CHECK(!memcmp(e.base + DATA_OFF + 10, flat, 100));
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	env_down(&e);
}

/* Rings that do not fit: no device. */
static void dev_bad_rings(void)
{
	struct vhost_mem_desc md;
	struct vhost_mem *mem;
	struct vhost_vq_setup s[2];
	const char *why;
	struct env e;
	uint8_t *base;
	int fd;

	CHECK(env_up(&e, VHOST_DEV_FEATURES));
	if (!e.d)
		return;
	fd = e.fd;
	base = e.base;
	md = (struct vhost_mem_desc){ .gpa = gpa(&e, 0), .size = MEM_LEN, .uva = gpa(&e, 0) };
	mem = vhost_mem_map(&md, &fd, 1);
	CHECK(mem != NULL);
	if (!mem) {
		env_down(&e);
		return;
	}
	for (int q = 0; q < 2; q++)
		s[q] = (struct vhost_vq_setup){ .num = 256, .desc = gpa(&e, q * 0x8000u),
			.avail = gpa(&e, q * 0x8000u + 0x1000), .used = gpa(&e, q * 0x8000u + 0x2000),
			.kickfd = -1, .callfd = -1 };
	for (int c = 0; c < 7; c++) {
		struct vhost_vq_setup t[2] = { s[0], s[1] };
		struct vhost_dev *d;

		switch (c) {
		case 0: t[1].num = 0; break;
		case 1: t[1].num = 100; break;
		case 2: t[0].num = 65536; break;
		case 3: t[1].desc = gpa(&e, MEM_LEN - 0x100); break;      /* runs past the end */
		case 4: t[0].used = 0x1000; break;                       /* nowhere */
		case 5: t[1].avail = (uint64_t)(uintptr_t)(base - 64); break;
		case 6: t[0].desc += 8; break;                           /* misaligned */
		}
		why = NULL;
		d = vhost_dev_new(mem, VHOST_DEV_FEATURES, 0, t, &why);
		CHECK(d == NULL);
		CHECK(why != NULL);
		vhost_dev_put(d);
	}
	CHECK_EQ(mem->refcnt, 1);
	vhost_mem_put(mem);
	env_down(&e);
}

/* Memory tables that must not be mapped. */
static void mem_bad_tables(void)
{
	struct vhost_mem_desc md[2];
	int fd = memfd_create("guest", MFD_CLOEXEC), fds[2], pfd[2];

	CHECK(fd >= 0 && ftruncate(fd, 65536) == 0);
	CHECK(pipe(pfd) == 0);
	fds[0] = fds[1] = fd;
	/* empty */
	md[0] = (struct vhost_mem_desc){ .gpa = 0, .size = 0, .uva = 0 };
	errno = 0;
	CHECK(vhost_mem_map(md, fds, 1) == NULL && errno == EINVAL);
	/* wraps the address space */
	md[0] = (struct vhost_mem_desc){ .gpa = UINT64_MAX - 4095, .size = 8192 };
	CHECK(vhost_mem_map(md, fds, 1) == NULL);
	md[0] = (struct vhost_mem_desc){ .gpa = 0, .size = 4096, .mmap_offset = UINT64_MAX - 100 };
	CHECK(vhost_mem_map(md, fds, 1) == NULL);
	/* two regions overlap */
	md[0] = (struct vhost_mem_desc){ .gpa = 0x100000, .size = 0x8000 };
	md[1] = (struct vhost_mem_desc){ .gpa = 0x104000, .size = 0x8000, .mmap_offset = 0x8000 };
	CHECK(vhost_mem_map(md, fds, 2) == NULL);
	/* more than the file holds (touching it would be SIGBUS) */
	md[0] = (struct vhost_mem_desc){ .gpa = 0, .size = 1u << 30 };
	CHECK(vhost_mem_map(md, fds, 1) == NULL);
	md[0] = (struct vhost_mem_desc){ .gpa = 0, .size = 65536, .mmap_offset = 4096 };
	CHECK(vhost_mem_map(md, fds, 1) == NULL);
	/* not memory at all */
	fds[0] = pfd[0];
	md[0] = (struct vhost_mem_desc){ .gpa = 0, .size = 4096 };
	CHECK(vhost_mem_map(md, fds, 1) == NULL);
	fds[0] = -1;
	CHECK(vhost_mem_map(md, fds, 1) == NULL);
	/* too many regions */
	CHECK(vhost_mem_map(md, fds, VHOST_MAX_REGIONS + 1) == NULL);
	/* and a good one, two regions */
	fds[0] = fd;
	md[0] = (struct vhost_mem_desc){ .gpa = 0x100000, .size = 0x8000, .uva = 0x700000 };
	md[1] = (struct vhost_mem_desc){ .gpa = 0x200000, .size = 0x8000, .uva = 0x800000,
					 .mmap_offset = 0x8000 };
	struct vhost_mem *m = vhost_mem_map(md, fds, 2);

	CHECK(m != NULL);
	if (m) {
		CHECK(vhost_mem_gpa(m, 0x200000 + 0x7fff, 1) != NULL);
		CHECK(vhost_mem_gpa(m, 0x200000 + 0x7fff, 2) == NULL);
		CHECK(vhost_mem_gpa(m, 0x108000, 1) == NULL);
		CHECK(vhost_mem_gpa(m, 0x100000, UINT64_MAX) == NULL);
		CHECK(vhost_mem_uva(m, 0x800000, 0x8000) == vhost_mem_gpa(m, 0x200000, 1));
		vhost_mem_put(m);
	}
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

int main(int argc, char **argv)
{
	char *eal[] = { "test_vhost_dev", "--no-huge", "-m", "64", "--no-shconf", "--no-pci",
			"--no-telemetry", "-l", "0", "--log-level", "lib.eal:error", NULL };
	static const struct kbtest t[] = {
		T(tx_good_chain), T(tx_bad_chains), T(tx_shared_tails), T(tx_head_posted_twice),
		T(tx_index_jump), T(tx_offload_flags), T(rx_mergeable), T(rx_no_or_bad_buffer),
		T(rx_shared_tails), T(rx_not_mergeable_toobig), T(dev_bad_rings), T(mem_bad_tables),
	};
	int rc;

	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		printf("FAIL: eal: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	g_pool = rte_pktmbuf_pool_create("t", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (!g_pool) {
		printf("FAIL: pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rc = kbtest_main(t, sizeof(t) / sizeof(t[0]), argc, argv);
	rte_mempool_free(g_pool);
	rte_eal_cleanup();
	return rc;
}
