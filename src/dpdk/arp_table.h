/* arp_table: the neighbour table and the hold queue for unresolved next hops.
 *
 * One writer (the thread that receives: the app core in single mode, the Rx
 * thread otherwise) and lock-free readers (the app cores building Ethernet
 * headers).  An entry's IP is published once and never moves; its MAC and
 * flags live in one 64-bit word updated with an atomic store, so a reader
 * sees either the old or the new MAC, never half of each.  Entries are never
 * deleted (a VM has a handful of neighbours; a full table is counted).
 *
 * Static entries (from the config) are never overwritten by learning. */
#ifndef KB_ARP_TABLE_H
#define KB_ARP_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define ARP_TABLE_SIZE 256u      /* power of two */
#define ARP_HOLD_HOPS  16u       /* next hops waiting for a reply at once */
#define ARP_HOLD_PKTS  16u       /* packets held per next hop */

#define ARP_MAC_VALID  (1ull << 48)
#define ARP_MAC_STATIC (1ull << 49)

struct arp_entry {
	uint32_t ip;       /* network order; 0 = free slot */
	uint64_t mac;      /* 48-bit MAC | ARP_MAC_VALID | ARP_MAC_STATIC */
};

struct arp_table {
	struct arp_entry e[ARP_TABLE_SIZE];
	uint32_t used;
	uint64_t full;     /* learnings refused because the table was full */
};

enum arp_learn { ARP_LEARN_NEW, ARP_LEARN_UPDATED, ARP_LEARN_SAME, ARP_LEARN_STATIC_KEPT,
		 ARP_LEARN_FULL, ARP_LEARN_INVALID };

void arp_table_init(struct arp_table *t);
/* Writer only. */
enum arp_learn arp_table_learn(struct arp_table *t, uint32_t ip, const uint8_t mac[6],
			       bool is_static);
/* Any thread. 0 and the MAC, or -1. */
int arp_table_lookup(const struct arp_table *t, uint32_t ip, uint8_t mac[6]);

/* ---- hold queue: owned by the one thread that transmits to the NIC ---- */
struct arp_hold_slot {
	uint32_t ip;             /* 0 = free */
	uint8_t tries;           /* requests sent */
	uint16_t n;
	uint64_t next_try_us;
	void *pkt[ARP_HOLD_PKTS];
};

struct arp_hold {
	struct arp_hold_slot s[ARP_HOLD_HOPS];
	uint32_t active;
	uint32_t retry_us;       /* between requests */
	uint8_t max_tries;       /* then the held packets are dropped */
};

enum arp_hold_rc {
	ARP_HOLD_QUEUED,         /* held; a request is already out */
	ARP_HOLD_SEND_REQUEST,   /* held, first for this hop: send a request now */
	ARP_HOLD_FULL,           /* not held (hop or slot limit): caller drops */
};

void arp_hold_init(struct arp_hold *h, uint32_t retry_us, uint8_t max_tries);
enum arp_hold_rc arp_hold_add(struct arp_hold *h, uint32_t ip, void *pkt, uint64_t now_us);

enum arp_hold_event {
	ARP_HOLD_IDLE,           /* nothing to do for this slot */
	ARP_HOLD_RESOLVED,       /* mac set; *n packets in out[] to send */
	ARP_HOLD_RETRY,          /* send another request for *ip */
	ARP_HOLD_EXPIRED,        /* gave up: *n packets in out[] to drop */
};

/* Look at slot i (0..ARP_HOLD_HOPS-1); out has room for ARP_HOLD_PKTS. */
enum arp_hold_event arp_hold_check(struct arp_hold *h, unsigned i, const struct arp_table *t,
				   uint64_t now_us, uint32_t *ip, uint8_t mac[6],
				   void **out, unsigned *n);

#endif
