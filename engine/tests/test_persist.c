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
	uint64_t expect[] = { 1000000, 2000000, 4000000, 8000000, 8000000, 8000000 };
	for (int i = 0; i < 6; i++) {
		is_uint(synack_next_deadline(f.st) - f.now, expect[i], "probe %d after %llu us",
		        i + 1, (unsigned long long)expect[i]);
		fx_advance(&f, expect[i]);
		/* Linux's probe: an ACK at SND.UNA - 1, no data. */
		expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	}
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, 6, "tcpi_probes 6");
	is_int(ti.backoff, 6, "tcpi_backoff 6");
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
	is_uint(synack_next_deadline(f.st) - f.now, 4000000,
	        "backoff stops at retries2 (1 s << 2)");
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
	int ut = 5000;
	synack_setsockopt(f.st, f.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	fx_advance(&f, 1000000);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_advance(&f, 2000000);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_uint(synack_next_deadline(f.st) - f.now, 3000000, "clamped to the 3 s left");
	fx_advance(&f, 3000000);
	expect_none(&f);
	is_int(fx_state(&f, f.fd), 7, "CLOSED");
	fx_free(&f);
	subtest_end();
}

static void window_opens_early(void)
{
	struct fx f;
	subtest("a window update before the timer sends the data and stops it");
	zero_window(&f, 5, NULL);
	fx_advance(&f, 500000);
	f.p_win = 100;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_PA, 1, 1, 10, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "no timer left");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	backoff_and_cap();
	answered_never_aborts();
	unanswered_abort();
	user_timeout();
	window_opens_early();
	done_testing();
}
