/* RFC 5961: blind RST, SYN and data-injection mitigations, and the
 * per-socket rate limit of the ACKs they send (Linux tcp_invalid_ratelimit,
 * tcp_oow_rate_limited, tcp_challenge_ack_limit). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void rst_exact_only(void)
{
	struct fx f;
	struct synack_segment s;
	char b[4];
	subtest("§3.2: only an RST at exactly RCV.NXT resets");
	fx_init(&f, NULL, 200);
	fx_established(&f);
	fx_send(&f, F_R, 1, 0, NULL, 0);
	expect_seg_out(&f, F_A, 1, 1, 0, FX_ANY, &s);
	is_uint(synack_stats(f.st)->challenge_acks, 1, "challenge ACK counted");
	fx_send(&f, F_R, 0, 0, NULL, 0);
	expect_none(&f);
	is_int(fx_state(&f, f.fd), 7, "reset");
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), -ECONNRESET, "recv: ECONNRESET once");
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), 0, "then EOF");
	is_int(synack_send(f.st, f.fd, "x", 1, 0), -EPIPE, "send: EPIPE");
	fx_free(&f);
	subtest_end();
}

static void rst_at_window_edge(void)
{
	struct fx f;
	subtest("§3.2: an RST at the last byte of the window: challenge ACK");
	fx_init(&f, NULL, 201);
	fx_established(&f);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	fx_send(&f, F_R, (int32_t)ti.rcv_wnd - 1, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_send(&f, F_R, (int32_t)ti.rcv_wnd + 1, 0, NULL, 0);
	expect_none(&f);
	is_int(fx_state(&f, f.fd), 1, "still ESTABLISHED");
	fx_free(&f);
	subtest_end();
}

static void challenge_rate_limit(void)
{
	struct fx f;
	subtest("challenge ACKs: one per 500 ms per socket");
	fx_init(&f, NULL, 202);
	fx_established(&f);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_advance(&f, 499000);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_none(&f);
	fx_send(&f, F_R, 3, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_stats(f.st)->challenge_acks_limited, 2, "two limited");
	fx_advance(&f, 1000);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void oow_rate_limit(void)
{
	struct fx f;
	subtest("out-of-window ACKs rate-limited; data segments never");
	fx_init(&f, NULL, 203);
	fx_established(&f);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_stats(f.st)->out_of_window_acks_limited, 1, "limited");
	fx_send(&f, F_PA, 0x40000000, 0, "data", 4);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_send(&f, F_PA, 0x40000000, 0, "data", 4);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_free(&f);

	struct synack_profile p;
	synack_profile_linux(&p);
	p.invalid_ratelimit_ms = 0;
	fx_init(&f, &p, 204);
	fx_established(&f);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	pass("tcp_invalid_ratelimit=0: no limit");
	fx_free(&f);
	subtest_end();
}

static void ack_range(void)
{
	struct fx f;
	subtest("§5.2: ACK in [SND.UNA - MAX.SND.WND, SND.NXT]");
	fx_init(&f, NULL, 205);
	fx_established(&f);
	char d[3000];
	memset(d, 'a', sizeof(d));
	synack_send(f.st, f.fd, d, 2000, 0);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0); /* everything acked: bytes_acked 2000 */
	/* An old ACK within MAX.SND.WND (bounded by bytes acked) is fine. */
	fx_send(&f, F_A, 0, -1000, NULL, 0);
	expect_none(&f);
	/* Older than that: challenge ACK. */
	fx_send(&f, F_A, 0, -2001, NULL, 0);
	expect_seg(&f, F_A, 2001, 1, 0, FX_ANY);
	/* Data with an unacceptable ACK is dropped, not delivered. */
	fx_advance(&f, 600000);
	fx_send(&f, F_PA, 0, -5000, "evil", 4);
	expect_seg(&f, F_A, 2001, 1, 0, FX_ANY);
	char b[8];
	is_int(synack_recv(f.st, f.fd, b, sizeof(b), 0), -EAGAIN, "nothing delivered");
	fx_free(&f);
	subtest_end();
}

static void global_limit(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.challenge_ack_limit = 1;
	p.invalid_ratelimit_ms = 0;
	subtest("tcp_challenge_ack_limit: per second, stack-wide");
	fx_init(&f, &p, 206);
	fx_established(&f);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_none(&f);
	fx_advance(&f, 1000000);
	fx_send(&f, F_S, 0, 0, NULL, 0);
	expect_seg(&f, F_A, 1, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	rst_exact_only();
	rst_at_window_edge();
	challenge_rate_limit();
	oow_rate_limit();
	ack_range();
	global_limit();
	done_testing();
}
