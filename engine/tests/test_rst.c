/* Segments for no connection (RFC 9293 §3.10.7.1) and malformed input. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void no_socket(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("CLOSED: RST for everything but an RST");
	fx_init(&f, NULL, 300);
	f.p_ack = 5000;
	fx_send_syn(&f);
	expect_seg_out(&f, F_RA, 0, 1, 0, 0, &s);
	is_hex(s.seq, 0, "<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>");
	ok(!s.opt.has_ts && !s.opt.has_mss, "no options");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg_out(&f, F_R, FX_ANY, 0, 0, 0, &s);
	is_hex(s.seq, 5000, "<SEQ=SEG.ACK><CTL=RST>");
	fx_send(&f, F_P, 0, 0, "abc", 3);
	expect_seg_out(&f, F_RA, FX_ANY, FX_ANY, 0, 0, &s);
	is_hex(s.ack, f.p_seq, "ACK covers the data");
	fx_send(&f, F_F, 0, 0, NULL, 0);
	expect_seg_out(&f, F_RA, FX_ANY, FX_ANY, 0, 0, &s);
	is_hex(s.ack, f.p_seq, "ACK covers the FIN");
	fx_send(&f, F_R, 0, 0, NULL, 0);
	fx_send(&f, F_RA, 0, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_stats(f.st)->no_socket, 6, "counted");
	is_uint(synack_stats(f.st)->out_rsts, 4, "out_rsts");
	fx_free(&f);
	subtest_end();
}

static void no_socket_v6(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("CLOSED over IPv6");
	fx_init6(&f, NULL, 304);
	fx_send_syn(&f);
	expect_seg_out(&f, F_RA, 0, 1, 0, 0, &s);
	is_int(s.src.family, 6, "IPv6 reply");
	ok(!memcmp(s.dst.bytes, f.remote.bytes, 16), "to the sender");
	fx_free(&f);
	subtest_end();
}

static void specific_listener(void)
{
	struct fx f;
	struct sockaddr_storage ss;
	subtest("a listener on one address does not answer for another");
	fx_init(&f, NULL, 305);
	struct synack_addr a2 = f.local;
	a2.bytes[3] = 9;
	synack_add_address(f.st, &a2);
	int fd = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	int n = fx_sockaddr(&f, &a2, f.lport, &ss);
	synack_bind(f.st, fd, (struct sockaddr *)&ss, (socklen_t)n);
	synack_listen(f.st, fd, 5);
	fx_send_syn(&f); /* to f.local */
	expect_seg(&f, F_RA, FX_ANY, 1, 0, 0);
	f.local = a2;
	fx_send_syn(&f);
	expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void not_for_us(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("a packet for another address is dropped silently");
	fx_init(&f, NULL, 301);
	fx_mkseg(&f, &s, F_S, 0, 0, NULL, 0);
	s.dst.bytes[3] = 99;
	fx_inject(&f, &s);
	expect_none(&f);
	is_uint(synack_stats(f.st)->not_for_us, 1, "not_for_us");
	fx_free(&f);
	subtest_end();
}

static void malformed(void)
{
	struct fx f;
	uint8_t pkt[80];
	subtest("malformed packets are dropped and counted, never a crash");
	fx_init(&f, NULL, 302);
	fx_established(&f);
	struct synack_segment s;
	fx_mkseg(&f, &s, F_PA, 0, 0, "hello", 5);
	size_t n = synack_seg_build(&s, pkt, sizeof(pkt));
	pkt[n - 1] ^= 0xff; /* checksum now wrong */
	synack_input(f.st, f.now, pkt, n);
	expect_none(&f);
	is_uint(synack_stats(f.st)->malformed[SYNACK_SEG_BAD_CHECKSUM], 1, "bad checksum");
	synack_input(f.st, f.now, pkt, 10);
	is_uint(synack_stats(f.st)->malformed[SYNACK_SEG_TRUNCATED] +
	            synack_stats(f.st)->malformed[SYNACK_SEG_BAD_TOTAL_LENGTH],
	        1, "truncated");
	/* Every prefix and every single-byte corruption. */
	pkt[n - 1] ^= 0xff;
	for (size_t i = 0; i <= n; i++)
		synack_input(f.st, f.now, pkt, i);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			pkt[i] ^= (uint8_t)(1u << bit);
			synack_input(f.st, f.now, pkt, n);
			pkt[i] ^= (uint8_t)(1u << bit);
		}
	pass("survived %zu prefixes and %zu bit flips", n + 1, n * 8);
	fx_drain(&f);
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	for (int rfc = 0; rfc < 2; rfc++) {
		if (rfc)
			synack_profile_rfc(&p);
		else
			synack_profile_linux(&p);
		subtest("an illegal option length (MUST-7), %s profile: %s", rfc ? "rfc" : "linux",
		        rfc ? "dropped, counted" : "parsing stops, the segment counts");
		fx_init(&f, &p, 310);
		fx_established(&f);
		fx_mkseg(&f, &s, F_PA, 0, 0, "hello", 5);
		n = synack_seg_build(&s, pkt, sizeof(pkt));
		size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
		ok((pkt[ihl + 12] >> 4) == 8, "NOP, NOP, TS in the segment");
		pkt[ihl + 20 + 3] = 1; /* the TS option's length: 1 */
		ok(synack_seg_fix_checksums(pkt, n), "checksums fixed");
		synack_input(f.st, f.now, pkt, n);
		if (rfc) {
			expect_none(&f);
			is_uint(synack_stats(f.st)->malformed[SYNACK_SEG_BAD_OPTION], 1, "counted");
		} else {
			expect_seg(&f, F_A, 1, 6, 0, FX_ANY);
			is_uint(synack_stats(f.st)->malformed[SYNACK_SEG_BAD_OPTION], 0,
			        "not malformed");
		}
		fx_free(&f);
		subtest_end();
	}

	synack_profile_linux(&p);
	p.verify_checksums = false;
	subtest("verify_checksums=false accepts a bad checksum (fuzzing)");
	fx_init(&f, &p, 303);
	fx_established(&f);
	fx_mkseg(&f, &s, F_PA, 0, 0, "hello", 5);
	n = synack_seg_build(&s, pkt, sizeof(pkt));
	pkt[36] ^= 0x55; /* the TCP checksum field */
	synack_input(f.st, f.now, pkt, n);
	expect_seg(&f, F_A, 1, 6, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	no_socket();
	no_socket_v6();
	specific_listener();
	not_for_us();
	malformed();
	done_testing();
}
