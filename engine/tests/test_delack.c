/* Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2; Linux tcp_event_data_recv,
 * __tcp_ack_snd_check, tcp_send_delayed_ack, tcp_delack_timer_handler). */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "fixtures.h"
#include "tap.h"

static const uint8_t z[1500];

static void seg(struct fx *f, uint32_t n)
{
	fx_send(f, F_A, 0, 0, z, n);
}

/* Runs the connection out of quick-ACK mode: 16 full segments, each ACKed. */
static bool drain_quick(struct fx *f)
{
	bool good = true;
	for (int i = 0; i < 16; i++) {
		fx_advance(f, 10000);
		seg(f, 1000);
		good = good && fx_pending(f) == 1;
		fx_drain(f);
	}
	return good;
}

static bool quickack_on(struct fx *f)
{
	int v = -1;
	socklen_t l = sizeof(v);
	synack_getsockopt(f->st, f->fd, IPPROTO_TCP, TCP_QUICKACK, &v, &l);
	return v != 0;
}

static void quick_then_delayed(void)
{
	struct fx f;
	struct synack_tcp_info ti;
	subtest("quick-ACK mode for the first 16 segments, then the 40 ms ATO");
	fx_init(&f, NULL, 1);
	fx_established(&f);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.ato, 0, "tcpi_ato 0 before data");
	ok(drain_quick(&f), "16 immediate ACKs");
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.ato, 40000, "tcpi_ato 40 ms");
	fx_advance(&f, 10000);
	seg(&f, 1000);
	expect_none(&f);
	is_uint(synack_next_deadline(f.st) - f.now, 40000, "delayed-ACK timer at ATO");
	fx_advance(&f, 39999);
	expect_none(&f);
	fx_advance(&f, 1);
	expect_seg(&f, F_A, 1, 17001, 0, FX_ANY);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.ato, 80000, "missed: ATO inflated");
	fx_free(&f);
	subtest_end();
}

static void second_full_segment(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("a second full segment, read as it comes, is ACKed at once");
	/* tcp_rmem[2] 6 MiB: wscale 7. With 32 MiB (wscale 10) the window,
	 * rounded to 1 KiB, would shrink, and Linux too waits for the timer
	 * (__tcp_ack_snd_check: __tcp_select_window >= rcv_wnd). */
	synack_profile_linux(&p);
	p.rmem[2] = 6291456;
	fx_init(&f, &p, 2);
	fx_established(&f);
	uint8_t b[2000];
	for (int i = 0; i < 16; i++) {
		fx_advance(&f, 10000);
		seg(&f, 1000);
		fx_drain(&f);
		synack_recv(f.st, f.fd, b, sizeof(b), 0);
	}
	fx_drain(&f);
	fx_advance(&f, 100);
	seg(&f, 1000);
	expect_none(&f);
	synack_recv(f.st, f.fd, b, sizeof(b), 0);
	expect_none(&f);
	fx_advance(&f, 100);
	seg(&f, 1000);
	expect_seg(&f, F_A, 1, 18001, 0, FX_ANY);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "timer cancelled by the ACK");
	fx_free(&f);
	subtest_end();
}

