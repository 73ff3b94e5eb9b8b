/* IPv4/IPv6 + TCP segments: validate-and-parse, build, and checksum fixing.
 *
 * Parsing is a chain of bounds checks, each on a length already proven to
 * lie inside [pkt, pkt + len), so no read ever leaves the caller's buffer
 * whatever the bytes say. The order of checks is the order a receiver meets
 * the fields (IP version, IP lengths, fragmentation, protocol, addresses,
 * TCP header, checksum, options), so every malformed packet is counted under
 * the first thing wrong with it.
 */
#include <string.h>

#include "checksum.h"
#include "synack/segment.h"

enum {
	IPV4_HDR = 20,
	IPV6_HDR = 40,
	TCP_HDR = 20,
	IPPROTO_TCP_ = 6,
	V6_HOPOPTS = 0,
	V6_ROUTING = 43,
	V6_FRAGMENT = 44,
	V6_DSTOPTS = 60,
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

const char *synack_seg_error_name(enum synack_seg_error e)
{
	switch (e) {
	case SYNACK_SEG_OK:
		return "ok";
	case SYNACK_SEG_TRUNCATED:
		return "truncated";
	case SYNACK_SEG_BAD_IP_VERSION:
		return "bad_ip_version";
	case SYNACK_SEG_BAD_IHL:
		return "bad_ihl";
	case SYNACK_SEG_BAD_TOTAL_LENGTH:
		return "bad_total_length";
	case SYNACK_SEG_FRAGMENT:
		return "fragment";
	case SYNACK_SEG_NOT_TCP:
		return "not_tcp";
	case SYNACK_SEG_BAD_DATA_OFFSET:
		return "bad_data_offset";
	case SYNACK_SEG_BAD_CHECKSUM:
		return "bad_checksum";
	case SYNACK_SEG_BAD_OPTION:
		return "bad_option";
	case SYNACK_SEG_BAD_ADDRESS:
		return "bad_address";
	case SYNACK_SEG_ERROR_COUNT:
		break;
	}
	return "unknown";
}

/* RFC 1122 §4.2.3.10 and RFC 9293 §3.10.7.2 (MUST-57): a SYN from an
 * invalid source (RFC 1122 §3.2.1.3: broadcast, multicast, 0.0.0.0) or to a
 * broadcast or multicast address is silently discarded. Since no connection
 * can ever be opened with such an address, any segment carrying one belongs
 * to none and is dropped whatever its flags (Linux: tcp_v4_rcv drops all
 * that is not PACKET_HOST). The unspecified address is never a valid
 * destination either (RFC 1122 §3.2.1.3, RFC 4291 §2.5.2).
 * Subnet-directed broadcasts need the interface's prefix, which the engine
 * does not have; only the limited broadcast is caught here. */
static bool v4_bad(const uint8_t *a)
{
	uint32_t v = get32(a);
	return v == 0 || v == 0xffffffffu || (v >> 28) == 0xe; /* 224.0.0.0/4 */
}

static bool v6_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

/* RFC 4291 §2.7: ff00::/8 is multicast; IPv6 has no broadcast. */
static bool v6_bad(const uint8_t *a)
{
	return a[0] == 0xff || v6_unspecified(a);
}

/* IPv4 (RFC 791). On success tcp and tcp_len delimit the TCP segment. */
static enum synack_seg_error parse_v4(const uint8_t *pkt, size_t len, bool verify,
                                      struct synack_segment *out, const uint8_t **tcp,
                                      size_t *tcp_len)
{
	if (len < IPV4_HDR)
		return SYNACK_SEG_TRUNCATED;
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < IPV4_HDR)
		return SYNACK_SEG_BAD_IHL;
	size_t total = get16(pkt + 2);
	if (total < IPV4_HDR)
		return SYNACK_SEG_BAD_TOTAL_LENGTH;
	/* RFC 791: total length counts the datagram; link-layer padding
	 * after it (Ethernet's 60-byte minimum) is not ours and is ignored,
	 * but a buffer shorter than the datagram is a truncated capture. */
	if (total > len)
		return SYNACK_SEG_TRUNCATED;
	if (ihl > total)
		return SYNACK_SEG_BAD_IHL;
	/* RFC 1122 §3.2.1.2: a host MUST verify the IP header checksum and
	 * discard the datagram if it is wrong. Skipped with the TCP one, for
	 * the same reason (fuzzing). */
	if (verify && synack_inet_checksum(pkt, ihl) != 0)
		return SYNACK_SEG_BAD_CHECKSUM;
	/* No reassembly: a fragment (MF set or offset ≠ 0) is not a whole
	 * TCP segment. The DF bit and the reserved bit are fine. */
	uint16_t frag = get16(pkt + 6);
	if ((frag & 0x2000) || (frag & 0x1fff))
		return SYNACK_SEG_FRAGMENT;
	if (pkt[9] != IPPROTO_TCP_)
		return SYNACK_SEG_NOT_TCP;

