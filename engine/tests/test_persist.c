/* The persist timer (RFC 9293 §3.8.6.1, MUST-36; Linux tcp_probe_timer,
 * tcp_send_probe0, tcp_ack_probe): zero-window probes, backoff, answers,
 * abort, TCP_USER_TIMEOUT. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static bool zero_window(struct fx *f, uint64_t seed, const struct synack_profile *p)
{
	fx_init(f, p, seed);
	if (!fx_established(f))
		return false;
	f->p_win = 0;
	fx_send(f, F_A, 0, 0, NULL, 0);
	return synack_send(f->st, f->fd, "0123456789", 10, 0) == 10;
}

/* The connection's RTO (tcpi_rto, Linux's icsk_rto): the handshake's RTT
 * sample makes it rto_min plus a clock tick, not the initial 1 s. */
static uint64_t rto_of(struct fx *f)
{
	struct synack_tcp_info ti;
	synack_tcp_info(f->st, f->fd, &ti);
	return ti.rto;
}

static void backoff_and_cap(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.rto_max_us = 8000000;
	p.retries2 = 100;
	subtest("probes at RTO, doubling, capped at RTO max");
	ok(zero_window(&f, 1, &p), "zero window, data queued");
	expect_none(&f);
	uint64_t base = rto_of(&f);
	ok(base >= p.rto_min_us && base < p.rto_init_us, "RTO %llu us from the handshake sample",
	   (unsigned long long)base);
	/* Linux: tcp_probe0_when — max(icsk_rto, rto_min) << icsk_backoff,
	 * capped at the RTO max: base, 2 base, ... 8 s, 8 s. */
	int n = 0;
	for (; n < 12; n++) {
		uint64_t want = base << n;
		if (want > p.rto_max_us)
			want = p.rto_max_us;
		is_uint(synack_next_deadline(f.st) - f.now, want, "probe %d after %llu us", n + 1,
		        (unsigned long long)want);
		fx_advance(&f, want);
		/* Linux's probe: an ACK at SND.UNA - 1, no data. */
		expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	}
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, n, "tcpi_probes %d", n);
	is_int(ti.backoff, n, "tcpi_backoff %d", n);
	/* tcp_send_probe0 bumps icsk_backoff only: icsk_rto is unchanged. */
	is_uint(ti.rto, base, "tcpi_rto not doubled by the probes");
	f.p_win = 100;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_PA, 1, 1, 10, FX_ANY);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, 0, "probes cleared");
	is_int(ti.backoff, 0, "backoff cleared");
	fx_free(&f);
	subtest_end();
}

static void answered_never_aborts(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.retries2 = 2;
	subtest("MUST-36: answered probes never abort, however many");
	zero_window(&f, 2, &p);
	for (int i = 0; i < 40; i++) {
		fx_advance(&f, synack_next_deadline(f.st) - f.now);
		expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
		fx_send(&f, F_A, 0, 0, NULL, 0); /* window still 0 */
	}
	is_int(fx_state(&f, f.fd), 1, "still ESTABLISHED after 40 probes");
	/* Linux: tcp_send_probe0 stops the backoff at tcp_retries2. */
	is_uint(synack_next_deadline(f.st) - f.now, rto_of(&f) << 2,
	        "backoff stops at retries2 (RTO << 2)");
	fx_free(&f);
	subtest_end();
}

static void unanswered_abort(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.retries2 = 3;
	subtest("unanswered: ETIMEDOUT after retries2 probes, no RST");
	zero_window(&f, 3, &p);
	for (int i = 0; i < 3; i++) {
		fx_advance(&f, synack_next_deadline(f.st) - f.now);
		expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	}
	fx_advance(&f, synack_next_deadline(f.st) - f.now);
	expect_none(&f);
	char b[4];
	is_int(synack_recv(f.st, f.fd, b, 4, 0), -ETIMEDOUT, "ETIMEDOUT");
	fx_free(&f);
	subtest_end();
}

