/* Fixing up a mutated whole IP packet so that mutations get past the
 * checksums (../shared/TOOLCHAIN.md: with a checksum inside the input,
 * neither libFuzzer nor AFL++ found a planted bug in 27M executions; with
 * this, in seconds). Shared by the libFuzzer custom mutator of the targets
 * that take whole packets (fuzz_packet.c) and AFL++'s post-process library
 * (afl_post_checksum.c).
 *
 * Most of the time the IP length fields are set to the buffer's length
 * and the checksums are recomputed (IPv4 header and TCP, or ICMP / ICMPv6:
 * synack_seg_fix_checksums); some inputs are left as mutated, so
 * the length and checksum checks themselves keep being fuzzed.
 */
#ifndef SYNACK_FUZZ_PACKET_FIX_H
#define SYNACK_FUZZ_PACKET_FIX_H

#include <stddef.h>
#include <stdint.h>

#include "synack/segment.h"

static inline void packet_fix(uint8_t *pkt, size_t len, unsigned choice)
{
	if (choice % 8 == 0 || len < 20)
		return; /* one in eight stays as mutated */
	if ((pkt[0] >> 4) == 4 && choice % 8 != 1 && len <= 0xffff) {
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
	} else if ((pkt[0] >> 4) == 6 && len >= 40 && choice % 8 != 1 && len - 40 <= 0xffff) {
		pkt[4] = (uint8_t)((len - 40) >> 8);
		pkt[5] = (uint8_t)(len - 40);
	}
	synack_seg_fix_checksums(pkt, len);
}

#endif