	out->src.family = out->dst.family = 4;
	memcpy(out->src.bytes, pkt + 12, 4);
	memcpy(out->dst.bytes, pkt + 16, 4);
	out->tos = pkt[1];
	out->ip_id = get16(pkt + 4);
	out->df = (frag & 0x4000) != 0;
	out->ttl = pkt[8];
	if (v4_bad(pkt + 12) || v4_bad(pkt + 16))
		return SYNACK_SEG_BAD_ADDRESS;
	/* IP options (RFC 791 §3.1) carry nothing TCP needs: skipped. */
	*tcp = pkt + ihl;
	*tcp_len = total - ihl;
	return SYNACK_SEG_OK;
}

/* IPv6 (RFC 8200). Walks the extension headers a destination host may meet
 * before TCP; anything else ends the walk as "not TCP". */
static enum synack_seg_error parse_v6(const uint8_t *pkt, size_t len, struct synack_segment *out,
                                      const uint8_t **tcp, size_t *tcp_len)
{
	if (len < IPV6_HDR)
		return SYNACK_SEG_TRUNCATED;
	size_t plen = get16(pkt + 4);
	/* A payload length of 0 means a jumbogram (RFC 2675), which needs a
	 * hop-by-hop option and > 65535 bytes; TCP over it is not supported. */
	if (plen == 0)
		return SYNACK_SEG_BAD_TOTAL_LENGTH;
	if (IPV6_HDR + plen > len)
		return SYNACK_SEG_TRUNCATED;
	size_t end = IPV6_HDR + plen; /* link padding past the payload: ignored */

	out->src.family = out->dst.family = 6;
	memcpy(out->src.bytes, pkt + 8, 16);
	memcpy(out->dst.bytes, pkt + 24, 16);
	out->tos = (uint8_t)((pkt[0] & 0x0f) << 4 | pkt[1] >> 4);
	out->flowlabel = (uint32_t)(pkt[1] & 0x0f) << 16 | get16(pkt + 2);
	out->ttl = pkt[7];

	uint8_t nh = pkt[6];
	size_t off = IPV6_HDR;
	/* Each step advances off by ≥ 8 and stays ≤ end, so the walk ends. */
	for (;;) {
		if (nh == IPPROTO_TCP_)
			break;
		if (nh == V6_FRAGMENT)
			return SYNACK_SEG_FRAGMENT;
		/* RFC 8200 §4.1: hop-by-hop options only directly after the
		 * IPv6 header; elsewhere a receiver rejects the packet. */
		bool ok =
		    nh == V6_ROUTING || nh == V6_DSTOPTS || (nh == V6_HOPOPTS && off == IPV6_HDR);
		if (!ok)
			return SYNACK_SEG_NOT_TCP;
		if (end - off < 8)
			return SYNACK_SEG_TRUNCATED;
		size_t hlen = ((size_t)pkt[off + 1] + 1) * 8; /* RFC 8200 §4.3-4.6 */
		if (hlen > end - off)
			return SYNACK_SEG_TRUNCATED;
		/* RFC 8200 §4.4: with Segments Left ≠ 0 this node is not the
		 * final destination; the packet is not for our TCP. */
		if (nh == V6_ROUTING && pkt[off + 3] != 0)
			return SYNACK_SEG_NOT_TCP;
		nh = pkt[off];
		off += hlen;
	}
	if (v6_bad(pkt + 8) || v6_bad(pkt + 24))
		return SYNACK_SEG_BAD_ADDRESS;
	*tcp = pkt + off;
	*tcp_len = end - off;
	return SYNACK_SEG_OK;
}