static void ooo_and_gap(void)
{
	struct fx f;
	subtest("out of quick mode: out-of-order data and the gap fill ACK at once");
	fx_init(&f, NULL, 3);
	fx_established(&f);
	drain_quick(&f);
	struct synack_segment s;
	fx_mkseg(&f, &s, F_A, 1000, 0, z, 1000);
	fx_inject(&f, &s);
	expect_seg(&f, F_A, 1, 16001, 0, FX_ANY);
	seg(&f, 1000);
	expect_seg(&f, F_A, 1, 18001, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void piggyback_and_quickack(void)
{
	struct fx f;
	int v;
	socklen_t l = sizeof(v);
	subtest("data sent carries the ACK; TCP_QUICKACK 0 delays, 1 releases");
	fx_init(&f, NULL, 4);
	fx_established(&f);
	v = 0;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v));
	synack_getsockopt(f.st, f.fd, IPPROTO_TCP, TCP_QUICKACK, &v, &l);
	is_int(v, 0, "TCP_QUICKACK reads 0");
	seg(&f, 100);
	expect_none(&f);
	synack_send(f.st, f.fd, "reply", 5, 0);
	expect_seg(&f, F_PA, 1, 101, 5, FX_ANY);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_uint(synack_next_deadline(f.st) - f.now, ti.rto, "only the RTO (%u us) left", ti.rto);
	fx_send(&f, F_A, 0, 0, z, 100);
	expect_none(&f);
	uint8_t b[300];
	synack_recv(f.st, f.fd, b, sizeof(b), 0);
	expect_none(&f);
	v = 1;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_QUICKACK, &v, sizeof(v));
	expect_seg(&f, F_A, 6, 201, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void fin_delayed(void)
{
	struct fx f;
	struct synack_profile p;
	struct synack_tcp_info ti;
	subtest("a FIN after data waits for the delayed-ACK timer (Linux tcp_fin pingpong)");
	fx_init(&f, NULL, 5);
	fx_established(&f);
	seg(&f, 10);
	expect_seg(&f, F_A, 1, 11, 0, FX_ANY); /* quick-ACK mode */
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_none(&f);
	is_int(fx_state(&f, f.fd), 8, "CLOSE_WAIT at once");
	is_uint(synack_next_deadline(f.st) - f.now, 40000, "delayed-ACK timer at ATO");
	ok(!quickack_on(&f), "pingpong mode (TCP_QUICKACK reads 0)");
	fx_advance(&f, 39999);
	expect_none(&f);
	fx_advance(&f, 1);
	expect_seg(&f, F_A, 1, 12, 0, FX_ANY);
	fx_free(&f);
	subtest_end();

	subtest("the FIN's ACK rides on the reply sent before the timer");
	fx_init(&f, NULL, 6);
	fx_established(&f);
	seg(&f, 10);
	fx_drain(&f);
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_none(&f);
	fx_advance(&f, 1000);
	synack_send(f.st, f.fd, "bye", 3, 0);
	expect_seg(&f, F_PA, 1, 12, 3, FX_ANY);
	synack_tcp_info(f.st, f.fd, &ti);
	is_uint(synack_next_deadline(f.st) - f.now, ti.rto, "only the RTO (%u us) left", ti.rto);
	fx_free(&f);
	subtest_end();

	/* Found by compare --fuzz seed 20: Linux ACKed after the segment. */
	/* Linux: a timer armed for jiffies + 0 fires at the next tick. */
	subtest("a FIN's ACK due at once (ATO 0) goes after a segment of the same instant");
	fx_init(&f, NULL, 8);
	fx_established(&f);
	/* More than one unit of our window scale (2^10 here) past the edge. */
	synack_send(f.st, f.fd, z, 1200, 0);
	expect_seg(&f, F_PA, 1, 1, 1200, FX_ANY);
	f.p_win = 0; /* the peer shrinks its window below SND.NXT: ACKs go at its edge */
	fx_send(&f, F_FA, 0, -1200, NULL, 0);
	expect_none(&f);
	is_uint(fx_until_next_us(&f), 0, "the delayed ACK is due now");
	fx_send(&f, F_A, 0, 0, NULL, 0);         /* the same instant: all of it acknowledged */
	expect_seg(&f, F_A, 1201, 2, 0, FX_ANY); /* at SND.NXT, the new edge: after the ACK */
	fx_free(&f);
	subtest_end();

	subtest("rfc profile: the FIN is ACKed at once (RFC 9293 3.10.7.4)");
	synack_profile_rfc(&p);
	fx_init(&f, &p, 7);
	fx_established(&f);
	seg(&f, 10);
	fx_drain(&f);
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 12, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	quick_then_delayed();
	second_full_segment();
	ooo_and_gap();
	piggyback_and_quickack();
	fin_delayed();
	done_testing();
}
