/* IPv4/IPv6 + TCP segments: parse with full validation, build with checksums.
 *
 * Shared by the engine (input/output), the conformance executor (matching what
 * any stack sent, building what the script injects) and the fuzz targets. No
 * allocation, no I/O; parsing never reads outside [pkt, pkt + len).
 */
#ifndef SYNACK_SEGMENT_H
#define SYNACK_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TCP flag bits, as on the wire (RFC 9293 §3.1, RFC 3168 for ECE/CWR). */
enum {
	SYNACK_TH_FIN = 0x01,
	SYNACK_TH_SYN = 0x02,
	SYNACK_TH_RST = 0x04,
	SYNACK_TH_PSH = 0x08,
	SYNACK_TH_ACK = 0x10,
	SYNACK_TH_URG = 0x20,
	SYNACK_TH_ECE = 0x40,
	SYNACK_TH_CWR = 0x80,
};

/* TCP option kinds (IANA). */
enum {
	SYNACK_OPT_EOL = 0,
	SYNACK_OPT_NOP = 1,
	SYNACK_OPT_MSS = 2,
	SYNACK_OPT_WSCALE = 3,
	SYNACK_OPT_SACK_PERM = 4,
	SYNACK_OPT_SACK = 5,
	SYNACK_OPT_TS = 8,
	SYNACK_OPT_MD5 = 19,
	SYNACK_OPT_FASTOPEN = 34,
	SYNACK_OPT_EXP = 254,
};

#define SYNACK_MAX_SACK_BLOCKS 4
#define SYNACK_MAX_OPTIONS     40 /* 40 bytes of option space: at most 40 one-byte options */

struct synack_addr {
	uint8_t family;    /* 4 or 6 */
	uint8_t bytes[16]; /* IPv4 in the first 4 bytes */
};

struct synack_sack_block {
	uint32_t left, right;
};

/* One option as it appeared on the wire, in order: kind, total length
 * (1 for EOL/NOP) and the offset of its first byte from the TCP header. */
struct synack_raw_option {
	uint8_t kind;
	uint8_t len;
	uint8_t offset;
};

/* Decoded options. The has_* flags say which were present. */
struct synack_tcp_options {
	bool has_mss, has_wscale, sack_permitted, has_ts;
	uint16_t mss;
	uint8_t wscale; /* as sent (may exceed 14; the receiver clamps) */
	uint8_t n_sack;
	struct synack_sack_block sack[SYNACK_MAX_SACK_BLOCKS];
	uint32_t ts_val, ts_ecr;
	/* The wire order, for matching a script's option list exactly. */
	uint8_t n_raw;
	struct synack_raw_option raw[SYNACK_MAX_OPTIONS];
};

/* A parsed (or to-be-built) segment. On parse, pointers point into the
 * caller's packet buffer. */
