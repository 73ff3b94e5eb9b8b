/* Internet checksum (RFC 1071) and the TCP pseudo-header.
 *
 * On the hot path: every segment in and out is summed once. The loop sums
 * 32-bit words in the machine's byte order into a 64-bit accumulator (no
 * carry handling inside the loop) and byte-swaps the folded result once at
 * the end, which RFC 1071 §2(B) shows is equivalent to summing big-endian
 * 16-bit words.
 */
#include <string.h>

#include "checksum.h"
#include "synack/segment.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CSUM_BIG_ENDIAN 1
#else
#define CSUM_BIG_ENDIAN 0
#endif

static uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint32_t)s;
}

/* Under AddressSanitizer every load of the loop below carried its own shadow
 * check: most of the checksum's cost in the fuzz builds, a tenth of the segment
 * target's time (docs/fuzzing.md, "Speed"). The whole range is checked once
 * instead, before an uninstrumented loop: a read past the buffer is still
 * reported, at its first bad byte, through an ordinary instrumented read. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CSUM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CSUM_ASAN 1
#endif
#ifdef CSUM_ASAN
#include <sanitizer/asan_interface.h>
#define CSUM_UNCHECKED_LOADS __attribute__((no_sanitize("address")))
static void csum_check_readable(const uint8_t *p, size_t len)
{
	const volatile uint8_t *bad = __asan_region_is_poisoned((void *)(uintptr_t)p, len);
	if (bad)
		(void)*bad;
}
#else
#define CSUM_UNCHECKED_LOADS
static void csum_check_readable(const uint8_t *p, size_t len)
{
	(void)p;
	(void)len;
}
#endif

CSUM_UNCHECKED_LOADS static uint32_t load32(const uint8_t *p)
{
	uint32_t w;
	memcpy(&w, p, sizeof w); /* unaligned-safe; compiles to one load */
	return w;
}

static CSUM_UNCHECKED_LOADS uint64_t csum_words(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;
	while (len >= 16) {
		acc += (uint64_t)load32(p) + load32(p + 4) + load32(p + 8) + load32(p + 12);
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		acc += load32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, sizeof h);
		acc += h;
		p += 2;
		len -= 2;
	}
	/* RFC 1071 §4.1: an odd final byte is the high half of a zero-padded
	 * word in network order, which is the low byte of a native word on a
	 * little-endian machine. */
	if (len)
		acc += CSUM_BIG_ENDIAN ? (uint32_t)p[0] << 8 : p[0];
	return acc;
}

uint32_t synack_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	csum_check_readable(p, len);
	uint32_t native = fold64(csum_words(p, len));
	uint32_t be = CSUM_BIG_ENDIAN ? native : ((native & 0xffu) << 8) | (native >> 8);
	return fold64((uint64_t)sum + be);
}

uint32_t synack_csum_pseudo(const struct synack_addr *src, const struct synack_addr *dst,
                            uint8_t proto, uint32_t len)
{
	uint8_t ph[40];
	size_t n;
	if (src->family == 6) {
		/* RFC 8200 §8.1: addresses, 32-bit upper-layer length, 3 zero
		 * bytes, next header. */
		memcpy(ph, src->bytes, 16);
		memcpy(ph + 16, dst->bytes, 16);
		ph[32] = (uint8_t)(len >> 24);
		ph[33] = (uint8_t)(len >> 16);
		ph[34] = (uint8_t)(len >> 8);
		ph[35] = (uint8_t)len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		n = 40;
	} else {
		/* RFC 9293 §3.1: addresses, zero, protocol, 16-bit TCP length. */
		memcpy(ph, src->bytes, 4);
		memcpy(ph + 4, dst->bytes, 4);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		n = 12;
	}
	return synack_csum_add(0, ph, n);
}

uint16_t synack_csum_finish(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint16_t synack_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	/* HC' = ~(~HC + ~m + m'), which unlike eqn. 2 never yields -0 wrongly. */
	uint32_t s = (uint32_t)(uint16_t)~csum + (uint16_t)~old_word + new_word;
	return synack_csum_finish(s);
}

uint16_t synack_icmp6_checksum(const struct synack_addr *src, const struct synack_addr *dst,
                               const uint8_t *msg, size_t len)
{
	return synack_csum_finish(
	    synack_csum_add(synack_csum_pseudo(src, dst, 58, (uint32_t)len), msg, len));
}

uint16_t synack_tcp_checksum(const struct synack_addr *src, const struct synack_addr *dst,
                             const uint8_t *tcp, size_t tcp_len)
{
	uint32_t sum = synack_csum_pseudo(src, dst, 6, (uint32_t)tcp_len);
	return synack_csum_finish(synack_csum_add(sum, tcp, tcp_len));
}

uint16_t synack_inet_checksum(const uint8_t *p, size_t len)
{
	return synack_csum_finish(synack_csum_add(0, p, len));
}
