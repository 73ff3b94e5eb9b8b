/* Segments: parse(build(x)) == x for generated IPv4 and IPv6 segments, every
 * rejection reason from a hand-crafted packet, extension headers, and
 * out-of-bounds safety (every prefix, thousands of mutations, each in an
 * exact-size heap buffer so ASan sees a one-byte over-read). */
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "synack/segment.h"
#include "tap.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static struct synack_addr a4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct synack_addr x = { .family = 4, .bytes = { a, b, c, d } };
	return x;
}

static struct synack_addr a6(uint8_t last)
{
	struct synack_addr x = { .family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = last } };
	return x;
}

static const uint8_t payload[] = "hello, world";

/* A SYN with Linux's options and a payload, IPv4 or IPv6. */
static struct synack_segment base(int family)
{
	struct synack_segment s = { 0 };
	s.src = family == 6 ? a6(1) : a4(192, 0, 2, 1);
	s.dst = family == 6 ? a6(2) : a4(192, 0, 2, 2);
	s.ttl = 64;
	s.tos = 0x10;
	s.ip_id = 0x1234;
	s.df = true;
	s.flowlabel = family == 6 ? 0xabcde : 0;
	s.sport = 40000;
	s.dport = 8080;
	s.seq = 0xfffffff0;
	s.ack = 0;
	s.flags = SYNACK_TH_SYN;
	s.window = 65535;
	s.opt.has_mss = true;
	s.opt.mss = 1460;
	s.opt.sack_permitted = true;
	s.opt.has_ts = true;
	s.opt.ts_val = 100;
	s.opt.has_wscale = true;
	s.opt.wscale = 7;
	s.payload = payload;
	s.payload_len = 12;
	return s;
}

/* The packet in an exact-size heap buffer, so ASan catches a read of
 * pkt[len]. */
static uint8_t *build_exact(const struct synack_segment *s, size_t *len)
{
	uint8_t tmp[2048];
	*len = synack_seg_build(s, tmp, sizeof tmp);
	uint8_t *p = malloc(*len ? *len : 1);
	memcpy(p, tmp, *len);
	return p;
}

static bool addr_eq(const struct synack_addr *a, const struct synack_addr *b)
{
	size_t n = a->family == 6 ? 16 : 4;
	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

static bool opts_eq(const struct synack_tcp_options *a, const struct synack_tcp_options *b)
{
	if (a->has_mss != b->has_mss || a->has_wscale != b->has_wscale ||
	    a->sack_permitted != b->sack_permitted || a->has_ts != b->has_ts ||
	    a->n_sack != b->n_sack)
		return false;
	if ((a->has_mss && a->mss != b->mss) || (a->has_wscale && a->wscale != b->wscale) ||
	    (a->has_ts && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)))
		return false;
	for (int i = 0; i < a->n_sack; i++)
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return false;
	return true;
}

