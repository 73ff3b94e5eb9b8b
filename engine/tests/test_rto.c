/* RTO (RFC 6298 §2-5, RFC 7323 §4, Karn) and giving up (RFC 1122 §4.2.3.5,
 * Linux tcp_write_timeout, TCP_USER_TIMEOUT). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

#define S(f) ((f)->st)

static char buf[65536];

/* The peer acknowledges up to the stack's relative sequence number rel. */
static void ack_to(struct fx *f, uint32_t rel)
{
	fx_send(f, F_A, 0, (int32_t)(f->iss + rel - f->p_ack), NULL, 0);
}

static struct synack_tcp_info info(struct fx *f)
{
	struct synack_tcp_info i;
	memset(&i, 0, sizeof(i));
	synack_tcp_info(S(f), f->fd, &i);
	return i;
}

/* A connection whose handshake RTT was rtt_us (passive open; the SYN-ACK is
 * timed, RFC 6298 §2.2's first sample). The peer offers no SACK, so no tail
 * loss probe (RFC 8985 §7, SACK only) takes the RTO's place. */
static void open_rtt(struct fx *f, const struct synack_profile *p, uint64_t seed, uint64_t rtt_us)
{
	fx_init(f, p, seed);
	f->p_ts = false;
	f->p_sack = false;
	fx_listen(f);
	fx_send_syn(f);
	expect_seg(f, F_SA, 0, 1, 0, FX_ANY);
	fx_advance(f, rtt_us);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(S(f), f->lfd, NULL, NULL);
	fx_drain(f);
}

static void first_sample(void)
{
	struct fx f;
	subtest("first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR) floored by "
	        "rto_min");
	open_rtt(&f, NULL, 501, 100000);
	struct synack_tcp_info i = info(&f);
	is_uint(i.rtt, 100000, "srtt 100 ms");
	is_uint(i.rttvar, 50000, "rttvar 50 ms");
	is_uint(i.rto, 300000, "rto = 100 + max(200, 200) ms");
	synack_send(S(&f), f.fd, buf, 100, 0);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	is_uint(fx_until_next_us(&f), 300000, "the timer runs for the RTO");
	fx_free(&f);
	subtest_end();

	subtest("a 10 ms RTT: the variance term is floored at rto_min (Linux), in 4 ms ticks");
	open_rtt(&f, NULL, 502, 10001);
	is_uint(info(&f).rto, 212000, "10.001 + 200 ms, rounded up to 212 ms");
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	p.clock_granularity_us = 1;
	p.rto_min_us = 1000;
	subtest("without the floor, RTO = 3 R after one sample (RFC 6298 §2.2)");
	open_rtt(&f, &p, 503, 40000);
	is_uint(info(&f).rto, 120000, "3 x 40 ms");
	fx_free(&f);
	subtest_end();
}

