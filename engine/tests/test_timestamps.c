/* Timestamps (RFC 7323 §3-5): TSval from the injected clock at 1 ms with a
 * per-connection offset, TS.Recent rules, PAWS (never for RSTs). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void tsval_clock(void)
{
	struct fx f;
	struct synack_segment a, b;
	subtest("TSval ticks at 1 ms from the injected clock");
	fx_init(&f, NULL, 700);
	fx_established(&f);
	synack_send(f.st, f.fd, "x", 1, 0);
	expect_seg_out(&f, F_PA, 1, 1, 1, FX_ANY, &a);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_advance(&f, 123456);
	synack_send(f.st, f.fd, "y", 1, 0);
	expect_seg_out(&f, F_PA, 2, 1, 1, FX_ANY, &b);
	is_uint(b.opt.ts_val - a.opt.ts_val, 123, "123 ms later: +123");
	ok(a.opt.ts_val != (uint32_t)(f.now / 1000 - 123), "an offset is added");
	fx_free(&f);
	subtest_end();

	subtest("tcp_timestamps=2: TSval is the clock in ms, no offset");
	struct synack_profile p;
	synack_profile_linux(&p);
	p.timestamps = 2;
	fx_init(&f, &p, 700);
	fx_established(&f);
	synack_send(f.st, f.fd, "x", 1, 0);
	expect_seg_out(&f, F_PA, 1, 1, 1, FX_ANY, &a);
	is_uint(a.opt.ts_val, (uint32_t)(f.now / 1000), "TSval = now in ms");
	fx_free(&f);
	subtest_end();

	subtest("the offset comes from the seed");
	uint32_t v[2];
	for (int i = 0; i < 2; i++) {
		fx_init(&f, NULL, 701 + (uint64_t)i);
		fx_listen(&f);
		fx_send_syn(&f);
		fx_pop(&f, &a);
		v[i] = a.opt.ts_val;
		fx_free(&f);
	}
	ok(v[0] != v[1], "different seeds, different offsets");
	subtest_end();
}

static void ts_recent(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("TS.Recent: echoed; not updated by a segment beyond RCV.WUP");
	fx_init(&f, NULL, 702);
	fx_established(&f);
	f.p_tsval = 5000;
	fx_send(&f, F_PA, 0, 0, "abc", 3);
	expect_seg_out(&f, F_A, 1, 4, 0, FX_ANY, &s);
	is_uint(s.opt.ts_ecr, 5000, "TSecr = the peer's TSval");
	f.p_tsval = 6000;
	fx_send(&f, F_PA, 100, 0, "zzz", 3); /* out of order */
	expect_seg_out(&f, F_A, 1, 4, 0, FX_ANY, &s);
	is_uint(s.opt.ts_ecr, 5000, "an out-of-order segment does not update TS.Recent");
	fx_free(&f);
	subtest_end();
}

static void paws(void)
{
	struct fx f;
	struct synack_segment s;
	char b[8];
	subtest("PAWS: an old TSval is dropped with an ACK");
	fx_init(&f, NULL, 703);
	fx_established(&f);
	f.p_tsval = 5000;
	fx_send(&f, F_PA, 0, 0, "abc", 3);
	fx_drain(&f);
	synack_recv(f.st, f.fd, b, sizeof(b), 0);
	f.p_tsval = 4000;
	fx_send(&f, F_PA, 0, 0, "old", 3);
	f.p_seq -= 3;
	expect_seg_out(&f, F_A, 1, 4, 0, FX_ANY, &s);
	is_uint(s.opt.ts_ecr, 5000, "TS.Recent unchanged");
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), -EAGAIN, "not delivered");
	is_uint(synack_stats(f.st)->paws_drops, 1, "paws_drops");
	/* Never for an RST. */
	fx_send(&f, F_R, 0, 0, NULL, 0);
	is_int(fx_state(&f, f.fd), 7, "an RST with an old TSval still resets");
	fx_free(&f);
	subtest_end();

	subtest("PAWS: TS.Recent older than 24 days is not trusted");
	fx_init(&f, NULL, 704);
	fx_established(&f);
	f.p_tsval = 5000;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_advance(&f, 25ull * 86400 * 1000000);
	fx_drain(&f);
	f.p_tsval = 10;
	fx_send(&f, F_PA, 0, 0, "new", 3);
	expect_seg(&f, F_A, 1, 4, 0, FX_ANY);
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 3, "accepted");
	fx_free(&f);
	subtest_end();

	subtest("PAWS and reordered ACKs (tcp_disordered_ack_check)");
	fx_init(&f, NULL, 708);
	fx_established(&f);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	uint32_t replay = ti.rto / 1000 * 12 / 10; /* tcp_tsval_replay */
	f.p_tsval = 5000;
	fx_send(&f, F_PA, 0, 0, "abc", 3);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0); /* SND.WL1 = RCV.NXT */
	f.p_tsval = 5000 - replay;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_stats(f.st)->paws_drops, 0,
	        "a duplicate ACK %u ticks older (1.2 RTO): reordered, processed", replay);
	f.p_tsval = 5000 - replay - 1;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg_out(&f, F_A, 1, 4, 0, FX_ANY, &s);
	is_uint(synack_stats(f.st)->paws_drops, 1, "one tick more: dropped, answered");
	fx_advance(&f, 1000000); /* past the out-of-window ACK rate limit */
	f.p_tsval = 4999;
	f.p_win += 1;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 4, 0, FX_ANY);
	is_uint(synack_stats(f.st)->paws_drops, 2, "one that would update the window: dropped");
	fx_advance(&f, 1000000);
	f.p_tsval = 4999;
	fx_send(&f, F_A, -1, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_stats(f.st)->paws_drops, 3,
	        "an old pure ACK (before RCV.NXT): dropped silently");
	fx_free(&f);
	subtest_end();

	subtest("PAWS on a SYN in ESTABLISHED: challenge ACK");
	fx_init(&f, NULL, 705);
	fx_established(&f);
	f.p_tsval -= 50;
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	is_uint(synack_stats(f.st)->challenge_acks, 1, "challenge ACK");
	fx_free(&f);
	subtest_end();
}

static void not_negotiated(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("without the peer's TS option no segment carries one");
	fx_init(&f, NULL, 706);
	f.p_ts = false;
	fx_established(&f);
	synack_send(f.st, f.fd, "x", 1, 0);
	expect_seg_out(&f, F_PA, 1, 1, 1, FX_ANY, &s);
	ok(!s.opt.has_ts, "no TS");
	fx_free(&f);

	struct synack_profile p;
	synack_profile_linux(&p);
	p.timestamps = false;
	fx_init(&f, &p, 707);
	fx_listen(&f);
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, 64240, &s);
	ok(!s.opt.has_ts, "tcp_timestamps=0: none offered");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	tsval_clock();
	ts_recent();
	paws();
	not_negotiated();
	done_testing();
}