/* Everything the builder is given comes back from the parser. */
static bool seg_eq(const struct synack_segment *a, const struct synack_segment *b)
{
	bool v4 = a->src.family == 4;
	return addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst) && a->tos == b->tos &&
	       a->ttl == b->ttl && (v4 || a->flowlabel == b->flowlabel) &&
	       (!v4 || (a->ip_id == b->ip_id && a->df == b->df)) && a->sport == b->sport &&
	       a->dport == b->dport && a->seq == b->seq && a->ack == b->ack &&
	       a->flags == b->flags && a->reserved == b->reserved && a->window == b->window &&
	       a->urg_ptr == b->urg_ptr && opts_eq(&a->opt, &b->opt) &&
	       a->payload_len == b->payload_len &&
	       (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static struct synack_segment random_segment(int family, uint8_t *data, size_t cap)
{
	struct synack_segment s = { 0 };
	s.src.family = s.dst.family = (uint8_t)family;
	for (int i = 0; i < 16; i++) {
		s.src.bytes[i] = (uint8_t)rnd();
		s.dst.bytes[i] = (uint8_t)rnd();
	}
	/* Keep clear of the addresses TCP must ignore (tested separately). */
	s.src.bytes[0] = s.dst.bytes[0] = (uint8_t)(1 + rnd() % 200);
	if (family == 4)
		memset(s.src.bytes + 4, 0, 12), memset(s.dst.bytes + 4, 0, 12);
	s.tos = (uint8_t)rnd();
	s.ttl = (uint8_t)rnd();
	s.flowlabel = family == 6 ? rnd() & 0xfffff : 0;
	s.ip_id = family == 4 ? (uint16_t)rnd() : 0;
	s.df = family == 4 && (rnd() & 1);
	s.sport = (uint16_t)rnd();
	s.dport = (uint16_t)rnd();
	s.seq = rnd();
	s.ack = rnd();
	s.flags = (uint8_t)rnd();
	s.reserved = (uint8_t)(rnd() & 0x0f);
	s.window = (uint16_t)rnd();
	s.urg_ptr = (uint16_t)rnd();
	struct synack_tcp_options *o = &s.opt;
	o->has_ts = rnd() & 1;
	o->ts_val = rnd();
	o->ts_ecr = rnd();
	if (s.flags & SYNACK_TH_SYN) {
		o->has_mss = rnd() & 1;
		o->mss = (uint16_t)(1 + rnd() % 0xffff);
		o->has_wscale = rnd() & 1;
		o->wscale = (uint8_t)rnd();
		o->sack_permitted = rnd() & 1;
	} else {
		o->n_sack = (uint8_t)(rnd() % (o->has_ts ? 4 : 5));
		for (int i = 0; i < o->n_sack; i++) {
			o->sack[i].left = rnd();
			o->sack[i].right = rnd();
		}
	}
	s.payload_len = rnd() % 4 == 0 ? 0 : rnd() % cap;
	for (size_t i = 0; i < s.payload_len; i++)
		data[i] = (uint8_t)rnd();
	s.payload = data;
	return s;
}

static void test_round_trip(void)
{
	subtest("parse(build(x)) == x");
	uint8_t data[1500];
	for (int family = 4; family <= 6; family += 2) {
		int bad = 0, built = 0;
		for (int k = 0; k < 2000; k++) {
			struct synack_segment s = random_segment(family, data, sizeof data);
			size_t len;
			uint8_t *p = build_exact(&s, &len);
			built += len > 0;
			struct synack_segment back;
			enum synack_seg_error e = synack_seg_parse(p, len, true, &back);
			if (e != SYNACK_SEG_OK || !seg_eq(&s, &back)) {
				if (bad++ < 3)
					tap_diag("IPv%d case %d: %s", family, k,
					         synack_seg_error_name(e));
			}
			free(p);
		}
		is_int(built, 2000, "IPv%d: 2000 random segments built", family);
		is_int(bad, 0, "IPv%d: all parse back identical, checksums verified", family);
	}

	struct synack_segment s = base(4);
	uint8_t buf[200];
	size_t n = synack_seg_build(&s, buf, sizeof buf);
	is_int(n, 20 + 40 + 12, "IPv4 SYN: 20 + 20 + 20 options + 12 data");
	static const uint8_t ip[] = { 0x45, 0x10, 0, 72, 0x12, 0x34, 0x40, 0, 64, 6 };
	is_mem(buf, 10, ip, 10, "IPv4 header: version/IHL, TOS, length, ID, DF, TTL, proto");
	is_hex(synack_inet_checksum(buf, 20), 0, "IPv4 header checksum");
	is_hex(buf[32], 0xa0, "data offset 10 words");
	s = base(6);
	n = synack_seg_build(&s, buf, sizeof buf);
	is_int(n, 40 + 40 + 12, "IPv6 SYN");
	static const uint8_t ip6[] = { 0x61, 0x0a, 0xbc, 0xde, 0, 52, 6, 64 };
	is_mem(buf, 8, ip6, 8, "IPv6 header: traffic class, flow label, payload length, nh, hops");
	subtest_end();
}

static void test_build_limits(void)
{
	subtest("build: limits and explicit options");
	struct synack_segment s = base(4);
	uint8_t buf[200];
	is_int(synack_seg_build(&s, buf, 71), 0, "one byte short: 0");
	is_int(synack_seg_build(&s, buf, 72), 72, "exact fit");
	s.dst = a6(2);
	is_int(synack_seg_build(&s, buf, sizeof buf), 0, "mixed families: 0");
	s = base(4);
	s.src.family = s.dst.family = 5;
	is_int(synack_seg_build(&s, buf, sizeof buf), 0, "unknown family: 0");
	s = base(4);
	s.flags = SYNACK_TH_ACK;
	s.opt.n_sack = 4;
	is_int(synack_seg_build(&s, buf, sizeof buf), 0, "options that do not fit: 0");

	/* Explicit options take precedence over opt. */
	static const uint8_t raw[] = { 3, 3, 7, 1, 2, 4, 0x02, 0x18 };
	s = base(4);
	s.options_raw = raw;
	s.options_len = sizeof raw;
	size_t n = synack_seg_build(&s, buf, sizeof buf);
	is_int(n, 20 + 20 + 8 + 12, "built with 8 raw option bytes");
	is_mem(buf + 40, 8, raw, 8, "verbatim");
	struct synack_segment back;
	is_int(synack_seg_parse(buf, n, true, &back), SYNACK_SEG_OK, "parses");
	ok(back.opt.has_wscale && back.opt.has_mss && back.opt.mss == 536 && !back.opt.has_ts,
	   "the raw options, not opt's");
	is_int(back.options_len, 8, "options_len");
	ok(back.options_raw == buf + 40, "options_raw points into the packet");

	/* Rebuilding a parsed segment reproduces it byte for byte. */
	uint8_t again[200];
	is_int(synack_seg_build(&back, again, sizeof again), n, "rebuild length");
	is_mem(again, n, buf, n, "rebuild bytes");

	s.options_len = 7;
	is_int(synack_seg_build(&s, buf, sizeof buf), 0, "raw options not a multiple of 4: 0");
	uint8_t big[44] = { 0 };
	s.options_raw = big;
	s.options_len = 44;
	is_int(synack_seg_build(&s, buf, sizeof buf), 0, "raw options over 40: 0");

	s = base(4);
	s.payload_len = (size_t)-1;
	is_int(synack_seg_build(&s, buf, sizeof buf), 0, "absurd payload length: 0");
	static uint8_t huge[65536];
	s.payload = huge;
	s.payload_len = 65535 - 60 + 1; /* 60 = IP + TCP + 20 option bytes */
	static uint8_t out[70000];
	is_int(synack_seg_build(&s, out, sizeof out), 0, "IPv4 total length over 65535: 0");
	s.payload_len--;
	is_int(synack_seg_build(&s, out, sizeof out), 65535, "exactly 65535");
	subtest_end();
}

static enum synack_seg_error parse_exact(const uint8_t *pkt, size_t len, bool verify,
                                         struct synack_segment *out)
{
	uint8_t *p = malloc(len ? len : 1);
	memcpy(p, pkt, len);
	enum synack_seg_error e = synack_seg_parse(p, len, verify, out);
	free(p);
	return e;
}

static void fix_ip4(uint8_t *p)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	p[10] = p[11] = 0;
	uint16_t c = synack_inet_checksum(p, ihl);
	p[10] = (uint8_t)(c >> 8);
	p[11] = (uint8_t)c;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Builds base(family) with flags and no payload into buf. */
static size_t build_plain(int family, uint8_t *buf, size_t cap)
{
	struct synack_segment s = base(family);
	return synack_seg_build(&s, buf, cap);
}

static void test_reject_v4(void)
{
	subtest("IPv4 rejections");
	uint8_t good[200], p[200];
	size_t n = build_plain(4, good, sizeof good);
	struct synack_segment s;
	is_int(parse_exact(good, n, true, &s), SYNACK_SEG_OK, "the unmodified packet parses");

	is_int(parse_exact(good, 0, true, &s), SYNACK_SEG_TRUNCATED, "empty");
	is_int(parse_exact(good, 19, true, &s), SYNACK_SEG_TRUNCATED, "19 bytes");
	memcpy(p, good, n);
	p[0] = 0x55;
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_IP_VERSION, "version 5");
	p[0] = 0x05;
	is_int(parse_exact(p, 1, true, &s), SYNACK_SEG_BAD_IP_VERSION, "version 0, one byte");

	memcpy(p, good, n);
	p[0] = 0x44;
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_IHL, "IHL 4");
	memcpy(p, good, n);
	p[0] = 0x4f; /* 60-byte header in a 32-byte datagram */
	put16(p + 2, 32);
	is_int(parse_exact(p, n, false, &s), SYNACK_SEG_BAD_IHL, "IHL past the total length");

	memcpy(p, good, n);
	put16(p + 2, 19);
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_TOTAL_LENGTH, "total length 19");
	memcpy(p, good, n);
	put16(p + 2, (uint16_t)(n + 1));
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_TRUNCATED, "total length past the buffer");
	is_int(parse_exact(good, n - 1, true, &s), SYNACK_SEG_TRUNCATED, "buffer one byte short");

	/* RFC 791: bytes past the total length are link padding. */
	memcpy(p, good, n);
	memset(p + n, 0xee, 20);
	is_int(parse_exact(p, n + 20, true, &s), SYNACK_SEG_OK, "trailing link padding ignored");
	is_int(s.payload_len, 12, "payload ends at the total length");

	memcpy(p, good, n);
	p[10] ^= 0x01;
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_CHECKSUM, "bad IP header checksum");
	is_int(parse_exact(p, n, false, &s), SYNACK_SEG_OK, "accepted when not verifying");

	memcpy(p, good, n);
	p[6] |= 0x20;
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_FRAGMENT, "MF set");
	memcpy(p, good, n);
	put16(p + 6, 0x0001);
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_FRAGMENT, "fragment offset 8");
	memcpy(p, good, n);
	p[6] = 0x80; /* the reserved ("evil") bit alone is not fragmentation */
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_OK, "reserved flag bit: not a fragment");
	ok(!s.df, "DF clear");

	memcpy(p, good, n);
	p[9] = 17;
	fix_ip4(p);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_NOT_TCP, "protocol 17");

	static const struct {
		int at;
		uint8_t a, b, c, d;
		const char *what;
	} bad[] = {
		{ 12, 0, 0, 0, 0, "source 0.0.0.0" },
		{ 12, 255, 255, 255, 255, "source 255.255.255.255" },
		{ 12, 224, 0, 0, 1, "source 224.0.0.1" },
		{ 12, 239, 255, 255, 255, "source 239.255.255.255" },
		{ 16, 224, 0, 0, 251, "destination 224.0.0.251" },
		{ 16, 255, 255, 255, 255, "destination 255.255.255.255" },
		{ 16, 0, 0, 0, 0, "destination 0.0.0.0" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(p, good, n);
		p[bad[i].at] = bad[i].a;
		p[bad[i].at + 1] = bad[i].b;
		p[bad[i].at + 2] = bad[i].c;
		p[bad[i].at + 3] = bad[i].d;
		fix_ip4(p);
		synack_seg_fix_checksums(p, n);
		is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_ADDRESS, "%s", bad[i].what);
	}
	memcpy(p, good, n);
	p[12] = 224;
	fix_ip4(p);
	ok(synack_seg_fix_checksums(p, n) == false, "fix_checksums refuses a bad address");
	p[12] = 240; /* class E and loopback are not TCP's business */
	p[16] = 127;
	fix_ip4(p);
	ok(synack_seg_fix_checksums(p, n), "fix_checksums after a legal address change");
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_OK, "240.x -> 127.x parses");

	/* IPv4 options (RFC 791 §3.1) are skipped: NOP, NOP, NOP, EOL. */
	uint8_t o[220];
	memcpy(o, good, 20);
	memcpy(o + 24, good + 20, n - 20);
	o[20] = o[21] = o[22] = 1;
	o[23] = 0;
	o[0] = 0x46;
	put16(o + 2, (uint16_t)(n + 4));
	fix_ip4(o);
	is_int(parse_exact(o, n + 4, true, &s), SYNACK_SEG_OK, "IPv4 options skipped");
	ok(s.sport == 40000 && s.payload_len == 12, "TCP found after them");
	subtest_end();
}

