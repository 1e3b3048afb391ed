/* fuzz_pkt: raw Ethernet frames through the DPDK layer's receive parser
 * (pkt_classify, arp_parse), as a vNIC would hand them over.  The first
 * byte picks what the NIC said about the IPv4 checksum; our address is
 * fixed so that frames the fuzzer makes for it reach the deeper checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;
	struct arp_msg am;
	enum pkt_cksum ck;
	uint8_t *frame;

	if (size < 1)
		return 0;
	ck = (enum pkt_cksum)(data[0] % 3);
	data++;
	size--;
	/* an exact-size copy: a read past the frame is an ASan report */
	frame = malloc(size ? size : 1);
	if (!frame)
		return 0;
	memcpy(frame, data, size);
	enum pkt_verdict v = pkt_classify(frame, (uint32_t)size, 0x0100000a /* 10.0.0.1 */, ck, &pi);

	if (v >= PKT_VERDICTS || !pkt_verdict_name(v))
		abort();
	if (v == PKT_OURS && (pi.l3_len > size - ETH_HLEN || pi.daddr != 0x0100000a))
		abort();   /* the layer would hand the stack bytes past the frame */
	if (v == PKT_ARP)
		arp_parse(frame, (uint32_t)size, &am);
	free(frame);
	return 0;
}