struct synack_segment {
	struct synack_addr src, dst;
	uint8_t tos;        /* IPv4 TOS / IPv6 traffic class (DSCP + ECN bits) */
	uint8_t ttl;        /* IPv4 TTL / IPv6 hop limit */
	uint32_t flowlabel; /* IPv6 only */
	uint16_t ip_id;     /* IPv4 only */
	bool df;            /* IPv4 don't-fragment */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;    /* SYNACK_TH_* */
	uint8_t reserved; /* the 4 reserved bits of the offset byte (AE, …), as seen */
	uint16_t window;  /* raw 16-bit field, unscaled */
	uint16_t urg_ptr;
	struct synack_tcp_options opt;
	/* Option bytes as on the wire. Parse: points into the packet. Build:
	 * if non-NULL, these options_len bytes (a multiple of 4, at most 40)
	 * are written verbatim and `opt` is not used, so a script can inject
	 * exactly the option list it wrote (see synack_opts_build_raw). */
	const uint8_t *options_raw;
	uint8_t options_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* Why a segment was rejected; every value has a counter in the engine's
 * statistics and a name from synack_seg_error_name(). */
enum synack_seg_error {
	SYNACK_SEG_OK = 0,
	SYNACK_SEG_TRUNCATED, /* shorter than the headers claim */
	SYNACK_SEG_BAD_IP_VERSION,
	SYNACK_SEG_BAD_IHL,
	SYNACK_SEG_BAD_TOTAL_LENGTH,
	SYNACK_SEG_FRAGMENT, /* IPv4 fragments and IPv6 fragment headers are not reassembled */
	SYNACK_SEG_NOT_TCP,
	SYNACK_SEG_BAD_DATA_OFFSET,
	SYNACK_SEG_BAD_CHECKSUM,
	SYNACK_SEG_BAD_OPTION,  /* an option whose length is < 2 or runs past the header */
	SYNACK_SEG_BAD_ADDRESS, /* multicast/broadcast/unspecified where TCP forbids it */
	SYNACK_SEG_ERROR_COUNT
};

const char *synack_seg_error_name(enum synack_seg_error e);

/* Parses an IPv4 or IPv6 packet carrying TCP. verify_checksum=false skips the
 * TCP checksum check and the IPv4 header checksum check (fuzzing); everything
 * else is always validated. Bytes past the IP datagram's length (link-layer
 * padding) are ignored. On failure `out` holds what was decoded before the
 * failing check; on SYNACK_SEG_BAD_OPTION all header fields, payload and
 * options_raw are valid. Check order and rules: docs/segments.md. */
enum synack_seg_error synack_seg_parse(const uint8_t *pkt, size_t len, bool verify_checksum,
                                       struct synack_segment *out);

/* Builds the IP packet for `seg` into buf, computing lengths and checksums.
 * Options are `seg->options_raw` verbatim when it is non-NULL, else written
 * from `seg->opt` in Linux's layout (see synack_opts_build). IPv4 is built
 * with a 20-byte header (no IP options), IPv6 with no extension headers.
 * Returns the packet length, or 0 if it does not fit or `seg` is invalid
 * (mixed address families, options_len not a multiple of 4 or > 40). */
size_t synack_seg_build(const struct synack_segment *seg, uint8_t *buf, size_t cap);

/* Writes options in the layout Linux's tcp_options_write() uses (so the
 * engine's segments match a Linux capture byte for byte):
 *   SYN:  mss, [sackOK, TS | nop,nop,TS | nop,nop,sackOK], [nop,wscale]
 *   else: [nop,nop,TS], [nop,nop,sack blocks]
 * MSS, wscale and sackOK are written only when syn, SACK blocks only when not
 * (as Linux's tcp_syn_options / tcp_established_options choose them). Linux
 * trims SACK blocks to fit (3 beside TS); here the caller must: TS + 4 blocks
 * is -1. Returns the option length (a multiple of 4), or -1 if it exceeds 40
 * bytes or cap. */
int synack_opts_build(const struct synack_tcp_options *opt, bool syn, uint8_t *buf, size_t cap);

/* One option of an explicit, ordered option list (what a script wrote).
 * EOL and NOP are written as their kind byte alone. Any other kind is written
 * as kind, len, then value_len bytes of value: len is the length byte put on
 * the wire and need not equal 2 + value_len, so malformed options can be
 * injected on purpose. */
struct synack_tcp_option_spec {
	uint8_t kind;
	uint8_t len;
	uint8_t value_len;
	uint8_t value[38];
};

/* Writes `list` in its order. If the total is not a multiple of 4: with
 * pad=true, pads with EOL bytes (zeros, RFC 9293 §3.1 "padding"); with
 * pad=false, fails with -2, as packetdrill rejects such a list ("TCP options
 * are not padded correctly"). Returns the length written (a multiple of 4),
 * -1 if it exceeds 40 bytes or cap, -2 if unpadded and pad=false. */
int synack_opts_build_raw(const struct synack_tcp_option_spec *list, size_t n, bool pad,
                          uint8_t *buf, size_t cap);

/* Parses option bytes (the TCP header past 20 bytes; at most 40). raw[]
 * offsets count from the TCP header, so p[i] is recorded as offset 20 + i
 * (options_raw + offset - 20 is the option's kind byte). Context
 * free: every well-formed option is decoded whatever the segment's flags;
 * whether an MSS on a non-SYN counts is the engine's decision, as in Linux,
 * which gates that in tcp_parse_options by th->syn. */
enum synack_seg_error synack_opts_parse(const uint8_t *p, size_t len,
                                        struct synack_tcp_options *out);

/* Internet checksum helpers (RFC 1071). synack_tcp_checksum returns the
 * value for the TCP checksum field (pseudo-header included); computed over a
 * segment whose checksum field is correct, it returns 0. */
uint16_t synack_tcp_checksum(const struct synack_addr *src, const struct synack_addr *dst,
                             const uint8_t *tcp, size_t tcp_len);
/* The plain Internet checksum of p[0..len) (e.g. an IPv4 header). */
uint16_t synack_inet_checksum(const uint8_t *p, size_t len);

/* Recomputes the IPv4 header checksum and the TCP checksum of a packet in
 * place (fuzzers' custom mutators, tests that corrupt one field) — or, for
 * an ICMPv4 message or an ICMPv6 one directly after the IPv6 header, the
 * ICMP checksum. Returns false, changing nothing, if the packet does not
 * parse with checksums ignored (or is neither TCP nor such an ICMP one). */
bool synack_seg_fix_checksums(uint8_t *pkt, size_t len);

/* Sequence-space arithmetic (RFC 9293 §3.4): comparisons modulo 2^32. */
static inline bool synack_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool synack_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool synack_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool synack_seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

#endif