static void test_reject_tcp(void)
{
	subtest("TCP rejections");
	uint8_t good[200], p[200];
	size_t n = build_plain(4, good, sizeof good);
	struct synack_segment s;
	/* A datagram holding 19 bytes of TCP. */
	memcpy(p, good, n);
	put16(p + 2, 39);
	fix_ip4(p);
	is_int(parse_exact(p, 39, true, &s), SYNACK_SEG_TRUNCATED, "19-byte TCP header");

	memcpy(p, good, n);
	p[32] = 0x40; /* data offset 4 */
	is_int(parse_exact(p, n, false, &s), SYNACK_SEG_BAD_DATA_OFFSET, "data offset 4");
	memcpy(p, good, 40);
	p[32] = 0x60; /* 24-byte header in a 20-byte segment */
	put16(p + 2, 40);
	fix_ip4(p);
	is_int(parse_exact(p, 40, false, &s), SYNACK_SEG_BAD_DATA_OFFSET,
	       "data offset past the end");
	memcpy(p, good, n);
	p[32] = 0xf0; /* 60 bytes: fits in this 72-byte packet's 52 bytes? no */
	is_int(parse_exact(p, n, false, &s), SYNACK_SEG_BAD_DATA_OFFSET,
	       "data offset 15 > 52 bytes");

	memcpy(p, good, n);
	p[n - 1] ^= 0x80;
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_CHECKSUM, "payload bit flipped");
	is_int(parse_exact(p, n, false, &s), SYNACK_SEG_OK, "accepted when not verifying");
	ok(synack_seg_fix_checksums(p, n), "fix_checksums");
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_OK, "then it verifies");

	memcpy(p, good, n);
	p[40] = 2;
	p[41] = 1; /* MSS with length 1 */
	synack_seg_fix_checksums(p, n);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_OPTION, "option length 1");
	ok(s.sport == 40000 && s.payload_len == 12, "header fields still decoded for diagnostics");

	/* Every reason has its own name. */
	int named = 0;
	for (int e = 0; e < SYNACK_SEG_ERROR_COUNT; e++) {
		const char *name = synack_seg_error_name((enum synack_seg_error)e);
		bool unique = strcmp(name, "unknown") != 0;
		for (int f = 0; f < e; f++)
			unique =
			    unique && strcmp(name, synack_seg_error_name((enum synack_seg_error)f));
		named += unique;
	}
	is_int(named, SYNACK_SEG_ERROR_COUNT, "every error has a distinct name");
	is_str(synack_seg_error_name(SYNACK_SEG_BAD_ADDRESS), "bad_address", "e.g. bad_address");
	is_str(synack_seg_error_name(SYNACK_SEG_ERROR_COUNT), "unknown", "out of range");
	subtest_end();
}

