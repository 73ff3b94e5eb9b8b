/* Internet checksum building blocks (RFC 1071), private to the engine.
 *
 * A running sum is a uint32_t of 16-bit big-endian words, added but not yet
 * folded; chain synack_csum_add() over the pieces of a datagram (every piece but the
 * last must have even length, RFC 1071 §2(A) sums 16-bit words) and finish
 * with synack_csum_finish(). Keeping the sum open is what makes the pseudo-header,
 * header and payload cheap to combine and lets a caller patch one field with
 * synack_csum_update16() (RFC 1624) instead of summing the segment again.
 */
#ifndef SYNACK_CHECKSUM_H
#define SYNACK_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "synack/segment.h"

/* sum + the 16-bit words of p[0..len), folded back to 16 bits, so calls
 * chain without overflow. */
uint32_t synack_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/* The TCP pseudo-header (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6). */
uint32_t synack_csum_pseudo(const struct synack_addr *src, const struct synack_addr *dst,
                            uint8_t proto, uint32_t len);

/* Folds the carries back in (end-around carry) and complements: the value
 * that goes into a checksum field. Over data that includes a correct
 * checksum field, the result is 0. */
uint16_t synack_csum_finish(uint32_t sum);

/* An ICMPv6 message's checksum, over the pseudo-header with next header 58
 * (RFC 4443 §2.3): the field's value, or 0 over a message whose field is
 * correct. */
uint16_t synack_icmp6_checksum(const struct synack_addr *src, const struct synack_addr *dst,
                               const uint8_t *msg, size_t len);

/* RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered
 * data changes from old_word to new_word. */
uint16_t synack_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

#endif
