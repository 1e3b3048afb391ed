#include "arp_table.h"

#include <string.h>

static uint64_t mac_pack(const uint8_t m[6])
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

static void mac_unpack(uint64_t v, uint8_t m[6])
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		m[i] = (uint8_t)v;
}

static inline unsigned slot_of(uint32_t ip)
{
	return (ip * 2654435761u) >> 24 & (ARP_TABLE_SIZE - 1);
}

void arp_table_init(struct arp_table *t)
{
	memset(t, 0, sizeof(*t));
}

enum arp_learn arp_table_learn(struct arp_table *t, uint32_t ip, const uint8_t mac[6],
			       bool is_static)
{
	static const uint8_t zero[6];

	if (ip == 0 || ip == 0xffffffffu || (mac[0] & 1) || !memcmp(mac, zero, 6))
		return ARP_LEARN_INVALID;
	uint64_t word = mac_pack(mac) | ARP_MAC_VALID | (is_static ? ARP_MAC_STATIC : 0);

	for (unsigned k = 0, i = slot_of(ip); k < ARP_TABLE_SIZE; k++, i = (i + 1) & (ARP_TABLE_SIZE - 1)) {
		struct arp_entry *e = &t->e[i];

		if (e->ip == ip) {
			uint64_t old = e->mac;

			if ((old & ARP_MAC_STATIC) && !is_static)
				return ARP_LEARN_STATIC_KEPT;
			if (old == word)
				return ARP_LEARN_SAME;
			__atomic_store_n(&e->mac, word, __ATOMIC_RELEASE);
			return ARP_LEARN_UPDATED;
		}
		if (e->ip == 0) {
			if (t->used + 1 >= ARP_TABLE_SIZE)   /* keep a free slot: lookups end */
				break;
			e->mac = word;
			/* publish the IP last: a reader that finds it sees the MAC */
			__atomic_store_n(&e->ip, ip, __ATOMIC_RELEASE);
			t->used++;
			return ARP_LEARN_NEW;
		}
	}
	t->full++;
	return ARP_LEARN_FULL;
}

int arp_table_lookup(const struct arp_table *t, uint32_t ip, uint8_t mac[6])
{
	for (unsigned k = 0, i = slot_of(ip); k < ARP_TABLE_SIZE; k++, i = (i + 1) & (ARP_TABLE_SIZE - 1)) {
		uint32_t eip = __atomic_load_n(&t->e[i].ip, __ATOMIC_ACQUIRE);

		if (eip == ip) {
			uint64_t w = __atomic_load_n(&t->e[i].mac, __ATOMIC_ACQUIRE);

			if (!(w & ARP_MAC_VALID))
				return -1;
			mac_unpack(w, mac);
			return 0;
		}
		if (eip == 0)
			return -1;
	}
	return -1;
}

void arp_hold_init(struct arp_hold *h, uint32_t retry_us, uint8_t max_tries)
{
	memset(h, 0, sizeof(*h));
	h->retry_us = retry_us;
	h->max_tries = max_tries ? max_tries : 1;
}

enum arp_hold_rc arp_hold_add(struct arp_hold *h, uint32_t ip, void *pkt, uint64_t now_us)
{
	struct arp_hold_slot *free_slot = NULL;

	for (unsigned i = 0; i < ARP_HOLD_HOPS; i++) {
		struct arp_hold_slot *s = &h->s[i];

		if (s->ip == ip) {
			if (s->n >= ARP_HOLD_PKTS)
				return ARP_HOLD_FULL;
			s->pkt[s->n++] = pkt;
			return ARP_HOLD_QUEUED;
		}
		if (!s->ip && !free_slot)
			free_slot = s;
	}
	if (!free_slot)
		return ARP_HOLD_FULL;
	free_slot->ip = ip;
	free_slot->n = 1;
	free_slot->pkt[0] = pkt;
	free_slot->tries = 1;
	free_slot->next_try_us = now_us + h->retry_us;
	h->active++;
	return ARP_HOLD_SEND_REQUEST;
}

static void slot_release(struct arp_hold *h, struct arp_hold_slot *s, void **out, unsigned *n)
{
	memcpy(out, s->pkt, s->n * sizeof(void *));
	*n = s->n;
	s->ip = 0;
	s->n = 0;
	h->active--;
}

enum arp_hold_event arp_hold_check(struct arp_hold *h, unsigned i, const struct arp_table *t,
				   uint64_t now_us, uint32_t *ip, uint8_t mac[6],
				   void **out, unsigned *n)
{
	struct arp_hold_slot *s = &h->s[i];

	*n = 0;
	if (!s->ip)
		return ARP_HOLD_IDLE;
	*ip = s->ip;
	if (arp_table_lookup(t, s->ip, mac) == 0) {
		slot_release(h, s, out, n);
		return ARP_HOLD_RESOLVED;
	}
	if (now_us < s->next_try_us)
		return ARP_HOLD_IDLE;
	if (s->tries >= h->max_tries) {
		slot_release(h, s, out, n);
		return ARP_HOLD_EXPIRED;
	}
	s->tries++;
	s->next_try_us = now_us + h->retry_us;
	return ARP_HOLD_RETRY;
}