/* Inserts ext (already chained: its first header's type is first_nh, and
 * its last header's next-header byte must be 6) between the IPv6 header and
 * TCP. */
static size_t with_ext(const uint8_t *good, size_t n, uint8_t first_nh, const uint8_t *ext,
                       size_t elen, uint8_t *out)
{
	memcpy(out, good, 40);
	memcpy(out + 40, ext, elen);
	memcpy(out + 40 + elen, good + 40, n - 40);
	out[6] = first_nh;
	put16(out + 4, (uint16_t)(n - 40 + elen));
	return n + elen;
}

static void test_reject_v6(void)
{
	subtest("IPv6 and extension headers");
	uint8_t good[200], p[300];
	size_t n = build_plain(6, good, sizeof good);
	struct synack_segment s;
	is_int(parse_exact(good, n, true, &s), SYNACK_SEG_OK, "the unmodified packet parses");
	ok(s.flowlabel == 0xabcde && s.tos == 0x10 && s.ttl == 64, "flow label, class, hops");
	is_int(parse_exact(good, 39, true, &s), SYNACK_SEG_TRUNCATED, "39 bytes");
	is_int(parse_exact(good, n - 1, true, &s), SYNACK_SEG_TRUNCATED,
	       "payload length past buffer");
	memcpy(p, good, n);
	memset(p + n, 0, 10);
	is_int(parse_exact(p, n + 10, true, &s), SYNACK_SEG_OK, "trailing link padding ignored");
	put16(p + 4, 0);
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_BAD_TOTAL_LENGTH,
	       "payload length 0 (jumbo)");
	memcpy(p, good, n);
	p[6] = 17;
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_NOT_TCP, "next header UDP");
	memcpy(p, good, n);
	p[6] = 59;
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_NOT_TCP, "no next header");

	static const uint8_t hbh[8] = { 6, 0, 1, 4, 0, 0, 0, 0 }; /* PadN */
	size_t m = with_ext(good, n, 0, hbh, 8, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_OK, "hop-by-hop options walked");
	is_int(s.payload_len, 12, "TCP found after it");

	static const uint8_t chain[32] = {
		60, 0, 1, 4,  0, 0, 0, 0, /* hop-by-hop -> destination options */
		43, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* dst opts (16) -> routing */
		6,  0, 4, 0,  0, 0, 0, 0, /* routing type 4, segments left 0 -> TCP */
	};
	m = with_ext(good, n, 0, chain, 32, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_OK, "hbh, dstopts (16 bytes), routing");
	ok(s.sport == 40000 && s.payload_len == 12, "TCP after three headers");

	uint8_t rt[8] = { 6, 0, 4, 1, 0, 0, 0, 0 };
	m = with_ext(good, n, 43, rt, 8, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_NOT_TCP, "routing with segments left 1");

	static const uint8_t late_hbh[16] = { 0, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0 };
	m = with_ext(good, n, 60, late_hbh, 16, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_NOT_TCP,
	       "hop-by-hop not first (RFC 8200 §4.1)");

	static const uint8_t frag[8] = { 6, 0, 0, 0, 0, 0, 0, 1 };
	m = with_ext(good, n, 44, frag, 8, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_FRAGMENT, "fragment header");
	static const uint8_t ah[8] = { 6, 0, 0, 0, 0, 0, 0, 0 };
	m = with_ext(good, n, 51, ah, 8, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_NOT_TCP, "AH is not walked");

	/* An extension header claiming more than the payload holds. */
	uint8_t longx[8] = { 6, 200, 1, 4, 0, 0, 0, 0 };
	m = with_ext(good, n, 60, longx, 8, p);
	is_int(parse_exact(p, m, true, &s), SYNACK_SEG_TRUNCATED, "destination options too long");
	memcpy(p, good, 40);
	p[6] = 60;
	put16(p + 4, 4);
	memset(p + 40, 0, 4);
	is_int(parse_exact(p, 44, true, &s), SYNACK_SEG_TRUNCATED,
	       "4 bytes of an extension header");

	static const struct {
		int at;
		uint8_t first;
		uint8_t last;
		const char *what;
	} bad[] = {
		{ 8, 0xff, 0x01, "source ff02::1 (multicast)" },
		{ 8, 0x00, 0x00, "source :: (unspecified)" },
		{ 24, 0xff, 0x01, "destination ff02::1" },
		{ 24, 0x00, 0x00, "destination ::" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memcpy(p, good, n);
		memset(p + bad[i].at, 0, 16);
		p[bad[i].at] = bad[i].first;
		p[bad[i].at + 1] = bad[i].first ? 0x02 : 0;
		p[bad[i].at + 15] = bad[i].last;
		is_int(parse_exact(p, n, false, &s), SYNACK_SEG_BAD_ADDRESS, "%s", bad[i].what);
	}
	memcpy(p, good, n);
	memset(p + 8, 0, 16);
	p[23] = 1; /* ::1 is fine */
	ok(synack_seg_fix_checksums(p, n), "fix_checksums for ::1 -> 2001:db8::2");
	is_int(parse_exact(p, n, true, &s), SYNACK_SEG_OK, "loopback source parses");
	subtest_end();
}