enum synack_seg_error synack_seg_parse(const uint8_t *pkt, size_t len, bool verify_checksum,
                                       struct synack_segment *out)
{
	memset(out, 0, sizeof *out);
	if (len < 1)
		return SYNACK_SEG_TRUNCATED;
	const uint8_t *t = NULL;
	size_t tlen = 0;
	enum synack_seg_error e;
	switch (pkt[0] >> 4) {
	case 4:
		e = parse_v4(pkt, len, verify_checksum, out, &t, &tlen);
		break;
	case 6:
		e = parse_v6(pkt, len, out, &t, &tlen);
		break;
	default:
		return SYNACK_SEG_BAD_IP_VERSION;
	}
	if (e != SYNACK_SEG_OK)
		return e;

	if (tlen < TCP_HDR)
		return SYNACK_SEG_TRUNCATED;
	/* RFC 9293 §3.1: data offset in 32-bit words, at least 5, and the
	 * header it describes must fit in the segment. */
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < TCP_HDR || doff > tlen)
		return SYNACK_SEG_BAD_DATA_OFFSET;
	/* RFC 9293 §3.1 (MUST-2/3): the checksum covers pseudo-header, header
	 * and data; a wrong one means the segment is discarded. */
	if (verify_checksum && synack_tcp_checksum(&out->src, &out->dst, t, tlen) != 0)
		return SYNACK_SEG_BAD_CHECKSUM;

	out->sport = get16(t);
	out->dport = get16(t + 2);
	out->seq = get32(t + 4);
	out->ack = get32(t + 8);
	out->reserved = t[12] & 0x0f;
	out->flags = t[13];
	out->window = get16(t + 14);
	out->urg_ptr = get16(t + 18);
	out->options_raw = t + TCP_HDR;
	out->options_len = (uint8_t)(doff - TCP_HDR);
	out->payload = t + doff;
	out->payload_len = tlen - doff;
	return synack_opts_parse(t + TCP_HDR, doff - TCP_HDR, &out->opt);
}

size_t synack_seg_build(const struct synack_segment *seg, uint8_t *buf, size_t cap)
{
	if (seg->src.family != seg->dst.family || (seg->src.family != 4 && seg->src.family != 6))
		return 0;
	bool v6 = seg->src.family == 6;
	size_t iph = v6 ? IPV6_HDR : IPV4_HDR;
	if (cap < iph + TCP_HDR)
		return 0;
	uint8_t *t = buf + iph;

	if (seg->payload_len > cap)
		return 0;
	int olen;
	if (seg->options_raw) {
		if (seg->options_len > 40 || seg->options_len % 4 != 0 ||
		    seg->options_len > cap - iph - TCP_HDR)
			return 0;
		memcpy(t + TCP_HDR, seg->options_raw, seg->options_len);
		olen = seg->options_len;
	} else {
		olen = synack_opts_build(&seg->opt, (seg->flags & SYNACK_TH_SYN) != 0, t + TCP_HDR,
		                         cap - iph - TCP_HDR);
		if (olen < 0)
			return 0;
	}
	size_t tcp_len = TCP_HDR + (size_t)olen + seg->payload_len;
	size_t total = iph + tcp_len;
	/* IPv4 total length and IPv6 payload length are 16-bit fields. */
	if (total > cap || (v6 ? tcp_len : total) > 0xffff)
		return 0;
	if (seg->payload_len)
		memcpy(t + TCP_HDR + olen, seg->payload, seg->payload_len);

	if (v6) {
		buf[0] = (uint8_t)(0x60 | seg->tos >> 4);
		buf[1] = (uint8_t)((seg->tos & 0x0f) << 4 | ((seg->flowlabel >> 16) & 0x0f));
		put16(buf + 2, (uint16_t)seg->flowlabel);
		put16(buf + 4, (uint16_t)tcp_len);
		buf[6] = IPPROTO_TCP_;
		buf[7] = seg->ttl;
		memcpy(buf + 8, seg->src.bytes, 16);
		memcpy(buf + 24, seg->dst.bytes, 16);
	} else {
		buf[0] = 0x45;
		buf[1] = seg->tos;
		put16(buf + 2, (uint16_t)total);
		put16(buf + 4, seg->ip_id);
		put16(buf + 6, seg->df ? 0x4000 : 0);
		buf[8] = seg->ttl;
		buf[9] = IPPROTO_TCP_;
		put16(buf + 10, 0);
		memcpy(buf + 12, seg->src.bytes, 4);
		memcpy(buf + 16, seg->dst.bytes, 4);
		put16(buf + 10, synack_inet_checksum(buf, IPV4_HDR));
	}

	put16(t, seg->sport);
	put16(t + 2, seg->dport);
	put32(t + 4, seg->seq);
	put32(t + 8, seg->ack);
	t[12] = (uint8_t)(((TCP_HDR + olen) / 4) << 4 | (seg->reserved & 0x0f));
	t[13] = seg->flags;
	put16(t + 14, seg->window);
	put16(t + 16, 0);
	put16(t + 18, seg->urg_ptr);
	put16(t + 16, synack_tcp_checksum(&seg->src, &seg->dst, t, tcp_len));
	return total;
}