static void later_samples(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.clock_granularity_us = 1;
	p.rto_min_us = 1000;
	subtest("RFC 6298 §2.3: SRTT = 7/8 SRTT + 1/8 R'");
	open_rtt(&f, &p, 504, 80000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	fx_advance(&f, 160000);
	ack_to(&f, 101);
	struct synack_tcp_info i = info(&f);
	is_uint(i.rtt, 90000, "80 + (160 - 80) / 8 = 90 ms");
	/* Linux keeps 4 x RTTVAR: 160 ms after the first sample, then
	 * += |err| - mdev/4 = 80 - 40: 200 ms, i.e. RTTVAR 50 ms (RFC 6298
	 * §2.3: 3/4 x 40 + 1/4 x 80 = 50 ms). */
	is_uint(i.rttvar, 50000, "RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| = 50 ms");
	fx_free(&f);
	subtest_end();
}

static void backoff_and_max(void)
{
	struct fx f;
	subtest("RFC 6298 §5.5: the RTO doubles per expiry, up to rto_max (§2.5)");
	struct synack_profile p;
	synack_profile_linux(&p);
	p.rto_max_us = 1000000;
	open_rtt(&f, &p, 505, 100000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	uint64_t want[] = { 300000, 600000, 1000000, 1000000, 1000000 };
	for (int k = 0; k < 5; k++) {
		is_uint(fx_until_next_us(&f), want[k], "expiry %d after %llu us", k,
		        (unsigned long long)want[k]);
		fx_advance(&f, want[k]);
		expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	}
	is_uint(info(&f).backoff, 5, "tcpi_backoff");
	is_uint(info(&f).retransmits, 5, "tcpi_retransmits");
	fx_free(&f);
	subtest_end();
}

static void karn(void)
{
	struct fx f;
	subtest("Karn: the ACK of a retransmission gives no sample; the backed-off RTO stays");
	open_rtt(&f, NULL, 506, 100000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	fx_advance(&f, 300000);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	fx_advance(&f, 5000); /* an ACK 5 ms after the retransmission: not a sample */
	ack_to(&f, 101);
	struct synack_tcp_info i = info(&f);
	is_uint(i.rtt, 100000, "srtt unchanged");
	is_uint(i.backoff, 1, "backoff kept (RFC 6298 §5.7)");
	synack_send(S(&f), f.fd, buf, 100, 0);
	expect_seg(&f, F_PA, 101, 1, 100, FX_ANY);
	is_uint(fx_until_next_us(&f), 600000, "next RTO is the backed-off one");
	fx_advance(&f, 100000);
	ack_to(&f, 201);
	is_uint(info(&f).backoff, 0, "a clean sample resets the backoff");
	fx_free(&f);
	subtest_end();

	subtest("RFC 7323 §4: with timestamps, TSecr times even a retransmission");
	fx_init(&f, NULL, 507);
	fx_established(&f);
	struct synack_tcp_info i0 = info(&f);
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	fx_advance(&f, i0.rto);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	fx_advance(&f, 50000);
	ack_to(&f, 101); /* echoes the retransmission's TSval */
	i = info(&f);
	is_uint(i.backoff, 0, "a sample: backoff reset");
	ok(i.rtt != i0.rtt, "srtt moved (%u -> %u)", i0.rtt, i.rtt);
	fx_free(&f);
	subtest_end();
}

static void give_up(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.retries2 = 3;
	subtest("retries2 = 3: ETIMEDOUT once (2^4 - 1) x 200 ms passed since the first "
	        "retransmission, no RST");
	open_rtt(&f, &p, 508, 100000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	fx_advance(&f, 300000);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	fx_advance(&f, 600000);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	fx_advance(&f, 1200000);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	is_uint(fx_until_next_us(&f), 2400000, "one more timer");
	fx_advance(&f, 2400000);
	expect_none(&f);
	is_int(synack_recv(S(&f), f.fd, buf, 10, 0), -ETIMEDOUT, "recv: ETIMEDOUT");
	is_uint(synack_stats(S(&f))->aborts_on_timeout, 1, "counted");
	fx_free(&f);
	subtest_end();

	subtest("retries2 = 15 (Linux default): about 924.6 s of retransmitting");
	open_rtt(&f, NULL, 509, 100000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	uint64_t first = 0, last = 0;
	int n = 0;
	while (synack_next_deadline(S(&f)) != SYNACK_NEVER && n < 100) {
		fx_advance(&f, fx_until_next_us(&f));
		if (fx_pending(&f)) {
			fx_drain(&f);
			if (!first)
				first = f.now;
			last = f.now;
			n++;
		}
	}
	ok(f.now - first >= 924600000 && f.now - first < 924600000 + 120000000,
	   "gave up %llu us after the first retransmission", (unsigned long long)(f.now - first));
	is_int(n, 15, "15 retransmissions");
	ok(last < f.now, "the last timer sends nothing");
	is_int(synack_recv(S(&f), f.fd, buf, 10, 0), -ETIMEDOUT, "ETIMEDOUT");
	fx_free(&f);
	subtest_end();
}

static void user_timeout(void)
{
	struct fx f;
	subtest("TCP_USER_TIMEOUT 1 s: the timer is clamped to what is left, then ETIMEDOUT");
	open_rtt(&f, NULL, 510, 100000);
	int ut = 1000;
	is_int(synack_setsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)), 0,
	       "set");
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	fx_advance(&f, 300000);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	fx_advance(&f, 600000);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	is_uint(fx_until_next_us(&f), 400000, "1000 - 600 ms left < 1200 ms RTO");
	fx_advance(&f, 400000);
	expect_none(&f);
	is_int(synack_recv(S(&f), f.fd, buf, 10, 0), -ETIMEDOUT, "ETIMEDOUT");
	fx_free(&f);
	subtest_end();
}

static void syn_fallback(void)
{
	struct fx f;
	subtest("RFC 6298 §5.7: a retransmitted SYN leaves no sample: RTO 3 s for data");
	fx_init(&f, NULL, 511);
	f.p_ts = false;
	fx_connect(&f);
	fx_advance(&f, 1000000);
	expect_seg(&f, F_S, 0, 0, 0, FX_ANY);
	fx_advance(&f, 100000);
	fx_send(&f, F_SA, 0, 0, NULL, 0);
	fx_drain(&f);
	is_uint(info(&f).rto, 3000000, "3 s");
	fx_free(&f);
	subtest_end();
}

/* Linux: tcp_write_timeout for an orphan — tcp_orphan_retries(sk, alive)
 * is 8 while icsk_rto is below the RTO max, else 0: the first expiry with
 * icsk_rto at the maximum gives up (ETIMEDOUT, no RST, tcp_write_err). */
static void orphan_gives_up_at_rto_max(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.rto_max_us = 4000000;
	subtest("an orphan retransmits while icsk_rto < RTO max, then gives up (orphan_retries 0)");
	open_rtt(&f, &p, 512, 100000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	synack_close(S(&f), f.fd);
	expect_seg(&f, F_FA, 101, 1, 0, FX_ANY);
	/* RTO 300 ms, doubling: expiries at icsk_rto 300, 600, 1200, 2400 ms
	 * retransmit; the next finds icsk_rto = 4 s = the maximum. */
	int fires = 0, sent = 0;
	while (synack_next_deadline(S(&f)) != SYNACK_NEVER && fires < 20) {
		fx_advance(&f, fx_until_next_us(&f));
		fires++;
		struct synack_segment seg;
		while (fx_pop(&f, &seg)) {
			sent++;
			ok(!(seg.flags & F_R), "no RST");
		}
	}
	is_int(sent, 4, "4 retransmissions");
	is_int(fires, 5, "gave up at the 5th expiry");
	is_uint(synack_stats(S(&f))->aborts_on_timeout, 1, "counted as a timeout abort");
	fx_free(&f);
	subtest_end();
}

/* Linux tcp_retransmit_timer, "receiver dastardly shrinks window": with
 * data out and SND.WND 0, retransmissions are zero-window probes; they do
 * not count toward tcp_retries2, and only 2 x TCP_RTO_MAX without an ACK
 * (tcp_rtx_probe0_timed_out) ends the connection. Found by fuzz network
 * (corpora/regressions/network/liveness-rto-into-zero-window-etimedout). */
static void zero_window_rto(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.retries2 = 3;
	subtest("SND.WND 0 with data out: RTOs are probes, past retries2 while the peer answers");
	open_rtt(&f, &p, 512, 100000);
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	f.p_win = 0;
	ack_to(&f, 1); /* nothing acked, the window shut */
	expect_none(&f);
	int sent = 0;
	for (int i = 0; i < 12; i++) {
		fx_advance(&f, fx_until_next_us(&f));
		if (fx_pending(&f)) {
			sent++;
			fx_drain(&f);
			ack_to(&f, 1); /* the answer: still win 0 */
			fx_drain(&f);
		}
	}
	is_int(sent, 12, "12 retransmissions, retries2 is 3");
	is_int(fx_state(&f, f.fd), TCP_ESTABLISHED, "still established");
	is_int(synack_recv(S(&f), f.fd, buf, 10, 0), -EAGAIN, "no error");
	ok(info(&f).rto == 120000000, "the timer backed off to TCP_RTO_MAX: %u", info(&f).rto);

	/* The peer falls silent: after 2 x TCP_RTO_MAX without an ACK and as
	 * long retransmitting, ETIMEDOUT (no RST). */
	uint64_t silent = f.now;
	while (synack_next_deadline(S(&f)) != SYNACK_NEVER && f.now - silent < 1000000000u) {
		fx_advance(&f, fx_until_next_us(&f));
		fx_drain(&f);
	}
	is_int(synack_recv(S(&f), f.fd, buf, 10, 0), -ETIMEDOUT, "then ETIMEDOUT");
	ok(f.now - silent > 240000000u && f.now - silent <= 360000000u,
	   "%llu s after the last ACK (more than 240 s, at the next 120 s timer)",
	   (unsigned long long)((f.now - silent) / 1000000u));
	fx_free(&f);
	subtest_end();

	subtest("SND.WND 0 and TCP_USER_TIMEOUT 1 s: the user timeout still ends it");
	open_rtt(&f, NULL, 513, 100000);
	int ut = 1000;
	synack_setsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	synack_send(S(&f), f.fd, buf, 100, 0);
	fx_drain(&f);
	f.p_win = 0;
	ack_to(&f, 1);
	for (int i = 0; i < 10 && fx_state(&f, f.fd) == TCP_ESTABLISHED; i++) {
		fx_advance(&f, fx_until_next_us(&f));
		fx_drain(&f);
		ack_to(&f, 1);
		fx_drain(&f);
	}
	is_int(synack_recv(S(&f), f.fd, buf, 10, 0), -ETIMEDOUT,
	       "ETIMEDOUT although the peer answers every probe");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	first_sample();
	later_samples();
	backoff_and_max();
	karn();
	give_up();
	user_timeout();
	orphan_gives_up_at_rto_max();
	zero_window_rto();
	syn_fallback();
	done_testing();
}