static void user_timeout(void)
{
	struct fx f;
	subtest("TCP_USER_TIMEOUT bounds the stall, answered or not; last wait clamped");
	zero_window(&f, 4, NULL);
	uint64_t base = rto_of(&f), ut_us = 5000000;
	int ut = (int)(ut_us / 1000);
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	/* The first firing stamps the stall (icsk_probes_tstamp); each later
	 * wait is the backed-off probe interval clamped to what is left of
	 * the user timeout (tcp_clamp_probe0_to_user_timeout). */
	fx_advance(&f, base);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	uint64_t t1 = f.now;
	int probes = 1, clamped = 0;
	while (probes < 20) {
		uint64_t left = ut_us - (f.now - t1);
		uint64_t want = base << probes;
		if (want >= left) {
			want = left;
			clamped = 1;
		}
		is_uint(synack_next_deadline(f.st) - f.now, want, "wait %d: %llu us%s", probes,
		        (unsigned long long)want, clamped ? " (clamped to the time left)" : "");
		fx_advance(&f, want);
		if (clamped)
			break;
		expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
		fx_send(&f, F_A, 0, 0, NULL, 0); /* answered, window still 0 */
		probes++;
	}
	ok(clamped, "the last wait was clamped");
	expect_none(&f);
	is_int(fx_state(&f, f.fd), 7, "CLOSED %llu us after the first probe",
	       (unsigned long long)(f.now - t1));
	fx_free(&f);
	subtest_end();
}

static void window_opens_early(void)
{
	struct fx f;
	subtest("a window update before the timer sends the data and stops it");
	zero_window(&f, 5, NULL);
	fx_advance(&f, rto_of(&f) / 2);
	f.p_win = 100;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_PA, 1, 1, 10, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "no timer left");
	fx_free(&f);
	subtest_end();
}

static void old_ack_not_an_answer(void)
{
	struct fx f;
	subtest("an old ACK (SEG.ACK < SND.UNA) does not answer a probe (Linux: tcp_ack old_ack)");
	fx_init(&f, NULL, 7);
	fx_established(&f);
	char d[100] = { 0 };
	synack_send(f.st, f.fd, d, sizeof(d), 0);
	expect_seg(&f, F_PA, 1, 1, 100, FX_ANY);
	f.p_win = 0;
	fx_send(&f, F_A, 0, 0, NULL, 0); /* ACKs the 100 bytes, window 0 */
	synack_send(f.st, f.fd, "0123456789", 10, 0);
	expect_none(&f);
	fx_advance(&f, synack_next_deadline(f.st) - f.now);
	expect_seg(&f, F_A, 100, 1, 0, FX_ANY);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, 1, "one probe out");
	fx_send(&f, F_A, 0, -50, NULL, 0); /* within MAX.SND.WND below SND.UNA */
	expect_none(&f);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, 1, "the old ACK left the probe count");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, 0, "an ACK of SND.UNA clears it (MUST-36)");
	fx_free(&f);
	subtest_end();
}

static void lone_fin(void)
{
	struct fx f;
	subtest("a lone FIN held by a zero window is probed like data (Linux: tcp_send_fin)");
	fx_init(&f, NULL, 8);
	fx_established(&f);
	f.p_win = 0;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_shutdown(f.st, f.fd, SHUT_WR);
	expect_none(&f); /* tcp_snd_wnd_test: no room for the FIN's number */
	uint64_t base = rto_of(&f);
	is_uint(synack_next_deadline(f.st) - f.now, base, "the probe timer, at the RTO");
	fx_advance(&f, base);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	f.p_win = 100;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_FA, 1, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

/* Linux: tcp_probe_timer on a dead socket — tcp_orphan_retries(sk, alive)
 * is 8 while min(icsk_rto << icsk_backoff, rto_max) < rto_max (the
 * per-socket maximum, Linux 6.15+), else 0, which drops the orphan. */
static void orphan_case(uint64_t rto_max_us)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.rto_max_us = rto_max_us;
	subtest("an orphan probes while its backed-off RTO is below %llu us (orphan_retries 0)",
	        (unsigned long long)rto_max_us);
	zero_window(&f, 6, &p);
	uint64_t base = rto_of(&f);
	synack_close(f.st, f.fd);
	expect_none(&f); /* the FIN waits behind the data */
	int alive = 0;
	while ((base << alive) < rto_max_us)
		alive++;
	int want = alive < 8 ? alive : 8;
	int probes = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t d = synack_next_deadline(f.st);
		if (d == SYNACK_NEVER)
			break;
		fx_advance(&f, d - f.now);
		struct synack_segment s;
		while (fx_pop(&f, &s))
			probes++;
	}
	is_int(probes, want, "%d probes (%s), then the orphan is dropped", want,
	       alive < 8 ? "no longer alive" : "orphan retries 8");
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "no timer left");
	fx_free(&f);
	subtest_end();
}

static void orphan(void)
{
	orphan_case(4000000);   /* RTO << 5 passes 4 s first */
	orphan_case(120000000); /* 8 probes come first */
}

int main(void)
{
	orphan();
	backoff_and_cap();
	answered_never_aborts();
	unanswered_abort();
	user_timeout();
	window_opens_early();
	old_ack_not_an_answer();
	lone_fin();
	done_testing();
}
