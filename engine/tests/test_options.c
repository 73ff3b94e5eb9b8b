/* TCP options: Linux's tcp_options_write() layouts byte for byte, parsing
 * of every option and every malformation, and explicit option lists. */
#include <string.h>

#include "synack/segment.h"
#include "tap.h"

#define TSV 0x11, 0x22, 0x33, 0x44
#define TSE 0x55, 0x66, 0x77, 0x88

static struct synack_tcp_options syn_opts(bool ts, bool sack, bool ws)
{
	struct synack_tcp_options o = { 0 };
	o.has_mss = true;
	o.mss = 1460;
	o.has_ts = ts;
	o.ts_val = 0x11223344;
	o.ts_ecr = 0x55667788;
	o.sack_permitted = sack;
	o.has_wscale = ws;
	o.wscale = 7;
	return o;
}

static void expect_build(const struct synack_tcp_options *o, bool syn, const uint8_t *want,
                         size_t want_len, const char *name)
{
	uint8_t buf[40];
	memset(buf, 0xaa, sizeof buf);
	int n = synack_opts_build(o, syn, buf, sizeof buf);
	is_int(n, (int)want_len, "%s: length", name);
	if (n >= 0)
		is_mem(buf, (size_t)n, want, want_len, "%s: bytes", name);
	else
		fail("%s: bytes", name);
}

