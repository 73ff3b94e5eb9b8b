/* Inbound packets from script lines: the peer's side of the trace.
 *
 * Numbers are mapped to the wire as conns.h describes; options are written
 * in the script's order (not a canonical layout: scripts test what stacks do
 * with odd layouts too); LEN payload bytes are synthesised.
 */
#ifndef SYNACK_RUN_BUILD_PACKET_H
#define SYNACK_RUN_BUILD_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "run/conns.h"
#include "run/script.h"

/* Returns the packet length, or 0 with why filled (too big). */
size_t run_build_inbound(const struct run_pkt *p, const struct run_conn *c, uint8_t *buf,
                         size_t cap, char *why, size_t whycap);

/* RFC 1071 one's-complement sum (folded, not inverted), for tests too. */
uint32_t run_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t run_csum_fold(uint32_t sum);

#endif