/* The invariants every successful parse must satisfy, whatever the input. */
static bool sane(const uint8_t *p, size_t len, const struct synack_segment *s)
{
	const uint8_t *end = p + len;
	if (s->options_raw < p + 40 || s->options_raw + s->options_len != s->payload)
		return false;
	if (s->payload > end || s->payload_len > (size_t)(end - s->payload))
		return false;
	if (s->options_len > 40 || s->options_len % 4 || s->opt.n_raw > SYNACK_MAX_OPTIONS ||
	    s->opt.n_sack > SYNACK_MAX_SACK_BLOCKS)
		return false;
	for (int i = 0; i < s->opt.n_raw; i++)
		if (s->opt.raw[i].offset < 20 ||
		    s->opt.raw[i].offset + s->opt.raw[i].len > 20 + s->options_len)
			return false;
	return s->src.family == 4 || s->src.family == 6;
}

static size_t seeds(uint8_t pkts[][300], size_t *lens)
{
	size_t k = 0;
	struct synack_segment s = base(4);
	lens[k] = synack_seg_build(&s, pkts[k], 300);
	k++;
	s = base(6);
	lens[k] = synack_seg_build(&s, pkts[k], 300);
	k++;
	s = base(4);
	s.flags = SYNACK_TH_ACK;
	s.opt.has_ts = false;
	s.opt.n_sack = 4;
	lens[k] = synack_seg_build(&s, pkts[k], 300);
	k++;
	static const uint8_t odd[] = {
		30, 6, 1, 2, 3, 4, 1, 0, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0
	};
	s = base(6);
	s.options_raw = odd;
	s.options_len = sizeof odd;
	s.payload_len = 0;
	lens[k] = synack_seg_build(&s, pkts[k], 300);
	k++;
	static const uint8_t chain[32] = {
		60, 0, 1, 4, 0, 0, 0, 0, 43, 1, 1, 12, 0, 0, 0, 0,
		0,  0, 0, 0, 0, 0, 0, 0, 6,  0, 4, 0,  0, 0, 0, 0,
	};
	lens[k] = with_ext(pkts[1], lens[1], 0, chain, 32, pkts[k]);
	k++;
	/* IPv4 with 8 bytes of IP options. */
	memcpy(pkts[k], pkts[0], 20);
	memset(pkts[k] + 20, 1, 8);
	memcpy(pkts[k] + 28, pkts[0] + 20, lens[0] - 20);
	pkts[k][0] = 0x47;
	lens[k] = lens[0] + 8;
	put16(pkts[k] + 2, (uint16_t)lens[k]);
	fix_ip4(pkts[k]);
	k++;
	return k;
}