/* Linux's layouts, as seen in any capture of a Linux SYN or SYN-ACK. */
static void test_linux_layouts(void)
{
	subtest("Linux tcp_options_write() layouts");
	for (int synack = 0; synack < 2; synack++) {
		const char *who = synack ? "SYN-ACK" : "SYN";
		/* the SYN-ACK's options go through the same writer (Linux:
		 * tcp_synack_options + tcp_options_write), so bytes match. */
		struct synack_tcp_options o = syn_opts(true, true, true);
		static const uint8_t all[] = {
			2, 4, 0x05, 0xb4, 4, 2, 8, 10, TSV, TSE, 1, 3, 3, 7
		};
		tap_note("%s", who);
		expect_build(&o, true, all, sizeof all, "mss, sackOK, TS, nop, wscale");

		o = syn_opts(true, false, true);
		static const uint8_t ts[] = { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, TSV, TSE, 1, 3, 3, 7 };
		expect_build(&o, true, ts, sizeof ts, "mss, nop, nop, TS, nop, wscale");

		o = syn_opts(false, true, true);
		static const uint8_t sack[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
		expect_build(&o, true, sack, sizeof sack, "mss, nop, nop, sackOK, nop, wscale");

		o = syn_opts(false, false, true);
		static const uint8_t wsonly[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
		expect_build(&o, true, wsonly, sizeof wsonly, "mss, nop, wscale");

		o = syn_opts(true, true, false);
		static const uint8_t nows[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, TSV, TSE };
		expect_build(&o, true, nows, sizeof nows, "mss, sackOK, TS (no wscale)");

		o = syn_opts(false, true, false);
		static const uint8_t sacknows[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
		expect_build(&o, true, sacknows, sizeof sacknows, "mss, nop, nop, sackOK");

		o = syn_opts(false, false, false);
		static const uint8_t mss[] = { 2, 4, 0x05, 0xb4 };
		expect_build(&o, true, mss, sizeof mss, "mss only");
	}
	subtest_end();
}

static void test_established_layouts(void)
{
	subtest("non-SYN layouts");
	struct synack_tcp_options o = syn_opts(true, true, true);
	o.has_mss = true; /* handshake-only options are not written on a non-SYN */
	static const uint8_t ts[] = { 1, 1, 8, 10, TSV, TSE };
	expect_build(&o, false, ts, sizeof ts, "nop, nop, TS");

	o.n_sack = 3;
	for (int i = 0; i < 3; i++) {
		o.sack[i].left = 0x01000000u * (uint32_t)(i + 1);
		o.sack[i].right = o.sack[i].left + 0x100;
	}
	static const uint8_t ts3[] = { 1, 1, 8, 10, TSV, TSE, 1, 1, 5, 26, 1, 0, 0, 0, 1, 0, 1,
		                       0, 2, 0, 0,  0,   2,   0, 1, 0, 3,  0, 0, 0, 3, 0, 1, 0 };
	expect_build(&o, false, ts3, sizeof ts3, "nop, nop, TS, nop, nop, 3 SACK blocks");

	o.n_sack = 4;
	o.sack[3].left = 0x04000000u;
	o.sack[3].right = 0x04000100u;
	uint8_t buf[40];
	is_int(synack_opts_build(&o, false, buf, sizeof buf), -1,
	       "TS + 4 SACK blocks exceed 40 bytes (Linux would send 3)");
	o.has_ts = false;
	static const uint8_t s4[] = { 1, 1, 5, 34, 1, 0, 0, 0, 1, 0, 1, 0, 2, 0, 0, 0, 2, 0,
		                      1, 0, 3, 0,  0, 0, 3, 0, 1, 0, 4, 0, 0, 0, 4, 0, 1, 0 };
	expect_build(&o, false, s4, sizeof s4, "nop, nop, 4 SACK blocks");
	o.n_sack = 5;
	is_int(synack_opts_build(&o, false, buf, sizeof buf), -1, "5 SACK blocks: error");

	struct synack_tcp_options none = { 0 };
	is_int(synack_opts_build(&none, false, buf, sizeof buf), 0, "no options: 0 bytes");
	o = syn_opts(true, true, true);
	is_int(synack_opts_build(&o, true, buf, 19), -1, "cap too small: error");
	is_int(synack_opts_build(&o, true, buf, 20), 20, "exact cap: fits");
	subtest_end();
}

static enum synack_seg_error parse(const uint8_t *p, size_t n, struct synack_tcp_options *o)
{
	return synack_opts_parse(p, n, o);
}

static void test_parse_basic(void)
{
	subtest("parse: well-formed options");
	struct synack_tcp_options o;
	is_int(parse(NULL, 0, &o), SYNACK_SEG_OK, "no options");
	is_int(o.n_raw, 0, "nothing recorded");

	static const uint8_t all[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, TSV, TSE, 1, 3, 3, 14 };
	is_int(parse(all, sizeof all, &o), SYNACK_SEG_OK, "Linux SYN options");
	ok(o.has_mss && o.mss == 1460, "mss 1460");
	ok(o.sack_permitted, "sackOK");
	ok(o.has_ts && o.ts_val == 0x11223344 && o.ts_ecr == 0x55667788, "TS val/ecr");
	ok(o.has_wscale && o.wscale == 14, "wscale 14");
	is_int(o.n_raw, 5, "five options in raw[]");
	static const struct synack_raw_option want[] = {
		{ 2, 4, 20 }, { 4, 2, 24 }, { 8, 10, 26 }, { 1, 1, 36 }, { 3, 3, 37 },
	};
	is_mem(o.raw, sizeof want, want, sizeof want, "wire order, lengths, header offsets");

	static const uint8_t big_ws[] = { 3, 3, 200, 0 };
	is_int(parse(big_ws, sizeof big_ws, &o), SYNACK_SEG_OK, "wscale 200");
	is_int(o.wscale, 200, "kept as sent; RFC 7323 §2.3 clamping is the receiver's job");
	is_int(o.n_raw, 2, "then EOL");

	uint8_t s4[34] = { 5, 34 };
	for (int i = 0; i < 32; i++)
		s4[2 + i] = (uint8_t)i;
	uint8_t buf[36] = { 1, 1 };
	memcpy(buf + 2, s4, sizeof s4);
	is_int(parse(buf, sizeof buf, &o), SYNACK_SEG_OK, "4 SACK blocks");
	is_int(o.n_sack, 4, "n_sack 4");
	is_hex(o.sack[0].left, 0x00010203, "block 0 left");
	is_hex(o.sack[3].right, 0x1c1d1e1f, "block 3 right");

	static const uint8_t one[] = { 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	is_int(parse(one, sizeof one, &o), SYNACK_SEG_OK, "1 SACK block");
	ok(o.n_sack == 1 && o.sack[0].left == 1 && o.sack[0].right == 2, "block 1:2");

	/* Linux: tcp_parse_options, the last occurrence wins. */
	static const uint8_t dup[] = { 2, 4, 0, 100, 2, 4, 0, 200 };
	is_int(parse(dup, sizeof dup, &o), SYNACK_SEG_OK, "duplicate MSS");
	is_int(o.mss, 200, "the later one wins");

	/* RFC 9293 §3.1: unknown kinds are skipped by their length. */
	static const uint8_t unk[] = { 30, 6, 9, 9, 9, 9, 254, 4, 0xf9, 0x89, 34, 2, 2, 4, 1, 0 };
	is_int(parse(unk, sizeof unk, &o), SYNACK_SEG_OK, "unknown, experimental, Fast Open kinds");
	ok(o.has_mss && o.mss == 256, "the MSS after them is parsed");
	is_int(o.n_raw, 4, "all four recorded");
	ok(o.raw[0].kind == 30 && o.raw[0].len == 6 && o.raw[1].kind == 254 &&
	       o.raw[2].kind == 34 && o.raw[2].len == 2,
	   "unknown kinds keep kind and length");
	subtest_end();
}

static void test_parse_eol(void)
{
	subtest("parse: EOL ends the list");
	struct synack_tcp_options o;
	/* RFC 9293 §3.1: after EOL comes padding, even if it looks like options. */
	static const uint8_t mid[] = { 2, 4, 0x05, 0xb4, 0, 3, 3, 7 };
	is_int(parse(mid, sizeof mid, &o), SYNACK_SEG_OK, "EOL in the middle");
	ok(o.has_mss && !o.has_wscale, "MSS before it, nothing after");
	is_int(o.n_raw, 2, "mss, eol");
	ok(o.raw[1].kind == 0 && o.raw[1].len == 1 && o.raw[1].offset == 24, "EOL at offset 24");

	static const uint8_t junk[] = { 0, 5, 1, 0 }; /* garbage after EOL: never looked at */
	is_int(parse(junk, sizeof junk, &o), SYNACK_SEG_OK, "malformed bytes after EOL");
	is_int(o.n_raw, 1, "eol only");

	static const uint8_t nops[] = { 1, 1, 1, 1 };
	is_int(parse(nops, sizeof nops, &o), SYNACK_SEG_OK, "all NOPs");
	is_int(o.n_raw, 4, "four NOPs");
	subtest_end();
}

/* Linux: tcp_parse_options acts on a known kind only when "opsize ==
 * TCPOLEN_x" and otherwise skips it by opsize; the walk goes on. */
static void test_parse_wrong_lengths(void)
{
	subtest("parse: known kinds with the wrong length are ignored");
	struct synack_tcp_options o;
	static const uint8_t mss3[] = { 2, 3, 5, 3, 3, 9, 0, 0 };
	is_int(parse(mss3, sizeof mss3, &o), SYNACK_SEG_OK, "MSS length 3");
	ok(!o.has_mss, "not applied");
	ok(o.has_wscale && o.wscale == 9, "the walk continued by its length");

	static const uint8_t mss6[] = { 2, 6, 5, 0xb4, 0, 0, 4, 2 };
	is_int(parse(mss6, sizeof mss6, &o), SYNACK_SEG_OK, "MSS length 6");
	ok(!o.has_mss && o.sack_permitted, "ignored, sackOK after it applied");

	static const uint8_t ws4[] = { 3, 4, 7, 0 };
	is_int(parse(ws4, sizeof ws4, &o), SYNACK_SEG_OK, "wscale length 4");
	ok(!o.has_wscale, "not applied");

	static const uint8_t sp3[] = { 4, 3, 0, 1 };
	is_int(parse(sp3, sizeof sp3, &o), SYNACK_SEG_OK, "sackOK length 3");
	ok(!o.sack_permitted, "not applied");

	static const uint8_t ts8[] = { 8, 8, TSV, 0, 0, 2, 4, 1, 0 };
	is_int(parse(ts8, sizeof ts8, &o), SYNACK_SEG_OK,
	       "TS length 8 (truncated TS, well framed)");
	ok(!o.has_ts && o.has_mss && o.mss == 256, "not applied; MSS after it applied");

	static const uint8_t ts12[] = { 8, 12, TSV, TSE, 0, 0 };
	is_int(parse(ts12, sizeof ts12, &o), SYNACK_SEG_OK, "TS length 12");
	ok(!o.has_ts, "not applied");

	static const uint8_t sack9[] = { 5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0 };
	is_int(parse(sack9, sizeof sack9, &o), SYNACK_SEG_OK, "SACK length 9");
	is_int(o.n_sack, 0, "not applied");
	static const uint8_t sack2[] = { 5, 2, 1, 1 };
	is_int(parse(sack2, sizeof sack2, &o), SYNACK_SEG_OK, "SACK with no blocks (length 2)");
	is_int(o.n_sack, 0, "not applied");

	/* Linux: "if (in_mss)", an MSS of zero is not applied. */
	static const uint8_t mss0[] = { 2, 4, 0, 0 };
	is_int(parse(mss0, sizeof mss0, &o), SYNACK_SEG_OK, "MSS 0");
	ok(!o.has_mss && o.n_raw == 1, "not applied, still recorded");
	subtest_end();
}

static void test_parse_malformed(void)
{
	subtest("parse: malformed framing is BAD_OPTION");
	struct synack_tcp_options o;
	static const uint8_t len0[] = { 30, 0, 1, 1 };
	is_int(parse(len0, sizeof len0, &o), SYNACK_SEG_BAD_OPTION, "length 0");
	static const uint8_t len1[] = { 2, 1, 1, 1 };
	is_int(parse(len1, sizeof len1, &o), SYNACK_SEG_BAD_OPTION, "length 1");
	static const uint8_t past[] = { 1, 1, 2, 4, 5, 0xb4, 8, 10 };
	is_int(parse(past, sizeof past, &o), SYNACK_SEG_BAD_OPTION,
	       "TS length 10 with 2 bytes left");
	static const uint8_t nolen[] = { 1, 1, 1, 2 };
	is_int(parse(nolen, sizeof nolen, &o), SYNACK_SEG_BAD_OPTION,
	       "kind in the last byte, no length");
	static const uint8_t over[] = { 30, 5, 0, 0 };
	is_int(parse(over, sizeof over, &o), SYNACK_SEG_BAD_OPTION,
	       "unknown kind running past the end");
	uint8_t big[44] = { 0 };
	is_int(parse(big, sizeof big, &o), SYNACK_SEG_BAD_OPTION, "more than 40 bytes of options");
	uint8_t s5[40] = { 5, 42 };
	is_int(parse(s5, sizeof s5, &o), SYNACK_SEG_BAD_OPTION, "5 SACK blocks cannot fit");
	subtest_end();
}

static struct synack_tcp_option_spec spec(uint8_t kind, uint8_t len, const uint8_t *v, uint8_t vlen)
{
	struct synack_tcp_option_spec s = { .kind = kind, .len = len, .value_len = vlen };
	if (vlen)
		memcpy(s.value, v, vlen);
	return s;
}

static void test_build_raw(void)
{
	subtest("explicit option lists");
	uint8_t buf[40];
	static const uint8_t mssv[] = { 0x05, 0xb4 };
	static const uint8_t tsv[] = { TSV, TSE };
	static const uint8_t wsv[] = { 7 };
	/* A non-Linux order: wscale, nop, TS, mss, nop, nop, sackOK, nop, nop. */
	struct synack_tcp_option_spec l[] = {
		spec(3, 3, wsv, 1),  spec(1, 0, NULL, 0), spec(8, 10, tsv, 8),
		spec(2, 4, mssv, 2), spec(1, 0, NULL, 0), spec(1, 0, NULL, 0),
		spec(4, 2, NULL, 0), spec(1, 0, NULL, 0), spec(1, 0, NULL, 0),
	};
	static const uint8_t want[] = {
		3, 3, 7, 1, 8, 10, TSV, TSE, 2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 1
	};
	int n = synack_opts_build_raw(l, 9, false, buf, sizeof buf);
	is_int(n, (int)sizeof want, "written in the list's order");
	is_mem(buf, sizeof want, want, sizeof want, "bytes");
	struct synack_tcp_options o;
	is_int(parse(buf, (size_t)n, &o), SYNACK_SEG_OK, "parses back");
	is_int(o.n_raw, 9, "nine options");

	struct synack_tcp_option_spec m[] = { spec(2, 4, mssv, 2), spec(3, 3, wsv, 1) };
	is_int(synack_opts_build_raw(m, 2, false, buf, sizeof buf), -2,
	       "7 bytes unpadded: refused as packetdrill does");
	is_int(synack_opts_build_raw(m, 2, true, buf, sizeof buf), 8, "padded to 8");
	static const uint8_t pad[] = { 2, 4, 5, 0xb4, 3, 3, 7, 0 };
	is_mem(buf, 8, pad, 8, "padding is EOL (zero)");

	/* A lying length byte, for robustness scripts. */
	struct synack_tcp_option_spec bad[] = { spec(8, 40, tsv, 2) };
	is_int(synack_opts_build_raw(bad, 1, false, buf, sizeof buf), 4, "TS with length byte 40");
	static const uint8_t badw[] = { 8, 40, 0x11, 0x22 };
	is_mem(buf, 4, badw, 4, "written as asked");
	is_int(parse(buf, 4, &o), SYNACK_SEG_BAD_OPTION, "and the parser rejects it");

	struct synack_tcp_option_spec nops[41];
	for (int i = 0; i < 41; i++)
		nops[i] = spec(1, 0, NULL, 0);
	is_int(synack_opts_build_raw(nops, 40, false, buf, sizeof buf), 40, "40 NOPs fit");
	is_int(synack_opts_build_raw(nops, 41, false, buf, sizeof buf), -1, "41 do not");
	is_int(synack_opts_build_raw(nops, 4, false, buf, 3), -1, "cap respected");
	is_int(synack_opts_build_raw(NULL, 0, false, buf, sizeof buf), 0, "empty list");
	subtest_end();
}

static uint64_t rng = 0x853c49e6748fea9bull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static void test_build_parse(void)
{
	subtest("parse(opts_build(x)) == x");
	int bad = 0, skipped = 0;
	for (int k = 0; k < 5000; k++) {
		bool syn = rnd() & 1;
		struct synack_tcp_options o = { 0 };
		o.has_ts = rnd() & 1;
		o.ts_val = rnd();
		o.ts_ecr = rnd();
		if (syn) {
			o.has_mss = rnd() & 1;
			o.mss = (uint16_t)(1 + rnd() % 0xffff);
			o.has_wscale = rnd() & 1;
			o.wscale = (uint8_t)rnd();
			o.sack_permitted = rnd() & 1;
		} else {
			o.n_sack = (uint8_t)(rnd() % 5);
			for (int i = 0; i < o.n_sack; i++) {
				o.sack[i].left = rnd();
				o.sack[i].right = rnd();
			}
		}
		uint8_t buf[40];
		int n = synack_opts_build(&o, syn, buf, sizeof buf);
		if (n < 0) {
			skipped++;
			bad += !(o.has_ts && o.n_sack == 4);
			continue;
		}
		struct synack_tcp_options b;
		bad += n % 4 != 0 || synack_opts_parse(buf, (size_t)n, &b) != SYNACK_SEG_OK;
		bad += b.has_mss != o.has_mss || (o.has_mss && b.mss != o.mss);
		bad += b.has_wscale != o.has_wscale || (o.has_wscale && b.wscale != o.wscale);
		bad += b.sack_permitted != o.sack_permitted || b.has_ts != o.has_ts;
		bad += o.has_ts && (b.ts_val != o.ts_val || b.ts_ecr != o.ts_ecr);
		bad += b.n_sack != o.n_sack;
		for (int i = 0; i < o.n_sack && i < b.n_sack; i++)
			bad +=
			    b.sack[i].left != o.sack[i].left || b.sack[i].right != o.sack[i].right;
	}
	is_int(bad, 0, "5000 random option sets (%d with TS + 4 SACK refused)", skipped);
	subtest_end();
}

/* A bare ACK from 2001:db8::1 / 192.0.2.1 to ...::2 / 192.0.2.2. */
static struct synack_segment segment(int family)
{
	struct synack_segment s = { 0 };
	s.src.family = s.dst.family = (uint8_t)family;
	s.src.bytes[0] = s.dst.bytes[0] = family == 6 ? 0x20 : 192;
	s.src.bytes[3] = 1;
	s.dst.bytes[3] = 2;
	s.ttl = 64;
	s.sport = 1;
	s.dport = 2;
	s.flags = SYNACK_TH_ACK;
	return s;
}

/* What a script writes is what goes on the wire and what the parser
 * reports, option by option. */
static void test_raw_round_trip(void)
{
	subtest("explicit option lists survive build and parse");
	static const uint8_t kinds[] = { 0, 1, 1, 1, 2, 3, 4, 5, 8, 30, 34, 254 };
	int bad = 0, built = 0;
	for (int k = 0; k < 3000; k++) {
		struct synack_tcp_option_spec l[SYNACK_MAX_OPTIONS];
		size_t n = 0, bytes = 0;
		while (n < SYNACK_MAX_OPTIONS) {
			struct synack_tcp_option_spec o = { .kind = kinds[rnd() % sizeof kinds] };
			if (o.kind > 1) {
				o.value_len = (uint8_t)(rnd() % 11);
				o.len = (uint8_t)(2 + o.value_len);
				for (int v = 0; v < o.value_len; v++)
					o.value[v] = (uint8_t)rnd();
			}
			size_t sz = o.kind > 1 ? o.len : 1;
			if (bytes + sz > 40 || o.kind == 0)
				break;
			l[n++] = o;
			bytes += sz;
		}
		uint8_t opts[40];
		int olen = synack_opts_build_raw(l, n, true, opts, sizeof opts);
		if (olen < 0) {
			bad++;
			continue;
		}
		struct synack_segment s = segment(k % 2 ? 6 : 4);
		s.options_raw = opts;
		s.options_len = (uint8_t)olen;
		uint8_t pkt[200];
		size_t plen = synack_seg_build(&s, pkt, sizeof pkt);
		built += plen > 0;
		struct synack_segment back;
		if (synack_seg_parse(pkt, plen, true, &back) != SYNACK_SEG_OK) {
			bad++;
			continue;
		}
		/* Padding adds at most 3 EOLs, of which the parser records one. */
		size_t want = n + (bytes < (size_t)olen ? 1 : 0);
		bool same = back.opt.n_raw == want;
		size_t off = 20;
		for (size_t j = 0; same && j < n; j++) {
			uint8_t len = l[j].kind > 1 ? l[j].len : 1;
			same = back.opt.raw[j].kind == l[j].kind && back.opt.raw[j].len == len &&
			       back.opt.raw[j].offset == off;
			off += len;
		}
		bad += !same;
	}
	is_int(built, 3000, "3000 random lists built into IPv4/IPv6 segments");
	is_int(bad, 0, "kinds, lengths and offsets come back in order");
	subtest_end();
}

int main(void)
{
	test_linux_layouts();
	test_established_layouts();
	test_parse_basic();
	test_parse_eol();
	test_parse_wrong_lengths();
	test_parse_malformed();
	test_build_raw();
	test_build_parse();
	test_raw_round_trip();
	done_testing();
}
