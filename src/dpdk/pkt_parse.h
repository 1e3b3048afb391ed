/* pkt_parse: what the layer needs to know about a received frame, as pure
 * functions over bytes (unit-tested without EAL).
 *
 * The layer delivers only well-formed unicast IPv4 to its own address and
 * hands ARP to arp handling; everything else is a counted drop. */
#ifndef KB_PKT_PARSE_H
#define KB_PKT_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#define ETH_HLEN        14
#define ETHTYPE_IPV4    0x0800
#define ETHTYPE_ARP     0x0806
#define ARP_FRAME_LEN   42     /* Ethernet + ARP for IPv4 over Ethernet */
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17

enum pkt_verdict {
	PKT_OURS = 0,      /* IPv4 for us: deliver */
	PKT_ARP,           /* an ARP packet (checked by arp_parse) */
	PKT_OTHER_IP,      /* IPv4 not addressed to us */
	PKT_NON_IP,        /* neither IPv4 nor ARP */
	PKT_RUNT,          /* too short for Ethernet + IPv4 header */
	PKT_BAD_VERSION,
	PKT_BAD_IHL,
	PKT_BAD_LEN,       /* total length < IHL or > the frame, or L4 ports missing */
	PKT_BAD_CKSUM,
	PKT_VERDICTS
};

/* What the NIC said about the IPv4 header checksum. */
enum pkt_cksum { PKT_CKSUM_UNKNOWN = 0, PKT_CKSUM_GOOD, PKT_CKSUM_BAD };

struct pkt_info {
	uint16_t l3_len;      /* IPv4 total length (Ethernet padding excluded) */
	uint8_t proto;
	bool rss;             /* TCP/UDP and not a fragment: ports are valid */
	uint32_t saddr, daddr; /* network order */
	uint16_t sport, dport; /* network order; 0 unless rss */
};

/* Classify one Ethernet frame; fills *pi for PKT_OURS. */
enum pkt_verdict pkt_classify(const uint8_t *frame, uint32_t len, uint32_t our_ip,
			      enum pkt_cksum ck, struct pkt_info *pi);

/* The same for a frame in segments: len bytes contiguous at frame (the
 * headers must be there), total bytes in all. */
enum pkt_verdict pkt_classify_seg(const uint8_t *frame, uint32_t len, uint32_t total,
				  uint32_t our_ip, enum pkt_cksum ck, struct pkt_info *pi);

const char *pkt_verdict_name(enum pkt_verdict v);

/* The Internet checksum's folded one's-complement sum of len bytes. */
uint16_t pkt_cksum16(const void *data, uint32_t len);

/* ---- ARP (RFC 826, IPv4 over Ethernet) ---- */
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY   2

struct arp_msg {
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;   /* network order */
	uint8_t tha[6];
	uint32_t tpa;
};

/* 0, or -1 for a truncated or non-Ethernet/IPv4 ARP packet. */
int arp_parse(const uint8_t *frame, uint32_t len, struct arp_msg *m);

/* Write a complete 42-byte ARP frame: a request (broadcast, tha zero) or a
 * reply to dst_mac. */
void arp_build(uint8_t *frame, uint16_t op, const uint8_t src_mac[6], uint32_t src_ip,
	       const uint8_t dst_mac[6], uint32_t dst_ip);

/* Ethernet header in front of an L3 packet. */
void eth_write(uint8_t *frame, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

#endif