static void test_prefixes(void)
{
	subtest("every prefix of a valid packet");
	uint8_t pkts[6][300];
	size_t lens[6];
	size_t n = seeds(pkts, lens);
	for (size_t i = 0; i < n; i++) {
		struct synack_segment s;
		int wrong = 0;
		is_int(parse_exact(pkts[i], lens[i], true, &s), SYNACK_SEG_OK, "seed %zu parses",
		       i);
		for (size_t len = 0; len < lens[i]; len++)
			wrong += parse_exact(pkts[i], len, false, &s) != SYNACK_SEG_TRUNCATED;
		is_int(wrong, 0, "seed %zu: all %zu prefixes are TRUNCATED, none over-read", i,
		       lens[i]);
	}
	subtest_end();
}

static const uint8_t interesting[] = { 0,    1,    2,    3,    4,    5,    6,    8,
	                               10,   0x0f, 0x10, 0x20, 0x40, 0x45, 0x4f, 0x50,
	                               0x60, 0x7f, 0x80, 0xf0, 0xfe, 0xff };

static void mutate(uint8_t *p, size_t len)
{
	int edits = 1 + (int)(rnd() % 4);
	for (int e = 0; e < edits; e++) {
		size_t at = rnd() % len;
		switch (rnd() % 3) {
		case 0:
			p[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			p[at] = interesting[rnd() % sizeof interesting];
			break;
		default:
			p[at] = (uint8_t)rnd();
			break;
		}
	}
}

static void test_mutations(void)
{
	subtest("random mutations never over-read");
	uint8_t pkts[6][300];
	size_t lens[6];
	size_t n = seeds(pkts, lens);
	int insane = 0, unstable = 0, fixed_bad = 0, accepted = 0, runs = 0;
	long seen[SYNACK_SEG_ERROR_COUNT] = { 0 };
	for (int k = 0; k < 30000; k++) {
		size_t i = (size_t)k % n;
		/* Sometimes cut or extend the buffer as well as the bytes. */
		size_t len = lens[i];
		uint32_t r = rnd() % 8;
		if (r == 0)
			len = rnd() % (len + 1);
		else if (r == 1)
			len += rnd() % 40;
		uint8_t *p = malloc(len ? len : 1);
		for (size_t b = 0; b < len; b++)
			p[b] = b < lens[i] ? pkts[i][b] : (uint8_t)rnd();
		if (len)
			mutate(p, len);
		if (len && rnd() % 2)
			synack_seg_fix_checksums(p, len);
		struct synack_segment a, b;
		bool verify = k % 2;
		enum synack_seg_error ea = synack_seg_parse(p, len, verify, &a);
		enum synack_seg_error eb = synack_seg_parse(p, len, verify, &b);
		runs++;
		if ((unsigned)ea >= SYNACK_SEG_ERROR_COUNT)
			insane++;
		else
			seen[ea]++;
		unstable += ea != eb || memcmp(&a, &b, sizeof a) != 0;
		if (ea == SYNACK_SEG_OK) {
			accepted++;
			insane += !sane(p, len, &a);
			/* Fixing the checksums makes a verified parse agree. */
			if (synack_seg_fix_checksums(p, len))
				fixed_bad += synack_seg_parse(p, len, true, &b) != SYNACK_SEG_OK;
		}
		free(p);
	}
	is_int(insane, 0, "%d parses: results in range, successful ones consistent", runs);
	is_int(unstable, 0, "deterministic: the same bytes give the same answer");
	is_int(fixed_bad, 0, "after fix_checksums every accepted packet verifies");
	ok(accepted > 1000, "a good share still parses (%d)", accepted);
	for (int e = 0; e < SYNACK_SEG_ERROR_COUNT; e++)
		tap_note("%-18s %ld", synack_seg_error_name((enum synack_seg_error)e), seen[e]);

	int bad_opts = 0;
	for (int k = 0; k < 20000; k++) {
		size_t len = rnd() % 41;
		uint8_t *p = malloc(len ? len : 1);
		for (size_t b = 0; b < len; b++)
			p[b] = rnd() % 3 ? interesting[rnd() % sizeof interesting] : (uint8_t)rnd();
		struct synack_tcp_options o;
		if (synack_opts_parse(p, len, &o) == SYNACK_SEG_OK) {
			for (int j = 0; j < o.n_raw; j++)
				bad_opts += o.raw[j].offset + o.raw[j].len > 20 + len;
			bad_opts += o.n_sack > SYNACK_MAX_SACK_BLOCKS;
		}
		free(p);
	}
	is_int(bad_opts, 0, "20000 random option strings: raw[] stays inside the header");
	subtest_end();
}

/* Whole packets computed independently (a separate 16-bit-word checksum
 * over hand-laid headers): the builder's bytes, checksums included. */
static void test_golden(void)
{
	subtest("golden packets");
	static const uint8_t v4[72] = {
		0x45, 0x10, 0x00, 0x48, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0xa4, 0x68,
		0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02, 0x9c, 0x40, 0x1f, 0x90,
		0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xff,
		0xc7, 0x7e, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
		0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
		'h',  'e',  'l',  'l',  'o',  ',',  ' ',  'w',  'o',  'r',  'l',  'd',
	};
	static const uint8_t v6_head[60] = {
		0x61, 0x0a, 0xbc, 0xde, 0x00, 0x34, 0x06, 0x40, 0x20, 0x01, 0x0d, 0xb8,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x1f, 0x90, 0xff, 0xff, 0xff, 0xf0,
		0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xff, 0xf0, 0x0d, 0x00, 0x00,
	};
	uint8_t buf[200];
	struct synack_segment s = base(4);
	size_t n = synack_seg_build(&s, buf, sizeof buf);
	is_mem(buf, n, v4, sizeof v4, "IPv4 SYN <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	s = base(6);
	n = synack_seg_build(&s, buf, sizeof buf);
	is_int(n, 92, "IPv6 SYN length");
	is_mem(buf, 60, v6_head, sizeof v6_head, "IPv6 header and TCP header, checksum 0xf00d");
	subtest_end();
}

/* synack_seg_fix_checksums on ICMP errors (the packet fuzz target's custom
 * mutator): the ICMP checksum covers the quoted header, which is what the
 * fuzzer mutates. */
static void test_fix_icmp(void)
{
	subtest("fix_checksums on ICMPv4 and ICMPv6 errors");
	/* IPv4 frag needed (type 3 code 4, MTU 576) quoting 20 + 8 bytes. */
	uint8_t p[20 + 8 + 28];
	memset(p, 0, sizeof p);
	p[0] = 0x45;
	put16(p + 2, sizeof p);
	p[8] = 64;
	p[9] = 1;
	memcpy(p + 12, (uint8_t[]){ 192, 0, 2, 9 }, 4);
	memcpy(p + 16, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	p[20] = 3;
	p[21] = 4;
	put16(p + 26, 576);
	p[28] = 0x45;
	p[36] = 64;
	p[37] = 6;
	p[48] = 0x9c; /* quoted TCP ports and sequence number */
	p[52] = 0x12;
	ok(synack_seg_fix_checksums(p, sizeof p), "ICMPv4: fixed");
	is_hex(synack_inet_checksum(p, 20), 0, "ICMPv4: IP header checksum verifies");
	is_hex(synack_inet_checksum(p + 20, sizeof p - 20), 0, "ICMPv4: ICMP checksum verifies");
	p[53] ^= 0x5a; /* a mutated quoted sequence number */
	ok(synack_inet_checksum(p + 20, sizeof p - 20) != 0, "ICMPv4: the mutation breaks it");
	ok(synack_seg_fix_checksums(p, sizeof p), "ICMPv4: fixed again");
	is_hex(synack_inet_checksum(p + 20, sizeof p - 20), 0, "ICMPv4: verifies again");

	/* IPv6 packet too big (type 2, MTU 1280) quoting 40 + 8 bytes. */
	uint8_t q[40 + 8 + 48];
	memset(q, 0, sizeof q);
	q[0] = 0x60;
	put16(q + 4, sizeof q - 40);
	q[6] = 58;
	q[7] = 64;
	q[8] = 0x20;
	q[9] = 0x01;
	q[23] = 9;
	q[24] = 0xfd;
	q[39] = 1;
	q[40] = 2;
	put16(q + 46, 1280);
	q[48] = 0x60;
	q[54] = 6;
	q[89] = 0x77;
	struct synack_addr src = { .family = 6 }, dst = { .family = 6 };
	memcpy(src.bytes, q + 8, 16);
	memcpy(dst.bytes, q + 24, 16);
	ok(synack_seg_fix_checksums(q, sizeof q), "ICMPv6: fixed");
	is_hex(synack_csum_finish(synack_csum_add(synack_csum_pseudo(&src, &dst, 58, sizeof q - 40),
	                                          q + 40, sizeof q - 40)),
	       0, "ICMPv6: checksum with the pseudo-header verifies");

	/* Neither TCP nor ICMP (UDP): refused, untouched. */
	uint8_t u[28], before[28];
	memcpy(u, p, sizeof u);
	put16(u + 2, sizeof u);
	u[9] = 17;
	memcpy(before, u, sizeof u);
	ok(!synack_seg_fix_checksums(u, sizeof u), "UDP: refused");
	ok(memcmp(u, before, sizeof u) == 0, "UDP: unchanged");
	/* An ICMP message too short to hold its checksum field. */
	put16(u + 2, 22);
	u[9] = 1;
	ok(!synack_seg_fix_checksums(u, 22), "ICMPv4 of 2 bytes: refused");
	subtest_end();
}

int main(void)
{
	test_fix_icmp();
	test_round_trip();
	test_build_limits();
	test_golden();
	test_reject_v4();
	test_reject_tcp();
	test_reject_v6();
	test_prefixes();
	test_mutations();
	done_testing();
}
