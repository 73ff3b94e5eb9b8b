/* Segments: parse(build(x)) == x for generated IPv4 and IPv6 segments, every
 * rejection reason from a hand-crafted packet, extension headers, and
 * out-of-bounds safety (every prefix, thousands of mutations, each in an
 * exact-size heap buffer so ASan sees a one-byte over-read). */
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	test_round_trip();
	test_build_limits();
	done_testing();
}