/* An ICMPv4 or ICMPv6 message right after a structurally valid IP header
 * (what synack_seg_parse calls "not TCP"): its checksum covers the quoted
 * header too, so without this every mutation of a quote would die at the
 * checksum check and icmp.c would go unfuzzed past it. */
static bool fix_icmp(uint8_t *pkt, size_t len)
{
	if (pkt[0] >> 4 == 4 && pkt[9] == 1) {
		size_t ihl = (size_t)(pkt[0] & 0x0f) * 4, total = get16(pkt + 2);
		if (total - ihl < 4)
			return false;
		put16(pkt + 10, 0);
		put16(pkt + 10, synack_inet_checksum(pkt, ihl));
		put16(pkt + ihl + 2, 0);
		put16(pkt + ihl + 2, synack_inet_checksum(pkt + ihl, total - ihl));
		return true;
	}
	size_t plen = len >= IPV6_HDR ? get16(pkt + 4) : 0;
	if (pkt[0] >> 4 == 6 && len >= IPV6_HDR && pkt[6] == 58 && plen >= 4 &&
	    plen <= len - IPV6_HDR) {
		struct synack_addr src = { .family = 6 }, dst = { .family = 6 };
		memcpy(src.bytes, pkt + 8, 16);
		memcpy(dst.bytes, pkt + 24, 16);
		uint8_t *ic = pkt + IPV6_HDR;
		put16(ic + 2, 0);
		put16(ic + 2, synack_icmp6_checksum(&src, &dst, ic, plen));
		return true;
	}
	return false;
}

bool synack_seg_fix_checksums(uint8_t *pkt, size_t len)
{
	struct synack_segment s;
	enum synack_seg_error e = synack_seg_parse(pkt, len, false, &s);
	if (e == SYNACK_SEG_NOT_TCP)
		return fix_icmp(pkt, len);
	/* Option errors come last, after every length is known good, so the
	 * checksums can still be fixed for such a segment. */
	if (e != SYNACK_SEG_OK && e != SYNACK_SEG_BAD_OPTION)
		return false;
	uint8_t *tcp = pkt + (s.options_raw - pkt) - TCP_HDR;
	size_t tcp_len = (size_t)(s.payload - tcp) + s.payload_len;
	if (s.src.family == 4) {
		size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
		put16(pkt + 10, 0);
		put16(pkt + 10, synack_inet_checksum(pkt, ihl));
	}
	put16(tcp + 16, 0);
	put16(tcp + 16, synack_tcp_checksum(&s.src, &s.dst, tcp, tcp_len));
	return true;
}
